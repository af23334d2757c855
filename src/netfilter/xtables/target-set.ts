// SET (xt_set.c set_target_v3): adds the packet to, or deletes it from, the host's ipset sets
// (xtables/set.ts; each host has its own, as the kernel's sets are per network namespace), then
// the walk goes on (XT_CONTINUE). --add-set NAME FLAGS with --exist (an entry already there has its
// timeout rewritten; without it the entry is left as it is) and --timeout N (seconds; the set's
// default when absent; only for a set created with `timeout`), --del-set NAME FLAGS. The sets a
// rule names were checked to exist when the rules loaded (rules/ipset.ts checkSetsExist).
// --map-set NAME FLAGS: when the packet is in the set, --map-mark applies the entry's skbmark
// (mark = (mark & ~mask) ^ skbmark), --map-prio its skbprio; --map-queue changes nothing natbox
// sees (its devices have one queue). An entry without skbinfo reads as zeros, as in the kernel.
import { IpSetMatcher } from './set.ts';
import { XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

/** IPSET_MAX_TIMEOUT: set_target_v3 normalizes a larger --timeout to it. */
const IPSET_MAX_TIMEOUT = 2147483;

export const setTarget: XtTarget<TargetOf<'SET'>> = {
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
    if (t.map) {
      const set = sets.get(t.map.name);
      const info = set instanceof IpSetMatcher ? set.mapInfo(skb, t.map.dirs) : undefined;
      if (info === undefined) return XT_CONTINUE;
      if (t.mapMark) skb.mark = ((skb.mark & ~info.mask) ^ info.mark) >>> 0;
      if (t.mapPrio) skb.priority = info.prio;
      // --map-queue: natbox's devices have one transmit queue; only queue 0 is taken (a no-op).
    }
    return XT_CONTINUE;
  },
};
