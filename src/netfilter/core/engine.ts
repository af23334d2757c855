// The netfilter engine of one host: the composition of conntrack, the NAT hook and a front end's
// tables into hook entries ordered by priority (hooks.ts), with one method per hook in the
// kernel's order (netfilter-facts §1). The stack calls one method per hook with a reused Skb and
// the current time, and acts on the verdict. No I/O and no clock of its own.
//
// Who does what: core/hooks.ts (the entries and their walk), core/conntrack-in.ts
// (nf_conntrack_in, RELATED ICMP errors, confirm), nat/nat-hook.ts (nf_nat_inet_fn,
// nf_nat_packet, ICMP error translation), nat/masquerade.ts (the notifier), core/fastpath.ts
// (forwardEstablished), core/table.ts (the seam a front end's tables implement). The iptables
// front end is wired here, and only here: xtables/table.ts (the tables) and xtables/check.ts.
import {
  CT_LAYOUT_IPV4,
  CT_LAYOUT_IPV4_WINDOW,
  IPS_ASSURED,
  ConntrackTable,
  type ConntrackStats,
} from '../conntrack/table.ts';
import { defaultTimeouts, isTimeoutName, TimeoutTicks, type Timeouts } from '../conntrack/timeouts.ts';
import { enableTcpWindows } from '../conntrack/tcp-window.ts';

/** Window-tracking sysctls (conntrack/tcp-window.ts) a live engine re-reads when written. */
const LIVE_WINDOW_SYSCTLS = [
  'nf_conntrack_tcp_be_liberal',
  'nf_conntrack_tcp_max_retrans',
  'nf_conntrack_tcp_ignore_invalid_rst',
];

/** Whether `sysctl -w net.netfilter.NAME=V` takes effect on a running host (Netfilter.setSysctl). */
export const isLiveNfSysctl = (name: string): boolean =>
  isTimeoutName(name) || name === 'nf_conntrack_tcp_loose' || LIVE_WINDOW_SYSCTLS.includes(name);
import { MANIP_DST, MANIP_SRC, NatCore, type Rng } from '../nat/nat-core.ts';
import { NatHook } from '../nat/nat-hook.ts';
import { MasqueradeNotifier } from '../nat/masquerade.ts';
import { NatHelper } from '../nat/nat-helper.ts';
import { ctHelpersOf } from '../conntrack/helper.ts';
import { xtTables, type XtRuleset, type XtTable } from '../xtables/table.ts';
import { ctExtensions, needsConntrack, usesSynproxy } from '../xtables/check.ts';
import { Synproxy, SYNPROXY_STOLEN } from './synproxy.ts';
import type { Skb } from './skb.ts';
import type { NfTracer } from './trace-events.ts';
import type { NfFrontEnd, NfHost, NfTable, NfTableEnv } from './table.ts';
import { Drops, NF_ACCEPT, NF_DROP } from './verdict.ts';
import { DropReason } from './drop.ts';
import { ConntrackIn } from './conntrack-in.ts';
import { FastPath } from './fastpath.ts';
import { FirstPacket, NOT_TAKEN } from './first-packet.ts';
import { DupQueue } from './dup.ts';
import {
  buildHookEntries,
  E_CONFIRM,
  E_CONNTRACK,
  E_NAT,
  E_TABLE,
  HookWalk,
  indexOfKind,
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
  outputSplit,
  type HookEntry,
} from './hooks.ts';

export { NF_DROP, NF_ACCEPT, NOTRACK } from './verdict.ts';
export type { NfFrontEnd, NfHost } from './table.ts';
export { checkRuleset, needsConntrack, type RuleProblem } from '../xtables/check.ts';

export interface NfConfig {
  /** The iptables ruleset (its tables register at their hooks and priorities). */
  ruleset: XtRuleset;
  host: NfHost;
  rng: Rng;
  /** sysctl name (without net.netfilter.) → value. */
  sysctls?: ReadonlyMap<string, number>;
  conntrackMax?: number;
  /**
   * More tables, from another front end (nftables) or a test, each at the hooks and priorities
   * it names, beside the ruleset's. A nat-type one runs from the NAT hook.
   */
  tables?: readonly NfTable[];
  /** Whether these tables need connection tracking (the ruleset says so for itself). */
  tablesNeedConntrack?: boolean;
  /**
   * Another front end's tables (nftables), made once the engine's NfTableEnv exists: each gets
   * the env and, when this engine replaces another, the tables it made for that one (so rule
   * state, counters and set contents carry over as in one transaction).
   */
  frontEnds?: readonly NfFrontEnd[];
  /**
   * The engine this one replaces (a ruleset changed while the host runs: `iptables -A` at a
   * scenario's event). The new engine takes over its conntrack table, NAT bindings, MASQUERADE
   * tags, drop counters and timeouts, and each rule's match state (limit buckets, recent tables)
   * for the match objects the new ruleset still holds, as the kernel keeps them across a
   * transaction: only the tables' walk and the hook entries are made anew.
   */
  previous?: Netfilter;
  /**
   * TCP window tracking (tcp_in_window), on unless false: off, every segment counts as in
   * window (natbox before window tracking; the conntrack bench's "tracking off").
   */
  tcpWindow?: boolean;
}

export class Netfilter {
  readonly conntrack: ConntrackTable;
  readonly nat: NatCore;
  /** The conntrack timeouts by sysctl name, seconds (`sysctl -w` changes them: setSysctl). */
  timeouts: Readonly<Timeouts>;
  /** Packets dropped, by reason (conntrack INVALID is not a drop by itself). */
  readonly drops: Uint32Array;
  /** Counters as `conntrack -S` shows them: the table's (formatConntrackStats). */
  readonly stats: ConntrackStats;
  /**
   * Whether connection tracking runs at all. Linux turns it on in a network namespace only when
   * something needs it: the nat table, or a rule that matches or sets conntrack state (measured:
   * a lone filter rule leaves `conntrack -L` empty).
   */
  readonly tracking: boolean;
  /** The entries at each hook (NF_INET_*), by priority: what runs, in order. */
  readonly hookEntries: readonly (readonly HookEntry[])[];
  /**
   * SYNPROXY (core/synproxy.ts), when a rule uses it: its hook runs at INPUT and POSTROUTING just
   * before the confirmation, for entries with the synproxy extension only.
   */
  readonly synproxy: Synproxy | undefined;

  /** The ruleset's chains by table name, as given (the same objects the tables walk). */
  private readonly tables = new Map<string, ReadonlyMap<string, unknown>>();
  private readonly drop: Drops;
  private readonly ctIn: ConntrackIn;
  private readonly natHook: NatHook;
  private readonly masq: MasqueradeNotifier;
  private readonly walk: HookWalk;
  private readonly fast: FastPath;
  private readonly pre: readonly HookEntry[];
  private readonly in: readonly HookEntry[];
  private readonly fwd: readonly HookEntry[];
  private readonly out: readonly HookEntry[];
  private readonly post: readonly HookEntry[];
  /** OUTPUT's entries before the stack's reroute are out[0 .. outSplit - 1]. */
  private readonly outSplit: number;
  private readonly preCt: number;
  private readonly preNat: number;
  private readonly inNat: number;
  private readonly inConfirm: number;
  private readonly outCt: number;
  private readonly outNat: number;
  private readonly postNat: number;
  private readonly postConfirm: number;
  /** PREROUTING holds exactly conntrack and the NAT hook; POSTROUTING the NAT hook and confirm. */
  private readonly preCoreOnly: boolean;
  private readonly postCoreOnly: boolean;
  private readonly preNatTables: readonly NfTable[];
  private readonly postNatTables: readonly NfTable[];
  private tracerValue: NfTracer | undefined = undefined;
  /** A new connection's first packet at PREROUTING and POSTROUTING (core/first-packet.ts). */
  private readonly first: FirstPacket;
  /**
   * Whether PREROUTING and POSTROUTING take first-packet.ts's fused path when they hold only the
   * core's entries and no tracer is attached; false: always the general path (the tests compare).
   */
  firstPackets = true;
  /** The iptables tables of this engine (a replacing engine carries their rule state over). */
  private readonly xt: readonly XtTable[];
  /** The tables each of `NfConfig.frontEnds` made, in its order. */
  private readonly frontTables: readonly (readonly NfTable[])[];

  constructor(cfg: NfConfig) {
    const prev = cfg.previous;
    this.conntrack =
      prev?.conntrack ??
      new ConntrackTable(
        cfg.conntrackMax ?? cfg.sysctls?.get('nf_conntrack_max') ?? 65536,
        // With window tracking, each record holds its entry's window words (one cache line).
        cfg.tcpWindow !== false ? CT_LAYOUT_IPV4_WINDOW : CT_LAYOUT_IPV4,
      );
    this.stats = this.conntrack.stats;
    // The conntrack extensions the rules' checkentry turns on: accounting, labels.
    const ext = ctExtensions(cfg.ruleset);
    const fronts = cfg.frontEnds ?? [];
    if (ext.acct || fronts.some((f) => f.ctExtensions?.acct === true)) this.conntrack.enableAcct();
    if (ext.labels || fronts.some((f) => f.ctExtensions?.labels === true)) this.conntrack.enableLabels();
    this.nat = prev?.nat ?? new NatCore(this.conntrack, cfg.rng);
    const timeouts = defaultTimeouts();
    for (const [k, v] of cfg.sysctls ?? []) if (isTimeoutName(k)) timeouts[k] = v;
    this.timeouts = prev?.timeouts ?? Object.freeze(timeouts);
    const ticks = new TimeoutTicks(timeouts);
    const loose = (cfg.sysctls?.get('nf_conntrack_tcp_loose') ?? 1) !== 0;
    if (cfg.tcpWindow !== false) enableTcpWindows(this.conntrack, cfg.sysctls);
    // A nat-type table runs from the NAT hook only for tracked packets (nf_nat_inet_fn: no ct, no
    // NAT), and the table itself does not turn tracking on (nft's nat chain type and iptable_nat
    // register only the NAT hooks; NAT statements and targets call nf_ct_netns_get).
    this.tracking =
      needsConntrack(cfg.ruleset) ||
      cfg.tablesNeedConntrack === true ||
      (cfg.frontEnds ?? []).some((f) => f.needsConntrack);
    for (const [name, t] of cfg.ruleset.tables) this.tables.set(name, t.chains);

    this.drop = prev?.drop ?? new Drops(this.conntrack);
    this.drops = this.drop.counts;
    this.ctIn = prev?.ctIn ?? new ConntrackIn(this.conntrack, ticks, loose, this.drop);
    this.natHook = prev?.natHook ?? new NatHook(this.conntrack, this.nat, this.drop);
    this.masq = prev?.masq ?? new MasqueradeNotifier(this.conntrack);
    this.natHook.masq = this.masq;
    this.walk = prev?.walk ?? new HookWalk(this.ctIn, this.natHook, this.drop);
    // Conntrack helpers (CT --helper): their state lives with the table (arrays made on first use);
    // the NAT halves use the NAT core, as nf_nat_ftp/nf_nat_tftp register their hooks.
    const helpers = ctHelpersOf(this.conntrack);
    helpers.nat ??= new NatHelper(this.conntrack, this.nat, helpers, cfg.rng);
    this.ctIn.helpers = helpers;

    // What a table's targets may ask of the engine.
    const nat = this.nat;
    const masq = this.masq;
    const dups = new DupQueue(cfg.host.dup?.bind(cfg.host));
    this.walk.dups = dups;
    const sp =
      usesSynproxy(cfg.ruleset) || (cfg.frontEnds ?? []).some((f) => f.needsSynproxy === true)
        ? new Synproxy(this.conntrack, helpers, cfg.rng, cfg.host.synproxySend?.bind(cfg.host))
        : undefined;
    this.synproxy = sp;
    this.walk.synproxy = sp;
    const env: NfTableEnv = {
      host: cfg.host,
      bindNat: (skb, manip, range, now) => nat.setup(skb.ct, range, manip, now),
      tagMasquerade: (e, ifname) => masq.tag(e, ifname),
      dup: (skb, gw, oif, hook) => dups.push(skb, gw, oif, hook),
      ...(sp ? { synproxy: (skb, info, now, nft) => sp.target(skb, info, now, nft) } : {}),
    };
    this.xt = xtTables(cfg.ruleset, env, prev?.xt);
    this.frontTables = (cfg.frontEnds ?? []).map((f, i) => f.tables(env, prev?.frontTables[i]));
    const tables: NfTable[] = [...this.xt, ...(cfg.tables ?? []), ...this.frontTables.flat()];
    const hooks = buildHookEntries(tables, this.tracking);
    // nf_nat_register_fn: a nat table with a base chain anywhere registers the NAT hooks at all.
    const natHooks = [NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING];
    this.natHook.registered = tables.some(
      (t) => t.nat && natHooks.some((h) => t.priorityAt(h) !== undefined),
    );
    this.hookEntries = hooks;
    this.pre = hooks[NF_INET_PRE_ROUTING]!;
    this.in = hooks[NF_INET_LOCAL_IN]!;
    this.fwd = hooks[NF_INET_FORWARD]!;
    this.out = hooks[NF_INET_LOCAL_OUT]!;
    this.post = hooks[NF_INET_POST_ROUTING]!;
    this.outSplit = outputSplit(this.out);
    // Where the core's entries sit (-1 without conntrack: then they are not there at all).
    this.preCt = indexOfKind(this.pre, E_CONNTRACK);
    this.preNat = indexOfKind(this.pre, E_NAT);
    this.inNat = indexOfKind(this.in, E_NAT);
    this.inConfirm = indexOfKind(this.in, E_CONFIRM);
    this.outCt = indexOfKind(this.out, E_CONNTRACK);
    this.outNat = indexOfKind(this.out, E_NAT);
    this.postNat = indexOfKind(this.post, E_NAT);
    this.postConfirm = indexOfKind(this.post, E_CONFIRM);
    this.preCoreOnly = this.pre.length === 2 && this.preCt === 0 && this.preNat === 1;
    this.postCoreOnly =
      this.post.length === 2 && this.postNat === 0 && this.postConfirm === 1 && sp === undefined;
    this.preNatTables = this.preNat >= 0 ? this.pre[this.preNat]!.natTables : [];
    this.postNatTables = this.postNat >= 0 ? this.post[this.postNat]!.natTables : [];

    this.first = new FirstPacket(
      this.conntrack,
      this.ctIn,
      this.natHook,
      this.nat,
      this.drop,
      helpers,
      this.preNatTables,
      this.postNatTables,
    );

    const onlyCore = (l: readonly HookEntry[]): boolean => l.every((en) => en.kind !== E_TABLE);
    this.fast = new FastPath(
      this.conntrack,
      ticks,
      this,
      this.tracking && onlyCore(this.pre) && onlyCore(this.post) && !helpers.active && sp === undefined,
      this.fwd.length > 0,
    );
    this.fast.masq = this.masq;
  }
  /**
   * `sysctl -w net.netfilter.NAME=VALUE` on a live engine (`all`: every net.netfilter sysctl of
   * the host, names without the prefix, VALUE in it): the conntrack timeouts, nf_conntrack_tcp_loose
   * and the window-tracking settings take effect at once, as in the kernel (an entry keeps the
   * expiry it has and gets the new timeout at its next packet). False: a sysctl read only when the
   * engine is made.
   */
  setSysctl(name: string, value: number, all: ReadonlyMap<string, number>): boolean {
    if (isTimeoutName(name)) {
      this.timeouts = Object.freeze({ ...this.timeouts, [name]: value });
      this.ctIn.timeoutTicks = new TimeoutTicks(this.timeouts);
      return true;
    }
    if (name === 'nf_conntrack_tcp_loose') {
      this.ctIn.loose = value !== 0;
      return true;
    }
    if (LIVE_WINDOW_SYSCTLS.includes(name)) {
      if (this.conntrack.tcpWin) enableTcpWindows(this.conntrack, all);
      return true;
    }
    return false;
  }

  /** The tracer, when one is attached: every part of the engine reports to it. */
  get tracer(): NfTracer | undefined {
    return this.tracerValue;
  }
  set tracer(t: NfTracer | undefined) {
    this.tracerValue = t;
    this.ctIn.tracer = t;
    this.natHook.tracer = t;
    this.walk.tracer = t;
    this.fast.tracer = t;
  }

  /** The tables the front ends made (nftables' base chains), for reading their state after a run. */
  get frontEndTables(): readonly NfTable[] {
    return this.frontTables.flat();
  }

  /** Packets forwardEstablished took the short way (the rest went through the hooks). */
  get shortWayPackets(): number {
    return this.fast.shortWayPackets;
  }

  // ---- hooks -------------------------------------------------------------------------------
  //
  // Each hook walks its entries in priority order: the tables before the first core entry, the
  // core entry (called here, so that each call site has its own constants), the tables up to the
  // next, and so on. Without conntrack there are no core entries, only tables.

  /** PREROUTING: raw, conntrack, mangle, nat (DNAT). */
  prerouting(skb: Skb, now: number): number {
    skb.now = now;
    if (this.preCoreOnly) {
      // Conntrack and the NAT hook, nothing else: a new UDP connection's packet in one function.
      if (this.firstPackets && this.tracerValue === undefined) {
        const v = this.first.pre(skb, now);
        if (v !== NOT_TAKEN) return v;
      }
      // Else both called straight (the common case, kept small).
      if (this.conntrackIn(skb, now, NF_INET_PRE_ROUTING) !== NF_ACCEPT) return NF_DROP;
      return this.natHook.run(skb, NF_INET_PRE_ROUTING, MANIP_DST, this.preNatTables, now);
    }
    return this.preroutingWalk(skb, now);
  }

  private preroutingWalk(skb: Skb, now: number): number {
    const l = this.pre;
    const c = this.preCt;
    const n = this.preNat;
    const w = this.walk;
    if (c < 0) return w.run(l, 0, l.length, NF_INET_PRE_ROUTING, skb, now);
    let v: number;
    if (c > 0 && (v = w.run(l, 0, c, NF_INET_PRE_ROUTING, skb, now)) !== NF_ACCEPT) return v;
    if (this.conntrackIn(skb, now, NF_INET_PRE_ROUTING) !== NF_ACCEPT) return NF_DROP;
    if (n > c + 1 && (v = w.run(l, c + 1, n, NF_INET_PRE_ROUTING, skb, now)) !== NF_ACCEPT) return v;
    if (this.natHook.run(skb, NF_INET_PRE_ROUTING, MANIP_DST, l[n]!.natTables, now) !== NF_ACCEPT)
      return NF_DROP;
    return n + 1 < l.length ? w.run(l, n + 1, l.length, NF_INET_PRE_ROUTING, skb, now) : NF_ACCEPT;
  }

  /** INPUT: mangle, filter, security, nat (SNAT), confirm. */
  input(skb: Skb, now: number): number {
    skb.now = now;
    const l = this.in;
    const n = this.inNat;
    const c = this.inConfirm;
    const w = this.walk;
    if (n < 0) return w.run(l, 0, l.length, NF_INET_LOCAL_IN, skb, now);
    let v: number;
    if (n > 0 && (v = w.run(l, 0, n, NF_INET_LOCAL_IN, skb, now)) !== NF_ACCEPT) return v;
    if (this.natHook.run(skb, NF_INET_LOCAL_IN, MANIP_SRC, l[n]!.natTables, now) !== NF_ACCEPT)
      return NF_DROP;
    if (c > n + 1 && (v = w.run(l, n + 1, c, NF_INET_LOCAL_IN, skb, now)) !== NF_ACCEPT) return v;
    if (this.synproxy !== undefined && (v = this.synproxyHook(skb, now, NF_INET_LOCAL_IN)) !== NF_ACCEPT)
      return v;
    if (this.ctIn.confirm(skb, now) !== NF_ACCEPT) return NF_DROP;
    return c + 1 < l.length ? w.run(l, c + 1, l.length, NF_INET_LOCAL_IN, skb, now) : NF_ACCEPT;
  }

  /** FORWARD: mangle, filter, security. */
  forward(skb: Skb, now: number): number {
    skb.now = now;
    const l = this.fwd;
    return l.length === 0 ? NF_ACCEPT : this.walk.run(l, 0, l.length, NF_INET_FORWARD, skb, now);
  }

  /** OUTPUT, first half: raw, conntrack, mangle, nat (DNAT). The stack reroutes after it. */
  output(skb: Skb, now: number): number {
    skb.now = now;
    const l = this.out;
    const c = this.outCt;
    const n = this.outNat;
    const end = this.outSplit;
    const w = this.walk;
    if (c < 0) return w.run(l, 0, end, NF_INET_LOCAL_OUT, skb, now);
    let v: number;
    if (c > 0 && (v = w.run(l, 0, c, NF_INET_LOCAL_OUT, skb, now)) !== NF_ACCEPT) return v;
    if (this.conntrackIn(skb, now, NF_INET_LOCAL_OUT) !== NF_ACCEPT) return NF_DROP;
    if (n > c + 1 && (v = w.run(l, c + 1, n, NF_INET_LOCAL_OUT, skb, now)) !== NF_ACCEPT) return v;
    if (this.natHook.run(skb, NF_INET_LOCAL_OUT, MANIP_DST, l[n]!.natTables, now) !== NF_ACCEPT)
      return NF_DROP;
    return n + 1 < end ? w.run(l, n + 1, end, NF_INET_LOCAL_OUT, skb, now) : NF_ACCEPT;
  }

  /** OUTPUT, second half (after rerouting): filter, security. */
  outputFilter(skb: Skb, now: number): number {
    skb.now = now;
    const l = this.out;
    return this.walk.run(l, this.outSplit, l.length, NF_INET_LOCAL_OUT, skb, now);
  }

  /** POSTROUTING: mangle, nat (SNAT), confirm. */
  postrouting(skb: Skb, now: number): number {
    skb.now = now;
    if (this.postCoreOnly) {
      // The NAT hook and confirm, nothing else: a new connection's first packet in one function.
      if (this.firstPackets && this.tracerValue === undefined) {
        const v = this.first.post(skb, now);
        if (v !== NOT_TAKEN) return v;
      }
      // Else both called straight (the common case, kept small).
      if (this.natHook.run(skb, NF_INET_POST_ROUTING, MANIP_SRC, this.postNatTables, now) !== NF_ACCEPT)
        return NF_DROP;
      return this.ctIn.confirm(skb, now);
    }
    return this.postroutingWalk(skb, now);
  }

  private postroutingWalk(skb: Skb, now: number): number {
    const l = this.post;
    const n = this.postNat;
    const c = this.postConfirm;
    const w = this.walk;
    if (n < 0) return w.run(l, 0, l.length, NF_INET_POST_ROUTING, skb, now);
    let v: number;
    if (n > 0 && (v = w.run(l, 0, n, NF_INET_POST_ROUTING, skb, now)) !== NF_ACCEPT) return v;
    if (this.natHook.run(skb, NF_INET_POST_ROUTING, MANIP_SRC, l[n]!.natTables, now) !== NF_ACCEPT)
      return NF_DROP;
    if (c > n + 1 && (v = w.run(l, n + 1, c, NF_INET_POST_ROUTING, skb, now)) !== NF_ACCEPT) return v;
    if (this.synproxy !== undefined && (v = this.synproxyHook(skb, now, NF_INET_POST_ROUTING)) !== NF_ACCEPT)
      return v;
    if (this.ctIn.confirm(skb, now) !== NF_ACCEPT) return NF_DROP;
    return c + 1 < l.length ? w.run(l, c + 1, l.length, NF_INET_POST_ROUTING, skb, now) : NF_ACCEPT;
  }

  /**
   * ipv4_synproxy_hook (priority NF_IP_PRI_CONNTRACK_CONFIRM - 1): only for a packet whose entry
   * has the synproxy extension; what it made is sent before the verdict is returned.
   */
  private synproxyHook(skb: Skb, now: number, hook: number): number {
    const sp = this.synproxy!;
    if (skb.ct < 0 || !sp.ext.is(skb.ct)) return NF_ACCEPT;
    const v = sp.hook(skb, now, hook);
    if (sp.pending) sp.flush();
    if (v === NF_ACCEPT) return v;
    return this.drop.drop(skb, v === SYNPROXY_STOLEN ? DropReason.NF_STOLEN : DropReason.NETFILTER_DROP);
  }

  /** The conntrack entry: nf_conntrack_in, and a drop when the table is full. */
  private conntrackIn(skb: Skb, now: number, hook: number): number {
    const ct = this.ctIn;
    ct.run(skb, now, hook);
    if (!ct.tableFull) return NF_ACCEPT;
    ct.tableFull = false;
    return this.drop.drop(skb, DropReason.NF_CT_TABLE_FULL);
  }

  /**
   * A batch of forwarded packets, each as the stack passes one through the forward path:
   * `skb.load(buf, offs[k], inIf, '')`, prerouting, then with `skb.outIf = outIf` forward and
   * postrouting (stopping at the first verdict that is not ACCEPT), for k = start .. start + n - 1
   * in order. Same verdicts, rewrites, conntrack state, counters and events as those calls; the
   * caller routes every packet of the batch out of `outIf`. `verdicts[k - start]` gets each
   * verdict, when given; returns how many were accepted.
   *
   * Packets of established TCP (ACK without SYN/FIN/RST) and UDP connections, not fragments, with
   * a 20-byte IP header, go a short way: their conntrack lookups are made for a chunk of packets
   * at once (ConntrackTable.lookupBatch), so that the cache misses of different packets overlap,
   * then each is updated and rewritten as the hooks would; when FORWARD has entries (filter,
   * security), the packet is loaded into `skb` between the two rewrites and goes through them, as
   * the forward hook would take it. Every other packet, and every packet after something changed
   * the hash table, goes through the hooks with `skb`. No short way with a tracer, or when
   * PREROUTING or POSTROUTING has a table (raw, mangle). core/fastpath.ts.
   */
  forwardEstablished(
    buf: Uint8Array,
    offs: ArrayLike<number>,
    start: number,
    n: number,
    inIf: string,
    outIf: string,
    now: number,
    verdicts?: Uint8Array,
    skb: Skb = this.fast.batchSkb,
  ): number {
    return this.fast.forwardEstablished(buf, offs, start, n, inIf, outIf, now, verdicts, skb);
  }

  /** The stack dropped the packet on its own (no route, TTL): forget an unconfirmed entry. */
  abandon(skb: Skb): void {
    this.drop.abandon(skb);
  }

  /**
   * nf_nat_masquerade_ipv4's device and address notifiers: when `ifname` goes down (no `addr`), or
   * loses the address `addr`, the connections MASQUERADE bound through it are deleted, so the next
   * packet is tracked and masqueraded anew with the address the interface has now. Returns how
   * many entries went.
   */
  flushMasquerade(ifname: string, addr?: number): number {
    return this.masq.flush(ifname, addr);
  }

  /** Whether this entry has been assured (for tests and the trace). */
  isAssured(e: number): boolean {
    return (this.conntrack.statusOf(e) & IPS_ASSURED) !== 0;
  }
}
