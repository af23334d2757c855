# The protocol-header matches (issue 13): sctp, dccp, esp, ah, tcpmss, ecn with their options,
# abbreviations and -p numbers; kernel.test.ts compares save and -L with iptables 1.8.9 (nft).
iptables -A INPUT -p 17 --dport 4789
iptables -A INPUT ! -p 17 --dport 53
iptables -A INPUT -p 0x11 --sport 53
iptables -A INPUT -p sctp --sport 1:2 --dport 3
iptables -A INPUT -p sctp --dport 0:65535
iptables -A INPUT -p sctp ! --dport 0:65535
iptables -A INPUT -p sctp ! --sport 5 ! --dport 6:
iptables -A INPUT -p sctp --dport :6
iptables -A INPUT -p sctp --chunk-types any INIT,DATA
iptables -A INPUT -p sctp --chunk-types all INIT,DATA:Be
iptables -A INPUT -p sctp ! --chunk-types only DATA:iUbE,ABORT:t
iptables -A INPUT -p sctp --chunk-types any ALL
iptables -A INPUT -p sctp --chunk-types ANY none
iptables -A INPUT -p sctp --chunk-types all asconf,asconf_ack,forward_tsn,i_data,re_config,pad,i_forward_tsn,shutdown_complete:T
iptables -A INPUT -p sctp --chunk-types any DATA:-
iptables -A INPUT -p sctp --chunk-types any DATA,,INIT
iptables -A INPUT -p 132 -m sctp --dport 5
iptables -A INPUT -p sctp -m sctp
iptables -A INPUT -p dccp --sport 1:2 --dport 3
iptables -A INPUT -p dccp ! --sport 0:65535
iptables -A INPUT -p dccp --dccp-types REQUEST,response,DATA,ACK,DATAACK,CLOSEREQ,CLOSE,RESET,SYNC,SYNCACK
iptables -A INPUT -p dccp ! --dccp-types INVALID
iptables -A INPUT -p dccp --dccp-types INVALID,DATA
iptables -A INPUT -p dccp --dccp-option 5
iptables -A INPUT -p dccp ! --dccp-option 255
iptables -A INPUT -p dccp -m dccp
iptables -A INPUT -p dccp --dport ssh
iptables -A INPUT -p 33 --dport 1
iptables -A INPUT -p esp -m esp
iptables -A INPUT -p esp --espspi 0:4294967295
iptables -A INPUT -p esp ! --espspi 7
iptables -A INPUT -p esp --espspi 7:
iptables -A INPUT -p esp --espspi :7
iptables -A INPUT -p esp --espspi 9:7
iptables -A INPUT -p esp --espspi 0x10
iptables -A INPUT -p ah -m ah
iptables -A INPUT -p ah ! --ahspi 7
iptables -A INPUT -p ah --ahspi 7:9
iptables -A INPUT -p 51 --ahspi 7
iptables -A INPUT -p tcp -m tcpmss --mss 1400
iptables -A INPUT -p tcp -m tcpmss ! --mss 1:1400
iptables -A INPUT -p tcp -m tcpmss --mss :1400
iptables -A INPUT -p tcp -m tcpmss --mss 1400:
iptables -A INPUT -p tcp --syn -m tcpmss --mss 0x500
iptables -A INPUT -p tcp -m ecn --ecn-tcp-cwr
iptables -A INPUT -p tcp -m ecn ! --ecn-tcp-cwr ! --ecn-tcp-ece ! --ecn-ip-ect 3
iptables -A INPUT -p tcp -m ecn --ecn-ip-ect 2 --ecn-tcp-ece
iptables -A INPUT -m ecn --ecn-ip-ect 1
iptables -A FORWARD -m policy --dir in --pol ipsec --strict --reqid 5 ! --spi 0x10 --proto esp --mode tunnel --tunnel-src 192.0.2.5/24 ! --tunnel-dst 198.51.100.1 --next --proto 51 --mode transport
iptables -A INPUT -m policy --dir in --pol none --reqid 5
iptables -A OUTPUT -m policy --dir out
iptables -A OUTPUT -m policy --dir out --pol ipsec --proto ipcomp --mode tunnel --tunnel-src 10.0.0.0/255.0.255.0 --tunnel-dst 10.1.1.1/32
iptables -A POSTROUTING -t mangle -m policy --dir out --pol ipsec --strict --spi 255 --next --reqid 0x10 --next ! --proto 50 --next --mode tunnel
iptables -A INPUT -m policy --dir in --pol ipsec --tunnel-src 1.2.3.4 --mode tunnel --reqid 4294967295
iptables -t nat -A POSTROUTING -m policy --dir out --pol none -j MASQUERADE
iptables -t raw -A PREROUTING -m rpfilter
iptables -t raw -A PREROUTING -m rpfilter --loose --validmark --accept-local --invert -j DROP
iptables -t mangle -A PREROUTING -m rpfilter --invert --accept-local -j DROP
iptables -t mangle -A PREROUTING -m rpfilter --inv --lo -j DROP
iptables -A FORWARD -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.1.2.3/255.255.0.0
iptables -A FORWARD -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.1.2.3/0
iptables -A FORWARD -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.1.2.3/33
iptables -A FORWARD -m policy --dir in --pol ipsec --mode tunnel --tunnel-src 10.1.2
iptables -A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j ACCEPT
iptables -A INPUT -m bpf --bytecode "1,6 0 0 65535"
iptables -A INPUT -m bpf --bytecode "1,6 0 0 65535,"
iptables -A INPUT -m bpf --bytecode "1, 6   0 0 65535"
iptables -A INPUT -m bpf --bytecode "4,2 0 0 1,96 0 0 1,6 0 0 1,22 0 0 0"
iptables -A INPUT -m bpf --bytecode "2,32 0 0 4294963200,22 0 0 0"
iptables -A INPUT -m bpf --bytecode "2,32 0 0 4294963220,22 0 0 0"
iptables -A INPUT -m bpf --bytecode "2,32 0 0 4293918720,22 0 0 0"
iptables -A INPUT -m bpf --bytecode "6,177 0 0 0,72 0 0 2,53 1 0 1024,6 0 0 0,6 0 0 1,22 0 0 0"
iptables -A INPUT -m u32 --u32 "0>>22&0x3C@ 12>>26&0x3C@0 & 0xFFFF=0x5000:0x5FFF,7" -j ACCEPT
iptables -A INPUT -m u32 ! --u32 "6&0xFF=1&&4&0x3FFF=0"
iptables -A INPUT -m u32 --u32 "0=1" -m u32 --u32 "0 << 2 >> 3 = 4 : 5"
iptables -A INPUT -m u32 --u32 "0=1,2,3,4,5,6,7,8,9,10"
iptables -A INPUT -m u32 --u32 "0&1&2&3&4&5&6&7&8&9=1"
iptables -A INPUT -m u32 --u32 "0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1"
iptables -A INPUT -m u32 --u32 "0=4294967295"
iptables -A INPUT -m u32 --u32 "010=0x10:0xFF"
iptables -A INPUT -p sctp --dport 0x10
iptables -A INPUT -p sctp --dport 010
iptables -A INPUT -p dccp --dport 010
iptables -A INPUT -p dccp --dport http:
iptables -A INPUT -p esp --espspi " 5"
iptables -A INPUT -p tcp -m tcpmss --mss 010:0x20
iptables -A INPUT -p sctp --chunk-types any data:be
iptables -A INPUT -p sctp ! --chunk-types all shutdown_complete:t,abort:T,data:IUbe
iptables -A INPUT -p dccp --dccp-types ,DATA
iptables -A INPUT -m policy --dir in --pol ipsec --spi 0 --reqid 0
iptables -A INPUT -m policy --dir in --pol ipsec --proto 108
iptables -A INPUT -m policy --dir in --pol ipsec --proto IPCOMP
