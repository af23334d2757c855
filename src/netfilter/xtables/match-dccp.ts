// -m dccp (xt_dccp.c dccp_mt, dccp_find_option): ports, the packet type (a bit of the type mask)
// and an option number among the header's options. A non-first fragment never matches; a packet
// too short for the 12-byte header, a data offset shorter than the header or options past the
// end drop the packet (hotdrop).
import { DCCP_HDR_LEN, dccpDoff, dccpDport, dccpHdrLen, dccpSport, dccpType } from '../../wire/dccp.ts';
import type { Skb } from '../core/skb.ts';
import { have, nonFirstFragment } from './hdr.ts';
import { portOk, type MatchOf, type XtMatch } from './xt-match.ts';

const DROP = 2;

/** dccp_find_option: 1 found, 0 not, DROP malformed. */
export function dccpFindOption(skb: Skb, option: number): number {
  const b = skb.buf;
  const l4 = skb.l4off;
  const hdr = dccpHdrLen(b, l4);
  const doff = dccpDoff(b, l4) * 4;
  if (doff < hdr) return DROP;
  const optlen = doff - hdr;
  if (optlen === 0) return 0;
  if (!have(skb, l4 + hdr, optlen)) return DROP;
  const op = l4 + hdr;
  for (let i = 0; i < optlen;) {
    const o = b[op + i]!;
    if (o === option) return 1;
    if (o < 2) i++;
    else i += i + 1 < optlen ? b[op + i + 1]! || 1 : 1;
  }
  return 0;
}

function run(m: MatchOf<'dccp'>, skb: Skb): number {
  if (nonFirstFragment(skb)) return 0;
  if (!have(skb, skb.l4off, DCCP_HDR_LEN)) return DROP;
  const b = skb.buf;
  const l4 = skb.l4off;
  if (!portOk(dccpSport(b, l4), m.sport) || !portOk(dccpDport(b, l4), m.dport)) return 0;
  if (m.types && ((m.types.value & (1 << dccpType(b, l4))) !== 0) === m.types.invert) return 0;
  if (m.option) {
    const r = dccpFindOption(skb, m.option.value);
    if (r === DROP) return DROP;
    if ((r === 1) === m.option.invert) return 0;
  }
  return 1;
}

export const dccpMatch: XtMatch<MatchOf<'dccp'>> = {
  match(m, skb) {
    const r = run(m, skb);
    if (r === DROP) skb.hotdrop = true;
    return r === 1;
  },
  describe(m, skb) {
    if (nonFirstFragment(skb)) return '-m dccp: a non-first fragment has no DCCP header';
    if (!have(skb, skb.l4off, DCCP_HDR_LEN))
      return '-m dccp: the DCCP header is truncated (the kernel drops the packet)';
    const b = skb.buf;
    const l4 = skb.l4off;
    const rng = (r: { min: number; max: number }): string =>
      r.min === r.max ? `${r.min}` : `${r.min}:${r.max}`;
    if (!portOk(dccpSport(b, l4), m.sport))
      return `${m.sport!.invert ? '! ' : ''}--sport ${rng(m.sport!.value)}: sport is ${dccpSport(b, l4)}`;
    if (!portOk(dccpDport(b, l4), m.dport))
      return `${m.dport!.invert ? '! ' : ''}--dport ${rng(m.dport!.value)}: dport is ${dccpDport(b, l4)}`;
    if (m.types && ((m.types.value & (1 << dccpType(b, l4))) !== 0) === m.types.invert)
      return `${m.types.invert ? '! ' : ''}--dccp-types: the packet type is ${dccpType(b, l4)}`;
    if (m.option && dccpFindOption(skb, m.option.value) === DROP)
      return '-m dccp: the DCCP options are truncated (the kernel drops the packet)';
    return `${m.option?.invert ? '! ' : ''}--dccp-option ${m.option?.value ?? ''}: not as required`;
  },
};
