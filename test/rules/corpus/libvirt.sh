# libvirt's default network (virbr0) as libvirtd 8.x writes it (its mangle CHECKSUM rule is unsupported: left out).
iptables -N LIBVIRT_INP
iptables -N LIBVIRT_OUT
iptables -N LIBVIRT_FWO
iptables -N LIBVIRT_FWI
iptables -N LIBVIRT_FWX
iptables -A INPUT -j LIBVIRT_INP
iptables -A FORWARD -j LIBVIRT_FWX
iptables -A FORWARD -j LIBVIRT_FWI
iptables -A FORWARD -j LIBVIRT_FWO
iptables -A OUTPUT -j LIBVIRT_OUT
iptables -A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 53 -j ACCEPT
iptables -A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 53 -j ACCEPT
iptables -A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 67 -j ACCEPT
iptables -A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 67 -j ACCEPT
iptables -A LIBVIRT_OUT -o virbr0 -p udp -m udp --dport 53 -j ACCEPT
iptables -A LIBVIRT_OUT -o virbr0 -p udp -m udp --dport 68 -j ACCEPT
iptables -A LIBVIRT_FWO -s 192.168.122.0/24 -i virbr0 -j ACCEPT
iptables -A LIBVIRT_FWO -i virbr0 -j REJECT --reject-with icmp-port-unreachable
iptables -A LIBVIRT_FWI -d 192.168.122.0/24 -o virbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A LIBVIRT_FWI -o virbr0 -j REJECT --reject-with icmp-port-unreachable
iptables -A LIBVIRT_FWX -i virbr0 -o virbr0 -j ACCEPT
iptables -t nat -N LIBVIRT_PRT
iptables -t nat -A POSTROUTING -j LIBVIRT_PRT
iptables -t nat -A LIBVIRT_PRT -s 192.168.122.0/24 -d 224.0.0.0/24 -j RETURN
iptables -t nat -A LIBVIRT_PRT -s 192.168.122.0/24 -d 255.255.255.255/32 -j RETURN
iptables -t nat -A LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535
iptables -t nat -A LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -p udp -j MASQUERADE --to-ports 1024-65535
iptables -t nat -A LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE
