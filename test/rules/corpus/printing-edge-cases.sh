# Printing corners: normalisations iptables-save applies (checked against the kernel).
iptables -N ZED
iptables -N ALPHA
iptables -N Mixed-case_1
iptables -A INPUT -p tcp -m comment --comment "hello world" --dport 22 -m conntrack --ctstate ESTABLISHED,RELATED,NEW -j ACCEPT
iptables -A INPUT -p tcp -m tcp -j ACCEPT
iptables -A INPUT -p TCP --sport 1024: --dport :1023 -j ACCEPT
iptables -A INPUT -p tcp --sport 0:65535 ! --dport 5 -j ACCEPT
iptables -A INPUT -p tcp ! --syn --tcp-option 2 -j ACCEPT
iptables -A INPUT -p tcp --tcp-flags ALL NONE -j DROP
iptables -A INPUT -p tcp --dport http -j ACCEPT
iptables -A INPUT -p icmp --icmp-type port-unreachable -j ACCEPT
iptables -A INPUT -p icmp ! --icmp-type 3/1 -j ACCEPT
iptables -A INPUT -p icmp --icmp-type any -j ACCEPT
iptables -A INPUT -p icmp --icmp-type 8/0 -j ACCEPT
iptables -A INPUT -p 47 -j ACCEPT
iptables -A INPUT -p 200 -j ACCEPT
iptables -A INPUT -p all -f -j ACCEPT
iptables -A INPUT ! -f ! -s 10.0.0.0/255.0.0.0 ! -i eth+ -j DROP
iptables -A INPUT -s 10.0.0.0/255.0.255.0 -d 0/0 -i + -j DROP
iptables -A INPUT -s 10.1.2.3/16 -j DROP
iptables -A INPUT -p udp -m multiport ! --ports 53,54 -j ACCEPT
iptables -A INPUT -p udp -m multiport --source-ports 1000:2000,3000 -j ACCEPT
iptables -A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT
iptables -A INPUT -m conntrack --ctstate DNAT,SNAT,UNTRACKED,INVALID -j DROP
iptables -A INPUT -m state ! --state INVALID -j ACCEPT
iptables -A INPUT -m comment --comment simple_word-1 -m comment --comment 'a "q" b\c' -j ACCEPT
iptables -A INPUT -j LOG --log-prefix x --log-uid --log-macdecode --log-ip-options --log-tcp-options --log-tcp-sequence --log-level debug
iptables -A INPUT -j LOG --log-level warning
iptables -A INPUT -j REJECT --reject-with host-prohib
iptables -A INPUT -j ZED
iptables -A INPUT -g ALPHA
iptables -A INPUT -j Mixed-case_1
iptables -A INPUT
iptables -A OUTPUT -c 10 20 -o eth0 -j ACCEPT
iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1-192.0.2.9:1000-2000 --random --persistent
iptables -t nat -A PREROUTING -p udp -j DNAT --to-destination :53
iptables -t nat -A OUTPUT -p tcp -j REDIRECT
iptables -t nat -A POSTROUTING -p tcp -j SNAT --to-source 198.51.100.1:100-200 --persistent --random-fully --random
iptables -t nat -A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1024-2000 --random-fully --random
iptables -t nat -A INPUT -j SNAT --to 198.51.100.2
iptables -t mangle -A FORWARD -j LOG
iptables -t raw -A PREROUTING -j ACCEPT
iptables -t security -A INPUT -j ACCEPT
