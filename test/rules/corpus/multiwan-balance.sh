# Two uplinks balanced per connection: nth and random statistic marks, restored from conntrack.
iptables -t mangle -N BALANCE
iptables -t mangle -A PREROUTING -i lan0 -m conntrack --ctstate NEW -j BALANCE
iptables -t mangle -A PREROUTING -i lan0 -m conntrack --ctstate RELATED,ESTABLISHED -j CONNMARK --restore-mark
iptables -t mangle -A BALANCE -m statistic --mode nth --every 2 --packet 0 -j MARK --set-mark 1
iptables -t mangle -A BALANCE -m mark --mark 0 -j MARK --set-mark 2
iptables -t mangle -A BALANCE -m statistic --mode random --probability 0.10000000009 -j MARK --set-mark 3
iptables -t mangle -A BALANCE -j CONNMARK --save-mark
iptables -t nat -A POSTROUTING -o wan1 -m mark --mark 0x1 -j MASQUERADE
iptables -t nat -A POSTROUTING -o wan2 -m mark --mark 0x2 -j MASQUERADE
iptables -t nat -A POSTROUTING -o wan3 -m mark --mark 0x3 -j SNAT --to-source 198.51.100.200
