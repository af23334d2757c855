# origin: github.com/lxc/incus internal/server/firewall/drivers/drivers_xtables.go, commit
#   16095c9721156d8719eb51a9e5e66e12e1a9944c: the commands NetworkSetup() runs (xtables driver,
#   what LXD/Incus use when iptables is the legacy backend) for a managed bridge incusbr0 with
#   ipv4.nat (MASQUERADE, prepended), DHCP/DNS/ICMP access and forwarding allowed, no ACLs
# license: Apache-2.0 (Incus)
# changed: the argument lists of networkSetupOutboundNAT, networkSetupICMPDHCPDNSAccess,
#   networkSetupDHCPv4Checksum and networkSetupForwardingPolicy written as the iptables commands
#   iptablesAdd builds ("-w -t TABLE -I CHAIN ... -m comment --comment 'generated for Incus
#   network incusbr0'"), for the subnet 10.64.211.0/24 (Incus picks a random 10.x.y.0/24); the
#   IPv6 half left out.
iptables -w -t nat -I POSTROUTING -s 10.64.211.0/24 ! -d 10.64.211.0/24 -j MASQUERADE -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I INPUT -i incusbr0 -p udp --dport 67 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I INPUT -i incusbr0 -p udp --dport 53 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I INPUT -i incusbr0 -p tcp --dport 53 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I OUTPUT -o incusbr0 -p udp --sport 67 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I OUTPUT -o incusbr0 -p udp --sport 53 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I OUTPUT -o incusbr0 -p tcp --sport 53 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I INPUT -i incusbr0 -p icmp -m icmp --icmp-type 3 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I OUTPUT -o incusbr0 -p icmp -m icmp --icmp-type 3 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I INPUT -i incusbr0 -p icmp -m icmp --icmp-type 11 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I OUTPUT -o incusbr0 -p icmp -m icmp --icmp-type 11 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I INPUT -i incusbr0 -p icmp -m icmp --icmp-type 12 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I OUTPUT -o incusbr0 -p icmp -m icmp --icmp-type 12 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t mangle -I POSTROUTING -o incusbr0 -p udp --dport 68 -j CHECKSUM --checksum-fill -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I FORWARD -i incusbr0 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
iptables -w -t filter -I FORWARD -o incusbr0 -j ACCEPT -m comment --comment "generated for Incus network incusbr0"
