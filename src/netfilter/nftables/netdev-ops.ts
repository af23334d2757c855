// The netdev family's statements (nft_fwd_netdev.c, nft_dup_netdev.c, nft_meta.c's pkttype set):
// what they ask the host to send is collected in `netdevPending` while a netdev chain runs, and
// read by NetdevTables.run (netdev.ts) when the walk is over; the stack sends it.
import type { NftExpr, NftStmt } from '../../rules/nft/model.ts';
import { AF_INET } from '../../wire/addr.ts';
import { ipv4DecTtl } from '../../wire/ipv4.ts';
import { PACKET_OTHERHOST, type Skb } from '../core/skb.ts';
import { NftRefusal, type ExprCtx } from './expr.ts';

/** One frame a chain asked to send (fwd, dup): by device (`via` 0) or to neighbour `via`. */
export interface NetdevSend {
  readonly dev: string;
  /** nft_fwd_neigh's next hop (IPv4); 0 for a frame sent as it is (nft_fwd_netdev, nft_dup_netdev). */
  readonly via: number;
  /** The Ethernet frame (via 0) or the IPv4 packet (a neighbour send). */
  readonly data: Uint8Array;
}

/** What the chains running now asked for (filled by the ops below, read after the walk). */
export const netdevPending = { sends: [] as NetdevSend[], stolen: false, pktType: -1 };
const pending = netdevPending;

/** A device name given as a constant (`fwd to "eth1"`, `dup to eth1`), or a refusal. */
function devName(e: NftExpr | undefined, s: NftStmt): string {
  if (e?.kind === 'value' && typeof e.value === 'string') return e.value;
  throw new NftRefusal(`${s.kind} to a device from an expression is not simulated`, s, s.kind);
}

/** `fwd to`, `fwd ip to ... device`, `dup to` in a netdev chain (nft_fwd_netdev.c, nft_dup_netdev.c). */
export function netdevSendOp(
  s: Extract<NftStmt, { kind: 'fwd' | 'dup' }>,
  ctx: ExprCtx,
  R_DROP: number,
  R_GO: number,
): (skb: Skb) => number {
  if (ctx.family !== 'netdev')
    throw new NftRefusal(`${s.kind} is read and printed but not simulated outside netdev tables`, s, s.kind);
  if (s.family === 'ip6')
    throw new NftRefusal(`${s.kind} ip6 is not simulated (natbox runs IPv4)`, s, `${s.kind} ip6`);
  if (s.kind === 'dup') {
    // netdev `dup to "eth1"` (the parser holds the device as the address).
    if (s.family !== undefined) throw new NftRefusal('dup ip to is not valid in a netdev table', s, 'dup');
    const dev = devName(s.dev ?? s.addr, s);
    return (skb) => {
      pending.sends.push({ dev, via: 0, data: skb.buf.slice() });
      return R_GO;
    };
  }
  if (s.family === undefined) {
    const dev = devName(s.dev, s);
    return (skb) => {
      pending.sends.push({ dev, via: 0, data: skb.buf });
      pending.stolen = true;
      return R_DROP; // NF_STOLEN: the walk ends; NetdevTables.run reads `stolen`
    };
  }
  const dev = devName(s.dev, s);
  const a = s.addr;
  if (a?.kind !== 'value' || typeof a.value !== 'number')
    throw new NftRefusal('fwd ip to an address from an expression is not simulated', s, 'fwd');
  const via = a.value >>> 0;
  return (skb) => {
    // nft_fwd_neigh_eval: an IPv4 packet or NF_DROP; ip_decrease_ttl; neigh_xmit (NF_STOLEN).
    if (skb.family !== AF_INET) return R_DROP;
    ipv4DecTtl(skb.buf, skb.off);
    pending.sends.push({ dev, via, data: skb.buf.subarray(skb.off, skb.off + skb.len) });
    pending.stolen = true;
    return R_DROP;
  };
}

/** `meta pkttype set host|broadcast|multicast|other` at a netdev chain (nft_meta_set_eval). */
export function netdevPktTypeOp(value: number, ctx: ExprCtx, s: NftStmt, R_GO: number): (skb: Skb) => number {
  if (ctx.family !== 'netdev')
    throw new NftRefusal('meta pkttype set is simulated in netdev tables only', s, 'meta pkttype');
  return (skb) => {
    // nft_meta_set_eval: only to a type the kernel allows from here (not PACKET_OUTGOING etc.).
    if (value <= PACKET_OTHERHOST) {
      skb.pktType = value;
      pending.pktType = value;
    }
    return R_GO;
  };
}

/**
 * `counter` in a netdev chain: the bytes are skb->len there, the frame less its Ethernet header at
 * ingress (the data starts at the network header), the whole frame at egress (at the MAC header).
 */
export function netdevCounterOp(
  s: { packets: number; bytes: number },
  rt: { readonly hook: number },
): (skb: Skb) => number {
  return (skb) => {
    s.packets++;
    s.bytes += skb.buf.length - (rt.hook === NETDEV_EGRESS_HOOK ? 0 : 14);
    return 0; // R_GO
  };
}
/** NF_NETDEV_EGRESS (netdev.ts has the names; this file cannot import it). */
const NETDEV_EGRESS_HOOK = 1;
