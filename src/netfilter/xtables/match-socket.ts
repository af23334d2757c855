// -m socket (xt_socket.c socket_match, revisions 1-3): whether a local socket would receive the
// packet, asked of the host (XtEnv.socketLookup: nf_sk_lookup_slow_v4's established-then-listener
// lookup on the packet's tuple; for a reply of a source-NATed connection, with the original
// source as the destination). A full socket bound to 0.0.0.0 does not count unless --nowildcard;
// with --transparent only IP_TRANSPARENT sockets count (inet_sk_transparent: a listener with
// `transparent`, the connections it accepted, their request and TIME_WAIT socks);
// --restore-skmark copies the socket's mark (0: natbox's sockets set none) to the packet.
// Only TCP and UDP are looked up (ICMP errors about them are not: no match).
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { IPS_SRC_NAT_DONE } from '../conntrack/table.ts';
import { TupleBuf } from '../conntrack/tuple.ts';
import {
  IP_CT_ESTABLISHED_REPLY,
  SK_FULL,
  SK_KIND,
  SK_NONE,
  SK_TRANSPARENT,
  SK_WILDCARD,
  type Skb,
} from '../core/skb.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

const tupleBuf = new TupleBuf();

/**
 * What the lookup finds for this packet (SK_*, SK_TRANSPARENT or'ed in): nf_sk_lookup_slow_v4,
 * which nft's `socket` expression (nftables/tproxy-op.ts) asks too.
 */
export function socketLookupOf(skb: Skb): number {
  const env = skb.env;
  if (!env?.socketLookup || (skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) || skb.fragment) {
    return SK_NONE;
  }
  let daddr = skb.dst;
  let dport = skb.dport;
  if (
    skb.ct >= 0 &&
    skb.ctinfo === IP_CT_ESTABLISHED_REPLY &&
    env.conntrack.status[skb.ct]! & IPS_SRC_NAT_DONE
  ) {
    const orig = env.conntrack.readTuple(skb.ct, 0, tupleBuf);
    daddr = orig.src;
    dport = orig.sport;
  }
  return env.socketLookup(skb.proto, skb.src, skb.sport, daddr, dport);
}

export const socketMatch: XtMatch<MatchOf<'socket'>> = {
  check: (m, caps) => needs(m.module, "the host's sockets (skb.env)", caps.env),
  match(m, skb) {
    const found = socketLookupOf(skb);
    const sk = found & SK_KIND;
    if (sk === SK_NONE) return false;
    const wildcard = !m.nowildcard && sk === SK_WILDCARD;
    const transparent = !m.transparent || (found & SK_TRANSPARENT) !== 0;
    if (m.restoreSkmark && !wildcard && transparent && (sk === SK_FULL || sk === SK_WILDCARD)) skb.mark = 0;
    return !wildcard && transparent;
  },
  describe(m, skb) {
    const found = socketLookupOf(skb);
    if ((found & SK_KIND) === SK_NONE)
      return '-m socket did not match: no local socket would receive this packet';
    if (m.transparent && !(found & SK_TRANSPARENT))
      return '-m socket did not match: the socket is not transparent (IP_TRANSPARENT)';
    return '-m socket did not match: the socket is a listener bound to 0.0.0.0 (--nowildcard would count it)';
  },
};
