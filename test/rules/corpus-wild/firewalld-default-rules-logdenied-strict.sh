# origin: github.com/firewalld/firewalld src/firewall/core/ipXtables.py build_default_rules()
#   (the iptables backend, FirewallBackend=iptables), commit 2745d6f0ab9e4a43abe97872ed52e62157996166
# license: GPL-2.0-or-later (firewalld)
# changed: the rule strings the function builds for LogDenied=unicast and StrictForwardPorts=yes,
#   with %%REJECT%% and %%LOGTYPE%% replaced as the backend does (REJECT --reject-with
#   icmp-host-prohibited; -m pkttype --pkt-type unicast), each prefixed "iptables -t TABLE";
#   zone/policy rules not included.
iptables -t security -N INPUT_direct
iptables -t security -A INPUT -j INPUT_direct
iptables -t security -N OUTPUT_direct
iptables -t security -A OUTPUT -j OUTPUT_direct
iptables -t security -N FORWARD_direct
iptables -t security -A FORWARD -j FORWARD_direct
iptables -t raw -N PREROUTING_direct
iptables -t raw -A PREROUTING -j PREROUTING_direct
iptables -t raw -N PREROUTING_dispatch
iptables -t raw -A PREROUTING -j PREROUTING_dispatch
iptables -t raw -N OUTPUT_direct
iptables -t raw -A OUTPUT -j OUTPUT_direct
iptables -t mangle -N PREROUTING_direct
iptables -t mangle -A PREROUTING -j PREROUTING_direct
iptables -t mangle -N PREROUTING_dispatch
iptables -t mangle -A PREROUTING -j PREROUTING_dispatch
iptables -t mangle -N POSTROUTING_direct
iptables -t mangle -A POSTROUTING -j POSTROUTING_direct
iptables -t mangle -N INPUT_direct
iptables -t mangle -A INPUT -j INPUT_direct
iptables -t mangle -N OUTPUT_direct
iptables -t mangle -A OUTPUT -j OUTPUT_direct
iptables -t mangle -N FORWARD_direct
iptables -t mangle -A FORWARD -j FORWARD_direct
iptables -t nat -N PREROUTING_direct
iptables -t nat -A PREROUTING -j PREROUTING_direct
iptables -t nat -N PREROUTING_dispatch
iptables -t nat -A PREROUTING -j PREROUTING_dispatch
iptables -t nat -N POSTROUTING_direct
iptables -t nat -A POSTROUTING -j POSTROUTING_direct
iptables -t nat -N POSTROUTING_dispatch
iptables -t nat -A POSTROUTING -j POSTROUTING_dispatch
iptables -t nat -N OUTPUT_direct
iptables -t nat -A OUTPUT -j OUTPUT_direct
iptables -t nat -N OUTPUT_dispatch
iptables -t nat -A OUTPUT -j OUTPUT_dispatch
iptables -t filter -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -N INPUT_dnat
iptables -t filter -A INPUT_dnat -j REJECT --reject-with icmp-host-prohibited
iptables -t filter -A INPUT -m conntrack --ctstate DNAT -j INPUT_dnat
iptables -t filter -A INPUT -i lo -j ACCEPT
iptables -t filter -A INPUT -m conntrack --ctstate INVALID -m pkttype --pkt-type unicast -j LOG --log-prefix 'STATE_INVALID_DROP: '
iptables -t filter -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -t filter -N INPUT_direct
iptables -t filter -A INPUT -j INPUT_direct
iptables -t filter -N INPUT_dispatch
iptables -t filter -A INPUT -j INPUT_dispatch
iptables -t filter -A INPUT -m pkttype --pkt-type unicast -j LOG --log-prefix 'FINAL_REJECT: '
iptables -t filter -A INPUT -j REJECT --reject-with icmp-host-prohibited
iptables -t filter -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -N FORWARD_dnat
iptables -t filter -A FORWARD_dnat -j REJECT --reject-with icmp-host-prohibited
iptables -t filter -A FORWARD -m conntrack --ctstate DNAT -j FORWARD_dnat
iptables -t filter -A FORWARD -i lo -j ACCEPT
iptables -t filter -A FORWARD -m conntrack --ctstate INVALID -m pkttype --pkt-type unicast -j LOG --log-prefix 'STATE_INVALID_DROP: '
iptables -t filter -A FORWARD -m conntrack --ctstate INVALID -j DROP
iptables -t filter -N FORWARD_direct
iptables -t filter -A FORWARD -j FORWARD_direct
iptables -t filter -N FORWARD_dispatch
iptables -t filter -A FORWARD -j FORWARD_dispatch
iptables -t filter -A FORWARD -m pkttype --pkt-type unicast -j LOG --log-prefix 'FINAL_REJECT: '
iptables -t filter -A FORWARD -j REJECT --reject-with icmp-host-prohibited
iptables -t filter -N OUTPUT_direct
iptables -t filter -A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -t filter -N OUTPUT_dnat
iptables -t filter -A OUTPUT_dnat -j REJECT --reject-with icmp-host-prohibited
iptables -t filter -A OUTPUT -m conntrack --ctstate DNAT -j OUTPUT_dnat
iptables -t filter -A OUTPUT -o lo -j ACCEPT
iptables -t filter -A OUTPUT -j OUTPUT_direct
iptables -t filter -N OUTPUT_dispatch
iptables -t filter -A OUTPUT -j OUTPUT_dispatch
