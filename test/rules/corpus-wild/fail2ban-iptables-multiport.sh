# origin: github.com/fail2ban/fail2ban config/action.d/iptables-multiport.conf (actionstart, actionban)
#   at commit deffcbcd1712a3a0cbd79c1da324096ebf36d306, with the concrete values of the project's own
#   test fail2ban/tests/servertestcase.py (jail "j-w-iptables-mp": port="http,https", protocol="tcp,udp,sctp", chain INPUT)
#   The udp and sctp iterations are left out: /etc/services (netbase) names http only for tcp,
#   so the real iptables refuses "-p udp|sctp --dports http,https".
# license: GPL-2.0-or-later (fail2ban)
# changed: the actionstart shell ({ iptables -C ... } || { ... }, for chain/proto loops) is
#   expanded into the commands it runs on a fresh host; then actionban for 192.0.2.1 (the
#   test's address) and two more addresses 198.51.100.7, 203.0.113.9. ip6tables half left out.
iptables -w -N f2b-j-w-iptables-mp
iptables -w -A f2b-j-w-iptables-mp -j RETURN
iptables -w -I INPUT -p tcp -m multiport --dports http,https -j f2b-j-w-iptables-mp
iptables -w -I f2b-j-w-iptables-mp 1 -s 192.0.2.1 -j REJECT --reject-with icmp-port-unreachable
iptables -w -I f2b-j-w-iptables-mp 1 -s 198.51.100.7 -j REJECT --reject-with icmp-port-unreachable
iptables -w -I f2b-j-w-iptables-mp 1 -s 203.0.113.9 -j REJECT --reject-with icmp-port-unreachable
