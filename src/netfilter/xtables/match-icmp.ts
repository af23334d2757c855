// -m icmp (xt_tcpudp.c icmp_match): type 255 is "any", else the type and a code range.
import { IPPROTO_ICMP } from '../../wire/ipv4.ts';
import { inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const icmpMatch: XtMatch<MatchOf<'icmp'>> = {
  match(m, skb) {
    if (skb.proto !== IPPROTO_ICMP || skb.fragment) return false;
    if (!m.icmpType) return true;
    const t = m.icmpType.value;
    const hit =
      t.type === 0xff || (skb.icmpType === t.type && skb.icmpCode >= t.codeMin && skb.icmpCode <= t.codeMax);
    return inv(hit, m.icmpType.invert);
  },
};
