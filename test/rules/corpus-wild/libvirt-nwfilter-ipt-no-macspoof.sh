# origin: github.com/libvirt/libvirt tests/nwfilterxml2firewalldata/ipt-no-macspoof-linux.args, commit 3ba789ccd59d1c9088f525e2353841e339add90d:
#   the iptables commands libvirt's nwfilter (ebiptables driver) runs for the filter in
#   tests/nwfilterxml2firewalldata/ipt-no-macspoof.xml on interface vnet0
# license: LGPL-2.1-or-later (libvirt)
# changed: the per-interface chains (FP-vnet0) created first (libvirt's driver creates them
#   before these commands); nothing else.
iptables -N FP-vnet0
iptables -A FP-vnet0 -p all -m mac '!' --mac-source 12:34:56:78:9a:bc -j DROP
iptables -A FP-vnet0 -p all -m mac '!' --mac-source aa:aa:aa:aa:aa:aa -j DROP
