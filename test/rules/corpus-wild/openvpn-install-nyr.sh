# origin: github.com/Nyr/openvpn-install openvpn-install.sh lines 395-398 (the ExecStart lines of
#   the generated /etc/systemd/system/openvpn-iptables.service), commit 2fdf0e2bb003335b6fe9e0ccb4448e0dc9c40e79
# license: MIT (openvpn-install)
# changed: $iptables_path -> iptables, $ip -> 203.0.113.10 (the server's public address),
#   $protocol -> udp, $port -> 1194 (the script's defaults); "ExecStart=" dropped; ip6tables left out.
iptables -w 5 -t nat -A POSTROUTING -s 10.8.0.0/24 ! -d 10.8.0.0/24 -j SNAT --to 203.0.113.10
iptables -w 5 -I INPUT -p udp --dport 1194 -j ACCEPT
iptables -w 5 -I FORWARD -s 10.8.0.0/24 -j ACCEPT
iptables -w 5 -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
