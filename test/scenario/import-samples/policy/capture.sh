#!/bin/bash
# Captures the policy-routing samples (as root: `bash capture.sh DIR`) from a throwaway network
# namespace natbox-imprule-PID, deleted afterwards: a veth pair e0 (10.0.1.1/24, MTU 1400) and e1
# (10.0.2.1/24); routes in tables 100 and 200, blackhole, prohibit, unreachable and throw routes,
# a multipath route with weights and a route with `mtu lock 1300`; and ip rules with every
# selector and action iproute2 prints (fwmark/mask, not, from, to, tos, iif, oif, ipproto, sport,
# dport ranges, goto, nop, prohibit, blackhole, suppress_prefixlength).
set -euo pipefail
out=${1:-.}
ns=natbox-imprule-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
n() { ip -n "$ns" "$@"; }
n link add e0 type veth peer name e1
n link set e0 mtu 1400
n link set e0 up
n link set e1 up
n link set lo up
n addr add 10.0.1.1/24 dev e0
n addr add 10.0.2.1/24 dev e1
n route add default via 10.0.1.254 table 200
n route add unreachable default table 100
n route add blackhole 10.0.9.30/32
n route add prohibit 10.0.9.40/32
n route add throw 10.0.8.0/24 table 200
n route add 10.7.0.0/16 via 10.0.2.9 mtu lock 1300 metric 5
n route add 10.5.0.0/16 nexthop via 10.0.1.9 weight 2 nexthop via 10.0.2.9
n rule add fwmark 0x2/0xff lookup 200 pref 1000
n rule add from 10.0.1.11 lookup 100
n rule add not fwmark 51820 table 51820
n rule add table main suppress_prefixlength 0
n rule add iif e0 ipproto tcp dport 80-90 lookup 200 pref 500
n rule add to 192.0.2.0/24 tos 0x10 prohibit pref 600
n rule add oif e1 sport 1000 goto 32766 pref 700
n rule add from 10.0.3.0/24 blackhole pref 800
n rule add pref 900 nop
n -j addr > "$out/ip-addr.json"
n -j link > "$out/ip-link.json"
n -j route show table all > "$out/ip-route-all.json"
n -j rule > "$out/ip-rule.json"
# -N: tables, route types and protocols as numbers (what the README asks for).
n -N -j route show table all > "$out/ip-N-route-all.json"
n -N -j rule > "$out/ip-N-rule.json"
