// -m ecn (xt_ecn.c ecn_mt4): the IP header's ECN field (--ecn-ip-ect) and the TCP ECE/CWR flags;
// a packet too short for the TCP header does not match (no drop).
import type { Skb } from '../core/skb.ts';
import { have } from './hdr.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

const TCP_ECE = 0x40;
const TCP_CWR = 0x80;

function flagOk(skb: Skb, bit: number, t: { readonly invert: boolean } | undefined): boolean {
  if (!t) return true;
  const set = (skb.buf[skb.l4off + 13]! & bit) !== 0;
  return set !== t.invert;
}

export const ecnMatch: XtMatch<MatchOf<'ecn'>> = {
  match(m, skb) {
    if (m.ect && ((skb.buf[skb.off + 1]! & 3) === m.ect.value) === m.ect.invert) return false;
    if (m.ece || m.cwr) {
      if (!have(skb, skb.l4off, 20)) return false;
      if (!flagOk(skb, TCP_ECE, m.ece) || !flagOk(skb, TCP_CWR, m.cwr)) return false;
    }
    return true;
  },
  describe(m, skb) {
    const ect = skb.buf[skb.off + 1]! & 3;
    if (m.ect && (ect === m.ect.value) === m.ect.invert)
      return `${m.ect.invert ? '! ' : ''}--ecn-ip-ect ${m.ect.value}: the IP ECN field is ${ect}`;
    if (!have(skb, skb.l4off, 20)) return '-m ecn: the TCP header is truncated';
    const f = skb.buf[skb.l4off + 13]!;
    return `-m ecn: the TCP flags differ (ECE ${f & TCP_ECE ? 'set' : 'clear'}, CWR ${f & TCP_CWR ? 'set' : 'clear'})`;
  },
};
