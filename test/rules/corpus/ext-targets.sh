# Target extensions (AUDIT ... TTL): every form iptables 1.8.9 reads, checked against iptables-save
# and iptables -L -n -v. CLUSTERIP, LED and SECMARK are missing here (no kernel module / SELinux on
# the reference host); SET needs ipset sets: those are checked in test/rules/targets.test.ts.
iptables -t mangle -N TGT
iptables -t mangle -A POSTROUTING -j AUDIT --type accept
iptables -t mangle -A POSTROUTING -j AUDIT --type DROP
iptables -A INPUT -j AUDIT --type Reject
iptables -t raw -A PREROUTING -j AUDIT --type drop
iptables -t mangle -A POSTROUTING -p udp --dport 68 -j CHECKSUM --checksum-fill
iptables -t mangle -A TGT -p udp -j CHECKSUM --checksum-f
iptables -t mangle -A POSTROUTING -j CLASSIFY --set-class 1:10
iptables -t mangle -A POSTROUTING -j CLASSIFY --set-class ffff:ffff
iptables -t mangle -A FORWARD -j CLASSIFY --set-class 0x10:0x20
iptables -t mangle -A OUTPUT -j CLASSIFY --set-class 10000:1
iptables -t mangle -A OUTPUT -j CLASSIFY --set-class 1:2:3
iptables -A OUTPUT -j CLASSIFY --set-class 1:0
iptables -t mangle -A INPUT -j CONNSECMARK --save
iptables -t mangle -A INPUT -j CONNSECMARK --restore
iptables -t security -A INPUT -j CONNSECMARK --save
iptables -t raw -A PREROUTING -j CT --notrack
iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp
iptables -t raw -A PREROUTING -j CT --ctevents new,related,destroy,reply,assured,protoinfo,helper,mark
iptables -t raw -A PREROUTING -j CT --ctevents natseqinfo,secmark,new
iptables -t raw -A PREROUTING -j CT --expevents new,new
iptables -t raw -A PREROUTING -j CT --zone 5
iptables -t raw -A PREROUTING -j CT --zone 0
iptables -t raw -A PREROUTING -j CT --zone-orig 5
iptables -t raw -A PREROUTING -j CT --zone-reply 5
iptables -t raw -A PREROUTING -j CT --zone-orig 3 --zone-reply 3
iptables -t raw -A PREROUTING -j CT --zone MARK
iptables -t raw -A PREROUTING -j CT --zone-orig mark
iptables -t raw -A PREROUTING -j CT --zone-reply mark
iptables -t raw -A PREROUTING -j CT
iptables -t raw -A PREROUTING -j CT --notrack --zone 3
iptables -t raw -A OUTPUT -j CT --zone 1 --ctevents new --expevents new
iptables -t raw -A PREROUTING -p udp -j CT --helper tftp --zone 7
iptables -t raw -A OUTPUT -j NOTRACK
iptables -t mangle -A POSTROUTING -j DSCP --set-dscp 10
iptables -t mangle -A POSTROUTING -j DSCP --set-dscp 0x2e
iptables -t mangle -A POSTROUTING -j DSCP --set-dscp-class EF
iptables -t mangle -A INPUT -j DSCP --set-dscp-class af41
iptables -t mangle -A INPUT -j DSCP --set-dscp 0
iptables -t mangle -A POSTROUTING -p tcp -j ECN --ecn-tcp-remove
iptables -t mangle -A POSTROUTING -p tcp -j ECN --ecn-tcp-cwr 1 --ecn-tcp-ece 0 --ecn-ip-ect 2
iptables -t mangle -A POSTROUTING -p tcp -j ECN --ecn-tcp-ece 1
iptables -t mangle -A POSTROUTING -p tcp -j ECN --ecn-tcp-cwr 0 --ecn-tcp-ece 0
iptables -t mangle -A POSTROUTING -p tcp -j ECN --ecn-ip-ect 3
iptables -t mangle -A POSTROUTING -j ECN --ecn-ip-ect 1
iptables -t mangle -A POSTROUTING -j ECN --ecn-ip-ect 0
iptables -t mangle -A PREROUTING -j HMARK --hmark-tuple src,dst,sport,dport --hmark-mod 10 --hmark-offset 100 --hmark-rnd 0xdeadbeef
iptables -t mangle -A PREROUTING -j HMARK --hmark-tuple ct --hmark-mod 3 --hmark-rnd 1
iptables -t mangle -A PREROUTING -j HMARK --hmark-src-prefix 24 --hmark-dst-prefix 16 --hmark-mod 5 --hmark-rnd 7
iptables -t mangle -A PREROUTING -j HMARK --hmark-tuple proto,spi --hmark-mod 5 --hmark-rnd 7 --hmark-spi 5
iptables -t mangle -A PREROUTING -j HMARK --hmark-sport-mask 0xff00 --hmark-dport-mask 0x00ff --hmark-proto-mask 0xf --hmark-mod 5 --hmark-rnd 7 --hmark-sport 1 --hmark-dport 2
iptables -t mangle -A PREROUTING -j HMARK --hmark-tuple s,D --hmark-mod 5 --hmark-rnd 7
iptables -t mangle -A PREROUTING -j HMARK --hmark-tuple src,ct --hmark-mod 4 --hmark-rnd 7 --hmark-offset 0x10
iptables -A INPUT -j IDLETIMER --timeout 60 --label foo
iptables -A INPUT -j IDLETIMER --timeout 60 --label bar --alarm
iptables -A FORWARD -j IDLETIMER --timeout 5 --label 12345678901234567890123456789
iptables -A INPUT -j NFQUEUE
iptables -A INPUT -j NFQUEUE --queue-num 5
iptables -A INPUT -j NFQUEUE --queue-balance 2:5
iptables -A INPUT -j NFQUEUE --queue-num 3 --queue-bypass
iptables -A INPUT -j NFQUEUE --queue-balance 2:5 --queue-bypass --queue-cpu-fanout
iptables -A INPUT -j NFQUEUE --queue-num 65535
iptables -A INPUT -j NFQUEUE --queue-bypass
iptables -A INPUT -j NFQUEUE --queue-balance 65534:65535
iptables -t mangle -A INPUT -j RATEEST --rateest-name foo --rateest-interval 250ms --rateest-ewmalog 1s
iptables -t mangle -A INPUT -j RATEEST --rateest-name foo2 --rateest-interval 1s --rateest-ewmalog 8s
iptables -t mangle -A INPUT -j RATEEST --rateest-name bar --rateest-interval 1000us --rateest-ewmalog 16000us
iptables -t mangle -A INPUT -j RATEEST --rateest-name bar2 --rateest-interval 0.5s --rateest-ewmalog 2s
iptables -A INPUT -p tcp -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
iptables -A INPUT -p tcp -j SYNPROXY
iptables -A INPUT -p tcp -j SYNPROXY --ecn
iptables -A FORWARD -p tcp -j SYNPROXY --wscale 15 --mss 65535
iptables -A FORWARD -p tcp -j SYNPROXY --mss 65536 --wscale 16
iptables -t mangle -A INPUT -p tcp -j SYNPROXY
iptables -t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options mss,wscale,sack-permitted,sack,timestamp,md5
iptables -t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options 2,3,30
iptables -t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options 255,254,8
iptables -t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP
iptables -t mangle -A PREROUTING -j TEE --gateway 10.0.0.2
iptables -t mangle -A PREROUTING -j TEE --gateway 10.0.0.2 --oif eth0
iptables -A INPUT -j TEE --gateway 192.0.2.7
iptables -t mangle -A PREROUTING -j TOS --set-tos 0x10
iptables -t mangle -A PREROUTING -j TOS --set-tos 0x10/0x3f
iptables -t mangle -A PREROUTING -j TOS --set-tos Minimize-Delay
iptables -t mangle -A PREROUTING -j TOS --set-tos minimize-cost
iptables -t mangle -A PREROUTING -j TOS --set-tos Normal-Service
iptables -t mangle -A PREROUTING -j TOS --and-tos 0x0f
iptables -t mangle -A PREROUTING -j TOS --or-tos 0x04
iptables -t mangle -A PREROUTING -j TOS --xor-tos 0x04
iptables -t mangle -A PREROUTING -j TOS --set-tos 0xff/0x0f
iptables -t mangle -A PREROUTING -j TOS --set-tos 0x40
iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 8080 --on-ip 127.0.0.1 --tproxy-mark 0x1/0x1
iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 8080
iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 8080 --tproxy-mark 5
iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port http --on-ip 10.1.2.3
iptables -t mangle -A PREROUTING -p udp -j TPROXY --on-port 0 --tproxy-mark 0x1/0x1
iptables -t mangle -A PREROUTING -j TTL --ttl-set 64
iptables -t mangle -A PREROUTING -j TTL --ttl-dec 1
iptables -t mangle -A PREROUTING -j TTL --ttl-inc 2
iptables -t mangle -A PREROUTING -j TTL --ttl-set 0
iptables -t mangle -A TGT -j TTL --ttl-inc 255
iptables -t mangle -A PREROUTING -j TGT
iptables -t mangle -A PREROUTING -j CONNMARK --set-mark 5/0xff
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark --mask 0xff
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf
iptables -t mangle -A PREROUTING -j CONNMARK --save-mark --nfmask 0xf0 --ctmask 0xf
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark
iptables -t mangle -A PREROUTING -j CONNMARK --and-mark 0xf
iptables -t mangle -A PREROUTING -j CONNMARK --or-mark 0x10
iptables -t mangle -A PREROUTING -j CONNMARK --xor-mark 0x10
iptables -A INPUT -j NFLOG --nflog-group 5 --nflog-prefix "a b" --nflog-size 100 --nflog-threshold 3
