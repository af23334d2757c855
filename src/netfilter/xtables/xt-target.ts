// What one target is to the engine (the kernel's struct xt_target): whether natbox can run it in
// this table and chain (check, as checkentry plus what natbox does not simulate), and what it does
// to a packet (run: a verdict, or XT_CONTINUE for the next rule). Each target is one file,
// target-<name>.ts, listed in targets.ts; the table walk (table.ts) calls it and carries out the
// verdicts itself (ACCEPT, DROP, RETURN, jumps).
import type { TableName, Target, TargetOf } from '../../rules/iptables/model.ts';
import type { NatRangeN } from '../nat/nat-core.ts';
import type { Skb } from '../core/skb.ts';
import type { NfTableEnv } from '../core/table.ts';

export type { TargetOf } from '../../rules/iptables/model.ts';

/** XT_CONTINUE: a non-terminal target; the walk goes on with the next rule. */
export const XT_CONTINUE = -1;

/** What the table running a target offers it: the engine (NAT bindings, the host) and NAT ranges. */
export interface XtTargetCtx {
  readonly env: NfTableEnv;
  /** DNAT's and SNAT's range in numbers, made once per target. */
  natRange(t: TargetOf<'DNAT' | 'SNAT'>): NatRangeN;
  /** A one-address range with `ports` (MASQUERADE, REDIRECT, NETMAP): a reused object. */
  scratch(addr: number, ports: { min: number; max: number } | undefined, flags: number): NatRangeN;
}

/** One target on the engine side. */
export interface XtTarget<T extends Target> {
  /**
   * Why natbox cannot run `t` in `table` (chain `chain`, undefined for a user chain), or
   * undefined: the kernel's checkentry (table and hook restrictions) and what is not simulated.
   */
  check?(t: T, table: TableName, chain: string | undefined): string | undefined;
  /**
   * The target on one packet at `hook` (NF_INET_*): T_ACCEPT, T_DROP, T_REJECT, or XT_CONTINUE.
   * Runs per packet: numbers and bytes only, no allocation.
   */
  run(t: T, skb: Skb, hook: number, now: number, ctx: XtTargetCtx): number;
  /** What the trace says the target did when it has no effect a simulation can see. */
  readonly note?: string;
}

/** `target NAME is only valid in the TABLE table` unless `table` is one of `tables`. */
export function onlyTables(name: string, table: TableName, ...tables: TableName[]): string | undefined {
  return tables.includes(table)
    ? undefined
    : `target ${name} is only valid in the ${tables.join(' and ')} table${tables.length > 1 ? 's' : ''}`;
}

/** `target NAME is only valid in the CHAIN chains` for a built-in chain not in `chains`. */
export function onlyChains(name: string, chain: string | undefined, ...chains: string[]): string | undefined {
  return chain === undefined || chains.includes(chain)
    ? undefined
    : `target ${name} is only valid in the ${chains.join(' and ')} chain${chains.length > 1 ? 's' : ''}`;
}

/** The refusal of a target natbox reads and prints but does not run. */
export const notSimulated = (what: string, why: string): string =>
  `target ${what} is read and printed but not simulated: ${why}`;
