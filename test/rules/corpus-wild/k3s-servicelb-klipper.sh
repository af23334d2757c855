# origin: github.com/k3s-io/klipper-lb entry (start_proxy), commit
#   06a59bf9a5985be1e1b786dfc9555f86fda2e3e9: the iptables commands k3s's ServiceLB (klipper-lb)
#   pod runs for a LoadBalancer service port
# license: Apache-2.0 (k3s-io/klipper-lb)
# changed: the environment k3s gives the pod written in (SRC_PORT=80, DEST_PROTO=TCP as k3s
#   passes the Kubernetes protocol name, DEST_PORT=80, DEST_IPS=10.43.12.7 (a ClusterIP of k3s's
#   default 10.43.0.0/16), SRC_RANGES="192.0.2.0/24 198.51.100.0/24" (loadBalancerSourceRanges,
#   documentation ranges)); the loops unrolled, the ip6tables branch and the ip_forward check left out.
iptables -t filter -I FORWARD -s 192.0.2.0/24 -p TCP --dport 80 -j ACCEPT
iptables -t filter -I FORWARD -s 198.51.100.0/24 -p TCP --dport 80 -j ACCEPT
iptables -t filter -A FORWARD -d 10.43.12.7/32 -p TCP --dport 80 -j DROP
iptables -t nat -I PREROUTING ! -s 10.43.12.7/32 -p TCP --dport 80 -j DNAT --to 10.43.12.7:80
iptables -t nat -I POSTROUTING -d 10.43.12.7/32 -p TCP -j MASQUERADE
