# origin: github.com/moby/moby integration/network/bridge/iptablesdoc/generated/usernet-portmap-lo.md at commit 9a9cade0dfa872fafa98ab15fe51ee152d13649d
#   (a generated doc page: the "iptables commands" blocks are `iptables -S` output
#   of the real daemon, one block per table)
# license: Apache-2.0 (moby)
# changed: each `iptables -S` line is prefixed with `iptables -t TABLE` (table known
#   from the block's built-in chain policies) so the file is a command list; blank lines dropped; ip6tables none.
# table raw
iptables -t raw -P PREROUTING ACCEPT
iptables -t raw -P OUTPUT ACCEPT
iptables -t raw -A PREROUTING -d 192.0.2.2/32 ! -i bridge1 -j DROP
iptables -t raw -A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP
