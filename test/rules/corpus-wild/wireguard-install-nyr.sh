# origin: github.com/Nyr/wireguard-install wireguard-install.sh lines 433-436 (ExecStart lines of
#   the generated wg-iptables.service), commit 2f6562757a7ff502bec81654ad030ed103d27117
# license: MIT (wireguard-install)
# changed: $iptables_path -> iptables, $ip -> 203.0.113.10, $port -> 51820 (the script's
#   default); "ExecStart=" dropped; ip6tables left out.
iptables -w 5 -t nat -A POSTROUTING -s 10.7.0.0/24 ! -d 10.7.0.0/24 -j SNAT --to 203.0.113.10
iptables -w 5 -I INPUT -p udp --dport 51820 -j ACCEPT
iptables -w 5 -I FORWARD -s 10.7.0.0/24 -j ACCEPT
iptables -w 5 -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
