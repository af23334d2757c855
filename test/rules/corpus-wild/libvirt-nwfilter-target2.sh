# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/target2-linux.args, commit 02b8045517660b393ee91aef41668ec85057085b:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/target2.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the per-interface chains (FP-vnet0, FJ-vnet0, HJ-vnet0) created first (libvirt's
#   driver creates them before these commands); backslash-continued lines joined.
iptables -w -N FP-vnet0
iptables -w -N FJ-vnet0
iptables -w -N HJ-vnet0
iptables -w -A FP-vnet0 -p tcp --dport 22 -j ACCEPT
iptables -w -A FJ-vnet0 -p tcp --sport 22 -j RETURN
iptables -w -A HJ-vnet0 -p tcp --sport 22 -j RETURN
iptables -w -A FJ-vnet0 -p tcp --sport 80 -m conntrack --ctstate ESTABLISHED -j RETURN
iptables -w -A FP-vnet0 -p tcp --dport 80 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
iptables -w -A HJ-vnet0 -p tcp --sport 80 -m conntrack --ctstate ESTABLISHED -j RETURN
iptables -w -A FJ-vnet0 -p tcp -j REJECT
iptables -w -A FP-vnet0 -p tcp -j REJECT
iptables -w -A HJ-vnet0 -p tcp -j REJECT
iptables -w -A FJ-vnet0 -p all -j DROP
iptables -w -A FP-vnet0 -p all -j DROP
iptables -w -A HJ-vnet0 -p all -j DROP
