# origin: github.com/cilium/cilium pkg/datapath/iptables/iptables_test.go, commit
#   01524ef089e47f9e4a8eee9cda01b9711e6133b9, TestAddProxyRulesv4: the `iptables -t mangle -S`
#   output of a Cilium node (iptables mode, L7/DNS proxy) the test feeds its mock, second
#   expectation (old and new Cilium chains side by side during an upgrade)
# license: Apache-2.0 (Cilium)
# changed: each `-S` line prefixed with "iptables -t mangle" so the file is a command list.
#   Needs the xt_socket and xt_TPROXY kernel modules.
iptables -t mangle -P PREROUTING ACCEPT
iptables -t mangle -P INPUT ACCEPT
iptables -t mangle -P FORWARD ACCEPT
iptables -t mangle -P OUTPUT ACCEPT
iptables -t mangle -P POSTROUTING ACCEPT
iptables -t mangle -N OLD_CILIUM_POST_mangle
iptables -t mangle -N OLD_CILIUM_PRE_mangle
iptables -t mangle -N CILIUM_POST_mangle
iptables -t mangle -N CILIUM_PRE_mangle
iptables -t mangle -N KUBE-KUBELET-CANARY
iptables -t mangle -N KUBE-PROXY-CANARY
iptables -t mangle -A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_mangle" -j OLD_CILIUM_PRE_mangle
iptables -t mangle -A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_mangle" -j OLD_CILIUM_POST_mangle
iptables -t mangle -A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_mangle" -j CILIUM_PRE_mangle
iptables -t mangle -A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_mangle" -j CILIUM_POST_mangle
iptables -t mangle -A OLD_CILIUM_PRE_mangle -m socket --transparent -m comment --comment "cilium: any->pod redirect proxied traffic to host proxy" -j MARK --set-xmark 0x200/0xffffffff
iptables -t mangle -A OLD_CILIUM_PRE_mangle -p tcp -m mark --mark 0x3920200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 37379 --on-ip 127.0.0.1 --tproxy-mark 0x200/0xffffffff
iptables -t mangle -A OLD_CILIUM_PRE_mangle -p udp -m mark --mark 0x3920200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 37379 --on-ip 127.0.0.1 --tproxy-mark 0x200/0xffffffff
iptables -t mangle -A CILIUM_PRE_mangle -p tcp -m mark --mark 0x3920200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 37379 --on-ip 127.0.0.1 --tproxy-mark 0x200/0xffffffff
iptables -t mangle -A CILIUM_PRE_mangle -p udp -m mark --mark 0x3920200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 37379 --on-ip 127.0.0.1 --tproxy-mark 0x200/0xffffffff
