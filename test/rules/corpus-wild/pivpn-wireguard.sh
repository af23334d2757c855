# origin: github.com/pivpn/pivpn auto_install/install.sh lines 3436-3560 (confIPTables), commit
#   aa96de7d27bfe4b9b00b8abe8fda80bb8e2bb81b: the IPv4 iptables commands the PiVPN installer runs
#   for a wireguard server on a host whose INPUT and FORWARD chains already hold rules (the case where
#   it adds its input and forward rules besides the MASQUERADE one)
# license: MIT (PiVPN)
# changed: the shell variables given concrete values (VPN=wireguard, pivpnNET=10.105.71.0 (the installer
#   picks a random /24 of 10.0.0.0/8), subnetClass=24, IPv4dev=eth0, pivpnDEV=wg0,
#   pivpnPROTO=udp, pivpnPORT=51820), the "iptables -S | grep -q" guards, the ip6tables commands and
#   the backslash continuations left out; one INPUT and one FORWARD rule added first (an
#   existing ssh rule and a DROP policy), the state the installer checks for.
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -P FORWARD DROP
iptables -t nat -I POSTROUTING -s 10.105.71.0/24 -o eth0 -j MASQUERADE -m comment --comment "wireguard-nat-rule"
iptables -I INPUT 1 -i eth0 -p udp --dport 51820 -j ACCEPT -m comment --comment "wireguard-input-rule"
iptables -I FORWARD 1 -d 10.105.71.0/24 -i eth0 -o wg0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT -m comment --comment "wireguard-forward-rule"
iptables -I FORWARD 2 -s 10.105.71.0/24 -i wg0 -o eth0 -j ACCEPT -m comment --comment "wireguard-forward-rule"
