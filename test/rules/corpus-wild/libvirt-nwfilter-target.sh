# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/target-linux.args, commit 02b8045517660b393ee91aef41668ec85057085b:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/target.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the three per-interface chains FP-vnet0, FJ-vnet0, HJ-vnet0 created first
#   (libvirt's driver creates them before these commands); backslash-continued lines joined; the ebtables commands left out.
iptables -w -N FP-vnet0
iptables -w -N FJ-vnet0
iptables -w -N HJ-vnet0
iptables -w -A FJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment 'accept rule -- dir out' -j RETURN
iptables -w -A FP-vnet0 -p all --source 10.1.2.3/32 -m dscp --dscp 2 -m conntrack --ctstate ESTABLISHED -m comment --comment 'accept rule -- dir out' -j ACCEPT
iptables -w -A HJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment 'accept rule -- dir out' -j RETURN
iptables -w -A FJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m comment --comment 'drop rule   -- dir out' -j DROP
iptables -w -A FP-vnet0 -p all --source 10.1.2.3/32 -m dscp --dscp 2 -m comment --comment 'drop rule   -- dir out' -j DROP
iptables -w -A HJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m comment --comment 'drop rule   -- dir out' -j DROP
iptables -w -A FJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m comment --comment 'reject rule -- dir out' -j REJECT
iptables -w -A FP-vnet0 -p all --source 10.1.2.3/32 -m dscp --dscp 2 -m comment --comment 'reject rule -- dir out' -j REJECT
iptables -w -A HJ-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 2 -m comment --comment 'reject rule -- dir out' -j REJECT
iptables -w -A FJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate ESTABLISHED -m comment --comment 'accept rule -- dir in' -j RETURN
iptables -w -A FP-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --source 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate NEW,ESTABLISHED -m comment --comment 'accept rule -- dir in' -j ACCEPT
iptables -w -A HJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m conntrack --ctstate ESTABLISHED -m comment --comment 'accept rule -- dir in' -j RETURN
iptables -w -A FJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m comment --comment 'drop rule   -- dir in' -j DROP
iptables -w -A FP-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --source 10.1.2.3/22 -m dscp --dscp 33 -m comment --comment 'drop rule   -- dir in' -j DROP
iptables -w -A HJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m comment --comment 'drop rule   -- dir in' -j DROP
iptables -w -A FJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m comment --comment 'reject rule -- dir in' -j REJECT
iptables -w -A FP-vnet0 -p all -m mac --mac-source 01:02:03:04:05:06 --source 10.1.2.3/22 -m dscp --dscp 33 -m comment --comment 'reject rule -- dir in' -j REJECT
iptables -w -A HJ-vnet0 -p all --destination 10.1.2.3/22 -m dscp --dscp 33 -m comment --comment 'reject rule -- dir in' -j REJECT
iptables -w -A FJ-vnet0 -p all -m comment --comment 'accept rule -- dir inout' -j RETURN
iptables -w -A FP-vnet0 -p all -m comment --comment 'accept rule -- dir inout' -j ACCEPT
iptables -w -A HJ-vnet0 -p all -m comment --comment 'accept rule -- dir inout' -j RETURN
iptables -w -A FJ-vnet0 -p all -m comment --comment 'drop   rule -- dir inout' -j DROP
iptables -w -A FP-vnet0 -p all -m comment --comment 'drop   rule -- dir inout' -j DROP
iptables -w -A HJ-vnet0 -p all -m comment --comment 'drop   rule -- dir inout' -j DROP
iptables -w -A FJ-vnet0 -p all -m comment --comment 'reject rule -- dir inout' -j REJECT
iptables -w -A FP-vnet0 -p all -m comment --comment 'reject rule -- dir inout' -j REJECT
iptables -w -A HJ-vnet0 -p all -m comment --comment 'reject rule -- dir inout' -j REJECT
