// -m set (xt_set.c set_match_v4): membership in one of the host's ipset sets. A set the host does
// not have was refused when the scenario loaded.
import { inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const setMatch: XtMatch<MatchOf<'set'>> = {
  check: (m, caps) => needs(m.module, "the host's ipset sets (skb.env)", caps.env),
  match(m, skb) {
    const set = skb.env?.ipsets?.get(m.set);
    return inv(set !== undefined && set.has(skb, m.dirs), m.invert);
  },
};
