# origin: github.com/moby/moby integration/network/bridge/iptablesdoc/generated/usernet-portmap-noicc.md at commit 9a9cade0dfa872fafa98ab15fe51ee152d13649d
#   (a generated doc page: the "iptables commands" blocks are `iptables -S` output
#   of the real daemon, one block per table)
# license: Apache-2.0 (moby)
# changed: each `iptables -S` line is prefixed with `iptables -t TABLE` (table known
#   from the block's built-in chain policies) so the file is a command list; blank lines dropped; ip6tables none.
# table filter
iptables -t filter -P INPUT ACCEPT
iptables -t filter -P FORWARD ACCEPT
iptables -t filter -P OUTPUT ACCEPT
iptables -t filter -N DOCKER
iptables -t filter -N DOCKER-BRIDGE
iptables -t filter -N DOCKER-CT
iptables -t filter -N DOCKER-FORWARD
iptables -t filter -N DOCKER-ISOLATION-STAGE-1
iptables -t filter -N DOCKER-ISOLATION-STAGE-2
iptables -t filter -N DOCKER-USER
iptables -t filter -A FORWARD -j DOCKER-USER
iptables -t filter -A FORWARD -j DOCKER-FORWARD
iptables -t filter -A DOCKER -d 192.0.2.2/32 ! -i bridge1 -o bridge1 -p tcp -m tcp --dport 80 -j ACCEPT
iptables -t filter -A DOCKER ! -i docker0 -o docker0 -j DROP
iptables -t filter -A DOCKER ! -i bridge1 -o bridge1 -j DROP
iptables -t filter -A DOCKER-BRIDGE -o docker0 -j DOCKER
iptables -t filter -A DOCKER-BRIDGE -o bridge1 -j DOCKER
iptables -t filter -A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -A DOCKER-CT -o bridge1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -A DOCKER-FORWARD -j DOCKER-CT
iptables -t filter -A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
iptables -t filter -A DOCKER-FORWARD -j DOCKER-BRIDGE
iptables -t filter -A DOCKER-FORWARD -i docker0 -j ACCEPT
iptables -t filter -A DOCKER-FORWARD -i bridge1 -o bridge1 -j DROP
iptables -t filter -A DOCKER-FORWARD -i bridge1 ! -o bridge1 -j ACCEPT
iptables -t filter -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
iptables -t filter -A DOCKER-ISOLATION-STAGE-1 -i bridge1 ! -o bridge1 -j DOCKER-ISOLATION-STAGE-2
iptables -t filter -A DOCKER-ISOLATION-STAGE-2 -o bridge1 -j DROP
iptables -t filter -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
# table nat
iptables -t nat -P PREROUTING ACCEPT
iptables -t nat -P INPUT ACCEPT
iptables -t nat -P OUTPUT ACCEPT
iptables -t nat -P POSTROUTING ACCEPT
iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s 192.0.2.0/24 ! -o bridge1 -j MASQUERADE
iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
iptables -t nat -A DOCKER -i bridge1 -j RETURN
iptables -t nat -A DOCKER -i docker0 -j RETURN
iptables -t nat -A DOCKER ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80
