// -m mark (xt_mark.c mark_mt): (skb->mark & mask) == value.
import { inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const markMatch: XtMatch<MatchOf<'mark'>> = {
  match: (m, skb) => inv((skb.mark & m.mark.value.mask) >>> 0 === m.mark.value.value, m.mark.invert),
};
