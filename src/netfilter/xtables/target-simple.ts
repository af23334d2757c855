// The targets whose effect a simulation cannot see, accepted and passed over (XT_CONTINUE) with a
// note for the trace: AUDIT (an audit record), CHECKSUM --checksum-fill (fills checksums the NIC
// would; natbox's packets always carry full ones), IDLETIMER (a sysfs timer), LED (an LED
// trigger), SECMARK and CONNSECMARK (SELinux labels); and CLASSIFY, which sets skb->priority.
import { onlyChains, onlyTables, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

const cont = (): number => XT_CONTINUE;

export const auditTarget: XtTarget<TargetOf<'AUDIT'>> = {
  run: cont,
  note: 'AUDIT writes an audit record; nothing a simulation sees',
};

export const checksumTarget: XtTarget<TargetOf<'CHECKSUM'>> = {
  check: (_t, table) => onlyTables('CHECKSUM', table, 'mangle'),
  run: cont,
  note: "CHECKSUM --checksum-fill: natbox's packets always carry a full checksum, nothing to fill",
};

export const idletimerTarget: XtTarget<TargetOf<'IDLETIMER'>> = {
  run: cont,
  note: 'IDLETIMER restarts a sysfs timer; nothing a simulation sees',
};

export const ledTarget: XtTarget<TargetOf<'LED'>> = {
  run: cont,
  note: 'LED blinks an LED trigger; nothing a simulation sees',
};

export const secmarkTarget: XtTarget<TargetOf<'SECMARK'>> = {
  check: (_t, table) => onlyTables('SECMARK', table, 'mangle', 'security'),
  run: cont,
  note: 'SECMARK sets an SELinux label; natbox has no SELinux, nothing a simulation sees',
};

export const connsecmarkTarget: XtTarget<TargetOf<'CONNSECMARK'>> = {
  check: (_t, table) => onlyTables('CONNSECMARK', table, 'mangle', 'security'),
  run: cont,
  note: 'CONNSECMARK copies an SELinux label; natbox has no SELinux, nothing a simulation sees',
};

/** xt_CLASSIFY.c classify_tg: skb->priority = the class (read by the qdiscs natbox does not model). */
export const classifyTarget: XtTarget<TargetOf<'CLASSIFY'>> = {
  check: (_t, _table, chain) => onlyChains('CLASSIFY', chain, 'OUTPUT', 'FORWARD', 'POSTROUTING'),
  run(t, skb) {
    skb.priority = t.priority;
    return XT_CONTINUE;
  },
};
