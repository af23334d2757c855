// The iptables tables as the engine runs them (ipt_do_table): one XtTable per table of the
// ruleset, registered at the hooks it has a built-in chain for at the kernel's priority for that
// table, walking its chains with the compiled candidate lists (compile.ts), the matches
// (match.ts) and the targets, the verdicts and the NAT targets written here. The engine knows it
// only as an NfTable (core/table.ts); it asks the engine for NAT bindings through NfTableEnv.
import type { Chain, Ruleset, TableName } from '../../rules/iptables/model.ts';
import { countPacket } from '../../rules/counters.ts';
import { NF_NAT_RANGE_MAP_IPS, NF_NAT_RANGE_PROTO_SPECIFIED, type NatRangeN } from '../nat/nat-core.ts';
import type { Skb } from '../core/skb.ts';
import type { NfTracer } from '../core/trace-events.ts';
import { T_ACCEPT, T_DROP, type NfTable, type NfTableEnv } from '../core/table.ts';
import {
  HOOK_NAMES,
  NF_INET_NUMHOOKS,
  NF_IP_PRI_FILTER,
  NF_IP_PRI_MANGLE,
  NF_IP_PRI_NAT_DST,
  NF_IP_PRI_NAT_SRC,
  NF_IP_PRI_RAW,
  NF_IP_PRI_SECURITY,
} from '../core/hooks.ts';
import { describeMismatch, MATCHED, restMatchesAt, ruleMismatchAt } from './match.ts';
import {
  compileChain,
  nextCandidate,
  TK_ACCEPT,
  TK_DROP,
  TK_GOTO,
  TK_JUMP,
  TK_NONE,
  TK_RETURN,
  type CompiledChain,
} from './compile.ts';
import type { XtShared } from './xt-match.ts';
import { natFlags, toRangeN } from './target-nat.ts';
import { XT_TARGETS } from './targets.ts';
import { tracedRule } from './traced-rule.ts';
import { XT_CONTINUE, type TargetOf, type XtTargetCtx } from './xt-target.ts';

/** Skb.dropTable numbers (DROP_TABLES in core/drop.ts). */
const DROP_TABLE: Readonly<Record<TableName, number>> = { raw: 1, mangle: 2, nat: 3, filter: 4, security: 5 };

/**
 * Each table's hooks (its valid_hooks, by NF_INET_* number) and priority there: iptable_raw.c, iptable_mangle.c,
 * iptable_nat.c (NAT_DST where the destination is changed, NAT_SRC where the source is),
 * iptable_filter.c, iptable_security.c.
 */
const PRIORITIES: Readonly<Record<TableName, readonly (number | undefined)[]>> = {
  raw: [NF_IP_PRI_RAW, undefined, undefined, NF_IP_PRI_RAW, undefined],
  mangle: [NF_IP_PRI_MANGLE, NF_IP_PRI_MANGLE, NF_IP_PRI_MANGLE, NF_IP_PRI_MANGLE, NF_IP_PRI_MANGLE],
  nat: [NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_SRC, undefined, NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_SRC],
  filter: [undefined, NF_IP_PRI_FILTER, NF_IP_PRI_FILTER, NF_IP_PRI_FILTER, undefined],
  security: [undefined, NF_IP_PRI_SECURITY, NF_IP_PRI_SECURITY, NF_IP_PRI_SECURITY, undefined],
};

/** An iptables ruleset, as the engine's configuration names it. */
export type XtRuleset = Ruleset;

/** The ruleset's tables, as the engine registers them. */
export function xtTables(rs: Ruleset, env: NfTableEnv, prev?: readonly XtTable[]): XtTable[] {
  // One store of named tables (-m recent, -m hashlimit) for all the tables: per netns in the kernel.
  // A ruleset replacing another (`prev`, an event's iptables command) keeps the store and each
  // chain's rule state for the match objects it still holds (compile.ts).
  const shared: XtShared = prev?.[0]?.sharedStore ?? new Map();
  return [...rs.tables.values()].map(
    (t) => new XtTable(t.name, t.chains, env, shared, prev?.find((p) => p.name === t.name)?.compiledByName()),
  );
}

/**
 * Whether `c` is no longer `chain`'s compiled form: its rule array was replaced (a ruleset edit
 * makes new arrays), or rules were added to or taken from it in place.
 */
const stale = (c: CompiledChain, chain: Chain): boolean =>
  c.rules !== chain.rules || c.tk.length !== chain.rules.length;

/**
 * The numbers the untraced walk reads, as literals in the emitted code (const enums): an
 * imported constant is a load from the module's context and a check at each use in V8's
 * optimised code. The same values as compile.ts's TK_*, T_DROP, T_ACCEPT and XT_CONTINUE (checked
 * below).
 */
const enum Tk {
  NONE = 0,
  ACCEPT = 1,
  DROP = 2,
  RETURN = 3,
  JUMP = 4,
  GOTO = 5,
}
const enum V {
  XT_CONTINUE = -1,
  T_DROP = 0,
  T_ACCEPT = 1,
}
const sameValues: [
  typeof TK_NONE,
  typeof TK_ACCEPT,
  typeof TK_DROP,
  typeof TK_RETURN,
  typeof TK_JUMP,
  typeof TK_GOTO,
  typeof XT_CONTINUE,
  typeof T_DROP,
  typeof T_ACCEPT,
] = [Tk.NONE, Tk.ACCEPT, Tk.DROP, Tk.RETURN, Tk.JUMP, Tk.GOTO, V.XT_CONTINUE, V.T_DROP, V.T_ACCEPT];
void sameValues;

export class XtTable implements NfTable, XtTargetCtx {
  readonly dropTable: number;
  readonly nat: boolean;
  /** Per hook: the built-in chain (fixed at construction), undefined where the table has none. */
  private readonly entryChains: (Chain | undefined)[] = [];
  /** Per hook: that chain's compiled form, kept while its rule array is the same. */
  private readonly entryCompiled: (CompiledChain | undefined)[] = [];
  private readonly compiled = new Map<Chain, CompiledChain>();
  /** The walk's jump stack, reused (no arrays per packet). */
  private readonly stackC: Chain[] = [];
  private readonly stackI: number[] = [];
  /** NAT ranges of DNAT/SNAT targets, made once per target; MASQUERADE/REDIRECT's scratch range. */
  private readonly ranges = new WeakMap<object, NatRangeN>();
  private readonly scratchRange: NatRangeN = { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: 0 };

  constructor(
    readonly name: TableName,
    private readonly chains: ReadonlyMap<string, Chain>,
    readonly env: NfTableEnv,
    private readonly shared: XtShared = new Map(),
    /** The compiled chains of the table this one replaces, by chain name (their rule state). */
    private readonly prevCompiled?: ReadonlyMap<string, CompiledChain>,
  ) {
    this.dropTable = DROP_TABLE[name];
    this.nat = name === 'nat';
    for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
      this.entryChains.push(PRIORITIES[name][h] === undefined ? undefined : chains.get(HOOK_NAMES[h]!));
      this.entryCompiled.push(undefined);
    }
  }

  priorityAt(hook: number): number | undefined {
    return this.entryChains[hook] ? PRIORITIES[this.name][hook] : undefined;
  }

  /** Walks the table's built-in chain for this hook (ipt_do_table). */
  run(hook: number, skb: Skb, now: number, tracer: NfTracer | undefined): number {
    const start = this.entryChains[hook];
    if (start === undefined) return T_ACCEPT;
    let comp = this.entryCompiled[hook];
    if (comp === undefined || stale(comp, start)) comp = this.entryCompiled[hook] = this.compiledOf(start);
    // The untraced walk (the packet path) and the traced one apart, so that this stays small.
    return tracer === undefined
      ? this.walk(hook, skb, now, start, comp)
      : this.walkTraced(hook, skb, now, tracer, start, comp);
  }

  /** run() with a tracer: every rule tried, so that the trace can say why each did not match. */
  private walkTraced(
    hook: number,
    skb: Skb,
    now: number,
    tracer: NfTracer | undefined,
    start: Chain,
    first: CompiledChain,
  ): number {
    const table = this.name;
    const hookName = HOOK_NAMES[hook]!;
    // A stack of (chain, next rule index) for jumps; goto replaces the top. The arrays are the
    // table's, reused: `sp` entries of them belong to this walk.
    const stackC = this.stackC;
    const stackI = this.stackI;
    let sp = 0;
    let chain: Chain = start;
    let i = 0;
    let comp = first;
    for (;;) {
      // Skip straight to the next rule that can match (compile.ts); same answer as the walk.
      // With a tracer the walk tries every rule, so the trace can say why each one did not match.
      if (!tracer) i = comp.next(skb, i);
      if (i >= chain.rules.length) {
        if (sp === 0) {
          countPacket(chain.counters, skb.len);
          const pol = chain.policy ?? 'ACCEPT';
          tracer?.policy(hookName, table, chain.name, pol);
          return pol === 'DROP' ? T_DROP : T_ACCEPT;
        }
        sp--;
        chain = stackC[sp]!;
        i = stackI[sp]!;
        comp = this.compiledOf(chain);
        continue;
      }
      const rule = chain.rules[i]!;
      i++;
      if (tracer) {
        const fail = ruleMismatchAt(rule, comp.ip, i - 1, skb, comp.state[i - 1]);
        if (fail !== MATCHED) {
          tracer.ruleMiss(
            hookName,
            table,
            chain.name,
            i,
            tracedRule(rule),
            describeMismatch(rule, fail, skb, comp.state[i - 1]),
          );
          if (skb.hotdrop) return T_DROP; // a match found the packet malformed (ipt_do_table)
          continue;
        }
      } else if (ruleMismatchAt(rule, comp.ip, i - 1, skb, comp.state[i - 1]) !== MATCHED) {
        if (skb.hotdrop) return T_DROP; // a match found the packet malformed (ipt_do_table)
        continue;
      }
      countPacket(rule.counters, skb.len);
      if (tracer) tracer.rule(hookName, table, chain.name, i, tracedRule(rule));
      const t = rule.target;
      if (!t) continue;
      switch (t.kind) {
        case 'ACCEPT':
          return T_ACCEPT;
        case 'DROP':
          return T_DROP;
        case 'RETURN':
          if (sp === 0) {
            i = chain.rules.length; // RETURN in a built-in chain: apply the policy
          } else {
            sp--;
            chain = stackC[sp]!;
            i = stackI[sp]!;
            comp = this.compiledOf(chain);
          }
          continue;
        case 'jump':
        case 'goto': {
          const next = this.chains.get(t.chain);
          if (!next) return T_DROP; // refused by checkRuleset; never reached
          if (t.kind === 'jump') {
            stackC[sp] = chain;
            stackI[sp] = i;
            sp++;
          }
          chain = next;
          i = 0;
          comp = this.compiledOf(chain);
          continue;
        }
        case 'other':
          return T_DROP; // refused by checkRuleset; never reached
        default: {
          // A target extension (targets.ts): its verdict, or XT_CONTINUE for the next rule.
          const v = XT_TARGETS[t.kind].run(t as never, skb, hook, now, this);
          if (v !== XT_CONTINUE) return v;
          continue;
        }
      }
    }
  }

  /**
   * run() without a tracer: the same walk, with each rule's tests, target and counters read from
   * its compiled chain (compile.ts: typed arrays and arrays of one shape) rather than from the
   * rule objects, whose many shapes make every field read a megamorphic load.
   */
  private walk(hook: number, skb: Skb, now: number, start: Chain, first: CompiledChain): number {
    const stackC = this.stackC;
    const stackI = this.stackI;
    let sp = 0;
    let chain: Chain = start;
    let comp = first;
    let n = comp.tk.length;
    let i = 0;
    for (;;) {
      // Skip straight to the next rule that can match (compile.ts); same answer as the walk.
      // `=== false`, `=== true`: a pointer compare each, not V8's generic ToBoolean of a field.
      if (comp.linear === false) i = nextCandidate(comp, skb, i);
      // Then past the rules that fail on their addresses (match.ts): none of them can match.
      if (i < n) i = comp.scan(i, skb.saddr, skb.daddr);
      if (i >= n) {
        if (sp === 0) {
          countPacket(chain.counters, skb.len);
          return chain.policy === 'DROP' ? V.T_DROP : V.T_ACCEPT;
        }
        sp--;
        chain = stackC[sp]!;
        i = stackI[sp]!;
        comp = this.compiledOf(chain);
        n = comp.tk.length;
        continue;
      }
      const k = i;
      i++;
      if (!restMatchesAt(comp.rules, comp.ip, comp.rest, k, skb, comp.state)) {
        if (skb.hotdrop === true) return V.T_DROP; // a match found the packet malformed (ipt_do_table)
        continue;
      }
      countPacket(comp.counters[k]!, skb.len);
      const tk = comp.tk[k]!;
      if (tk === Tk.NONE) continue;
      if (tk === Tk.ACCEPT) return V.T_ACCEPT;
      if (tk === Tk.DROP) return V.T_DROP;
      if (tk === Tk.RETURN) {
        if (sp === 0) {
          i = n; // RETURN in a built-in chain: apply the policy
        } else {
          sp--;
          chain = stackC[sp]!;
          i = stackI[sp]!;
          comp = this.compiledOf(chain);
          n = comp.tk.length;
        }
        continue;
      }
      if (tk === Tk.JUMP || tk === Tk.GOTO) {
        const next = this.chains.get((comp.targets[k] as { chain: string }).chain);
        if (!next) return V.T_DROP; // refused by checkRuleset; never reached
        if (tk === Tk.JUMP) {
          stackC[sp] = chain;
          stackI[sp] = i;
          sp++;
        }
        chain = next;
        i = 0;
        comp = this.compiledOf(chain);
        n = comp.tk.length;
        continue;
      }
      const x = comp.ext[k];
      if (x === undefined) return V.T_DROP; // 'other': refused by checkRuleset; never reached
      // A target extension (targets.ts): its verdict, or V.XT_CONTINUE for the next rule.
      const v = x.run(comp.targets[k] as never, skb, hook, now, this);
      if (v !== V.XT_CONTINUE) return v;
    }
  }

  /** The compiled form of a chain (compile.ts), made at its first use. */
  private compiledOf(chain: Chain): CompiledChain {
    let c = this.compiled.get(chain) ?? this.prevCompiled?.get(chain.name);
    if (!c || stale(c, chain)) {
      c = compileChain(chain, c, this.shared);
      this.compiled.set(chain, c);
    }
    return c;
  }

  /** The store of named tables (-m recent, -m hashlimit) this table shares with its ruleset's. */
  get sharedStore(): XtShared {
    return this.shared;
  }

  /** Each chain's compiled form (with its rules' state) by chain name, for a replacing table. */
  compiledByName(): Map<string, CompiledChain> {
    const m = new Map<string, CompiledChain>(this.prevCompiled);
    for (const [chain, c] of this.compiled) m.set(chain.name, c);
    return m;
  }

  /** DNAT's and SNAT's range in numbers, made at the target's first use (targets are immutable). */
  natRange(t: TargetOf<'DNAT' | 'SNAT'>): NatRangeN {
    let range = this.ranges.get(t);
    if (!range) {
      const r = t.ranges[0];
      range = r
        ? toRangeN(r, t.flags)
        : { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: natFlags(t.flags) };
      this.ranges.set(t, range);
    }
    return range;
  }

  /** The range of MASQUERADE, REDIRECT and NETMAP: one address, the target's ports (a reused object). */
  scratch(addr: number, ports: { min: number; max: number } | undefined, flags: number): NatRangeN {
    const r = this.scratchRange;
    r.minAddr = addr;
    r.maxAddr = addr;
    r.minPort = ports?.min ?? 0;
    r.maxPort = ports?.max ?? 0;
    r.flags = NF_NAT_RANGE_MAP_IPS | (ports ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | flags;
    return r;
  }
}
