// -m iprange (xt_iprange.c iprange_mt4): source and/or destination within an address range.
import { inRange, inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const iprangeMatch: XtMatch<MatchOf<'iprange'>> = {
  match(m, skb) {
    if (m.src && !inv(inRange(skb.src, m.src.value), m.src.invert)) return false;
    if (m.dst && !inv(inRange(skb.dst, m.dst.value), m.dst.invert)) return false;
    return true;
  },
};
