# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/icmp-linux.args, commit 3ba789ccd59d1c9088f525e2353841e339add90d:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/icmp.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the per-interface chains (FP-vnet0, FJ-vnet0, HJ-vnet0) created first (libvirt's
#   driver creates them before these commands); backslash-continued lines joined.
iptables -w -N FP-vnet0
iptables -w -N FJ-vnet0
iptables -w -N HJ-vnet0
iptables -A FJ-vnet0 -p icmp -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 --icmp-type 12/11 -m state --state NEW,ESTABLISHED -j RETURN
iptables -A HJ-vnet0 -p icmp -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 --icmp-type 12/11 -m state --state NEW,ESTABLISHED -j RETURN
iptables -A FP-vnet0 -p icmp -m mac --mac-source 01:02:03:04:05:06 --source 10.1.2.3/22 -m dscp --dscp 33 --icmp-type 255/255 -m state --state NEW,ESTABLISHED -j ACCEPT
