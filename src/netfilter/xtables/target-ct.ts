// CT (xt_CT.c) and NOTRACK: in the raw table only. --notrack: the packet skips conntrack (and so
// NAT), -m state sees UNTRACKED. Otherwise CT attaches a template (xt_ct_target): its zone
// (--zone, --zone-orig, --zone-reply, a number or `mark`) is the zone conntrack looks the packet up
// in and makes its entry in (conntrack/zone.ts). A packet with a conntrack or a template already is
// left alone. --helper ftp or tftp attaches that conntrack helper to the connection the packet
// makes (conntrack/helper.ts); other helpers, a timeout policy or events are read and printed;
// natbox does not simulate them (refused by name).
import { XT_CT_ZONE_DIR_ORIG, XT_CT_ZONE_DIR_REPL, XT_CT_ZONE_MARK } from '../../rules/iptables/model.ts';
import { ctTemplate, NF_CT_ZONE_DIR_ORIG, NF_CT_ZONE_DIR_REPL } from '../conntrack/zone.ts';
import { helperIndex } from '../conntrack/helper.ts';
import { CT_UNTRACKED, type Skb } from '../core/skb.ts';
import { NOTRACK } from '../core/verdict.ts';
import { notSimulated, onlyTables, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

export const ctTarget: XtTarget<TargetOf<'CT'>> = {
  check(t, table) {
    const where = onlyTables('CT', table, 'raw');
    if (where) return where;
    if (t.helper && helperIndex(t.helper) === 0)
      return notSimulated(`CT --helper ${t.helper}`, 'natbox has the ftp and tftp helpers only');
    if (t.timeout) return notSimulated('CT --timeout', 'natbox has no timeout policies (nfct)');
    if (t.ctEvents || t.expEvents)
      return notSimulated('CT --ctevents/--expevents', 'natbox reports every conntrack event');
    return undefined;
  },
  run(t, skb) {
    if (hasConntrack(skb)) return XT_CONTINUE;
    if (t.notrack) {
      skb.ct = NOTRACK;
      skb.ctinfo = CT_UNTRACKED;
    } else {
      // xt_ct_tg_check: the zone's directions from the flags (none: both), NF_CT_FLAG_MARK.
      const f = t.zoneFlags;
      const dir =
        (f & XT_CT_ZONE_DIR_ORIG ? NF_CT_ZONE_DIR_ORIG : 0) |
        (f & XT_CT_ZONE_DIR_REPL ? NF_CT_ZONE_DIR_REPL : 0);
      skb.ctZone = ctTemplate(t.zone, dir, (f & XT_CT_ZONE_MARK) !== 0);
      // xt_ct_set_helper: the template's helper (checked in check()).
      if (t.helper) skb.ctHelper = helperIndex(t.helper);
    }
    return XT_CONTINUE;
  },
};

export const notrackTarget: XtTarget<TargetOf<'NOTRACK'>> = {
  check: (_t, table) => onlyTables('NOTRACK', table, 'raw'),
  run(_t, skb) {
    if (hasConntrack(skb)) return XT_CONTINUE;
    skb.ct = NOTRACK;
    skb.ctinfo = CT_UNTRACKED;
    return XT_CONTINUE;
  },
};

/** xt_ct_target's `if (skb->_nfct != 0) return XT_CONTINUE`: a conntrack, untracked, or a template. */
function hasConntrack(skb: Skb): boolean {
  return skb.ct !== -1 || skb.ctZone !== 0 || skb.ctHelper !== 0;
}
