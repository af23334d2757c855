# The seed's hairpin rules (with a documentation address for the public side).
iptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 203.0.113.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200
iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1
