// Conntrack tuples as numbers: (src, dst, proto, sport, dport), where for ICMP the "source port"
// is the echo id and the "destination port" packs type << 8 | code, as the kernel's
// nf_conntrack_tuple keeps src.u.icmp.id and dst.u.icmp.{type,code}. No objects on the hot path:
// a tuple travels as five numbers, or in a reusable TupleBuf. A TupleBuf carries its family and
// family-sized addresses (nf_inet_addr: IPv4 is word 0 of 4, IPv6 all four).
import { AF_INET, AF_INET6, type Family } from '../../wire/addr.ts';
import { IPPROTO_ICMP } from '../../wire/ipv4.ts';

export const DIR_ORIGINAL = 0;
export const DIR_REPLY = 1;

/** ICMPv6's protocol number (nf_conntrack_proto_icmpv6.c). */
export const IPPROTO_ICMPV6 = 58;

/**
 * A mutable tuple holder, reused (one per engine) to avoid allocating per packet. `addr` holds the
 * source address in words 0..3 and the destination in words 4..7, most significant word first;
 * an IPv4 tuple uses words 0 and 4 (`src`, `dst`), the others are then meaningless.
 */
export class TupleBuf {
  /** AF_INET or AF_INET6 (the tuple's src.l3num). */
  family: Family = AF_INET;
  readonly addr: Uint32Array = new Uint32Array(8);
  proto = 0;
  sport = 0;
  dport = 0;
  /** The IPv4 source address (word 0). */
  get src(): number {
    return this.addr[0]!;
  }
  set src(v: number) {
    this.addr[0] = v;
  }
  /** The IPv4 destination address (word 4). */
  get dst(): number {
    return this.addr[4]!;
  }
  set dst(v: number) {
    this.addr[4] = v;
  }
  /** An IPv4 tuple. */
  set(src: number, dst: number, proto: number, sport: number, dport: number): this {
    this.family = AF_INET;
    this.addr[0] = src;
    this.addr[4] = dst;
    this.proto = proto;
    this.sport = sport;
    this.dport = dport;
    return this;
  }
  /**
   * A tuple of `family` whose addresses are read from s[so..] and d[do..] (1 or 4 words each):
   * an IPv6 tuple, or an IPv4 one from words.
   */
  setWide(
    family: Family,
    s: ArrayLike<number>,
    so: number,
    d: ArrayLike<number>,
    dOff: number,
    proto: number,
    sport: number,
    dport: number,
  ): this {
    this.family = family;
    const a = this.addr;
    const n = family === AF_INET ? 1 : 4;
    for (let i = 0; i < n; i++) {
      a[i] = s[so + i]!;
      a[4 + i] = d[dOff + i]!;
    }
    this.proto = proto;
    this.sport = sport;
    this.dport = dport;
    return this;
  }
  copy(o: TupleBuf): this {
    if (o.family === AF_INET) return this.set(o.src, o.dst, o.proto, o.sport, o.dport);
    return this.setWide(o.family, o.addr, 0, o.addr, 4, o.proto, o.sport, o.dport);
  }
}

/** The same tuple (family, addresses, protocol, ports)? */
export function tupleEqual(a: TupleBuf, b: TupleBuf): boolean {
  if (a.family !== b.family || a.proto !== b.proto || a.sport !== b.sport || a.dport !== b.dport)
    return false;
  const x = a.addr;
  const y = b.addr;
  if (a.family === AF_INET) return x[0] === y[0] && x[4] === y[4];
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) return false;
  return true;
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

// ICMPv6 types whose reply is another type (nf_conntrack_proto_icmpv6.c, invmap).
const ICMPV6_INVERT = new Int16Array(256).fill(-1);
ICMPV6_INVERT[128] = 129; // echo request -> echo reply
ICMPV6_INVERT[129] = 128;
ICMPV6_INVERT[139] = 140; // node information query -> reply
ICMPV6_INVERT[140] = 139;

/** nf_ct_invert_tuple: swap the ends; for ICMP map the type to its answer and keep the id. */
export function invertTuple(out: TupleBuf, t: TupleBuf): boolean {
  if (t.family !== AF_INET) return invertWide(out, t);
  if (t.proto === IPPROTO_ICMP) {
    const inv = ICMP_INVERT[t.dport >>> 8]!;
    if (inv < 0) return false;
    return (out.set(t.dst, t.src, t.proto, t.sport, (inv << 8) | (t.dport & 0xff)), true);
  }
  out.set(t.dst, t.src, t.proto, t.dport, t.sport);
  return true;
}

/** invertTuple for IPv6 (ICMPv6 by its own table, as icmpv6_invert_tuple). */
function invertWide(out: TupleBuf, t: TupleBuf): boolean {
  let sport = t.dport;
  let dport = t.sport;
  if (t.family === AF_INET6 && t.proto === IPPROTO_ICMPV6) {
    const inv = ICMPV6_INVERT[t.dport >>> 8]!;
    if (inv < 0) return false;
    sport = t.sport;
    dport = (inv << 8) | (t.dport & 0xff);
  }
  // `out` may be `t`: read both addresses before writing.
  const a = t.addr;
  const s0 = a[0]!,
    s1 = a[1]!,
    s2 = a[2]!,
    s3 = a[3]!;
  const o = out.addr;
  for (let i = 0; i < 4; i++) o[i] = a[4 + i]!;
  o[4] = s0;
  o[5] = s1;
  o[6] = s2;
  o[7] = s3;
  out.family = t.family;
  out.proto = t.proto;
  out.sport = sport;
  out.dport = dport;
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

/**
 * hashTuple for a tuple as a record holds it: `aw` words of source address, `aw` of destination,
 * one of ports (sport << 16 | dport), at w[off]. With aw = 1 it is hashTuple itself.
 */
export function hashTupleWide(w: ArrayLike<number>, off: number, aw: number, proto: number): number {
  const p = w[off + 2 * aw]!;
  if (aw === 1) return hashTuple(w[off]!, w[off + 1]!, proto, p >>> 16, p & 0xffff);
  let h = Math.imul(proto ^ 0x9e3779b9, 0x85ebca6b);
  for (let i = 0; i < 2 * aw; i++)
    h = Math.imul(h ^ (h >>> 15) ^ w[off + i]!, i & 1 ? 0xc2b2ae35 : 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ p, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
