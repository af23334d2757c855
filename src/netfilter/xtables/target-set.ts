// SET (xt_set.c set_target_v3): adds the packet to, or deletes it from, the host's ipset sets
// (xtables/set.ts; each host has its own, as the kernel's sets are per network namespace), then
// the walk goes on (XT_CONTINUE). --add-set NAME FLAGS with --exist (an entry already there has its
// timeout rewritten; without it the entry is left as it is) and --timeout N (seconds; the set's
// default when absent; only for a set created with `timeout`), --del-set NAME FLAGS. The sets a
// rule names were checked to exist when the rules loaded (rules/ipset.ts checkSetsExist).
// --map-set is refused: natbox's sets keep no skbinfo extension (mark, priority, queue) per entry.
import { IpSetMatcher } from './set.ts';
import { notSimulated, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

/** IPSET_MAX_TIMEOUT: set_target_v3 normalizes a larger --timeout to it. */
const IPSET_MAX_TIMEOUT = 2147483;

export const setTarget: XtTarget<TargetOf<'SET'>> = {
  check: (t) =>
    t.map
      ? notSimulated('SET --map-set', 'natbox sets keep no skbinfo (mark, priority, queue) per entry')
      : undefined,
  run(t, skb) {
    const sets = skb.env?.ipsets;
    if (sets === undefined) return XT_CONTINUE;
    if (t.add) {
      const set = sets.get(t.add.name);
      const timeout = t.timeout === undefined ? -1 : Math.min(t.timeout, IPSET_MAX_TIMEOUT);
      if (set instanceof IpSetMatcher) set.addSkb(skb, t.add.dirs, timeout, t.exist);
    }
    if (t.del) {
      const set = sets.get(t.del.name);
      if (set instanceof IpSetMatcher) set.delSkb(skb, t.del.dirs);
    }
    return XT_CONTINUE;
  },
};
