#!/bin/sh
# A hand-written home router script: default drop, anti-spoofing, port forwards with hairpin,
# SYN flood limit, MSS clamping for PPPoE, logging of drops.
iptables -F
iptables -t nat -F
iptables -P INPUT DROP
iptables -P FORWARD DROP
iptables -P OUTPUT ACCEPT
iptables -N syn_flood
iptables -N LOGDROP
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -A INPUT -i ppp0 -s 10.0.0.0/8 -j LOGDROP
iptables -A INPUT -i ppp0 -s 172.16.0.0/12 -j LOGDROP
iptables -A INPUT -i ppp0 -s 192.168.0.0/16 -j LOGDROP
iptables -A INPUT -p tcp --syn -j syn_flood
iptables -A INPUT -i br0 -p udp -m multiport --dports 53,67 -j ACCEPT
iptables -A INPUT -i br0 -p tcp -m multiport --dports 22,53,80,443 -j ACCEPT
iptables -A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 5 -j ACCEPT
iptables -A INPUT -m pkttype --pkt-type broadcast -j DROP
iptables -A INPUT -j LOGDROP
iptables -A syn_flood -m limit --limit 25/s --limit-burst 50 -j RETURN
iptables -A syn_flood -j DROP
iptables -A LOGDROP -m limit --limit 10/min -j LOG --log-prefix "DROP: " --log-level 4
iptables -A LOGDROP -j DROP
iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A FORWARD -i br0 -o ppp0 -j ACCEPT
iptables -A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
iptables -A FORWARD -j LOGDROP
iptables -t mangle -A FORWARD -o ppp0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
iptables -t nat -A PREROUTING -i ppp0 -p tcp --dport 443 -j DNAT --to-destination 192.168.10.20
iptables -t nat -A PREROUTING -i ppp0 -p udp --dport 51820 -j DNAT --to-destination 192.168.10.30:51820
iptables -t nat -A PREROUTING -i br0 -d 198.51.100.10 -p tcp --dport 443 -j DNAT --to-destination 192.168.10.20
iptables -t nat -A POSTROUTING -s 192.168.10.0/24 -d 192.168.10.20 -p tcp --dport 443 -j SNAT --to-source 192.168.10.1
iptables -t nat -A POSTROUTING -o ppp0 -j MASQUERADE
