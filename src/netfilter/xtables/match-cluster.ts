// -m cluster (xt_cluster.c xt_cluster_mt): hash = reciprocal_scale(jhash_1word(orig src, seed),
// total_nodes) over the connection's original source address as the kernel holds it (network
// byte order read as a little-endian u32, as on x86), matched when node_mask has that bit
// (XOR the inversion). No conntrack entry (untracked, invalid): no match. As the kernel does,
// it turns a PACKET_MULTICAST packet for a unicast address into PACKET_HOST (the cluster's
// multicast-MAC trick). natbox has no conntrack helpers, so no entry has a master.
import { CT_UNTRACKED, PACKET_HOST, PACKET_MULTICAST } from '../core/skb.ts';
import { TupleBuf } from '../conntrack/tuple.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';
import { jhash1word, reciprocalScale } from '../../wire/jhash.ts';

const tupleBuf = new TupleBuf();

/** The node (0-based) xt_cluster gives a connection from IPv4 source `src` (a host-order number). */
export function clusterNode(src: number, seed: number, totalNodes: number): number {
  const be =
    ((src & 0xff) << 24) | (((src >>> 8) & 0xff) << 16) | (((src >>> 16) & 0xff) << 8) | (src >>> 24);
  const h = jhash1word(be >>> 0, seed);
  return reciprocalScale(h, totalNodes);
}

export const clusterMatch: XtMatch<MatchOf<'cluster'>> = {
  check: (m, caps) => needs(m.module, 'the conntrack entries (skb.env)', caps.env),
  match(m, skb) {
    if (skb.pktType === PACKET_MULTICAST && skb.dst >>> 28 !== 0xe) skb.pktType = PACKET_HOST;
    const env = skb.env;
    if (skb.ct < 0 || skb.ctinfo === CT_UNTRACKED || env === undefined) return false;
    const src = env.conntrack.readTuple(skb.ct, 0, tupleBuf).src;
    const node = clusterNode(src, m.hashSeed, m.totalNodes);
    return (((m.nodeMask >>> node) & 1) === 1) !== m.invert;
  },
  describe(m, skb) {
    if (skb.ct < 0 || skb.ctinfo === CT_UNTRACKED || skb.env === undefined) {
      return '-m cluster did not match: the packet has no conntrack entry';
    }
    const src = skb.env.conntrack.readTuple(skb.ct, 0, tupleBuf).src;
    const node = clusterNode(src, m.hashSeed, m.totalNodes) + 1;
    return `-m cluster did not match: the connection hashes to node ${node} of ${m.totalNodes}`;
  },
};
