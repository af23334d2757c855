#!/bin/sh
# WireGuard PostUp as installers write it (the Nyr and angristan wireguard-install scripts put
# these lines, with their variables filled in, into wg0.conf or a systemd unit): each rule is
# added only when "iptables -C" does not find it, so running the script twice changes nothing.
# Written for natbox's tests; the expected iptables-save is the real sh + iptables 1.8.9 output
# (test/rules/script.test.ts runs both in a network namespace).
set -eu
WG_NIC=wg0
WAN_NIC="eth0"
PORT=51820
NET=10.7.0.0/24
PUBLIC_IP=203.0.113.10
IPT="iptables -w 5"

$IPT -C INPUT -p udp --dport "$PORT" -j ACCEPT 2>/dev/null || $IPT -I INPUT -p udp --dport "$PORT" -j ACCEPT
$IPT -C FORWARD -i "$WG_NIC" -j ACCEPT 2>/dev/null || $IPT -I FORWARD -i "$WG_NIC" -j ACCEPT
$IPT -C FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT 2>/dev/null ||
	$IPT -I FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
$IPT -t nat -C POSTROUTING -s $NET ! -d $NET -j SNAT --to $PUBLIC_IP 2>/dev/null ||
	$IPT -t nat -A POSTROUTING -s $NET ! -d $NET -j SNAT --to $PUBLIC_IP
ip6tables -w 5 -I INPUT -p udp --dport $PORT -j ACCEPT
# The second run of the same lines: every -C finds its rule.
$IPT -C INPUT -p udp --dport "$PORT" -j ACCEPT 2>/dev/null || $IPT -I INPUT -p udp --dport "$PORT" -j ACCEPT
$IPT -t nat -C POSTROUTING -s $NET ! -d $NET -j SNAT --to $PUBLIC_IP 2>/dev/null ||
	$IPT -t nat -A POSTROUTING -s $NET ! -d $NET -j SNAT --to $PUBLIC_IP
