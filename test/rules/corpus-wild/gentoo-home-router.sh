# origin: github.com/kekse1/scripts sh/router.sh (v0.1.1), commit 1e921e7f4e7a90ad0ed0d4aa24fcbc5e4a798c60:
#   a NAT-router script made from the Gentoo wiki's "Home router" guide
#   (wiki.gentoo.org/wiki/Home_router, whose firewall section it follows command for command)
# license: MIT (kekse1/scripts LICENSE.txt); the Gentoo wiki guide it follows is CC BY-SA
# changed: the functions' iptables commands in the order the script calls them, with $IPTABLES
#   written as iptables and $LAN/$WAN given the script's own values (eno1, enp0s20f0u1u3); the
#   flushes, the /proc writes and the shell around them left out.
iptables -P INPUT ACCEPT
iptables -P OUTPUT ACCEPT
iptables -P FORWARD DROP
iptables -I INPUT 1 -i eno1 -j ACCEPT
iptables -I INPUT 1 -i lo -j ACCEPT
iptables -A INPUT -p UDP --dport bootps ! -i eno1 -j REJECT
iptables -A INPUT -p UDP --dport domain ! -i eno1 -j REJECT
iptables -A INPUT -p TCP --dport ssh -i enp0s20f0u1u3 -j ACCEPT
iptables -A INPUT -p TCP ! -i eno1 -d 0/0 --dport 0:1023 -j DROP
iptables -A INPUT -p UDP ! -i eno1 -d 0/0 --dport 0:1023 -j DROP
iptables -I FORWARD -i eno1 -d 192.168.0.0/16 -j DROP
iptables -A FORWARD -i eno1 -s 192.168.0.0/16 -j ACCEPT
iptables -A FORWARD -i enp0s20f0u1u3 -d 192.168.0.0/16 -j ACCEPT
iptables -t nat -A POSTROUTING -o enp0s20f0u1u3 -j MASQUERADE
