# origin: github.com/flannel-io/flannel pkg/trafficmngr/iptables/iptables.go masqRules() and
#   forwardRules() (IPv4), commit cdf760595c23292fd03ff4daf03638ac1ceef417; KubeProxyMark
#   "0x4000/0x4000" from pkg/trafficmngr/trafficmngr.go
# license: Apache-2.0 (flannel)
# changed: the rule specs those functions build, written as iptables commands for the
#   kube-flannel.yml default Network 10.244.0.0/16 and a node lease 10.244.1.0/24, with
#   --random-fully (iptables supports it); the chains FLANNEL-POSTRTG and FLANNEL-FWD created
#   first, as flanneld does before appending.
iptables -t nat -N FLANNEL-POSTRTG
iptables -t nat -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
iptables -t nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
iptables -t nat -A FLANNEL-POSTRTG -s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN
iptables -t nat -A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN
iptables -t nat -A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN
iptables -t nat -A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
iptables -t nat -A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
iptables -t filter -N FLANNEL-FWD
iptables -t filter -A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD
iptables -t filter -A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
iptables -t filter -A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
