# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/example-2-linux.args, commit 02b8045517660b393ee91aef41668ec85057085b:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/example-2.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the per-interface chains (FP-vnet0, FJ-vnet0, HJ-vnet0) created first (libvirt's
#   driver creates them before these commands); backslash-continued lines joined.
iptables -w -N FP-vnet0
iptables -w -N FJ-vnet0
iptables -w -N HJ-vnet0
iptables -w -A FJ-vnet0 -p all -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment 'out: existing and related (ftp) connections' -j RETURN
iptables -w -A HJ-vnet0 -p all -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment 'out: existing and related (ftp) connections' -j RETURN
iptables -w -A FP-vnet0 -p all -m conntrack --ctstate ESTABLISHED -m comment --comment 'in: existing connections' -j ACCEPT
iptables -w -A FP-vnet0 -p tcp --dport 21:22 -m conntrack --ctstate NEW -m comment --comment 'in: ftp and ssh' -j ACCEPT
iptables -w -A FP-vnet0 -p icmp -m conntrack --ctstate NEW -m comment --comment 'in: icmp' -j ACCEPT
iptables -w -A FJ-vnet0 -p udp --dport 53 -m conntrack --ctstate NEW -m comment --comment 'out: DNS lookups' -j RETURN
iptables -w -A HJ-vnet0 -p udp --dport 53 -m conntrack --ctstate NEW -m comment --comment 'out: DNS lookups' -j RETURN
iptables -w -A FJ-vnet0 -p all -m comment --comment 'inout: drop all non-accepted traffic' -j DROP
iptables -w -A FP-vnet0 -p all -m comment --comment 'inout: drop all non-accepted traffic' -j DROP
iptables -w -A HJ-vnet0 -p all -m comment --comment 'inout: drop all non-accepted traffic' -j DROP
