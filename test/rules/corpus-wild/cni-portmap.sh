# origin: github.com/containernetworking/plugins plugins/meta/portmap/portmap_iptables_test.go
#   ("generates a correct standard container chain", "generates a correct top-level chain",
#   "generates the correct mark chains"), commit 3d27709faaa4e3619f299b962d9ea24589e28f9c: the
#   chains the CNI portmap plugin (used by Podman/CNI, containerd, k3s) sets up for a container
#   10.0.0.2/24 of network "test" with 8 port mappings, snat on, masquerade bit 5
# license: Apache-2.0 (containernetworking/plugins)
# changed: the expected chain structs written as the iptables commands chain.setup() runs, in
#   the order of forwardPorts() (-N chain, -A its rules, then -A/-I the entry rules with
#   "-j chain"); the test's placeholder conditionsV4 ["-a", "b"] left out (no conditions);
#   the IPv6 mappings (8085, 8086 to 2001:db8::2) left out.
iptables -t nat -N CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x20/0x20
iptables -t nat -N CNI-HOSTPORT-MASQ
iptables -t nat -A CNI-HOSTPORT-MASQ -m mark --mark 0x20/0x20 -j MASQUERADE
iptables -t nat -I POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
iptables -t nat -N CNI-HOSTPORT-DNAT
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
iptables -t nat -N CNI-DN-67e92b96e692a494b6b85
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8080 -s 10.0.0.2/24 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8080 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8081 -s 10.0.0.2/24 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8081 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8081 -j DNAT --to-destination 10.0.0.2:80
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p udp --dport 8080 -s 10.0.0.2/24 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p udp --dport 8080 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p udp --dport 8080 -j DNAT --to-destination 10.0.0.2:81
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p udp --dport 8082 -s 10.0.0.2/24 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p udp --dport 8082 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p udp --dport 8082 -j DNAT --to-destination 10.0.0.2:82
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8083 -d 192.168.0.2 -s 10.0.0.2/24 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8083 -d 192.168.0.2 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8083 -d 192.168.0.2 -j DNAT --to-destination 10.0.0.2:83
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8084 -s 10.0.0.2/24 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8084 -s 127.0.0.1 -j CNI-HOSTPORT-SETMARK
iptables -t nat -A CNI-DN-67e92b96e692a494b6b85 -p tcp --dport 8084 -j DNAT --to-destination 10.0.0.2:84
iptables -t nat -A CNI-HOSTPORT-DNAT -m comment --comment 'dnat name: "test" id: "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y"' -m multiport -p tcp --destination-ports 8080,8081,8083,8084,8085,8086 -j CNI-DN-67e92b96e692a494b6b85
iptables -t nat -A CNI-HOSTPORT-DNAT -m comment --comment 'dnat name: "test" id: "icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y"' -m multiport -p udp --destination-ports 8080,8082 -j CNI-DN-67e92b96e692a494b6b85
