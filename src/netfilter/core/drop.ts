// Why a packet was dropped: a small number on the packet path, counted per reason by the engine,
// and put into words only by the trace (trace/ and the stack's tracer adapter). The names follow
// the kernel's enum skb_drop_reason (include/net/dropreason-core.h) where it has one; natbox keeps
// a few apart that the kernel folds together (a REJECT, the NAT failures), because a user asking
// "why was it dropped?" needs them apart. What a reason needs to be said in full (the table, an
// address) travels beside it: `Skb.dropTable`, or the trace step's own fields.

export const DropReason = {
  NOT_SPECIFIED: 0,
  /** A rule or a chain policy said DROP (NF_DROP); `dropTable` names the table. */
  NETFILTER_DROP: 1,
  /** A REJECT rule (the kernel: NETFILTER_DROP after sending the error); `dropTable` names the table. */
  NETFILTER_REJECT: 2,
  /** nf_conntrack_max reached and nothing could be evicted (nf_conntrack_alloc → -ENOMEM). */
  NF_CT_TABLE_FULL: 3,
  /** __nf_conntrack_confirm found the tuple taken (insert_failed). */
  NF_CT_INSERT_FAILED: 4,
  /** get_unique_tuple found no free tuple in the range. */
  NF_NAT_NO_FREE_TUPLE: 5,
  /** nf_nat_icmp_reply_translation could not translate an ICMP error. */
  NF_NAT_ICMP_UNTRANSLATABLE: 6,
  /** An ICMP redirect about a NATed connection (nf_nat_icmp_reply_translation refuses it). */
  NF_NAT_ICMP_REDIRECT: 7,
  /** A malformed IPv4 header (ip_rcv_core). */
  IP_INHDR: 8,
  /** A bad IPv4 header checksum. */
  IP_CSUM: 9,
  /** Reverse path filter (rp_filter). */
  IP_RPFILTER: 10,
  /** Addressed to another host while IP forwarding is off. */
  IP_NOT_FORWARDING: 11,
  /** No route to the destination (input). */
  IP_INNOROUTES: 12,
  /** No route to the destination (output). */
  IP_OUTNOROUTES: 13,
  /** TTL reached 0 on forwarding (ip_forward: too_many_hops). */
  IP_TTL_EXPIRED: 14,
  /** The neighbour did not answer ARP (neigh state FAILED). */
  NEIGH_FAILED: 15,
  /** A TCP segment with a bad checksum. */
  TCP_CSUM: 16,
  /** A bridge port that is not forwarding (STP listening, blocking, disabled). */
  STP_PORT_STATE: 17,
  /** A bridge port that is learning (STP): the source is learned, the frame is not forwarded. */
  STP_LEARNING: 18,
  /** Bigger than the outgoing MTU with DF set (ip_forward's ip_exceeds_mtu, ip_fragment): `count` the MTU. */
  PKT_TOO_BIG: 19,
  /** A datagram's fragments did not all arrive within ipfrag_time (ip_expire). */
  FRAG_REASM_TIMEOUT: 20,
  /** A fragment overlapping or repeating data already queued, or corrupt (ip_frag_queue). */
  DUP_FRAG: 21,
  /** Too many datagrams being reassembled at once (ipfrag_high_thresh): the fragment is dropped. */
  FRAG_TOO_FAR: 22,
  /**
   * A loopback address (127.0.0.0/8) where net.ipv4.conf.DEV.route_localnet does not allow it: the
   * destination (`detail` 'dst') or source ('src') of a packet that came in on another device than
   * lo (ip_route_input_slow), or the source of one of the host's own packets rerouted out of
   * another device ('reroute': ip_route_me_harder's -EINVAL). `addr` the address, `dev` the device.
   */
  IP_LOCALNET: 23,
  /**
   * A hook took the packet (NF_STOLEN, consume_skb: no drop to the kernel): SYNPROXY answered it
   * in the server's or the client's place (core/synproxy.ts).
   */
  NF_STOLEN: 24,
  /**
   * The source is one of the host's own addresses and net.ipv4.conf.{all,DEV}.accept_local is 0
   * (fib_validate_source: inet_lookup_ifaddr_rcu, or an RTN_LOCAL answer to the reverse lookup:
   * -EINVAL, SKB_DROP_REASON_IP_LOCAL_SOURCE). `addr` the source.
   */
  IP_LOCAL_SOURCE: 25,
  /**
   * A masqueraded connection's packet leaving by another device than the one MASQUERADE bound it
   * through (nf_nat_inet_fn's nf_nat_oif_changed at POSTROUTING, original direction: the entry is
   * killed, nf_ct_kill_acct, and the packet dropped, NF_DROP). `dev` the bound device.
   */
  NF_NAT_MASQ_OIF_CHANGED: 26,
  /**
   * The route back to the source is neither unicast nor local, a subnet's broadcast address for
   * one (__fib_validate_source: -EINVAL, SKB_DROP_REASON_IP_INVALID_SOURCE). `addr` the source.
   */
  IP_INVALID_SOURCE: 27,
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** How many reasons there are (the size of a per-reason counter array). */
export const DROP_REASON_COUNT = 28;

/** Tables as `Skb.dropTable` numbers them (0: none; 'nft': a base chain of an nft ruleset). */
export const DROP_TABLES = ['', 'raw', 'mangle', 'nat', 'filter', 'security', 'nft'] as const;
export type DropTableName = (typeof DROP_TABLES)[number];

/**
 * A netfilter drop (the packet's `Skb.dropReason` and `Skb.dropTable`) in words; `ctMax` is
 * nf_conntrack_max, which a full table names. The trace (trace/drop-words.ts) and a socket's send
 * error (stack/sockets.ts sendErrorText) both say a netfilter drop in these words.
 */
export function netfilterDropWords(reason: DropReason, table: number, ctMax: number): string {
  const name = DROP_TABLES[table] ?? '';
  switch (reason) {
    case DropReason.NETFILTER_DROP:
      return name ? `dropped by the ${name} table` : 'dropped by an nft rule or chain policy';
    case DropReason.NETFILTER_REJECT:
      return name ? `rejected by the ${name} table` : 'rejected by an nft rule';
    case DropReason.NF_CT_TABLE_FULL:
      return `conntrack: table full (nf_conntrack_max ${ctMax}), packet dropped`;
    case DropReason.NF_CT_INSERT_FAILED:
      return 'conntrack: insert failed (tuple clash)';
    case DropReason.NF_NAT_NO_FREE_TUPLE:
      return 'nat: no free tuple';
    case DropReason.NF_NAT_ICMP_REDIRECT:
      return 'nat: an ICMP redirect about a NATed connection is dropped (it would name a translated address)';
    case DropReason.NF_NAT_ICMP_UNTRANSLATABLE:
      return 'nat: ICMP error about a NATed connection could not be translated';
    case DropReason.NF_NAT_MASQ_OIF_CHANGED:
      return 'nat: a masqueraded connection now leaves by another interface: its conntrack entry is deleted and the packet dropped';
    default:
      return 'dropped by netfilter';
  }
}
