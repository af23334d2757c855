// The seam between the engine and a rules front end. The core knows tables only through NfTable:
// something with chains at some hooks, each at a priority, that gives a verdict for a packet. The
// iptables tables (xtables/table.ts) implement it today; an nftables evaluator implements the same
// interface beside them. What a table may ask of the engine (NAT bindings, the host's addresses)
// comes through NfTableEnv, so a front end imports nothing of the engine but these interfaces.
import type { NatRangeN } from '../nat/nat-core.ts';
import type { Skb } from './skb.ts';
import type { NfTracer } from './trace-events.ts';

/**
 * NfTable.run's outcomes: the walk ended in DROP, ACCEPT (or the policy said so), REJECT, or a
 * target took the packet (NF_STOLEN: SYNPROXY answered it in the server's place).
 */
export const T_DROP = 0;
export const T_ACCEPT = 1;
export const T_REJECT = 2;
export const T_STOLEN = 3;

export interface NfTable {
  /** The table's name as the trace shows it. */
  readonly name: string;
  /** What `Skb.dropTable` says when this table drops a packet (DROP_TABLES index; 0: none). */
  readonly dropTable: number;
  /**
   * A nat-type table: the NAT hook runs it for a connection's first packet only, after the
   * nat tables before it at that hook and until one of them has bound the connection
   * (nf_nat_inet_fn); it is not a hook entry of its own.
   */
  readonly nat: boolean;
  /** The priority of this table's chain at `hook` (NF_INET_*), or undefined when it has none. */
  priorityAt(hook: number): number | undefined;
  /** Walks the table's chain at `hook` for `skb`: T_ACCEPT, T_DROP or T_REJECT. */
  run(hook: number, skb: Skb, now: number, tracer: NfTracer | undefined): number;
}

/** What the engine needs to know about its host (addresses for MASQUERADE and REDIRECT). */
export interface NfHost {
  /** inet_select_addr: the source address for packets out of `outIf` towards `nexthop`. */
  masqueradeAddress(outIf: string, nexthop: number): number;
  /** The primary address of `inIf` (REDIRECT), 0 when it has none. */
  primaryAddress(inIf: string): number;
  /** Sends a copy TEE made as the host's own packet (nf_dup_ipv4, dup.ts); absent: no copies. */
  dup?(ip: Uint8Array, gw: number, oif: string, mark: number, orig: Uint8Array): void;
  /**
   * Sends a packet SYNPROXY made (ip_local_out) with its conntrack attachment: entry `ct` (-1 none,
   * NOTRACK) in direction `dir` with `ctinfo`, or the synproxy template when `tmpl`.
   */
  synproxySend?(ip: Uint8Array, ct: number, dir: number, ctinfo: number, tmpl: boolean): void;
  /** The simulation time, seconds (when rules are loaded: their set elements' expiries count from it). */
  now?(): number;
}

/** struct nf_synproxy_info: a SYNPROXY rule's options (SYNPROXY_OPT_* bits), window scale and MSS. */
export interface SynproxyInfo {
  readonly options: number;
  readonly wscale: number;
  readonly mss: number;
}

/** What the engine offers a table's targets. */
export interface NfTableEnv {
  readonly host: NfHost;
  /** nf_nat_setup_info for `skb`'s connection (xt_nat.c and friends): false when no tuple is free. */
  bindNat(skb: Skb, manip: number, range: NatRangeN, now: number): boolean;
  /** nf_nat_masquerade_ipv4 bound entry `e` through `ifname` (for the device notifier). */
  tagMasquerade(e: number, ifname: string): void;
  /** TEE: a copy of `skb` for `gw` (nf_dup_ipv4), sent once the table's walk is over (dup.ts). */
  dup?(skb: Skb, gw: number, oif: string, hook: number): void;
  /**
   * SYNPROXY's target on `skb` (core/synproxy.ts): T_STOLEN, T_DROP, or -1 (XT_CONTINUE: not
   * its business). Absent when the engine has no SYNPROXY (the front end said it needs none).
   */
  synproxy?(skb: Skb, info: SynproxyInfo, now: number, nft?: boolean): number;
}

/**
 * A rules front end beside iptables (nftables): its tables, made once the engine's NfTableEnv
 * exists (NfConfig.frontEnds).
 */
export interface NfFrontEnd {
  /** Whether its rules need connection tracking (ct expressions, NAT). */
  readonly needsConntrack: boolean;
  /** Whether its rules have a `synproxy` statement (the engine then has SYNPROXY's hooks). */
  readonly needsSynproxy?: boolean;
  /** The conntrack extensions its rules turn on when loaded: accounting, labels (nft_ct_get_init). */
  readonly ctExtensions?: { readonly acct: boolean; readonly labels: boolean };
  /** Its tables for a new engine; `prev`: what it made for the engine this one replaces. */
  tables(env: NfTableEnv, prev: readonly NfTable[] | undefined): readonly NfTable[];
}
