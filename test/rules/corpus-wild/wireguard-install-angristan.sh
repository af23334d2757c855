# origin: github.com/angristan/wireguard-install wireguard-install.sh lines 271-274 (the PostUp
#   lines written into /etc/wireguard/wg0.conf), commit 832fb9833501a7220e2900cffb61082841dedba8
# license: MIT (wireguard-install)
# changed: ${SERVER_PORT} -> 51820, ${SERVER_PUB_NIC} -> eth0, ${SERVER_WG_NIC} -> wg0;
#   "PostUp = " dropped; ip6tables PostUp lines left out.
iptables -I INPUT -p udp --dport 51820 -j ACCEPT
iptables -I FORWARD -i eth0 -o wg0 -j ACCEPT
iptables -I FORWARD -i wg0 -j ACCEPT
iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
