# origin: github.com/cloudnativelabs/kube-router pkg/controllers/netpol/npc_iptables.go
#   ensureTopLevelChains() and ensureExplicitAccept() (the network policy controller k3s embeds),
#   commit 7c2c2779e397b15b85dc5fd2b6e6ff2c64c38596
# license: Apache-2.0 (kube-router)
# changed: the rule specs those functions build, written as the iptables commands they run on a
#   fresh node (-N chain; -I CHAIN POSITION; ensureExplicitAccept's rules, which go through
#   iptables-restore, as -A) for k3s's default service CIDR 10.43.0.0/16 and node-port range
#   30000-32767 (validateNodePortRange turns it into 30000:32767); the " - UUID" comment
#   suffixes computed as addUUIDForRuleSpec does (sha256 of chain+spec, base32, 16 chars);
#   the IPv6 handler, external-IP and load-balancer ranges (none configured) left out.
#   Check: the INPUT and FORWARD suffixes (4IA2OSFRMVNDXBVV, TEMCG2JMHZYE7H7T) equal those of a
#   real k3s node's `iptables -S` in github.com/k3s-io/k3s/issues/5611.
iptables -t filter -N KUBE-ROUTER-INPUT
iptables -t filter -I INPUT 1 -m comment --comment 'kube-router netpol - 4IA2OSFRMVNDXBVV' -j KUBE-ROUTER-INPUT
iptables -t filter -N KUBE-ROUTER-FORWARD
iptables -t filter -I FORWARD 1 -m comment --comment 'kube-router netpol - TEMCG2JMHZYE7H7T' -j KUBE-ROUTER-FORWARD
iptables -t filter -N KUBE-ROUTER-OUTPUT
iptables -t filter -I OUTPUT 1 -m comment --comment 'kube-router netpol - VEAAIY32XVBHCSCY' -j KUBE-ROUTER-OUTPUT
iptables -t filter -I KUBE-ROUTER-INPUT 1 -m comment --comment 'allow traffic to primary/secondary cluster IP range - EKROEGTNIJ3AP3LC' -d 10.43.0.0/16 -j RETURN
iptables -t filter -I KUBE-ROUTER-INPUT 2 -p tcp -m comment --comment 'allow LOCAL TCP traffic to node ports - LR7XO7NXDBGQJD2M' -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN
iptables -t filter -I KUBE-ROUTER-INPUT 3 -p udp -m comment --comment 'allow LOCAL UDP traffic to node ports - 76UCBPIZNGJNWNUZ' -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN
iptables -t filter -I KUBE-ROUTER-INPUT 4 -p sctp -m comment --comment 'allow LOCAL SCTP traffic to node ports - YU47VQ3DEDE3VDG7' -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN
iptables -t filter -A KUBE-ROUTER-INPUT -m comment --comment 'rule to explicitly ACCEPT traffic that comply to network policies' -m mark --mark 0x20000/0x20000 -j ACCEPT
iptables -t filter -A KUBE-ROUTER-FORWARD -m comment --comment 'rule to explicitly ACCEPT traffic that comply to network policies' -m mark --mark 0x20000/0x20000 -j ACCEPT
iptables -t filter -A KUBE-ROUTER-OUTPUT -m comment --comment 'rule to explicitly ACCEPT traffic that comply to network policies' -m mark --mark 0x20000/0x20000 -j ACCEPT
