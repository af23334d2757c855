# An authoritative DNS server that skips conntrack for port 53, with tracing of one test client.
iptables -t raw -A PREROUTING -i eth0 -p udp -m udp --dport 53 -j CT --notrack
iptables -t raw -A OUTPUT -o eth0 -p udp -m udp --sport 53 -j CT --notrack
iptables -t raw -A PREROUTING -i eth0 -p tcp -m tcp --dport 53 -j NOTRACK
iptables -t raw -A PREROUTING -s 192.0.2.99/32 -p icmp -j TRACE
iptables -A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -j DROP
