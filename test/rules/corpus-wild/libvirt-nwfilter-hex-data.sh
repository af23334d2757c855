# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/hex-data-linux.args, commit 02b8045517660b393ee91aef41668ec85057085b:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/hex-data.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the per-interface chains (FP-vnet0, FJ-vnet0, HJ-vnet0) created first (libvirt's
#   driver creates them before these commands); backslash-continued lines joined; the ebtables and ip6tables commands left out.
iptables -w -N FP-vnet0
iptables -w -N FJ-vnet0
iptables -w -N HJ-vnet0
iptables -w -A FJ-vnet0 -p udp -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 34 --sport 291:400 --dport 564:1092 -m conntrack --ctstate NEW,ESTABLISHED -j RETURN
iptables -w -A FP-vnet0 -p udp --source 10.1.2.3/32 -m dscp --dscp 34 --dport 291:400 --sport 564:1092 -m conntrack --ctstate ESTABLISHED -j ACCEPT
iptables -w -A HJ-vnet0 -p udp -m mac --mac-source 01:02:03:04:05:06 --destination 10.1.2.3/32 -m dscp --dscp 34 --sport 291:400 --dport 564:1092 -m conntrack --ctstate NEW,ESTABLISHED -j RETURN
