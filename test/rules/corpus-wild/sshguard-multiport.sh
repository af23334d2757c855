# origin: github.com/SSHGuard/sshguard doc/sshguard-setup.7.rst ("Create a chain for SSHGuard",
#   "block abusers only for SSH, FTP, POP, IMAP services (use "multiport" module)"), then
#   src/fw/sshg-fw-iptables.sh fw_block with IPV4_SUBNET=24 blocks, commit a3889c7f364a18e6108d84347b557cc0f2dcbd62
# license: ISC (sshguard)
# changed: fw_block expanded for 203.0.113.0/24 and 198.51.100.0/24 (sshguard passes the
#   address and the configured subnet size); ip6tables lines left out.
iptables -N sshguard
iptables -A INPUT -m multiport -p tcp --destination-ports 21,22,110,143 -j sshguard
iptables -w -I sshguard -s 203.0.113.0/24 -j DROP
iptables -w -I sshguard -s 198.51.100.0/24 -j DROP
