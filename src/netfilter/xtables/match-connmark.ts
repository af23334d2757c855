// -m connmark (xt_connmark.c connmark_mt): (ct->mark & mask) == value; no entry, no match
// (whatever the "!").
import { inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const connmarkMatch: XtMatch<MatchOf<'connmark'>> = {
  check: (m, caps) => needs(m.module, 'the conntrack entry (skb.env)', caps.env),
  match(m, skb) {
    if (skb.ct < 0 || !skb.env) return false;
    const ctmark = skb.env.conntrack.mark[skb.ct]!;
    return inv((ctmark & m.mark.value.mask) >>> 0 === m.mark.value.value, m.mark.invert);
  },
};
