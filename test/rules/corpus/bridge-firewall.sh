# A transparent bridge firewall (br_netfilter): physdev ports, bridged-only rules.
iptables -P FORWARD DROP
iptables -A FORWARD -m physdev --physdev-is-bridged -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -m physdev --physdev-in eth1 --physdev-out eth0 --physdev-is-bridged -j ACCEPT
iptables -A FORWARD -m physdev --physdev-in eth0 --physdev-out eth1 --physdev-is-bridged -p tcp -m tcp --dport 443 -j ACCEPT
iptables -A FORWARD -m physdev --physdev-in vnet+ ! --physdev-out eth0 --physdev-is-bridged -j DROP
iptables -A FORWARD -m physdev ! --physdev-is-bridged -j ACCEPT
iptables -A INPUT -m physdev --physdev-is-in -m pkttype --pkt-type multicast -j ACCEPT
iptables -t nat -A POSTROUTING -m physdev --physdev-is-bridged -j ACCEPT
