# Extension matches and targets (addrtype ... NFLOG), every form checked against iptables-save.
iptables -A INPUT -m addrtype --src-type LOCAL -j ACCEPT
iptables -A INPUT -m addrtype ! --dst-type LOCAL,BROADCAST --limit-iface-in -j ACCEPT
iptables -A OUTPUT -m addrtype --dst-type UNICAST --limit-iface-out -j ACCEPT
iptables -A INPUT -m addrtype --src-type unicast ! --dst-type multicast -j ACCEPT
iptables -A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT
iptables -A INPUT -m iprange ! --src-range 10.0.0.1-10.0.0.9 ! --dst-range 10.0.1.1-10.0.1.1 -j ACCEPT
iptables -A INPUT -m mark --mark 0x1 -j ACCEPT
iptables -A INPUT -m mark ! --mark 5/0xff -j ACCEPT
iptables -A INPUT -m mark --mark 0xffffffff/0xffffffff -j ACCEPT
iptables -A INPUT -m connmark --mark 16/16 -j ACCEPT
iptables -A INPUT -m connmark ! --mark 1 -j ACCEPT
iptables -A INPUT -m mac --mac-source 00:11:22:aa:BB:cc -j ACCEPT
iptables -A INPUT -m mac ! --mac-source 00:11:22:aa:BB:cc -j ACCEPT
iptables -A INPUT -m length --length 100 -j ACCEPT
iptables -A INPUT -m length ! --length 100:200 -j ACCEPT
iptables -A INPUT -m length --length :200 -j ACCEPT
iptables -A INPUT -m length --length 300: -j ACCEPT
iptables -A INPUT -m ttl --ttl-eq 64 -j ACCEPT
iptables -A INPUT -m ttl ! --ttl-eq 64 -j ACCEPT
iptables -A INPUT -m ttl --ttl-gt 5 -j ACCEPT
iptables -A INPUT -m pkttype --pkt-type broadcast -j ACCEPT
iptables -A INPUT -m pkttype ! --pkt-type MULTICAST -j ACCEPT
iptables -A INPUT -m pkttype --pkt-type host -j ACCEPT
iptables -A INPUT -m tos --tos 0x10 -j ACCEPT
iptables -A INPUT -m tos --tos Minimize-Delay -j ACCEPT
iptables -A INPUT -m tos ! --tos 0x08/0x0f -j ACCEPT
iptables -A INPUT -m dscp --dscp 10 -j ACCEPT
iptables -A INPUT -m dscp ! --dscp-class EF -j ACCEPT
iptables -A INPUT -m limit --limit 5/min -j ACCEPT
iptables -A INPUT -m limit --limit 3/sec --limit-burst 7 -j ACCEPT
iptables -A INPUT -m limit --limit 1/hour -j ACCEPT
iptables -A INPUT -m limit --limit 10/day -j ACCEPT
iptables -A INPUT -m limit -j ACCEPT
iptables -A INPUT -m limit --limit 7/s -j ACCEPT
iptables -A INPUT -m limit --limit 100 -j ACCEPT
iptables -A INPUT -m limit --limit 2/m -j ACCEPT
iptables -A INPUT -m statistic --mode random --probability 0.5 -j ACCEPT
iptables -A INPUT -m statistic --mode random --probability 0.33333333349 -j ACCEPT
iptables -A INPUT -m statistic --mode random ! --probability 0.1 -j ACCEPT
iptables -A INPUT -m statistic --mode nth --every 3 --packet 2 -j ACCEPT
iptables -A INPUT -m statistic --mode nth ! --every 3 --packet 1 -j ACCEPT
iptables -A FORWARD -m physdev --physdev-in eth0 -j ACCEPT
iptables -A FORWARD -m physdev ! --physdev-out eth+ --physdev-is-bridged -j ACCEPT
iptables -A FORWARD -m physdev --physdev-is-in --physdev-is-out -j ACCEPT
iptables -A FORWARD -m physdev ! --physdev-is-in ! --physdev-is-out ! --physdev-is-bridged -j ACCEPT
iptables -A OUTPUT -m owner --uid-owner 0 -j ACCEPT
iptables -A OUTPUT -m owner --uid-owner 1000-2000 ! --gid-owner 5 -j ACCEPT
iptables -A OUTPUT -m owner --socket-exists -j ACCEPT
iptables -A OUTPUT -m owner --uid-owner root -j ACCEPT
iptables -A INPUT -m conntrack --ctproto tcp -j ACCEPT
iptables -A INPUT -m conntrack --ctproto 17 --ctorigsrc 10.0.0.0/8 ! --ctorigdst 1.2.3.4 --ctreplsrc 5.6.7.8/32 --ctrepldst 9.9.0.0/255.255.0.0 -j ACCEPT
iptables -A INPUT -m conntrack --ctorigsrcport 10 --ctorigdstport 20:30 ! --ctreplsrcport 40 --ctrepldstport 50 -j ACCEPT
iptables -A INPUT -m conntrack --ctstatus ASSURED,SEEN_REPLY -j ACCEPT
iptables -A INPUT -m conntrack ! --ctstatus NONE --ctdir ORIGINAL -j ACCEPT
iptables -A INPUT -m conntrack --ctdir REPLY --ctstate NEW --ctproto tcp -j ACCEPT
iptables -A INPUT -m conntrack --ctexpire 10:20 -j ACCEPT
iptables -A INPUT -m conntrack --ctstate DNAT --ctstatus EXPECTED,CONFIRMED -j ACCEPT
iptables -A INPUT -m pkttype --pkt-type otherhost -j ACCEPT
iptables -A INPUT -m pkttype --pkt-type Host -j ACCEPT
iptables -A INPUT -m addrtype --src-type BLACKHOLE,UNSPEC,ANYCAST,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE -j ACCEPT
iptables -A INPUT -m tos --tos Normal-Service -j ACCEPT
iptables -A INPUT -m tos --tos 16 -j ACCEPT
iptables -A INPUT -m dscp --dscp-class AF41 -j ACCEPT
iptables -A INPUT -m dscp --dscp 0x3f -j ACCEPT
iptables -A INPUT -m length --length 0:65535 -j ACCEPT
iptables -A INPUT -m mark --mark 0 -j ACCEPT
iptables -A INPUT -m mark --mark 0x10/0 -j ACCEPT
iptables -A INPUT -m statistic --mode random --probability 1 -j ACCEPT
iptables -A INPUT -m statistic --mode random --probability 0 -j ACCEPT
iptables -A INPUT -m limit --limit 10000/sec -j ACCEPT
iptables -A INPUT -m limit --limit 1/d --limit-burst 5 -j ACCEPT
iptables -A INPUT -m limit --limit 90/min -j ACCEPT
iptables -A INPUT -m limit --limit 7/hour -j ACCEPT
iptables -A INPUT -m conntrack --ctexpire 10 -j ACCEPT
iptables -A INPUT -m conntrack --ctproto all -j ACCEPT
iptables -t mangle -A PREROUTING -j MARK --set-mark 1
iptables -t mangle -A PREROUTING -j MARK --set-mark 0x10/0xff
iptables -t mangle -A PREROUTING -j MARK --set-xmark 0x10/0xff
iptables -t mangle -A PREROUTING -j MARK --and-mark 0xff
iptables -t mangle -A PREROUTING -j MARK --or-mark 0x4
iptables -t mangle -A PREROUTING -j MARK --xor-mark 0x4
iptables -t mangle -A PREROUTING -j CONNMARK --set-mark 1
iptables -t mangle -A PREROUTING -j CONNMARK --set-xmark 0x1/0xf
iptables -t mangle -A PREROUTING -j CONNMARK --set-mark 0x1/0xf
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark --mask 0xff
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf0
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xf0
iptables -t mangle -A PREROUTING -j CONNMARK --and-mark 0xf
iptables -t mangle -A PREROUTING -j CONNMARK --or-mark 0xf
iptables -t raw -A PREROUTING -j CT --notrack
iptables -t raw -A PREROUTING -j NOTRACK
iptables -t raw -A PREROUTING -j TRACE
iptables -t nat -A PREROUTING -d 1.2.3.0/24 -j NETMAP --to 10.0.0.0/24
iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -j NETMAP --to 1.2.3.0/255.255.255.0
iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400
iptables -A INPUT -j NFLOG
iptables -A INPUT -j NFLOG --nflog-group 5 --nflog-prefix "hello world" --nflog-threshold 3 --nflog-size 128
iptables -A INPUT -j NFLOG --nflog-range 64
iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:1000-2000/100
iptables -t nat -A PREROUTING -p udp -j DNAT --to-destination 1.2.3.4:1000-2000/1
iptables -t nat -A PREROUTING -j DNAT --to-destination 1.2.3.4-1.2.3.3
iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination :3000-4000/80
iptables -A OUTPUT -m owner ! --socket-exists -j ACCEPT
iptables -A OUTPUT -m owner ! --uid-owner 5 --gid-owner 7-9 -j ACCEPT
iptables -A INPUT -m iprange --src-range 10.0.0.1 -j ACCEPT
iptables -t nat -A PREROUTING -j NETMAP --to 10.0.0.5/24
iptables -t nat -A INPUT -j NETMAP --to 10.0.0.0/24
iptables -t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 1400
iptables -A INPUT -p tcp --syn -j TCPMSS --set-mss 1000
iptables -A INPUT -j MARK --set-mark 1
iptables -t nat -A PREROUTING -j MARK --set-mark 1
iptables -A INPUT -j TRACE
iptables -t raw -A PREROUTING -m mac --mac-source 0:11:22:33:44:55 -j ACCEPT
iptables -A INPUT -m physdev --physdev-out eth0 -j ACCEPT
iptables -A OUTPUT -m physdev --physdev-out eth0 --physdev-is-bridged -j ACCEPT
iptables -A INPUT -m conntrack --ctdir original -j ACCEPT
iptables -A INPUT -m conntrack --ctstatus none -j ACCEPT
iptables -A INPUT -m conntrack --ctorigsrcport http -j ACCEPT
iptables -A INPUT -m limit --limit 5/s -j ACCEPT
iptables -A INPUT -m limit --limit 5/mi -j ACCEPT
iptables -A OUTPUT -m owner --uid-owner nobody --gid-owner 10 --suppl-groups -j ACCEPT
iptables -A INPUT -j NFLOG --nflog-threshold 101
iptables -A INPUT -m mark --mark 010 -m connmark --mark 0x0/0x0 -m tos --tos 0x0f -j ACCEPT
