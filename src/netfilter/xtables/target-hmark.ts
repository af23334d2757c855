// HMARK (xt_HMARK.c hmark_tg_v4, IPv4): skb->mark = reciprocal_scale(hash, --hmark-mod) +
// --hmark-offset, the hash being jhash_3words(min(src, dst), max(src, dst), ports, --hmark-rnd)
// ^ (proto & --hmark-proto-mask) over the masked addresses and the ordered, masked ports (the
// first 4 bytes of TCP, UDP, DCCP, ESP, SCTP and UDP-Lite, bytes 4-7 of AH); ICMP errors hash
// their inner header. The `ct` tuple (the conntrack entry's) is read and printed, not simulated.
import { read16, read32 } from '../../wire/checksum.ts';
import { IPPROTO_ICMP, ipv4IsFragment } from '../../wire/ipv4.ts';
import type { Skb } from '../core/skb.ts';
import { jhash3words, reciprocalScale } from '../../wire/jhash.ts';
import { notSimulated, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

// XT_HMARK_* bits (xt_HMARK.h; ext/target-hmark.ts writes them into the model).
const SPI = 1 << 2;
const SPI_MASK = 1 << 3;
const SPORT = 1 << 4;
const DPORT = 1 << 5;
const SPORT_MASK = 1 << 6;
const DPORT_MASK = 1 << 7;
const CT = 1 << 12;

const prefixMask = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** proto_ports_offset: where the 4 port bytes start in the transport header, -1 when none. */
function portsOffset(proto: number): number {
  if (proto === 6 || proto === 17 || proto === 33 || proto === 50 || proto === 132 || proto === 136) return 0;
  return proto === 51 ? 4 : -1;
}

/** hmark_tg_v4 without conntrack: the mark for the packet in `skb`. */
export function hmarkOf(t: TargetOf<'HMARK'>, skb: Skb): number {
  const b = skb.buf;
  let ip = skb.off;
  const end = skb.off + skb.len;
  if (b[ip + 9] === IPPROTO_ICMP && !ipv4IsFragment(b, ip)) {
    // get_inner_hdr: an ICMP error hashes the header it quotes.
    const icmp = ip + (b[ip]! & 0xf) * 4;
    const type = b[icmp]!;
    if (icmp + 8 + 20 <= end && (type === 3 || type === 4 || type === 5 || type === 11 || type === 12))
      ip = icmp + 8;
  }
  const src = (read32(b, ip + 12) & prefixMask(t.srcPrefix)) >>> 0;
  const dst = (read32(b, ip + 16) & prefixMask(t.dstPrefix)) >>> 0;
  const proto = b[ip + 9]!;
  let ports = 0;
  const po = portsOffset(proto);
  const at = ip + (b[ip]! & 0xf) * 4 + po;
  if (proto !== IPPROTO_ICMP && !ipv4IsFragment(b, ip) && po >= 0 && at + 4 <= end) {
    // hmark_swap_ports: the port word (network order, as a number) masked, then the set bits.
    const f = t.flags;
    const mask =
      f & SPI_MASK
        ? t.spiMask
        : ((f & SPORT_MASK ? t.sportMask : 0) << 16) | (f & DPORT_MASK ? t.dportMask : 0);
    const set = f & SPI ? t.spi : ((f & SPORT ? t.sport : 0) << 16) | (f & DPORT ? t.dport : 0);
    const hp = ((((read16(b, at) << 16) | read16(b, at + 2)) & mask) | set) >>> 0;
    const s = hp >>> 16;
    const d = hp & 0xffff;
    ports = (d > s ? (d << 16) | s : (s << 16) | d) >>> 0;
  }
  const lo = dst < src ? dst : src;
  const hi = dst < src ? src : dst;
  const hash = (jhash3words(lo, hi, ports, t.rnd) ^ (proto & t.protoMask)) >>> 0;
  return (reciprocalScale(hash, t.mod) + t.offset) >>> 0;
}

export const hmarkTarget: XtTarget<TargetOf<'HMARK'>> = {
  check: (t) =>
    t.flags & CT
      ? notSimulated(
          'HMARK --hmark-tuple ct',
          "the hash of the conntrack entry's tuples is not simulated yet",
        )
      : undefined,
  run(t, skb) {
    skb.mark = hmarkOf(t, skb);
    return XT_CONTINUE;
  },
};
