# ConfigServer Security & Firewall (csf) style: ALLOWIN/DENYIN, LOGDROPIN, port lists, PORTFLOOD.
iptables -N LOCALINPUT
iptables -N LOCALOUTPUT
iptables -N ALLOWIN
iptables -N ALLOWOUT
iptables -N DENYIN
iptables -N DENYOUT
iptables -N LOGDROPIN
iptables -N LOGDROPOUT
iptables -N INVALID
iptables -N INVDROP
iptables -P INPUT DROP
iptables -P OUTPUT DROP
iptables -P FORWARD DROP
iptables -A INPUT -j LOCALINPUT
iptables -A INPUT ! -i lo -m conntrack --ctstate INVALID -j INVALID
iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT ! -i lo -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT ! -i lo -p tcp -m conntrack --ctstate NEW -m multiport --dports 20,21,22,25,53,80,110,143,443,465,587,993,995 -j ACCEPT
iptables -A INPUT ! -i lo -p udp -m conntrack --ctstate NEW -m multiport --dports 20,21,53 -j ACCEPT
iptables -A INPUT ! -i lo -p icmp -m icmp --icmp-type 8 -m limit --limit 1/sec -j ACCEPT
iptables -A INPUT ! -i lo -j LOGDROPIN
iptables -A OUTPUT -j LOCALOUTPUT
iptables -A OUTPUT -o lo -j ACCEPT
iptables -A OUTPUT ! -o lo -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A OUTPUT ! -o lo -p tcp -m conntrack --ctstate NEW -m multiport --dports 20,21,22,25,53,80,110,113,443,587,993,995 -j ACCEPT
iptables -A OUTPUT ! -o lo -p udp -m conntrack --ctstate NEW -m multiport --dports 20,21,53,113,123 -j ACCEPT
iptables -A OUTPUT ! -o lo -j LOGDROPOUT
iptables -A LOCALINPUT ! -i lo -j ALLOWIN
iptables -A LOCALINPUT ! -i lo -j DENYIN
iptables -A LOCALOUTPUT ! -o lo -j ALLOWOUT
iptables -A LOCALOUTPUT ! -o lo -j DENYOUT
iptables -A ALLOWIN ! -i lo -s 192.0.2.10 -j ACCEPT
iptables -A ALLOWOUT ! -o lo -d 192.0.2.10 -j ACCEPT
iptables -A DENYIN ! -i lo -s 203.0.113.200 -j DROP
iptables -A DENYOUT ! -o lo -d 203.0.113.200 -j LOGDROPOUT
iptables -A INVALID -m conntrack --ctstate INVALID -j INVDROP
iptables -A INVALID -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j INVDROP
iptables -A INVALID -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,SYN,RST,PSH,ACK,URG -j INVDROP
iptables -A INVDROP -j DROP
iptables -A LOGDROPIN -p tcp -m tcp --dport 23 -j DROP
iptables -A LOGDROPIN -p tcp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *TCP_IN Blocked* "
iptables -A LOGDROPIN -p udp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *UDP_IN Blocked* "
iptables -A LOGDROPIN -j DROP
iptables -A LOGDROPOUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m limit --limit 30/min -j LOG --log-prefix "Firewall: *TCP_OUT Blocked* " --log-uid
iptables -A LOGDROPOUT -j DROP
