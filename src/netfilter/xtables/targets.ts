// The engine's targets by -j name: the registry the table walk (table.ts) runs every target but
// the verdicts with, and checkRuleset (check.ts) asks. Adding a target is a file target-<name>.ts
// (an XtTarget) and one line here; see docs/adding-a-match.md. The type makes the list complete:
// every target kind of the model but the verdicts has an entry.
import type { ExtTargetKind, TargetOf } from '../../rules/iptables/model.ts';
import type { XtTarget } from './xt-target.ts';
import { ctTarget, notrackTarget } from './target-ct.ts';
import { logTarget, nflogTarget, traceTarget } from './target-log.ts';
import { connmarkTarget, markTarget } from './target-mark.ts';
import { dnatTarget, masqueradeTarget, netmapTarget, redirectTarget, snatTarget } from './target-nat.ts';
import { rejectTarget } from './target-reject.ts';
import { tcpmssTarget } from './target-tcpmss.ts';
import {
  auditTarget,
  checksumTarget,
  classifyTarget,
  connsecmarkTarget,
  idletimerTarget,
  ledTarget,
  secmarkTarget,
} from './target-simple.ts';
import { dscpTarget, ecnTarget, tosTarget, ttlTarget } from './target-iphdr.ts';
import { nfqueueTarget } from './target-nfqueue.ts';
import { setTarget } from './target-set.ts';
import { clusteripTarget, rateestTarget } from './target-refused.ts';
import { tproxyTarget } from './target-tproxy.ts';
import { synproxyTarget } from './target-synproxy.ts';
import { teeTarget } from './target-tee.ts';
import { hmarkTarget } from './target-hmark.ts';
import { tcpoptstripTarget } from './target-tcpoptstrip.ts';

export type TargetRegistry = { readonly [K in ExtTargetKind]: XtTarget<TargetOf<K>> };

/**
 * The same three members in the same order for every entry: the walk's per-packet load of `run`
 * then sees one object shape, not one per target (as `entry()` in matches.ts).
 */
function entry<T extends TargetOf<ExtTargetKind>>(x: XtTarget<T>): XtTarget<T> {
  return { check: x.check, run: x.run, note: x.note };
}

/** An object literal (fast properties: the per-packet `XT_TARGETS[t.kind]` is a cheap keyed load). */
export const XT_TARGETS: TargetRegistry = {
  DNAT: entry(dnatTarget),
  SNAT: entry(snatTarget),
  MASQUERADE: entry(masqueradeTarget),
  REDIRECT: entry(redirectTarget),
  REJECT: entry(rejectTarget),
  LOG: entry(logTarget),
  MARK: entry(markTarget),
  CONNMARK: entry(connmarkTarget),
  CT: entry(ctTarget),
  NOTRACK: entry(notrackTarget),
  TRACE: entry(traceTarget),
  NETMAP: entry(netmapTarget),
  TCPMSS: entry(tcpmssTarget),
  NFLOG: entry(nflogTarget),
  AUDIT: entry(auditTarget),
  CHECKSUM: entry(checksumTarget),
  CLASSIFY: entry(classifyTarget),
  CLUSTERIP: entry(clusteripTarget),
  CONNSECMARK: entry(connsecmarkTarget),
  DSCP: entry(dscpTarget),
  ECN: entry(ecnTarget),
  HMARK: entry(hmarkTarget),
  IDLETIMER: entry(idletimerTarget),
  LED: entry(ledTarget),
  NFQUEUE: entry(nfqueueTarget),
  RATEEST: entry(rateestTarget),
  SECMARK: entry(secmarkTarget),
  SET: entry(setTarget),
  SYNPROXY: entry(synproxyTarget),
  TCPOPTSTRIP: entry(tcpoptstripTarget),
  TEE: entry(teeTarget),
  TOS: entry(tosTarget),
  TPROXY: entry(tproxyTarget),
  TTL: entry(ttlTarget),
};

/** The entry for `t`, typed for a caller that does not know which target it is. */
export const xtTarget = (t: TargetOf<ExtTargetKind>): XtTarget<TargetOf<ExtTargetKind>> =>
  XT_TARGETS[t.kind] as unknown as XtTarget<TargetOf<ExtTargetKind>>;
