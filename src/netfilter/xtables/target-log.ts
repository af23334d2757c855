// LOG (xt_LOG.c), NFLOG (xt_NFLOG.c) and TRACE (xt_TRACE.c): they report the packet to a log, a
// netlink group or the trace; natbox's trace shows the rule that matched, the walk goes on.
import { XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

const cont = (): number => XT_CONTINUE;

export const logTarget: XtTarget<TargetOf<'LOG'>> = { run: cont };
export const nflogTarget: XtTarget<TargetOf<'NFLOG'>> = { run: cont };
export const traceTarget: XtTarget<TargetOf<'TRACE'>> = { run: cont };
