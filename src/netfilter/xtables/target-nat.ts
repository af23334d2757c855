// DNAT, SNAT (xt_nat.c), MASQUERADE (xt_MASQUERADE.c), REDIRECT (xt_REDIRECT.c) and NETMAP
// (xt_NETMAP.c): each turned into the kernel's nf_nat_range2 and handed to the engine's
// nf_nat_setup_info (NfTableEnv.bindNat). Only in the nat table, at the hooks the kernel allows.
import type { NatFlags, NatRange } from '../../rules/iptables/model.ts';
import { NF_INET_LOCAL_OUT, NF_INET_PRE_ROUTING } from '../core/hooks.ts';
import { T_ACCEPT, T_DROP } from '../core/table.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_OFFSET,
  NF_NAT_RANGE_PROTO_RANDOM,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatRangeN,
} from '../nat/nat-core.ts';
import { onlyChains, onlyTables, type TargetOf, type XtTarget } from './xt-target.ts';

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

/** The nat table and the chains of `hooks`. */
const natCheck =
  (name: string, ...hooks: string[]) =>
  (_t: unknown, table: Parameters<typeof onlyTables>[1], chain: string | undefined): string | undefined =>
    onlyTables(name, table, 'nat') ?? onlyChains(name, chain, ...hooks);

function checkRanges(t: TargetOf<'DNAT' | 'SNAT'>): string | undefined {
  if (t.kind === 'SNAT' && t.ranges.some((r) => r.basePort !== undefined))
    return `target ${t.kind} with a base port ("/port" shift) is parsed and printed but not simulated yet`;
  if (t.ranges.length > 1) return `target ${t.kind} with several ranges is not supported`;
  return undefined;
}

export const dnatTarget: XtTarget<TargetOf<'DNAT'>> = {
  check: (t, table, chain) => natCheck('DNAT', 'PREROUTING', 'OUTPUT')(t, table, chain) ?? checkRanges(t),
  run: (t, skb, _hook, now, ctx) =>
    ctx.env.bindNat(skb, MANIP_DST, ctx.natRange(t), now) ? T_ACCEPT : T_DROP,
};

export const snatTarget: XtTarget<TargetOf<'SNAT'>> = {
  check: (t, table, chain) => natCheck('SNAT', 'POSTROUTING', 'INPUT')(t, table, chain) ?? checkRanges(t),
  run: (t, skb, _hook, now, ctx) =>
    ctx.env.bindNat(skb, MANIP_SRC, ctx.natRange(t), now) ? T_ACCEPT : T_DROP,
};

export const masqueradeTarget: XtTarget<TargetOf<'MASQUERADE'>> = {
  check: natCheck('MASQUERADE', 'POSTROUTING'),
  run(t, skb, _hook, now, ctx) {
    // nf_nat_masquerade_ipv4: the out interface's address towards the next hop.
    const addr = ctx.env.host.masqueradeAddress(skb.outIf, skb.dst);
    if (addr === 0) return T_DROP;
    if (!ctx.env.bindNat(skb, MANIP_SRC, ctx.scratch(addr, t.ports, natFlags(t.flags)), now)) return T_DROP;
    ctx.env.tagMasquerade(skb.ct, skb.outIf);
    return T_ACCEPT;
  },
};

export const redirectTarget: XtTarget<TargetOf<'REDIRECT'>> = {
  check: natCheck('REDIRECT', 'PREROUTING', 'OUTPUT'),
  run(t, skb, hook, now, ctx) {
    // nf_nat_redirect_ipv4: the in interface's primary address (127.0.0.1 when local).
    const addr = hook === NF_INET_LOCAL_OUT ? 0x7f000001 : ctx.env.host.primaryAddress(skb.inIf);
    if (addr === 0) return T_DROP;
    return ctx.env.bindNat(skb, MANIP_DST, ctx.scratch(addr, t.ports, natFlags(t.flags)), now)
      ? T_ACCEPT
      : T_DROP;
  },
};

export const netmapTarget: XtTarget<TargetOf<'NETMAP'>> = {
  check: (_t, table) => onlyTables('NETMAP', table, 'nat'),
  run(t, skb, hook, now, ctx) {
    // xt_NETMAP.c: keep the host part of the address, put in the network part of --to.
    const manip = hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_OUT ? MANIP_DST : MANIP_SRC;
    const old = manip === MANIP_DST ? skb.dst : skb.src;
    const addr = ((t.to.addr & t.to.mask) | (old & ~t.to.mask)) >>> 0;
    return ctx.env.bindNat(skb, manip, ctx.scratch(addr, undefined, 0), now) ? T_ACCEPT : T_DROP;
  },
};
