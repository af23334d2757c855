// -m connlabel (xt_connlabel.c connlabel_mt): whether the entry has label bit `bit`; with --set
// the bit is set when it was not (and the match then holds). No entry, or an entry made before
// labels were in use, gives the "!" alone. A ruleset with -m connlabel turns labels on
// (nf_connlabels_get in connlabel_mt_check; ctExtensions in check.ts).
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const connlabelMatch: XtMatch<MatchOf<'connlabel'>> = {
  check: (m, caps) => needs(m.module, 'the conntrack entry (skb.env)', caps.env),
  match(m, skb) {
    const labels = skb.env?.conntrack.labels;
    if (skb.ct < 0 || labels === undefined) return m.invert;
    const w = skb.ct * 4 + (m.bit >>> 5);
    const b = 1 << (m.bit & 31);
    if ((labels[w]! & b) !== 0) return !m.invert;
    if (m.set) {
      labels[w]! |= b;
      return !m.invert;
    }
    return m.invert;
  },
  describe: (m, skb) =>
    skb.ct < 0
      ? '-m connlabel: no conntrack entry'
      : `-m connlabel: label ${m.bit} is ${m.invert ? '' : 'not '}set on the connection`,
};
