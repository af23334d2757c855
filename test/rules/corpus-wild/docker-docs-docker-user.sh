# origin: github.com/docker/docs content/manuals/engine/network/packet-filtering-firewalls.md,
#   commit 0e77409f23a3d1012b746db17a00edaf3d95972a: every IPv4 iptables example of the page,
#   in page order ("Match the original IP and ports", "Restrict external connections to
#   containers", "Docker on a router")
# license: Apache-2.0 (docker/docs)
# changed: the chain DOCKER-USER and dockerd's jump to it (-N DOCKER-USER, -A FORWARD -j
#   DOCKER-USER, as in moby's iptablesdoc) created first; "$ sudo "/"$ " prompts dropped;
#   ext_if -> eth0, src_if -> eth1, dst_if -> eth2.
iptables -N DOCKER-USER
iptables -A FORWARD -j DOCKER-USER
iptables -I DOCKER-USER -p tcp -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -I DOCKER-USER -p tcp -m conntrack --ctorigdst 198.51.100.2 --ctorigdstport 80 -j ACCEPT
iptables -I DOCKER-USER -i eth0 ! -s 192.0.2.2 -j DROP
iptables -I DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP
iptables -I DOCKER-USER -m iprange -i eth0 ! --src-range 192.0.2.1-192.0.2.3 -j DROP
iptables -I DOCKER-USER -m state --state RELATED,ESTABLISHED -j ACCEPT
iptables -I DOCKER-USER -i eth1 -o eth2 -j ACCEPT
