# origin: github.com/SSHGuard/sshguard doc/sshguard-setup.7.rst ("netfilter/iptables":
#   "Here is a sample ruleset that makes sense"), then the commands of the iptables backend
#   src/fw/sshg-fw-iptables.sh fw_block ("iptables -w -I sshguard -s $1/$3 -j DROP"), commit a3889c7f364a18e6108d84347b557cc0f2dcbd62
# license: ISC (sshguard)
# changed: the doc's comment lines kept as shell comments; fw_block expanded for two attackers
#   (203.0.113.9/32, 198.51.100.23/32); ip6tables lines left out.
iptables -N sshguard
# block whatever SSHGuard says be bad ...
iptables -A INPUT -j sshguard
# enable ssh, dns, http, https
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -p udp --dport 53 -j ACCEPT
iptables -A INPUT -p tcp --dport 80 -j ACCEPT
iptables -A INPUT -p tcp --dport 443 -j ACCEPT
# and block everything else (default deny)
iptables -P INPUT DROP
iptables -w -I sshguard -s 203.0.113.9/32 -j DROP
iptables -w -I sshguard -s 198.51.100.23/32 -j DROP
