# fail2ban with the iptables-multiport and iptables-allports actions: f2b-* chains, banned hosts.
iptables -N f2b-sshd
iptables -N f2b-nginx-http-auth
iptables -N f2b-recidive
iptables -A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
iptables -A INPUT -p tcp -m multiport --dports 80,443 -j f2b-nginx-http-auth
iptables -A INPUT -p all -j f2b-recidive
iptables -I f2b-sshd 1 -s 198.51.100.23 -j REJECT --reject-with icmp-port-unreachable
iptables -I f2b-sshd 1 -s 203.0.113.77 -j REJECT --reject-with icmp-port-unreachable
iptables -I f2b-sshd 1 -s 192.0.2.150 -j REJECT --reject-with icmp-port-unreachable
iptables -A f2b-sshd -j RETURN
iptables -I f2b-nginx-http-auth 1 -s 198.51.100.99 -j REJECT --reject-with icmp-port-unreachable
iptables -A f2b-nginx-http-auth -j RETURN
iptables -I f2b-recidive 1 -s 203.0.113.5 -j DROP
iptables -A f2b-recidive -j RETURN
