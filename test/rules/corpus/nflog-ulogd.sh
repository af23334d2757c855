# Logging through NFLOG to ulogd2: groups per verdict, size and threshold tuning.
iptables -N LOG_ACCEPT
iptables -N LOG_DROP
iptables -A LOG_ACCEPT -j NFLOG --nflog-group 1 --nflog-prefix "ACCEPT" --nflog-threshold 20
iptables -A LOG_ACCEPT -j ACCEPT
iptables -A LOG_DROP -j NFLOG --nflog-group 2 --nflog-prefix "DROP " --nflog-size 96
iptables -A LOG_DROP -j DROP
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j LOG_ACCEPT
iptables -A INPUT -m conntrack --ctstate INVALID -j LOG_DROP
iptables -A FORWARD -j NFLOG
