# origin: github.com/moby/moby integration/network/bridge/iptablesdoc/generated/usernet-portmap-routed.md at commit bf251c33d05af8cb94959a27802ef5f91901e53a
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
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -A DOCKER -i docker0 -j RETURN
