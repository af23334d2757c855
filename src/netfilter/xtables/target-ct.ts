// CT (xt_CT.c) and NOTRACK: in the raw table only. --notrack: the packet skips conntrack (and so
// NAT), -m state sees UNTRACKED. A helper, a timeout policy, events or a zone are read and
// printed; natbox does not simulate them (refused by name).
import { CT_UNTRACKED } from '../core/skb.ts';
import { NOTRACK } from '../core/verdict.ts';
import { notSimulated, onlyTables, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

export const ctTarget: XtTarget<TargetOf<'CT'>> = {
  check(t, table) {
    const where = onlyTables('CT', table, 'raw');
    if (where) return where;
    if (t.helper) return notSimulated('CT --helper', 'natbox has no conntrack helpers');
    if (t.timeout) return notSimulated('CT --timeout', 'natbox has no timeout policies (nfct)');
    if (t.zone || t.zoneFlags) return notSimulated('CT --zone', 'natbox has one conntrack zone');
    if (t.ctEvents || t.expEvents)
      return notSimulated('CT --ctevents/--expevents', 'natbox reports every conntrack event');
    return undefined;
  },
  run(t, skb) {
    if (t.notrack) {
      skb.ct = NOTRACK;
      skb.ctinfo = CT_UNTRACKED;
    }
    return XT_CONTINUE;
  },
};

export const notrackTarget: XtTarget<TargetOf<'NOTRACK'>> = {
  check: (_t, table) => onlyTables('NOTRACK', table, 'raw'),
  run(_t, skb) {
    skb.ct = NOTRACK;
    skb.ctinfo = CT_UNTRACKED;
    return XT_CONTINUE;
  },
};
