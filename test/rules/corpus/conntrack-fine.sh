# Conntrack matches beyond --ctstate: hairpin detection on tuples, status bits, direction.
iptables -A FORWARD -m conntrack --ctstate DNAT --ctorigdst 203.0.113.22 -j ACCEPT
iptables -A FORWARD -m conntrack --ctorigsrc 192.168.1.0/24 --ctrepldst 192.168.1.1 -j ACCEPT
iptables -A FORWARD -m conntrack --ctproto tcp --ctorigdstport 80 --ctreplsrcport 8080 -j ACCEPT
iptables -A FORWARD -m conntrack ! --ctstatus ASSURED --ctdir REPLY -j ACCEPT
iptables -A FORWARD -m conntrack --ctstatus SEEN_REPLY,CONFIRMED --ctexpire 0:30 -j LOG --log-prefix "expiring: "
iptables -A INPUT -m conntrack --ctstate NEW,UNTRACKED ! --ctproto icmp ! --ctorigsrc 10.0.0.0/255.0.0.0 -j DROP
