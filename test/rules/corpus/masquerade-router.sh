#!/bin/sh
# A small router: stateful filter, MASQUERADE to the uplink, a port forward and a proxy redirect.
iptables -P FORWARD DROP
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT
iptables -A INPUT -i eth1 -p tcp --dport 22 -m state --state NEW -j ACCEPT
iptables -A INPUT -i eth1 -p udp -m multiport --dports 53,67:68 -j ACCEPT
iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset
iptables -A INPUT -j REJECT --reject-with icmp-host-prohibited
iptables -A FORWARD -i eth1 -o eth0 -j ACCEPT
iptables -A FORWARD -i eth0 -o eth1 -m state --state RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j LOG --log-prefix 'fwd syn: ' --log-level 6
iptables -A FORWARD ! -s 10.0.0.0/255.0.0.0 -i eth1 -j DROP
iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
iptables -t nat -A POSTROUTING -o eth2 -p udp -j MASQUERADE --to-ports 20000-30000 --random
iptables -t nat -A PREROUTING -i eth0 -d 198.51.100.7 -p tcp --dport 2222 -j DNAT --to-destination 10.0.0.5:22
iptables -t nat -A PREROUTING -i eth1 -p tcp --dport 80 -j REDIRECT --to-ports 3128
iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -o eth3 -j SNAT --to-source 198.51.100.1-198.51.100.4 --persistent
iptables -t nat -I POSTROUTING 1 -s 10.9.0.0/16 -o eth0 -j RETURN
