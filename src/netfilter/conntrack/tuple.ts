// Conntrack tuples as numbers: (src, dst, proto, sport, dport), where for ICMP the "source port"
// is the echo id and the "destination port" packs type << 8 | code, as the kernel's
// nf_conntrack_tuple keeps src.u.icmp.id and dst.u.icmp.{type,code}. No objects on the hot path:
// a tuple travels as five numbers, or in a reusable TupleBuf.
import { IPPROTO_ICMP } from '../../wire/ipv4.ts';

export const DIR_ORIGINAL = 0;
export const DIR_REPLY = 1;

/** A mutable tuple holder, reused (one per engine) to avoid allocating per packet. */
export class TupleBuf {
  src = 0;
  dst = 0;
  proto = 0;
  sport = 0;
  dport = 0;
  set(src: number, dst: number, proto: number, sport: number, dport: number): this {
    this.src = src >>> 0;
    this.dst = dst >>> 0;
    this.proto = proto;
    this.sport = sport;
    this.dport = dport;
    return this;
  }
  copy(o: TupleBuf): this {
    return this.set(o.src, o.dst, o.proto, o.sport, o.dport);
  }
}

// ICMP types whose reply is another type (nf_conntrack_proto_icmp.c, icmp_invert_tuple's table).
const ICMP_INVERT = new Int16Array(256).fill(-1);
ICMP_INVERT[8] = 0; // echo request -> echo reply
ICMP_INVERT[0] = 8;
ICMP_INVERT[13] = 14; // timestamp
ICMP_INVERT[14] = 13;
ICMP_INVERT[15] = 16; // info request
ICMP_INVERT[16] = 15;
ICMP_INVERT[17] = 18; // address mask
ICMP_INVERT[18] = 17;

/** True for ICMP types conntrack tracks as queries (they have an inverse). */
export const icmpIsQuery = (type: number): boolean => ICMP_INVERT[type]! >= 0;

/** nf_ct_invert_tuple: swap the ends; for ICMP map the type to its answer and keep the id. */
export function invertTuple(out: TupleBuf, t: TupleBuf): boolean {
  if (t.proto === IPPROTO_ICMP) {
    const inv = ICMP_INVERT[t.dport >>> 8]!;
    if (inv < 0) return false;
    return (out.set(t.dst, t.src, t.proto, t.sport, (inv << 8) | (t.dport & 0xff)), true);
  }
  out.set(t.dst, t.src, t.proto, t.dport, t.sport);
  return true;
}

/** A 32-bit hash of a tuple (a mix of murmur3's finaliser over the fields). */
export function hashTuple(src: number, dst: number, proto: number, sport: number, dport: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((sport << 16) | dport), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ proto, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
