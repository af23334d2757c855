# A QoS mangle setup: classify by port and size, keep the class in the connection mark, DSCP/TOS.
iptables -t mangle -N QOS_MARK
iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff
iptables -t mangle -A PREROUTING -m mark ! --mark 0x0/0xff -j RETURN
iptables -t mangle -A PREROUTING -j QOS_MARK
iptables -t mangle -A QOS_MARK -p udp -m multiport --dports 5060,10000:20000 -j MARK --set-xmark 0x10/0xff
iptables -t mangle -A QOS_MARK -m dscp --dscp-class EF -j MARK --set-mark 0x10/0xff
iptables -t mangle -A QOS_MARK -p tcp -m tcp --dport 22 -m length --length 0:128 -j MARK --or-mark 0x20
iptables -t mangle -A QOS_MARK -m tos --tos Minimize-Delay -j MARK --set-xmark 0x20/0xff
iptables -t mangle -A QOS_MARK -p tcp -m multiport --dports 80,443 -m connmark --mark 0x0/0xff -j MARK --set-xmark 0x30/0xff
iptables -t mangle -A QOS_MARK -m mark --mark 0x0/0xff -j MARK --set-xmark 0x40/0xff
iptables -t mangle -A QOS_MARK -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff
iptables -t mangle -A POSTROUTING -o wan -m mark --mark 0x10/0xff -m length --length 1200:65535 -j MARK --and-mark 0xffffff0f
