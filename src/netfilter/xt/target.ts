// Targets as netfilter runs them: the verdicts (ACCEPT, DROP, RETURN, jump, goto), REJECT (a drop
// that makes the host answer), LOG (recorded only), and the NAT targets, turned into the kernel's
// nf_nat_range2 (xt_nat.c, xt_MASQUERADE.c, xt_REDIRECT.c). checkTarget() refuses what natbox
// cannot model yet and targets in chains where the kernel forbids them.
import type { NatFlags, NatRange, Target } from '../../rules/model.ts';
import {
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_RANDOM,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
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
  return {
    minAddr: r.minAddr,
    maxAddr: r.maxAddr,
    minPort: r.hasPorts ? r.minPort : 0,
    maxPort: r.hasPorts ? r.maxPort : 0,
    flags:
      (r.hasAddr ? NF_NAT_RANGE_MAP_IPS : 0) | (r.hasPorts ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | natFlags(f),
  };
}

const NAT_HOOKS: Record<string, readonly string[]> = {
  DNAT: ['PREROUTING', 'OUTPUT'],
  REDIRECT: ['PREROUTING', 'OUTPUT'],
  SNAT: ['POSTROUTING', 'INPUT'],
  MASQUERADE: ['POSTROUTING'],
};

/** Why natbox cannot run this target here, or undefined. `chain` is the built-in chain, if any. */
export function checkTarget(t: Target, table: string, builtinChain: string | undefined): string | undefined {
  if (t.kind === 'other') return `unsupported target "${t.name}"`;
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
