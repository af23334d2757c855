// -m length (xt_length.c length_mt): the IP total length within min..max.
import { inRange, inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const lengthMatch: XtMatch<MatchOf<'length'>> = {
  match: (m, skb) => inv(inRange(skb.len, m.length.value), m.length.invert),
};
