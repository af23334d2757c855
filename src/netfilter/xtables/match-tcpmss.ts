// -m tcpmss (xt_tcpmss.c): the MSS option of a TCP header in a range. A header without options
// matches only when inverted; a truncated header or options area drops the packet (hotdrop).
import { read16 } from '../../wire/checksum.ts';
import type { Skb } from '../core/skb.ts';
import { have } from './hdr.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

const TCPOPT_MSS = 2;
const TCPOLEN_MSS = 4;

/** The MSS value, -1 when the header has no MSS option, -2 when the packet is malformed. */
export function tcpMssOf(skb: Skb): number {
  const b = skb.buf;
  const th = skb.l4off;
  if (!have(skb, th, 20)) return -2;
  const doff = (b[th + 12]! >> 4) * 4;
  if (doff < 20) return -2;
  const optlen = doff - 20;
  if (optlen === 0) return -1;
  if (!have(skb, th + 20, optlen)) return -2;
  const op = th + 20;
  for (let i = 0; i < optlen;) {
    if (b[op + i] === TCPOPT_MSS && optlen - i >= TCPOLEN_MSS && b[op + i + 1] === TCPOLEN_MSS)
      return read16(b, op + i + 2);
    if (b[op + i]! < 2) i++;
    else i += i + 1 < optlen ? b[op + i + 1]! || 1 : 1;
  }
  return -1;
}

export const tcpmssMatch: XtMatch<MatchOf<'tcpmss'>> = {
  match(m, skb) {
    const mss = tcpMssOf(skb);
    if (mss === -2) {
      skb.hotdrop = true;
      return false;
    }
    if (mss === -1) return m.mss.invert;
    return (mss >= m.mss.value.min && mss <= m.mss.value.max) !== m.mss.invert;
  },
  describe(m, skb) {
    const mss = tcpMssOf(skb);
    const r = m.mss.value;
    const want = `${m.mss.invert ? '! ' : ''}--mss ${r.min === r.max ? r.min : `${r.min}:${r.max}`}`;
    if (mss === -2) return `-m tcpmss: the TCP header is truncated (the kernel drops the packet)`;
    return mss === -1 ? `${want}: the TCP header has no MSS option` : `${want}: the MSS is ${mss}`;
  },
};
