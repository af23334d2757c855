#!/bin/bash
# A home router's firewall script in the style of distribution wikis: variables (quoted and not,
# ${NAME:-default}), a command held in a variable, chains made idempotent with "|| true" and
# "-C && -D", an address list inserted with -I, "export", ";" and a here-document for
# iptables-restore --noflush. Written for natbox's tests; the expected iptables-save is the real
# bash + iptables 1.8.9 output (test/rules/script.test.ts runs both in a network namespace).
set -e
LAN=${LAN_IF:-br-lan}
export WAN=eth0
IPT='iptables'
BLOCKED="192.0.2.66,192.0.2.77"

$IPT -P FORWARD DROP
$IPT -N wan_in 2>/dev/null || true
$IPT -N wan_in 2>/dev/null || true   # the second time the chain exists: status 1, ignored
$IPT -F wan_in; $IPT -A INPUT -i $WAN -j wan_in
$IPT -A wan_in -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IPT -A wan_in -p tcp --dport 22 -m comment --comment 'ssh from $anywhere' -j ACCEPT
$IPT -A wan_in -p tcp --dport 80 -m comment --comment "web on $WAN" -j ACCEPT
$IPT -A wan_in -j DROP
$IPT -I FORWARD -s 192.0.2.66,192.0.2.77 -j DROP
$IPT -I FORWARD 2 -d $BLOCKED -j REJECT
$IPT -A FORWARD -i "$LAN" -o $WAN -j ACCEPT
$IPT -C FORWARD -i "$LAN" -o $WAN -j ACCEPT && $IPT -D FORWARD -i "$LAN" -o $WAN -j ACCEPT
$IPT -t nat -A POSTROUTING -o $WAN -j MASQUERADE
iptables-restore --noflush <<EOF
*nat
:port_forward - [0:0]
-A PREROUTING -i $WAN -p tcp --dport 8080 -j port_forward
-A port_forward -p tcp -j DNAT --to-destination 192.168.1.200:80
COMMIT
EOF
iptables-restore -n <<'END'
*filter
-A FORWARD -m comment --comment "not $WAN" -j LOG
COMMIT
END
ip6tables -P FORWARD DROP
iptables-save > /dev/null
