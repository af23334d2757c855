# A country/abuse block list written as address ranges, with logging of the first hits.
iptables -N BLOCKLIST
iptables -A INPUT -j BLOCKLIST
iptables -A FORWARD -j BLOCKLIST
iptables -A BLOCKLIST -m iprange --src-range 198.51.100.0-198.51.100.127 -j DROP
iptables -A BLOCKLIST -m iprange --src-range 203.0.113.10-203.0.113.20 -m limit --limit 1/min -j LOG --log-prefix "blocklist: "
iptables -A BLOCKLIST -m iprange --src-range 203.0.113.10-203.0.113.20 -j DROP
iptables -A BLOCKLIST -m iprange ! --dst-range 10.0.0.1-10.0.0.254 --src-range 192.0.2.64-192.0.2.95 -j REJECT
iptables -A BLOCKLIST -j RETURN
