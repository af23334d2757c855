# origin: github.com/torvalds/linux Documentation/networking/tproxy.rst, commit
#   07f81727c1a0b8f2acdabc060727eff60bffc048: the iptables commands of "1. Making non-local sockets
#   work" and "2. Redirecting traffic" (the kernel's own transparent-proxy guide)
# license: GPL-2.0 (Linux kernel documentation)
# changed: the "# " prompts removed and the backslash-continued TPROXY command joined; the nft
#   and ip rule/route commands of the page left out.
iptables -t mangle -N DIVERT
iptables -t mangle -A PREROUTING -p tcp -m socket -j DIVERT
iptables -t mangle -A DIVERT -j MARK --set-mark 1
iptables -t mangle -A DIVERT -j ACCEPT
iptables -t mangle -A PREROUTING -p tcp --dport 80 -j TPROXY --tproxy-mark 0x1/0x1 --on-port 50080
