# origin: github.com/moby/moby integration/network/bridge/iptablesdoc/generated/usernet-portmap-natunprot.md at commit b985e2313a8676e18072b442911fc8f64f17d440
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
iptables -t filter -N DOCKER-INTERNAL
iptables -t filter -N DOCKER-USER
iptables -t filter -A FORWARD -j DOCKER-USER
iptables -t filter -A FORWARD -j DOCKER-FORWARD
iptables -t filter -A DOCKER ! -i docker0 -o docker0 -j DROP
iptables -t filter -A DOCKER ! -i bridge1 -o bridge1 -j ACCEPT
iptables -t filter -A DOCKER-BRIDGE -o docker0 -j DOCKER
iptables -t filter -A DOCKER-BRIDGE -o bridge1 -j DOCKER
iptables -t filter -A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -A DOCKER-CT -o bridge1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -A DOCKER-FORWARD -j DOCKER-CT
iptables -t filter -A DOCKER-FORWARD -j DOCKER-INTERNAL
iptables -t filter -A DOCKER-FORWARD -j DOCKER-BRIDGE
iptables -t filter -A DOCKER-FORWARD -i docker0 -j ACCEPT
iptables -t filter -A DOCKER-FORWARD -i bridge1 -j ACCEPT
