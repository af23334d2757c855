#!/bin/bash
# Captures the import samples of this directory from a real Linux network namespace (run as root):
# a router with a WAN veth, a LAN bridge with one port, a service veth, a tun device, IPv4 and
# IPv6 (2001:db8::/32) addresses, routes of every kind, iptables rules and listening sockets.
# Usage: bash capture.sh OUTDIR. The namespace (natbox-imp-PID) is deleted at the end, also on failure.
set -euo pipefail
out=${1:?usage: capture.sh OUTDIR}
ns=natbox-imp-$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
x() { ip netns exec "$ns" "$@"; }
ip -n "$ns" link set lo up
ip -n "$ns" link add wan type veth peer name wan-peer
ip -n "$ns" link add lan1 type veth peer name lan1-peer
ip -n "$ns" link add br-lan type bridge
ip -n "$ns" link set lan1 master br-lan
ip -n "$ns" link add svc0 type veth peer name svc0-peer
ip -n "$ns" tuntap add dev tun0 mode tun
for d in wan wan-peer lan1 lan1-peer br-lan svc0 svc0-peer tun0; do ip -n "$ns" link set "$d" up; done
ip -n "$ns" addr add 203.0.113.22/24 dev wan
ip -n "$ns" addr add 2001:db8:1::22/64 dev wan nodad
ip -n "$ns" addr add 192.168.1.1/24 dev br-lan
ip -n "$ns" addr add 2001:db8:2::1/64 dev br-lan nodad
ip -n "$ns" addr add 10.255.0.1/32 dev svc0
ip -n "$ns" addr add 10.255.0.2/32 dev lo
ip -n "$ns" addr add 198.51.100.1 peer 198.51.100.2/32 dev tun0
ip -n "$ns" route add default via 203.0.113.1 dev wan
ip -n "$ns" route add 198.51.100.0/24 via 192.168.1.254 dev br-lan metric 100 proto static
ip -n "$ns" route add 10.20.0.0/16 dev tun0
ip -n "$ns" route add blackhole 10.66.0.0/16
ip -n "$ns" route add unreachable 10.67.0.0/16
ip -n "$ns" route add 10.68.0.0/16 nexthop via 203.0.113.2 nexthop via 192.168.1.253
ip -n "$ns" route add 10.69.0.0/16 via 203.0.113.3 table 100
ip -n "$ns" -6 route add default via 2001:db8:1::1 dev wan
x sysctl -qw net.ipv4.ip_forward=1
x iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 203.0.113.22/32 -i wan -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80
-A POSTROUTING -s 192.168.1.0/24 -o wan -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name ssh --rsource -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i br-lan -o wan -j ACCEPT
-A FORWARD -i wan -o br-lan -p tcp -m tcp --dport 80 -j NFQUEUE --queue-num 1
COMMIT
RULES
# Listening sockets: dual-stack, IPv6-only, loopback, one address, a device-bound UDP socket.
ip netns exec "$ns" python3 -c '
import socket, time
def s(fam, typ, addr, v6only=None, dev=None):
    k = socket.socket(fam, typ)
    k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None: k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    if dev: k.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    k.bind(addr)
    if typ == socket.SOCK_STREAM: k.listen()
    return k
keep = [
  s(socket.AF_INET, socket.SOCK_STREAM, ("0.0.0.0", 22)),
  s(socket.AF_INET6, socket.SOCK_STREAM, ("::", 80), v6only=0),
  s(socket.AF_INET6, socket.SOCK_STREAM, ("::", 443), v6only=1),
  s(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 631)),
  s(socket.AF_INET, socket.SOCK_STREAM, ("192.168.1.1", 8080)),
  s(socket.AF_INET, socket.SOCK_DGRAM, ("0.0.0.0", 53)),
  s(socket.AF_INET6, socket.SOCK_DGRAM, ("2001:db8:1::22", 5353)),
  s(socket.AF_INET, socket.SOCK_DGRAM, ("0.0.0.0", 67), dev="br-lan"),
]
print("ready", flush=True)
time.sleep(60)
' > "$out/.ready" &
pids+=($!) # ip netns exec execs python3: this is its PID
for _ in $(seq 50); do grep -q ready "$out/.ready" 2>/dev/null && break; sleep 0.1; done
rm -f "$out/.ready"
ip -n "$ns" -j addr > "$out/ip-addr.json"
ip -n "$ns" -j -d addr > "$out/ip-d-addr.json"
ip -n "$ns" -4 -j addr > "$out/ip-4-addr.json"
ip -n "$ns" -j -p addr > "$out/ip-p-addr.json"
ip -n "$ns" -j route > "$out/ip-route.json"
ip -n "$ns" -j route show table all > "$out/ip-route-all.json"
ip -n "$ns" -6 -j route > "$out/ip-6-route.json"
x ss -ltnu > "$out/ss-ltnu.txt"
x ss -ltnuH > "$out/ss-ltnuH.txt"
x ss -ltnup > "$out/ss-ltnup.txt"
x ss -ltnuHp > "$out/ss-ltnuHp.txt"
x ss -ltn > "$out/ss-ltn.txt"
x sysctl net.ipv4.ip_forward > "$out/sysctl-ip_forward.txt"
x cat /proc/sys/net/ipv4/ip_forward > "$out/proc-ip_forward.txt"
x sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.all.send_redirects net.netfilter.nf_conntrack_max > "$out/sysctl-some.txt" 2>/dev/null || true
x iptables-save > "$out/iptables-save.txt"
{
  echo "captured $(date -u +%Y-%m-%dT%H:%MZ) by capture.sh on Linux $(uname -r)"
  ip -V
  ss -V
  iptables -V
  echo "python3 $(python3 -c 'import sys; print(sys.version.split()[0])')"
} > "$out/VERSIONS"
