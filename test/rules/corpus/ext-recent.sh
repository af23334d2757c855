# -m recent and -m hashlimit (ufw's limit, kube-proxy's ClientIP affinity, fail2ban's xt_recent,
# rate limits per source): every option and the defaults iptables-save adds, checked against the
# real iptables 1.8.9 (nf_tables).
iptables -N ufw-user-limit
iptables -N ufw-user-limit-accept
iptables -A ufw-user-limit -j REJECT
iptables -A ufw-user-limit-accept -j ACCEPT
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 -j ufw-user-limit
iptables -A INPUT -p tcp --dport 22 -j ufw-user-limit-accept
iptables -A INPUT -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j ACCEPT
iptables -A INPUT -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --set -j ACCEPT
iptables -A INPUT -m recent --update --seconds 3600 --name f2b-sshd -j REJECT --reject-with icmp-port-unreachable
iptables -A INPUT -m recent ! --rcheck --name x --rdest
iptables -A INPUT -m recent ! --remove --name x --rsource
iptables -A INPUT -m recent --remove --name x --rdest --rsource
iptables -A INPUT -m recent --rcheck --rttl --hitcount 3
iptables -A INPUT -m recent ! --update --seconds 5 --hitcount 2 --rttl --name foo --rdest --mask 255.255.255.0
iptables -A INPUT -m recent --set --name masked --mask 255.255.0.0
iptables -A INPUT -m recent --set --name m0 --mask 0.0.0.0
iptables -A INPUT -m recent --set --name odd --mask 255.0.255.0
iptables -A INPUT -m recent --set --name short --mask 24
iptables -A INPUT -m recent --set --name short2 --mask 10.1
iptables -A INPUT -m recent --rcheck --hitcount 0 --name h0
iptables -A INPUT -m recent --rcheck --hitcount 255 --name h255
iptables -A INPUT -m recent --rcheck --hitcount 257 --name h257
iptables -A INPUT -m recent --rcheck --hitcount 0x10 --seconds 0x10 --name hex
iptables -A INPUT -m recent --rch --sec 5 --hit 2 --na abbrev --rd
iptables -A OUTPUT -m recent --rcheck --seconds 10 --reap --rttl --name out
iptables -A FORWARD -m recent --update --hitcount 6 --name fwd
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-name a -j ACCEPT
iptables -A FORWARD -m hashlimit --hashlimit-above 5/sec --hashlimit-name b -j DROP
iptables -A FORWARD -m hashlimit --hashlimit 10/min --hashlimit-name c
iptables -A FORWARD -m hashlimit ! --hashlimit-upto 5/sec --hashlimit-name n1
iptables -A FORWARD -m hashlimit ! --hashlimit-above 5/sec --hashlimit-name n2
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/s --hashlimit-burst 10 --hashlimit-mode srcip,dstport --hashlimit-name d
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-mode dstport,srcip --hashlimit-name d2
iptables -A FORWARD -m hashlimit --hashlimit-above 5/sec --hashlimit-mode srcip,srcport,dstip,dstport --hashlimit-name l
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-mode , --hashlimit-name none
iptables -A FORWARD -m hashlimit --hashlimit-upto 100kb/s --hashlimit-name e
iptables -A FORWARD -m hashlimit --hashlimit-above 1mb/s --hashlimit-burst 2mb --hashlimit-name f
iptables -A FORWARD -m hashlimit --hashlimit-upto 512b/s --hashlimit-name g
iptables -A FORWARD -m hashlimit --hashlimit-upto 100b/s --hashlimit-name g2
iptables -A FORWARD -m hashlimit --hashlimit-upto 3mb/s --hashlimit-name g3
iptables -A FORWARD -m hashlimit --hashlimit-upto 1500b/s --hashlimit-burst 2000 --hashlimit-name g4
iptables -A FORWARD -m hashlimit --hashlimit-upto 64kb/s --hashlimit-burst 1mb --hashlimit-name g5
iptables -A FORWARD -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 100kb --hashlimit-htable-expire 5000 --hashlimit-name g6
iptables -A FORWARD -m hashlimit --hashlimit-upto 10kb/m --hashlimit-name w
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/hour --hashlimit-mode dstip --hashlimit-dstmask 24 --hashlimit-srcmask 16 --hashlimit-name h
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-dstmask 0 --hashlimit-srcmask 32 --hashlimit-name h2
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/day --hashlimit-htable-size 1024 --hashlimit-htable-max 2048 --hashlimit-htable-expire 60000 --hashlimit-htable-gcinterval 500 --hashlimit-name i
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-htable-size 1048577 --hashlimit-htable-max 0x10 --hashlimit-name i2
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-htable-expire 1000 --hashlimit-name i3
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/min --hashlimit-htable-expire 1000 --hashlimit-name i4
iptables -A FORWARD -m hashlimit --hashlimit-upto 60/min --hashlimit-name i5
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-rate-match --hashlimit-name j
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-rate-match --hashlimit-rate-interval 10 --hashlimit-name k
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/min --hashlimit-rate-match --hashlimit-name k2
iptables -A FORWARD -m hashlimit --hashlimit-upto 100kb/s --hashlimit-rate-match --hashlimit-name k3
iptables -A FORWARD -m hashlimit --hashlimit-upto 1000000/sec --hashlimit-name p
iptables -A FORWARD -m hashlimit --hashlimit-upto 10001/sec --hashlimit-name q
iptables -A FORWARD -m hashlimit --hashlimit-upto 7 --hashlimit-name s
iptables -A FORWARD -m hashlimit --hashlimit-upto 5abc/sec --hashlimit-name s2
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/Min --hashlimit-name s3
iptables -A FORWARD -m hashlimit --hashlimit-upto 1/day --hashlimit-burst 3 --hashlimit-name t
iptables -A FORWARD -m hashlimit --hashlimit-upto 2/min --hashlimit-burst 1 --hashlimit-name u
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 900kb --hashlimit-name v
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5x --hashlimit-name v2
iptables -A FORWARD -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 0x10 --hashlimit-name v3
iptables -A FORWARD -p tcp --dport 22 -m conntrack --ctstate NEW -m hashlimit --hashlimit-above 3/min --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name ssh -j DROP
