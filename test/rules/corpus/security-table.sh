# The security table (SELinux labelling hooks) and mangle marks on every built-in chain.
iptables -t security -A INPUT -p tcp --dport 443 -j ACCEPT
iptables -t security -A OUTPUT -m owner --uid-owner 33 -j ACCEPT
iptables -t security -A FORWARD -j ACCEPT
iptables -t mangle -A INPUT -j MARK --set-mark 0x100
iptables -t mangle -A OUTPUT -j MARK --xor-mark 0x1
iptables -t mangle -A POSTROUTING -j CONNMARK --set-mark 0x5/0xf
iptables -t mangle -A FORWARD -j CONNMARK --and-mark 0xf0
