# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/all-linux.args, commit 02b8045517660b393ee91aef41668ec85057085b:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/all.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the per-interface chains (FP-vnet0, FJ-vnet0, HJ-vnet0) created first (libvirt's
#   driver creates them before these commands); backslash-continued lines joined.
iptables -w -N FP-vnet0
iptables -w -N FJ-vnet0
iptables -w -N HJ-vnet0
iptables -w -A FJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m conntrack --ctstate NEW,ESTABLISHED -j RETURN
iptables -w -A FP-vnet0 -p all --source 10.1.2.3/32 -m dscp --dscp 2 -m conntrack --ctstate ESTABLISHED -j ACCEPT
iptables -w -A HJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m conntrack --ctstate NEW,ESTABLISHED -j RETURN
iptables -w -A FJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate ESTABLISHED -j RETURN
iptables -w -A FP-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --source 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
iptables -w -A HJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate ESTABLISHED -j RETURN
iptables -w -A FJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate ESTABLISHED -j RETURN
iptables -w -A FP-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --source 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
iptables -w -A HJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate ESTABLISHED -j RETURN
