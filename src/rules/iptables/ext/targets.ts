// The iptables front end's target extensions by -j name: one file ext/target-<name>.ts each (a
// TargetExt: parser, save and print forms, model type). parse-targets.ts takes its parsers from
// here, print-save.ts / print-list.ts their forms. The verdicts and chains (ACCEPT, DROP, RETURN,
// a user chain) are parse-targets.ts's own. Adding a target: see docs/adding-a-match.md.
import type { ExtTargetKind, Target, TargetOf } from '../model.ts';
import type { TargetExt } from './target-ext.ts';
import { CT, NOTRACK } from './target-ct.ts';
import { LOG } from './target-log.ts';
import { CONNMARK, MARK } from './target-mark.ts';
import { DNAT, MASQUERADE, REDIRECT, SNAT } from './target-nat.ts';
import { NETMAP } from './target-netmap.ts';
import { NFLOG } from './target-nflog.ts';
import { REJECT } from './target-reject.ts';
import { TCPMSS } from './target-tcpmss.ts';
import { TRACE } from './target-trace.ts';
import { AUDIT, CHECKSUM, CLASSIFY, CONNSECMARK, IDLETIMER, LED, SECMARK } from './target-simple.ts';
import { DSCP, ECN, TOS, TTL } from './target-iphdr.ts';
import { NFQUEUE } from './target-nfqueue.ts';
import { SET } from './target-set.ts';
import { CLUSTERIP, SYNPROXY, TEE, TPROXY } from './target-proxy.ts';
import { HMARK } from './target-hmark.ts';
import { RATEEST } from './target-rateest.ts';
import { TCPOPTSTRIP } from './target-tcpoptstrip.ts';

export type { Placement, TargetExt } from './target-ext.ts';

/** Every extension target by its -j name; a mapped type, so a model kind without one does not compile. */
export const TARGET_EXTS: { readonly [K in ExtTargetKind]: TargetExt<TargetOf<K>> } = {
  DNAT,
  SNAT,
  MASQUERADE,
  REDIRECT,
  REJECT,
  LOG,
  MARK,
  CONNMARK,
  CT,
  NOTRACK,
  TRACE,
  NETMAP,
  TCPMSS,
  NFLOG,
  AUDIT,
  CHECKSUM,
  CLASSIFY,
  CLUSTERIP,
  CONNSECMARK,
  DSCP,
  ECN,
  HMARK,
  IDLETIMER,
  LED,
  NFQUEUE,
  RATEEST,
  SECMARK,
  SET,
  SYNPROXY,
  TCPOPTSTRIP,
  TEE,
  TOS,
  TPROXY,
  TTL,
};

/** The extension of a model target (every kind but the verdicts and `other`). */
export const targetExtOf = (t: TargetOf<ExtTargetKind>): TargetExt<Target> =>
  TARGET_EXTS[t.kind] as unknown as TargetExt<Target>;

/** Whether `name` is a -j name with an extension. */
export const isExtTarget = (name: string): name is ExtTargetKind => Object.hasOwn(TARGET_EXTS, name);
