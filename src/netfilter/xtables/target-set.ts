// SET (xt_set.c set_target_v3): adds the packet to, or deletes it from, ipset sets. natbox's
// sets (xtables/set.ts) are read-only for now: the target is read, printed and refused here.
import { T_DROP } from '../core/table.ts';
import { notSimulated, type TargetOf, type XtTarget } from './xt-target.ts';

export const setTarget: XtTarget<TargetOf<'SET'>> = {
  check: (t) =>
    t.map
      ? notSimulated('SET --map-set', 'natbox sets keep no skbinfo (mark, priority, queue) per entry')
      : notSimulated('SET', "natbox's ipset sets are read-only (no add or delete from a rule yet)"),
  run: () => T_DROP,
};
