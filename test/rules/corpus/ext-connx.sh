# connlimit, connbytes, helper, quota, connlabel and string (iptables 1.8.9 libxt_*.c): options, abbreviations,
# defaults, inversions and quoting, each line checked against the real iptables-save and iptables -L.
iptables -A INPUT -m connlimit --connlimit-above 3
iptables -A INPUT -m connlimit --connlimit-upto 3
iptables -A INPUT -m connlimit ! --connlimit-above 3
iptables -A INPUT -m connlimit ! --connlimit-upto 3
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 24
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 0 --connlimit-daddr
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-saddr
iptables -A INPUT -m connlimit --connlimit-above 0x10 --connlimit-mask 033
iptables -A INPUT -m connlimit --connlimit-a 3 --connlimit-m 16
iptables -A INPUT -m connlimit --connlimit-above 4294967295
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 1.2.3.4
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 255.255.0.0
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask " 24"
iptables -A INPUT -m connlimit --connlimit-above " 3"
iptables -A INPUT -m connlimit --connlimit-above +3
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 32 --connlimit-daddr
iptables -A INPUT -m connlimit --connlimit-upto 3 --connlimit-daddr
iptables -A INPUT -m connlimit --connlimit-above 1 --connlimit-mask 1.2.3.4
iptables -A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 255.0.255.0
iptables -A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 0.255.255.255
iptables -A INPUT -m connlimit --connlimit-above 4 --connlimit-mask 255.255.255.254
iptables -A INPUT -m connlimit --connlimit-above 5 --connlimit-mask 0.0.0.0
iptables -A INPUT -m connlimit --connlimit-above 6 --connlimit-mask 33
iptables -A INPUT -m connlimit --connlimit-above 8 --connlimit-mask 0x18
iptables -A INPUT -m connlimit --connlimit-above 9 --connlimit-mask 255.255
iptables -A INPUT -m connlimit --connlimit-above 12 --connlimit-mask 255.255.255.255
iptables -A INPUT -m connlimit --connlimit-above 13 --connlimit-mask 128.0.0.0
iptables -A INPUT -m connlimit --connlimit-above 015
iptables -A INPUT -m connlimit --connlimit-above 16 --connlimit-mask 1
iptables -A INPUT -m connlimit --connlimit-above=18
iptables -A INPUT -m connbytes --connbytes 10 --connbytes-dir original --connbytes-mode packets
iptables -A INPUT -m connbytes --connbytes 10:20 --connbytes-dir reply --connbytes-mode bytes
iptables -A INPUT -m connbytes ! --connbytes 10:20 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes ! --connbytes 10 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 10: --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes :20 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 0 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 5:5 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes ! --connbytes 0 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 18446744073709551615 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 1:18446744073709551615 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 0x10:0x20 --connbytes-dir both --connbytes-mode avgpkt
iptables -A INPUT -m connbytes --connbytes 10 --connbytes-d both --connbytes-m bytes
iptables -A INPUT -m connbytes --connbytes " 10: 20" --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes --connbytes : --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes --connbytes "" --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes --connbytes 010 --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes --connbytes 0:18446744073709551615 --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes ! --connbytes 0:18446744073709551615 --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes ! --connbytes 5:18446744073709551615 --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m connbytes ! --connbytes 18446744073709551615 --connbytes-dir both --connbytes-mode bytes
iptables -A INPUT -m helper --helper ftp
iptables -A INPUT -m helper ! --helper ftp
iptables -A INPUT -m helper --helper "ftp-2121"
iptables -A INPUT -m helper --helper "a b"
iptables -A INPUT -m helper --helper ""
iptables -A INPUT -m helper --helper 'a"b\c'
iptables -A INPUT -m helper --helper abcdefghijklmnopqrstuvwxyz01234
iptables -A INPUT -m helper --helper abcdefghijklmnopqrstuvwxyz012345
iptables -A INPUT -m quota --quota 100
iptables -A INPUT -m quota ! --quota 100
iptables -A INPUT -m quota --quota 0
iptables -A INPUT -m quota --quota 0x100
iptables -A INPUT -m quota --quota 18446744073709551615
iptables -A INPUT -m quota --q 077
iptables -A INPUT -m connlabel --label 1
iptables -A INPUT -m connlabel ! --label 1
iptables -A INPUT -m connlabel --label 127 --set
iptables -A INPUT -m connlabel --label 0x10
iptables -A INPUT -m connlabel --label 010
iptables -A INPUT -m connlabel --label " 5"
iptables -A INPUT -m connlabel ! --label 0 --set
iptables -A INPUT -m string --string foo --algo bm
iptables -A INPUT -m string ! --string foo --algo kmp
iptables -A INPUT -m string --string "foo bar" --algo bm --from 10 --to 100
iptables -A INPUT -m string --string 'a"b\c' --algo bm
iptables -A INPUT -m string --string 'ab\' --algo bm
iptables -A INPUT -m string --string "it's" --algo bm --icase
iptables -A INPUT -m string --hex-string "|41 42|C" --algo bm
iptables -A INPUT -m string --hex-string "|00|abc" --algo bm
iptables -A INPUT -m string ! --hex-string "a|0d0a|b" --algo kmp --from 0 --to 65535
iptables -A INPUT -m string --hex-string "|  41|" --algo bm
iptables -A INPUT -m string --hex-string "|41 |" --algo bm
iptables -A INPUT -m string --hex-string "|41|\\" --algo bm
iptables -A INPUT -m string --string foo --algo bm --from 65535
iptables -A INPUT -m string --string foo --algo bm --to 0
iptables -A INPUT -m string --string 12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 --algo bm
iptables -A INPUT -m string --string "é" --algo bm
iptables -A INPUT -m string --string "a	b" --algo bm
iptables -A INPUT -m string --string "~" --algo bm
iptables -A INPUT -m string --hex-string "|7e|" --algo bm
iptables -A INPUT -m string --hex-string "ab|41 42 43|cd|44|" --algo bm
iptables -A INPUT -m string --hex-string "|41||42|" --algo bm
iptables -A INPUT -m string --hex-string "ab|" --algo bm
iptables -A FORWARD -p tcp --syn --dport 22 -m connlimit --connlimit-above 2 --connlimit-mask 24 -j REJECT
iptables -A FORWARD -p tcp -m connbytes --connbytes 1048576: --connbytes-dir both --connbytes-mode bytes -j DROP
iptables -A OUTPUT -p tcp --dport 80 -m string --string "GET /" --algo kmp --to 120 -j ACCEPT
iptables -A INPUT -p udp -m quota --quota 1000000 -j ACCEPT
iptables -A INPUT -m conntrack --ctstate NEW -m connlabel --label 3 --set -m helper ! --helper ftp -j ACCEPT
