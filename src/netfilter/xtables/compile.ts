// Fast first-packet classification: a chain compiled into buckets keyed by the cheap, exact parts
// of its rules (protocol + destination port, destination /32, input interface), so that finding
// the next rule that may match costs a few binary searches instead of a walk over every rule.
// Rules whose cheap part is absent, inverted or a range stay in a generic list that is always
// searched. The candidates are a superset of the matching rules and keep chain order, so walking
// them with ruleMatches() gives exactly the answer, counters and trace of the linear walk
// (ipt_do_table). The engine owns the walk; this file only answers "next candidate from i".
// A compiled chain also holds each rule's match state (limit buckets, nth counters): the engine
// compiles its chains itself, so the state is the engine instance's, one per rule.
import type { Chain, Counters, Match, Rule, Target } from '../../rules/iptables/model.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import type { Skb } from '../core/skb.ts';
import {
  addressTable,
  addressTestCode,
  firstAddressMatch,
  newRuleState,
  restTable,
  type RestTable,
  type RuleState,
} from './match.ts';
import type { XtShared } from './xt-match.ts';
import type { XtTarget } from './xt-target.ts';
import { XT_TARGETS } from './targets.ts';

/** CompiledChain.tk: what a matching rule does (its target's kind as a number). */
export const TK_NONE = 0;
export const TK_ACCEPT = 1;
export const TK_DROP = 2;
export const TK_RETURN = 3;
export const TK_JUMP = 4;
export const TK_GOTO = 5;
export const TK_OTHER = 6;
/** A target extension: CompiledChain.ext[i] runs it. */
export const TK_EXT = 7;

export interface CompiledChain {
  /** The chain's rule array this was compiled from (recompile when it is replaced or edited). */
  readonly rules: readonly Rule[];
  /** The index of the first rule at or after `from` that may match `skb`; rules.length if none. */
  next(skb: Skb, from: number): number;
  /** Per rule: its match state for ruleMatches(rules[i], skb, state[i]); undefined when stateless. */
  readonly state: readonly (RuleState | undefined)[];
  /** The rules' address tests, for ruleMismatchAt(rules[i], ip, i, skb, state[i]) (addressTable). */
  readonly ip: Int32Array;
  /** The rules' interface and protocol tests, for ruleMatchesAt (restTable). */
  readonly rest: RestTable;
  /**
   * firstAddressMatch over this chain's address table (addressScan): the first rule from `from`
   * whose address tests hold for a packet from `src` to `dst` (int32), or the rule count.
   */
  readonly scan: AddressScan;
  /** No rule has a key: every rule is a candidate for every packet (next(skb, i) is i). */
  readonly linear: boolean;
  /**
   * Every rule is keyed by protocol and destination port (DNAT port forwards: `-p tcp --dport
   * 8080 -j DNAT`), and portMin .. portMax (proto * 65536 + port) spans their keys: a packet of
   * another protocol, or outside that span, has no candidate (nextCandidate).
   */
  readonly onlyPorts: boolean;
  readonly portMin: number;
  readonly portMax: number;
  /**
   * Per rule, for the untraced walk: its target as TK_*, the target, the extension that runs it
   * (TK_EXT: XT_TARGETS[kind]) and the rule's counters (the rule objects' own: a ruleset edit
   * that replaces them replaces the rule array, and the chain is compiled again).
   */
  readonly tk: Uint8Array;
  readonly targets: readonly (Target | undefined)[];
  readonly ext: readonly (XtTarget<never> | undefined)[];
  readonly counters: readonly Counters[];
}

function targetCode(t: Target | undefined): number {
  if (t === undefined) return TK_NONE;
  switch (t.kind) {
    case 'ACCEPT':
      return TK_ACCEPT;
    case 'DROP':
      return TK_DROP;
    case 'RETURN':
      return TK_RETURN;
    case 'jump':
      return TK_JUMP;
    case 'goto':
      return TK_GOTO;
    case 'other':
      return TK_OTHER;
    default:
      return TK_EXT;
  }
}

/** CompiledChain.scan: the first rule index >= from whose address tests hold, or the rule count. */
export type AddressScan = (from: number, src: number, dst: number) => number;

/** Chains up to this many rules get a generated scan (addressScan); longer ones the loop. */
const SCAN_CODE_MAX = 64;

/**
 * The address scan of a chain (`ip` its addressTable, `n` rules): firstAddressMatch as code made
 * for this chain (`generate`, the default, and the chain is short), each rule's tests written with
 * its mask and address as literals, one `and` and one compare per test, entered at `from` by a
 * switch that falls through, e.g. `case 0: if ((s & -256) === -1408166912) return 0;`. Where code
 * cannot be made at run time (a browser page whose Content-Security-Policy forbids eval) or for a
 * long chain, firstAddressMatch's loop over the table: the same answers
 * (test/rules/compile.test.ts compares the two).
 */
export function addressScan(ip: Int32Array, n: number, generate = true): AddressScan {
  const loop: AddressScan = (from, src, dst) => firstAddressMatch(ip, from, n, src, dst);
  if (!generate || n > SCAN_CODE_MAX) return loop;
  const cases: string[] = [];
  for (let k = 0; k < n; k++) {
    const test = addressTestCode(ip, k, 's', 'd');
    cases.push(`case ${k}: ${test === '' ? '' : `if (${test}) `}return ${k};`);
  }
  try {
    return new Function(
      'from',
      's',
      'd',
      `switch (from) {\n${cases.join('\n')}\n}\nreturn ${n};`,
    ) as AddressScan;
  } catch {
    return loop;
  }
}

/** The exact keys a rule can only match under (every one listed is necessary), or [] for generic. */
function ruleKeys(r: Rule): string[] {
  const proto = r.protocol && !r.protocol.invert ? r.protocol.value : 0;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    for (const m of r.matches) {
      if ((m.module === 'tcp' || m.module === 'udp') && m.dport && !m.dport.invert) {
        if (m.dport.value.min === m.dport.value.max) return [`p${proto}:${m.dport.value.min}`];
      }
      if (m.module === 'multiport' && m.kind === 'dports' && !m.ports.invert) {
        if (m.ports.value.every((p) => p.min === p.max))
          return m.ports.value.map((p) => `p${proto}:${p.min}`);
      }
    }
  }
  if (r.dst && !r.dst.invert && r.dst.value.mask === 0xffffffff) return [`d${r.dst.value.addr}`];
  if (r.inIface && !r.inIface.invert && !r.inIface.value.wildcard) return [`i${r.inIface.value.name}`];
  return [];
}

/**
 * c.next(skb, from), answered without the call for a chain of port-keyed rules only (onlyPorts)
 * when the packet is not TCP or UDP or its port is outside the chain's span: the walk's first
 * question for most packets at a PREROUTING chain of port forwards.
 */
export function nextCandidate(c: CompiledChain, skb: Skb, from: number): number {
  if (c.onlyPorts === true) {
    const p = skb.proto;
    if (p !== IPPROTO_TCP && p !== IPPROTO_UDP) return c.tk.length;
    const key = p * 65536 + skb.dport;
    if (key < c.portMin || key > c.portMax) return c.tk.length;
  }
  return c.next(skb, from);
}

/** The first element of the sorted `list` that is >= from, or `end`. */
function nextIn(list: Int32Array, from: number, end: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo]! : end;
}

/**
 * Compiles `chain`. With `prev` (the same chain compiled before an edit replaced its rule array),
 * a match object found in both keeps its state: an edit elsewhere in the chain does not refill
 * a bucket or restart a counter. `shared` is the engine instance's store of named tables (-m
 * recent, -m hashlimit), the same for every chain of the engine.
 */
export function compileChain(chain: Chain, prev?: CompiledChain, shared?: XtShared): CompiledChain {
  const rules = chain.rules;
  const state = ruleStates(rules, prev, shared);
  const generic: number[] = [];
  const buckets = new Map<string, number[]>();
  rules.forEach((r, i) => {
    const keys = ruleKeys(r);
    if (keys.length === 0) generic.push(i);
    for (const k of new Set(keys)) {
      let b = buckets.get(k);
      if (!b) buckets.set(k, (b = []));
      b.push(i);
    }
  });
  const gen = Int32Array.from(generic);
  const ports = new Map<number, Int32Array>();
  const dsts = new Map<number, Int32Array>();
  const ins = new Map<string, Int32Array>();
  for (const [k, v] of buckets) {
    const a = Int32Array.from(v);
    if (k[0] === 'p') {
      const [proto, port] = k.slice(1).split(':').map(Number) as [number, number];
      ports.set(proto * 65536 + port, a);
    } else if (k[0] === 'd') dsts.set(Number(k.slice(1)), a);
    else ins.set(k.slice(1), a);
  }
  const n = rules.length;
  // The smallest and largest keys of the numeric buckets: a packet outside them has none (no
  // hash lookup).
  let portMin = Infinity;
  let portMax = -Infinity;
  for (const k of ports.keys()) {
    portMin = Math.min(portMin, k);
    portMax = Math.max(portMax, k);
  }
  // Which kinds of key the chain has, as constants of next() (a Map's size is a getter call).
  const hasGen = gen.length !== 0;
  const hasPorts = ports.size !== 0;
  const hasDsts = dsts.size !== 0;
  const hasIns = ins.size !== 0;
  const ip = addressTable(rules);
  return {
    rules,
    state,
    ip,
    rest: restTable(rules),
    scan: addressScan(ip, n),
    linear: buckets.size === 0,
    onlyPorts: hasPorts && !hasGen && !hasDsts && !hasIns,
    portMin,
    portMax,
    tk: Uint8Array.from(rules, (r) => targetCode(r.target)),
    targets: rules.map((r) => r.target),
    ext: rules.map((r) =>
      r.target !== undefined && targetCode(r.target) === TK_EXT
        ? (XT_TARGETS[r.target.kind as keyof typeof XT_TARGETS] as XtTarget<never>)
        : undefined,
    ),
    counters: rules.map((r) => r.counters),
    next(skb, from) {
      if (from >= n) return n;
      let best = n;
      if (hasGen) {
        best = nextIn(gen, from, n);
        if (best === from) return best;
      }
      if (hasPorts && (skb.proto === IPPROTO_TCP || skb.proto === IPPROTO_UDP)) {
        const key = skb.proto * 65536 + skb.dport;
        const b = key >= portMin && key <= portMax ? ports.get(key) : undefined;
        if (b) best = Math.min(best, nextIn(b, from, n));
      }
      if (hasDsts) {
        const b = dsts.get(skb.dst);
        if (b) best = Math.min(best, nextIn(b, from, n));
      }
      if (hasIns) {
        const b = ins.get(skb.inIf);
        if (b) best = Math.min(best, nextIn(b, from, n));
      }
      return best;
    },
  };
}

/** Each rule's match state: fresh, or carried over from `prev` for the same match objects. */
function ruleStates(
  rules: readonly Rule[],
  prev: CompiledChain | undefined,
  shared: XtShared | undefined,
): (RuleState | undefined)[] {
  // The old states per match object, in rule order (one match object may be in several rules:
  // `-s a,b` makes two rules that share their matches, each with its own state).
  const old = new Map<Match, unknown[]>();
  prev?.rules.forEach((r, i) => {
    const st = prev.state[i];
    if (!st) return;
    r.matches.forEach((m, k) => {
      if (st[k] === undefined) return;
      let l = old.get(m);
      if (!l) old.set(m, (l = []));
      l.push(st[k]);
    });
  });
  const reuse = old.size ? (m: Match): unknown => old.get(m)?.shift() : undefined;
  // Without the engine's store the chain's rules still share one among themselves.
  const store = shared ?? new Map<string, unknown>();
  return rules.map((r) => newRuleState(r, reuse, store));
}
