# Tethering and hop checks: TTL and length sanity, tos-based priority, DSCP on ingress.
iptables -A INPUT -m ttl --ttl-lt 2 -j DROP
iptables -A FORWARD -i usb0 -m ttl --ttl-eq 63 -j ACCEPT
iptables -A FORWARD -i usb0 -m ttl ! --ttl-eq 64 -j LOG --log-prefix "tether ttl: "
iptables -A FORWARD -m ttl --ttl-gt 200 -j DROP
iptables -A INPUT -p icmp -m length --length 1024: -j DROP
iptables -A INPUT -m tos ! --tos 0x00/0xfc -m dscp ! --dscp 0x00 -j ACCEPT
