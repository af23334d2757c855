# origin: github.com/angristan/openvpn-install openvpn-install.sh lines 3255-3259 (the generated
#   /etc/iptables/add-openvpn-rules.sh), commit 63448d542defa86c6c687bd320deff36a78cdaee
# license: MIT (openvpn-install)
# changed: $VPN_SUBNET_IPV4 -> 10.8.0.0, $NIC -> eth0, $PROTOCOL -> udp, $PORT -> 1194 (the
#   script's defaults); the "#!/bin/sh" line and the ip6tables lines left out.
iptables -t nat -I POSTROUTING 1 -s 10.8.0.0/24 -o eth0 -j MASQUERADE
iptables -I INPUT 1 -i tun+ -s 10.8.0.0/24 -j ACCEPT
iptables -I FORWARD 1 -i tun+ -s 10.8.0.0/24 -j ACCEPT
iptables -I FORWARD 1 -o tun+ -d 10.8.0.0/24 -j ACCEPT
iptables -I INPUT 1 -i eth0 -p udp --dport 1194 -j ACCEPT
