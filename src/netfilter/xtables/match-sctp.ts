// -m sctp (xt_sctp.c sctp_mt, match_packet, match_flags): the ports of the common header and the
// chunk types (with flag tests) as all / any / only. A non-first fragment never matches; a
// truncated common header, a chunk header past the end or a zero chunk length drops the packet
// (hotdrop). The chunk walk reads numbers from the bytes; `all` keeps its map copy in a scratch
// array reused by every packet (one evaluation at a time, as the engine runs).
import {
  SCTP_COMMON_LEN,
  sctpChunkFlags,
  sctpChunkNext,
  sctpChunkType,
  sctpDport,
  sctpSport,
} from '../../wire/sctp.ts';
import type { Skb } from '../core/skb.ts';
import { have, nonFirstFragment, pktEnd } from './hdr.ts';
import { portOk, type MatchOf, type XtMatch } from './xt-match.ts';

type SctpChunks = NonNullable<MatchOf<'sctp'>['chunks']>['value'];

const scratch = new Uint32Array(8);
/** match_packet's answers beyond true/false: the packet is malformed. */
const DROP = 2;

const isSet = (map: ArrayLike<number>, t: number): boolean => ((map[t >> 5]! >>> (t & 31)) & 1) === 1;

function flagsOk(c: SctpChunks, type: number, flags: number): boolean {
  for (let i = 0; i < c.flags.length; i++) {
    const f = c.flags[i]!;
    if (f.chunk === type) return (flags & f.mask) === f.flag;
  }
  return true;
}

/** match_packet: 1 match, 0 no match, DROP malformed. */
export function sctpChunksMatch(c: SctpChunks, skb: Skb): number {
  const b = skb.buf;
  const end = pktEnd(skb);
  const all = c.type === 'all';
  if (all) for (let i = 0; i < 8; i++) scratch[i] = c.map[i]!;
  let off = skb.l4off + SCTP_COMMON_LEN;
  do {
    const next = sctpChunkNext(b, off, end);
    if (next < 0) return DROP;
    const type = sctpChunkType(b, off);
    const flags = sctpChunkFlags(b, off);
    off = next;
    if (isSet(c.map, type)) {
      if (c.type === 'any') {
        if (flagsOk(c, type, flags)) return 1;
      } else if (all) {
        if (flagsOk(c, type, flags)) scratch[type >> 5] = scratch[type >> 5]! & ~(1 << (type & 31));
      } else if (!flagsOk(c, type, flags)) return 0;
    } else if (c.type === 'only') return 0;
  } while (off < end);
  if (all) {
    for (let i = 0; i < 8; i++) if (scratch[i] !== 0) return 0;
    return 1;
  }
  return c.type === 'only' ? 1 : 0;
}

function run(m: MatchOf<'sctp'>, skb: Skb): number {
  if (nonFirstFragment(skb)) return 0;
  if (!have(skb, skb.l4off, SCTP_COMMON_LEN)) return DROP;
  if (!portOk(sctpSport(skb.buf, skb.l4off), m.sport) || !portOk(sctpDport(skb.buf, skb.l4off), m.dport))
    return 0;
  if (!m.chunks) return 1;
  const r = sctpChunksMatch(m.chunks.value, skb);
  if (r === DROP) return DROP;
  return (r === 1) !== m.chunks.invert ? 1 : 0;
}

export const sctpMatch: XtMatch<MatchOf<'sctp'>> = {
  match(m, skb) {
    const r = run(m, skb);
    if (r === DROP) skb.hotdrop = true;
    return r === 1;
  },
  describe(m, skb) {
    if (nonFirstFragment(skb)) return '-m sctp: a non-first fragment has no SCTP header';
    if (!have(skb, skb.l4off, SCTP_COMMON_LEN))
      return '-m sctp: the SCTP header is truncated (the kernel drops the packet)';
    const sp = sctpSport(skb.buf, skb.l4off);
    const dp = sctpDport(skb.buf, skb.l4off);
    const rng = (r: { min: number; max: number }): string =>
      r.min === r.max ? `${r.min}` : `${r.min}:${r.max}`;
    if (!portOk(sp, m.sport))
      return `${m.sport!.invert ? '! ' : ''}--sport ${rng(m.sport!.value)}: sport is ${sp}`;
    if (!portOk(dp, m.dport))
      return `${m.dport!.invert ? '! ' : ''}--dport ${rng(m.dport!.value)}: dport is ${dp}`;
    if (m.chunks && sctpChunksMatch(m.chunks.value, skb) === DROP)
      return '-m sctp: a chunk header is truncated or has length 0 (the kernel drops the packet)';
    return `${m.chunks?.invert ? '! ' : ''}--chunk-types ${m.chunks?.value.type ?? ''}: the packet's chunks differ`;
  },
};
