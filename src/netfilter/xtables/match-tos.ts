// -m tos (xt_dscp.c tos_mt): (TOS byte & mask) == value.
import { inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const tosMatch: XtMatch<MatchOf<'tos'>> = {
  match: (m, skb) => inv((skb.buf[skb.off + 1]! & m.tos.value.mask) === m.tos.value.value, m.tos.invert),
};
