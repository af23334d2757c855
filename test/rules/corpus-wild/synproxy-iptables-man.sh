# origin: the iptables man page of the SYNPROXY target, extensions/libxt_SYNPROXY.man of the
#   netfilter iptables sources (read from the mirror github.com/aosp-mirror/platform_external_iptables,
#   commit b7d45c140fde9366a34412dbd318dd7c84bbef14): the three iptables commands of its example
#   (untracked SYNs in raw, SYNPROXY on UNTRACKED,INVALID, DROP of the rest)
# license: GPL-2.0 (iptables)
# changed: the man page's escapes (\-) and line breaks removed; `--timestamp` kept as the page
#   writes it (an abbreviation of --timestamps that iptables' getopt accepts).
iptables -t raw -A PREROUTING -i eth0 -p tcp --dport 80 --syn -j CT --notrack
iptables -A INPUT -i eth0 -p tcp --dport 80 -m state --state UNTRACKED,INVALID -j SYNPROXY --sack-perm --timestamp --mss 1460 --wscale 9
iptables -A INPUT -i eth0 -p tcp --dport 80 -m state --state INVALID -j DROP
