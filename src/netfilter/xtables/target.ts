// Targets as netfilter runs them: the verdicts (ACCEPT, DROP, RETURN, jump, goto), REJECT (a drop
// that makes the host answer), LOG (recorded only), and the NAT targets, turned into the kernel's
// nf_nat_range2 (xt_nat.c, xt_MASQUERADE.c, xt_REDIRECT.c). checkTarget() refuses what natbox
// cannot model yet and targets in chains where the kernel forbids them.
import type { NatFlags, NatRange, Target } from '../../rules/iptables/model.ts';
import type { Skb } from '../core/skb.ts';
import {
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_RANDOM,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
  NF_NAT_RANGE_PROTO_OFFSET,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatRangeN,
} from '../nat/nat-core.ts';

export function natFlags(f: NatFlags): number {
  return (
    (f.random ? NF_NAT_RANGE_PROTO_RANDOM : 0) |
    (f.randomFully ? NF_NAT_RANGE_PROTO_RANDOM_FULLY : 0) |
    (f.persistent ? NF_NAT_RANGE_PERSISTENT : 0)
  );
}

export function toRangeN(r: NatRange, f: NatFlags): NatRangeN {
  const out: NatRangeN = {
    minAddr: r.minAddr,
    maxAddr: r.maxAddr,
    minPort: r.hasPorts ? r.minPort : 0,
    maxPort: r.hasPorts ? r.maxPort : 0,
    flags:
      (r.hasAddr ? NF_NAT_RANGE_MAP_IPS : 0) | (r.hasPorts ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | natFlags(f),
  };
  if (r.basePort !== undefined) {
    out.flags |= NF_NAT_RANGE_PROTO_OFFSET;
    out.basePort = r.basePort;
  }
  return out;
}

const NAT_HOOKS: Record<string, readonly string[]> = {
  DNAT: ['PREROUTING', 'OUTPUT'],
  REDIRECT: ['PREROUTING', 'OUTPUT'],
  SNAT: ['POSTROUTING', 'INPUT'],
  MASQUERADE: ['POSTROUTING'],
};

/** XT_CONTINUE: a non-terminal target; the walk goes on with the next rule. */
export const XT_CONTINUE = -1;

/**
 * The non-terminal targets that only change the packet or its entry (xt_MARK.c mark_tg,
 * xt_connmark.c connmark_tg_shift, xt_TRACE.c, xt_NFLOG.c). Returns XT_CONTINUE. NOTRACK / CT
 * --notrack, NETMAP and TCPMSS need the engine itself (conntrack, NAT, packet rewrite).
 */
export function runXtTarget(t: Target, skb: Skb): number {
  switch (t.kind) {
    case 'MARK':
      skb.mark = ((skb.mark & ~t.mask) ^ t.value) >>> 0;
      return XT_CONTINUE;
    case 'CONNMARK': {
      if (skb.ct < 0 || !skb.env) return XT_CONTINUE;
      const marks = skb.env.conntrack.mark;
      const e = skb.ct;
      if (t.op === 'set') marks[e] = ((marks[e]! & ~t.mask) ^ t.value) >>> 0;
      else if (t.op === 'save') marks[e] = ((marks[e]! & ~t.ctmask) ^ (skb.mark & t.nfmask)) >>> 0;
      else skb.mark = ((skb.mark & ~t.nfmask) ^ (marks[e]! & t.ctmask)) >>> 0;
      return XT_CONTINUE;
    }
    default:
      return XT_CONTINUE; // TRACE, NFLOG: recorded by the trace only
  }
}

const XT_ONLY = new Set(['MARK', 'CONNMARK', 'TRACE', 'NFLOG']);

/**
 * Why natbox cannot run this target here, or undefined. `chain` is the built-in chain, if any;
 * `runs`, the targets of XT_ONLY the caller's table walk hands to runXtTarget.
 */
export function checkTarget(
  t: Target,
  table: string,
  builtinChain: string | undefined,
  runs: ReadonlySet<string>,
): string | undefined {
  if (t.kind === 'other') return `unsupported target "${t.name}"`;
  if (XT_ONLY.has(t.kind) && !runs.has(t.kind))
    return `target ${t.kind} is parsed and printed but the engine does not run it yet: not simulated`;
  if ((t.kind === 'CT' || t.kind === 'NOTRACK') && table !== 'raw')
    return `target ${t.kind} is only valid in the raw table`;
  if (t.kind === 'NETMAP' && table !== 'nat') return 'target NETMAP is only valid in the nat table';
  if (t.kind === 'SNAT' && t.ranges.some((r) => r.basePort !== undefined))
    return `target ${t.kind} with a base port ("/port" shift) is parsed and printed but not simulated yet`;
  const hooks = NAT_HOOKS[t.kind];
  if (hooks) {
    if (table !== 'nat') return `target ${t.kind} is only valid in the nat table`;
    if (builtinChain !== undefined && !hooks.includes(builtinChain)) {
      return `target ${t.kind} is only valid in the ${hooks.join(' and ')} chains`;
    }
    if ((t.kind === 'DNAT' || t.kind === 'SNAT') && t.ranges.length > 1)
      return `target ${t.kind} with several ranges is not supported`;
  }
  return undefined;
}
