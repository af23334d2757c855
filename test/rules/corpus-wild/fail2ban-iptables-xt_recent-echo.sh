# origin: github.com/fail2ban/fail2ban config/action.d/iptables-xt_recent-echo.conf (actionstart, actionban)
#   at commit deffcbcd1712a3a0cbd79c1da324096ebf36d306, with the concrete values of the project's own
#   test fail2ban/tests/servertestcase.py (jail "j-w-iptables-xtre": chain INPUT; bans go to /proc/net/xt_recent, not to rules)
# license: GPL-2.0-or-later (fail2ban)
# changed: the actionstart shell ({ iptables -C ... } || { ... }, for chain/proto loops) is
#   expanded into the commands it runs on a fresh host; then actionban for 192.0.2.1 (the
#   test's address) and two more addresses 198.51.100.7, 203.0.113.9. ip6tables half left out.
# needs the xt_recent kernel module.
iptables -w -I INPUT -m recent --update --seconds 3600 --name f2b-j-w-iptables-xtre -j REJECT --reject-with icmp-port-unreachable
