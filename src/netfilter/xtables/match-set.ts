// -m set (xt_set.c set_match_v4): membership in one of the host's ipset sets. A set the host does
// not have was refused when the scenario loaded.
import { inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const setMatch: XtMatch<MatchOf<'set'>> = {
  // --packets-*/--bytes-* test an entry's counters, which the kernel keeps only in a set created
  // with `counters` (ip_set_match_extensions ignores them otherwise); natbox's sets keep none, so
  // such a rule is refused rather than evaluated either way. --return-nomatch and `!
  // --update-counters`/`--update-subcounters` change nothing on sets without nomatch entries or
  // counters, which are the only ones natbox has.
  check: (m, caps) =>
    m.packets || m.bytes
      ? `match "set" with --${m.packets ? 'packets' : 'bytes'}-* is read and printed but natbox cannot simulate it: its sets keep no per-entry packet and byte counters`
      : needs(m.module, "the host's ipset sets (skb.env)", caps.env),
  match(m, skb) {
    const set = skb.env?.ipsets?.get(m.set);
    return inv(set !== undefined && set.has(skb, m.dirs), m.invert);
  },
};
