// The kernel reference cases natbox cannot replay yet, each with what it lacks: skipped whole by
// kernel-reference.test.ts and by every other test that replays the reference's scenarios.
/**
 * Whole cases natbox cannot replay yet: the eight format cases of the reference (see its README,
 * "The eight format cases"). generate-scenarios.ts converts every field of them (scenarios/<case>.yaml,
 * checked below), but each needs something natbox is still being taught (issue 14); the reason says
 * what. `skipped cases are current` fails when a listed case loads, runs and agrees in every
 * subtest, so the list cannot go stale.
 */
export const SKIP_CASES: Readonly<Record<string, string>> = {
  'hairpin-masq-tcp-bind-second-address':
    'needs the flow fields `src` (a socket bound to a second address) and `size` (a 1000-byte line) (issue 14, in progress)',
  'hairpin-vip-dnat-from-wan':
    'its `nft` rules (rules.box[2..4]: VIP TCP/22 DNAT to 192.168.1.200:2222) are not converted: the nftables front end is issue 16',
  'line-ip-rule-table-and-blackhole':
    'needs policy routing (`ip_rules:` from 10.0.1.11 lookup 100), `unreachable`/`blackhole` routes, the flow `src` and the verdicts `icmp-error` and `error` (EHOSTUNREACH) (issue 14, in progress)',
  'line-mtu-fragments-and-frag-needed':
    'needs link MTU, the flow `size` and `df`, fragmentation, ICMP fragmentation needed, the PMTU cache and the verdict `icmp-error` (issue 14, in progress)',
  'line-ttl-time-exceeded':
    'needs the flow `ttl` (IP_TTL) and the verdict `icmp-error` (issue 14, in progress)',
  'line-udp-server-reply-port':
    'needs `listen:` objects with `bind` and `reply_port` (a UDP server answering from a second socket) (issue 14, in progress)',
};
