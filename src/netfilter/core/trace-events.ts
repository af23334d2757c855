// What netfilter tells a tracer, when one is attached: hooks entered, rules that matched, chain
// policies, conntrack changes and NAT rewrites. Plain callbacks with numbers and references; the
// trace layer turns them into steps and words. With no tracer attached nothing here runs.

/**
 * A rule as a tracer receives it, from whichever front end owns it (iptables today, nft next): the
 * core never looks inside; the trace layer prints it in its language (trace/rule-text.ts). Made
 * once per rule when tracing is on, never per packet.
 */
export interface TracedRule {
  /** The rules language: `iptables`, later `nft`. */
  readonly lang: string;
}

export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export interface NatChange {
  readonly manip: 'SNAT' | 'DNAT';
  /** Addresses and ports before and after (ICMP: the echo id in the port slots). */
  readonly before: readonly [src: number, dst: number, sport: number, dport: number];
  readonly after: readonly [src: number, dst: number, sport: number, dport: number];
  /** 'rule': the nat table chose it (first packet); 'mapping': taken from the conntrack entry. */
  readonly by: 'rule' | 'null-binding' | 'mapping';
}

export interface NfTracer {
  /** A rule whose matches all held; `index` is 1-based within its chain. */
  rule(hook: HookName, table: string, chain: string, index: number, rule: TracedRule): void;
  /** A rule tried that did not match, and why (the first criterion that failed, in words). */
  ruleMiss(hook: HookName, table: string, chain: string, index: number, rule: TracedRule, why: string): void;
  /** The end of a built-in chain was reached and its policy applied. */
  policy(hook: HookName, table: string, chain: string, policy: string): void;
  /** The packet's conntrack classification at this hook (entry -1 when none). */
  conntrack(hook: HookName, ctinfo: number, entry: number, created: boolean): void;
  /** A conntrack event as `conntrack -E` reports it: NEW when the entry is confirmed (its reply
   * tuple already NATed), UPDATE when its state or status changed. */
  ctEvent(kind: 'NEW' | 'UPDATE', entry: number): void;
  nat(hook: HookName, change: NatChange): void;
  /** The nat table found no rule for a new connection: a null binding (identity) was set up. */
  nullBinding(hook: HookName, manip: 'SNAT' | 'DNAT', changedPort: boolean): void;
}
