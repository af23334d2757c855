// The hook entries, as the kernel's nf_hook_entries: at each of the five IPv4 hooks, an array of
// what runs there, ordered by priority (include/uapi/linux/netfilter_ipv4.h, enum
// nf_ip_hook_priorities). The core registers its own entries (conntrack, NAT, confirm); each table
// of a front end (NfTable) registers at the hooks and priorities it names. The lists are built once
// when the engine is made, from what the ruleset has: an absent table costs nothing per packet.
// The walk is a loop over an array with a switch on the entry's kind: no closures, no objects.
import type { NfTracer } from './trace-events.ts';
import type { Skb } from './skb.ts';
import { DropReason } from './drop.ts';
import { T_ACCEPT, T_REJECT, T_STOLEN, type NfTable } from './table.ts';
import { NF_ACCEPT, NF_DROP, type Drops } from './verdict.ts';
import type { ConntrackIn } from './conntrack-in.ts';
import { MANIP_DST, MANIP_SRC } from '../nat/nat-core.ts';
import type { NatHook } from '../nat/nat-hook.ts';
import type { DupQueue } from './dup.ts';

export * from './hook-numbers.ts';
import {
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_NUMHOOKS,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
  NF_IP_PRI_CONNTRACK,
  NF_IP_PRI_CONNTRACK_CONFIRM,
  NF_IP_PRI_NAT_DST,
  NF_IP_PRI_NAT_SRC,
} from './hook-numbers.ts';

/** HookEntry.kind. */
export const E_TABLE = 0;
/** nf_conntrack_in (ipv4_conntrack_in / ipv4_conntrack_local). */
export const E_CONNTRACK = 1;
/** nf_nat_inet_fn (nf_nat_ipv4_in / _out / _local_fn / _fn). */
export const E_NAT = 2;
/** __nf_conntrack_confirm (ipv4_confirm). */
export const E_CONFIRM = 3;

export interface HookEntry {
  readonly kind: number;
  readonly priority: number;
  /** E_TABLE: the table. */
  readonly table: NfTable | undefined;
  /** E_TABLE: the reason counted when the table says REJECT. */
  readonly rejectReason: DropReason;
  /** E_NAT: MANIP_SRC or MANIP_DST. */
  readonly manip: number;
  /** E_NAT: the nat-type tables at this hook, by priority. */
  readonly natTables: readonly NfTable[];
}

function entry(kind: number, priority: number, more: Partial<HookEntry> = {}): HookEntry {
  return {
    kind,
    priority,
    table: more.table,
    rejectReason: more.rejectReason ?? DropReason.NETFILTER_DROP,
    manip: more.manip ?? 0,
    natTables: more.natTables ?? [],
  };
}

/**
 * The entries at every hook (index NF_INET_*), by priority. With `tracking`, the core's own:
 * conntrack at PREROUTING and OUTPUT (-200), the NAT hook at PREROUTING and OUTPUT (destination,
 * -100) and at INPUT and POSTROUTING (source, 100), confirm at INPUT and POSTROUTING (INT_MAX), as
 * nf_conntrack_proto.c's ipv4_conntrack_ops and nf_nat_proto.c's nf_nat_ipv4_ops place them;
 * without it (nothing in the ruleset needs conntrack), none of them, as the kernel registers them
 * only on demand (nf_ct_netns_get). Then each table at each hook it has a chain at. At equal
 * priorities the core's entries come first, then the tables in the reverse of the order given
 * (`tables` is in registration order: the one registered last runs first).
 */
export function buildHookEntries(tables: readonly NfTable[], tracking: boolean): HookEntry[][] {
  const hooks: HookEntry[][] = [];
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    const list: HookEntry[] = [];
    if (tracking) {
      if (h === NF_INET_PRE_ROUTING || h === NF_INET_LOCAL_OUT) {
        list.push(entry(E_CONNTRACK, NF_IP_PRI_CONNTRACK));
        list.push(entry(E_NAT, NF_IP_PRI_NAT_DST, { manip: MANIP_DST, natTables: natTablesAt(tables, h) }));
      } else if (h === NF_INET_LOCAL_IN || h === NF_INET_POST_ROUTING) {
        list.push(entry(E_NAT, NF_IP_PRI_NAT_SRC, { manip: MANIP_SRC, natTables: natTablesAt(tables, h) }));
        list.push(entry(E_CONFIRM, NF_IP_PRI_CONNTRACK_CONFIRM));
      }
    }
    for (const t of tables) {
      const p = t.priorityAt(h);
      if (p === undefined || t.nat) continue;
      // REJECT is counted as such where ipt_REJECT may stand (INPUT, FORWARD, and OUTPUT after
      // the reroute); anywhere else a table's REJECT has always been counted as a plain drop.
      const rejects =
        h === NF_INET_LOCAL_IN || h === NF_INET_FORWARD || (h === NF_INET_LOCAL_OUT && p > NF_IP_PRI_NAT_DST);
      list.push(
        entry(E_TABLE, p, {
          table: t,
          rejectReason: rejects ? DropReason.NETFILTER_REJECT : DropReason.NETFILTER_DROP,
        }),
      );
    }
    // Ties: the core's entries first, then the tables the other way round, the one registered
    // last first: nf_hook_entries_grow puts a new hook before the first one of equal or higher
    // priority (an nft chain loaded after an iptables-nft table at -300 runs before it).
    const rank = new Map(list.map((e, i) => [e, e.kind === E_TABLE ? list.length * 2 - i : i]));
    list.sort((a, b) => a.priority - b.priority || rank.get(a)! - rank.get(b)!);
    hooks.push(list);
  }
  return hooks;
}

function natTablesAt(tables: readonly NfTable[], hook: number): NfTable[] {
  return tables
    .filter((t) => t.nat && t.priorityAt(hook) !== undefined)
    .reverse() // ties: the one registered last first (nf_hook_entries_grow), as above
    .sort((a, b) => a.priorityAt(hook)! - b.priorityAt(hook)!);
}

/**
 * Where OUTPUT splits for the stack's reroute (the first entry after the NAT hook's destination
 * manip): the kernel reroutes inside that hook's function (nf_nat_ipv4_local_fn →
 * ip_route_me_harder), so what has a higher priority sees the new route.
 */
export function outputSplit(list: readonly HookEntry[]): number {
  let i = 0;
  while (i < list.length && list[i]!.priority <= NF_IP_PRI_NAT_DST) i++;
  return i;
}

/** The index of the first entry of `kind` in `list`, or -1. */
export function indexOfKind(list: readonly HookEntry[], kind: number): number {
  return list.findIndex((en) => en.kind === kind);
}

/**
 * Walks hook entries: nf_hook_slow. The engine's hook methods call the core's own entries
 * (conntrack, NAT, confirm) themselves, each from a call site of its own where the manip type is a
 * constant (measured: one shared walk over every entry cost 10-15 % of the established path), and
 * hand the table entries between them to run(); run() takes any entry all the same.
 */
export class HookWalk {
  tracer: NfTracer | undefined;
  /** TEE's copies, sent after the table walk that made them (set by the engine). */
  dups: DupQueue | undefined;
  /** SYNPROXY's answers, sent after the table walk whose target took the packet (set by the engine). */
  synproxy: { flush(): void } | undefined;

  constructor(
    private readonly ctIn: ConntrackIn,
    private readonly natHook: NatHook,
    private readonly drops: Drops,
  ) {}

  /** Entries from .. to - 1 of `list` at `hook`; the first verdict that is not NF_ACCEPT. */
  run(list: readonly HookEntry[], from: number, to: number, hook: number, skb: Skb, now: number): number {
    for (let i = from; i < to; i++) {
      const en = list[i]!;
      switch (en.kind) {
        case E_TABLE: {
          const t = en.table!;
          const v = t.run(hook, skb, now, this.tracer);
          if (this.dups !== undefined && this.dups.n !== 0) this.dups.flush();
          if (v !== T_ACCEPT) {
            if (v === T_STOLEN) {
              this.synproxy?.flush();
              return this.drops.drop(skb, DropReason.NF_STOLEN, t.dropTable);
            }
            return this.drops.drop(
              skb,
              v === T_REJECT ? en.rejectReason : DropReason.NETFILTER_DROP,
              t.dropTable,
            );
          }
          break;
        }
        case E_CONNTRACK:
          this.ctIn.run(skb, now, hook);
          if (this.ctIn.tableFull) {
            this.ctIn.tableFull = false;
            return this.drops.drop(skb, DropReason.NF_CT_TABLE_FULL);
          }
          break;
        case E_NAT:
          // Two call sites, each with its manip type a constant (what the compiler folds).
          if (
            (en.manip === MANIP_DST
              ? this.natHook.run(skb, hook, MANIP_DST, en.natTables, now)
              : this.natHook.run(skb, hook, MANIP_SRC, en.natTables, now)) !== NF_ACCEPT
          )
            return NF_DROP;
          break;
        default: // E_CONFIRM
          if (this.ctIn.confirm(skb, now) !== NF_ACCEPT) return NF_DROP;
      }
    }
    return NF_ACCEPT;
  }
}
