# origin: github.com/moby/moby integration/network/bridge/iptablesdoc/generated/usernet-portmap-noproxy.md at commit b985e2313a8676e18072b442911fc8f64f17d440
#   (a generated doc page: the "iptables commands" blocks are `iptables -S` output
#   of the real daemon, one block per table)
# license: Apache-2.0 (moby)
# changed: each `iptables -S` line is prefixed with `iptables -t TABLE` (table known
#   from the block's built-in chain policies) so the file is a command list; blank lines dropped; ip6tables none.
# table nat
iptables -t nat -P PREROUTING ACCEPT
iptables -t nat -P INPUT ACCEPT
iptables -t nat -P OUTPUT ACCEPT
iptables -t nat -P POSTROUTING ACCEPT
iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -o bridge1 -m addrtype --src-type LOCAL -j MASQUERADE
iptables -t nat -A POSTROUTING -s 192.0.2.0/24 ! -o bridge1 -j MASQUERADE
iptables -t nat -A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -A POSTROUTING -s 192.0.2.2/32 -d 192.0.2.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
iptables -t nat -A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80
