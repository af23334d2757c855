# User chains created, renamed and deleted out of name order: iptables-save lists built-in chains
# in kernel order, then user chains sorted by name (strcmp: digits, upper case, "_", lower case),
# whatever order they were made in (natbox sorts once at the end of a load, not at each -N).
iptables -N zeta
iptables -N Alpha
iptables -N 9lives
iptables -N _under
iptables -N alpha
iptables -N ALPHA2
iptables -N beta
iptables -N tmp-1
iptables -E tmp-1 Middle
iptables -N gone
iptables -X gone
iptables -A INPUT -j zeta
iptables -A INPUT -j Middle
iptables -A zeta -j alpha
iptables -A FORWARD -j alpha
iptables -A Middle -s 192.0.2.0/24 -j ACCEPT
iptables -t nat -N SVC-b
iptables -t nat -N SVC-a
iptables -t nat -N SEP-2
iptables -t nat -N SEP-1
iptables -t nat -A OUTPUT -j SVC-b
iptables -t nat -A SVC-b -j SEP-2
iptables -t nat -A SEP-2 -p tcp -j DNAT --to-destination 198.51.100.2:80
iptables -t nat -A PREROUTING -j SVC-a
iptables -t nat -A SVC-a -j SEP-1
iptables -t nat -A SEP-1 -p tcp -j DNAT --to-destination 198.51.100.1:80
iptables -t nat -E SVC-a SVC-c
