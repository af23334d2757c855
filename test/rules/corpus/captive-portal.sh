# A hotspot captive portal: authenticated clients by MAC, everyone else redirected to the portal.
iptables -t nat -N portal
iptables -t mangle -N auth
iptables -t mangle -A PREROUTING -i wlan0 -j auth
iptables -t mangle -A auth -m mac --mac-source 02:00:00:aa:bb:01 -j MARK --set-mark 0x1
iptables -t mangle -A auth -m mac --mac-source 02:00:00:aa:bb:02 -j MARK --set-mark 0x1
iptables -t mangle -A auth -m mac --mac-source 02:00:00:AA:BB:03 -j MARK --set-mark 0x1
iptables -t nat -A PREROUTING -i wlan0 -m mark ! --mark 0x1 -j portal
iptables -t nat -A portal -p tcp --dport 80 -j REDIRECT --to-ports 8080
iptables -t nat -A portal -p udp --dport 53 -j DNAT --to-destination 10.1.0.1:53
iptables -A FORWARD -i wlan0 -m mark ! --mark 0x1 -j REJECT --reject-with icmp-net-prohibited
iptables -A FORWARD -i wlan0 -m mac ! --mac-source 02:00:00:aa:bb:01 -m limit --limit 6/min -j NFLOG --nflog-group 2 --nflog-prefix portal
iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
