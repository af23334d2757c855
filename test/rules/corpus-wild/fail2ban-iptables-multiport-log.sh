# origin: github.com/fail2ban/fail2ban config/action.d/iptables-multiport-log.conf (actionstart,
#   actionban) with the defaults of config/action.d/iptables.conf (chain INPUT, blocktype
#   REJECT --reject-with icmp-port-unreachable, returntype RETURN, lockingopt -w) and the values
#   of config/jail.conf [sshd] (name sshd, port ssh, protocol tcp), commit
#   deffcbcd1712a3a0cbd79c1da324096ebf36d306 (this action has no case in the project's tests)
# license: GPL-2.0-or-later (fail2ban)
# changed: actionstart written out with those values, $(expr f2b-sshd : '\(.\{1,23\}\)') in
#   --log-prefix evaluated to its value "f2b-sshd"; then actionban for 192.0.2.1,
#   198.51.100.7, 203.0.113.9. No ip6tables.
iptables -w -N f2b-sshd
iptables -w -A f2b-sshd -j RETURN
iptables -w -I INPUT 1 -p tcp -m multiport --dports ssh -j f2b-sshd
iptables -w -N f2b-sshd-log
iptables -w -I f2b-sshd-log -j LOG --log-prefix "f2b-sshd:DROP " --log-level warning -m limit --limit 6/m --limit-burst 2
iptables -w -A f2b-sshd-log -j REJECT --reject-with icmp-port-unreachable
iptables -w -I f2b-sshd 1 -s 192.0.2.1 -j f2b-sshd-log
iptables -w -I f2b-sshd 1 -s 198.51.100.7 -j f2b-sshd-log
iptables -w -I f2b-sshd 1 -s 203.0.113.9 -j f2b-sshd-log
