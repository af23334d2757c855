# A transparent proxy on the same host: the proxy's own traffic (uid 13, gid 13) is exempt.
iptables -t nat -N PROXY
iptables -t nat -A OUTPUT -p tcp -m multiport --dports 80,443 -j PROXY
iptables -t nat -A PROXY -m owner --uid-owner 13 -j RETURN
iptables -t nat -A PROXY -m owner --gid-owner 13 -j RETURN
iptables -t nat -A PROXY -d 127.0.0.0/8 -j RETURN
iptables -t nat -A PROXY -p tcp -j REDIRECT --to-ports 3129
iptables -A OUTPUT -m owner --uid-owner 1000-1999 -p tcp --dport 25 -j REJECT --reject-with tcp-reset
iptables -A OUTPUT -m owner ! --socket-exists -j ACCEPT
iptables -A OUTPUT -m owner --uid-owner root -j ACCEPT
