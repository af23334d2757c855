// Rule matching: the fields every iptables rule has (ip_packet_match in ip_tables.c: addresses,
// interfaces, protocol, fragment), then each match module of the rule through the registry
// (matches.ts: one file match-<name>.ts per module). checkMatch() says which modules cannot be
// evaluated with what the caller fills in (MatchCaps), so a ruleset that uses one is refused
// instead of silently misread. Per-rule state (limit's bucket, statistic's counter) is not kept
// here: the caller passes the rule's RuleState, made by newRuleState() when the engine compiles
// the chain (compile.ts), so each engine instance and each rule has its own.
import type { Match, Rule } from '../../rules/iptables/model.ts';
import { formatIpv4, formatPrefix } from '../../wire/addr.ts';
import type { Skb } from '../core/skb.ts';
import { xtMatch } from './matches.ts';
import { ifaceMatches, protoWord, type MatchCaps, type XtShared } from './xt-match.ts';

export type { MatchCaps } from './xt-match.ts';

/**
 * One rule's match state: entry k belongs to its k-th match (undefined for the stateless ones).
 * Absent (undefined) for a rule without a stateful match.
 */
export type RuleState = readonly unknown[];

/**
 * A fresh state for `r`, or undefined when none of its matches keeps any. `reuse` may hand back
 * the state an earlier compilation made for the same match (kept across a recompile); `shared` is
 * the engine instance's store of named tables (XtShared; a fresh one when not given).
 */
export function newRuleState(
  r: Rule,
  reuse?: (m: Match) => unknown,
  shared: XtShared = new Map(),
): RuleState | undefined {
  let st: unknown[] | undefined;
  const ms = r.matches;
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k]!;
    const x = xtMatch(m);
    if (!x.newState) continue;
    st ??= new Array<unknown>(ms.length).fill(undefined);
    st[k] = reuse?.(m) ?? x.newState(m, shared);
  }
  return st;
}

/**
 * ip_packet_match and then every match module, in order; all must hold. `state` is the rule's
 * (CompiledChain.state[i]); a rule with limit or statistic --mode nth cannot be evaluated without it.
 */
export function ruleMatches(r: Rule, skb: Skb, state?: RuleState): boolean {
  return ruleMismatch(r, skb, state) === MATCHED;
}

export const MATCHED = -1;
export const FAIL_SRC = 0;
export const FAIL_DST = 1;
export const FAIL_IN = 2;
export const FAIL_OUT = 3;
export const FAIL_PROTO = 4;
export const FAIL_FRAG = 5;
/** FAIL_MODULE + k: the k-th match module (-m) failed. */
export const FAIL_MODULE = 6;

/**
 * ip_packet_match and then every match module, in order, each evaluated once (limit and nth keep
 * state): MATCHED, or which criterion failed first (FAIL_*), for the trace to say why.
 */
export function ruleMismatch(r: Rule, skb: Skb, state?: RuleState): number {
  // `(test) === invert` is !inv(test, invert), written out. Each field is read only when the one
  // before it held (most rules fail on the first they set).
  const src = r.src;
  if (src && ((skb.src & src.value.mask) >>> 0 === src.value.addr) === src.invert) return FAIL_SRC;
  const dst = r.dst;
  if (dst && ((skb.dst & dst.value.mask) >>> 0 === dst.value.addr) === dst.invert) return FAIL_DST;
  return restMismatch(r, skb, state);
}

/** Words per rule in a chain's address table (addressTable): flags, src, src mask, dst, dst mask. */
const enum Ip {
  WORDS = 5,
}
// The flags as const enums: literals in the emitted code (a module-level const is a load from the
// module's context at every use in V8's optimised code).
const enum F {
  SRC = 1,
  SRC_INV = 2,
  DST = 4,
  DST_INV = 8,
  /** The rule sets an interface, a protocol, -f or a match module: ruleMismatchAt reads the rule. */
  REST = 16,
}

/**
 * The source and destination tests of every rule of `rules`, Ip.WORDS (5) 32-bit words a rule, read
 * by ruleMismatchAt: the walk over a long chain tests most rules on their addresses alone, and
 * reading them from one array touches a few cache lines where the rule objects touch several each.
 */
export function addressTable(rules: readonly Rule[]): Int32Array {
  const t = new Int32Array(rules.length * Ip.WORDS);
  rules.forEach((r, i) => {
    const o = i * Ip.WORDS;
    let f = 0;
    if (r.src) {
      f |= F.SRC | (r.src.invert ? F.SRC_INV : 0);
      t[o + 1] = r.src.value.addr;
      t[o + 2] = r.src.value.mask;
    }
    if (r.dst) {
      f |= F.DST | (r.dst.invert ? F.DST_INV : 0);
      t[o + 3] = r.dst.value.addr;
      t[o + 4] = r.dst.value.mask;
    }
    if (r.inIface || r.outIface || r.protocol || r.fragment || r.matches.length) f |= F.REST;
    t[o] = f;
  });
  return t;
}

/**
 * ruleMismatch for rule `i` of a compiled chain (`r` is rules[i], `ip` the chain's addressTable):
 * the same answer, with the addresses read from the table. The engine's walk calls this one.
 */
export function ruleMismatchAt(
  r: Rule,
  ip: Int32Array,
  i: number,
  skb: Skb,
  state: RuleState | undefined,
): number {
  const o = i * Ip.WORDS;
  const f = ip[o]!;
  // The table holds addresses as signed 32-bit words, as `&` gives them.
  if ((f & F.SRC) !== 0 && ((skb.src & ip[o + 2]!) === ip[o + 1]!) === ((f & F.SRC_INV) !== 0))
    return FAIL_SRC;
  if ((f & F.DST) !== 0 && ((skb.dst & ip[o + 4]!) === ip[o + 3]!) === ((f & F.DST_INV) !== 0))
    return FAIL_DST;
  return (f & F.REST) === 0 ? MATCHED : restMismatch(r, skb, state);
}

/**
 * The first rule k of `from` .. n - 1 whose address tests (addressTable `ip`) hold for a packet
 * from `src` to `dst` (as int32: Skb.saddr, daddr), or n: every rule before it fails on its
 * addresses, as ip_packet_match would fail it first, so the untraced walk skips them in this one
 * loop (no call, no object read per rule) and tests rule k with restMatchesAt. A chain of SNAT
 * rules by source prefix costs a few typed-array reads per rule.
 */
export function firstAddressMatch(ip: Int32Array, from: number, n: number, src: number, dst: number): number {
  let o = from * Ip.WORDS;
  for (let k = from; k < n; k++, o += Ip.WORDS) {
    const f = ip[o]!;
    // A test fails when its equality is its inversion: (equal ? INV : 0) === (f & INV).
    if ((f & F.SRC) !== 0 && ((src & ip[o + 2]!) === ip[o + 1]! ? F.SRC_INV : 0) === (f & F.SRC_INV))
      continue;
    if ((f & F.DST) !== 0 && ((dst & ip[o + 4]!) === ip[o + 3]! ? F.DST_INV : 0) === (f & F.DST_INV))
      continue;
    return k;
  }
  return n;
}

/**
 * Rule k's address tests (addressTable `ip`) as a JavaScript condition on the int32 variables
 * named `src` and `dst`, each mask and address a literal, '' when the rule has none: what a
 * generated scan (compile.ts addressScan) writes for the rule, true exactly where
 * firstAddressMatch passes it.
 */
export function addressTestCode(ip: Int32Array, k: number, src: string, dst: string): string {
  const o = k * Ip.WORDS;
  const f = ip[o]!;
  const tests: string[] = [];
  if ((f & F.SRC) !== 0)
    tests.push(`(${src} & ${ip[o + 2]!}) ${(f & F.SRC_INV) !== 0 ? '!==' : '==='} ${ip[o + 1]!}`);
  if ((f & F.DST) !== 0)
    tests.push(`(${dst} & ${ip[o + 4]!}) ${(f & F.DST_INV) !== 0 ? '!==' : '==='} ${ip[o + 3]!}`);
  return tests.join(' && ');
}

/**
 * The rest of ip_packet_match (interfaces, protocol) of every rule of a chain as data, for the
 * untraced walk (ruleMatchesAt): per rule flags (R_*), the interface names and the protocol, so that
 * a rule without match modules nor -f is tested without reading its object (the rule objects of a
 * ruleset come in many shapes, so a field read from them is a megamorphic load).
 */
export interface RestTable {
  readonly f: Uint16Array;
  readonly inName: readonly string[];
  readonly outName: readonly string[];
  readonly proto: Uint8Array;
}
const enum R {
  IN = 1,
  IN_INV = 2,
  IN_WILD = 4,
  OUT = 8,
  OUT_INV = 16,
  OUT_WILD = 32,
  PROTO = 64,
  PROTO_INV = 128,
  /** -f or match modules: restMismatch reads the rule. */
  SLOW = 256,
}

/**
 * The same string as V8 keeps it for a property name (internalized): comparing it with another
 * internalized string (an interface name the stack sets from its own literals or property keys)
 * is a pointer test, where a name cut out of a rules file is compared character by character.
 */
function internalized(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

export function restTable(rules: readonly Rule[]): RestTable {
  const f = new Uint16Array(rules.length);
  const inName: string[] = [];
  const outName: string[] = [];
  const proto = new Uint8Array(rules.length);
  rules.forEach((r, i) => {
    let g = 0;
    inName.push(internalized(r.inIface?.value.name ?? ''));
    outName.push(internalized(r.outIface?.value.name ?? ''));
    if (r.inIface) g |= R.IN | (r.inIface.invert ? R.IN_INV : 0) | (r.inIface.value.wildcard ? R.IN_WILD : 0);
    if (r.outIface)
      g |= R.OUT | (r.outIface.invert ? R.OUT_INV : 0) | (r.outIface.value.wildcard ? R.OUT_WILD : 0);
    if (r.protocol && r.protocol.value !== 0) {
      g |= R.PROTO | (r.protocol.invert ? R.PROTO_INV : 0);
      proto[i] = r.protocol.value;
    }
    if (r.fragment || r.matches.length > 0) g |= R.SLOW;
    f[i] = g;
  });
  return { f, inName, outName, proto };
}

/**
 * ruleMismatchAt(rules[i], ip, i, skb, states[i]) === MATCHED, with the interfaces and protocol
 * read from the chain's RestTable (the same tests in the same order; a rule with -f or match
 * modules goes through restMismatch as before). The untraced walk calls this one.
 */
export function ruleMatchesAt(
  rules: readonly Rule[],
  ip: Int32Array,
  rt: RestTable,
  i: number,
  skb: Skb,
  states: readonly (RuleState | undefined)[],
): boolean {
  const o = i * Ip.WORDS;
  const f = ip[o]!;
  if ((f & F.SRC) !== 0 && ((skb.src & ip[o + 2]!) === ip[o + 1]!) === ((f & F.SRC_INV) !== 0)) return false;
  if ((f & F.DST) !== 0 && ((skb.dst & ip[o + 4]!) === ip[o + 3]!) === ((f & F.DST_INV) !== 0)) return false;
  return restMatchesAt(rules, ip, rt, i, skb, states);
}

/**
 * ruleMatchesAt for a rule whose address tests are known to hold (firstAddressMatch returned it):
 * the same answer, from the interfaces on.
 */
export function restMatchesAt(
  rules: readonly Rule[],
  ip: Int32Array,
  rt: RestTable,
  i: number,
  skb: Skb,
  states: readonly (RuleState | undefined)[],
): boolean {
  if ((ip[i * Ip.WORDS]! & F.REST) === 0) return true;
  const g = rt.f[i]!;
  // The rule object and its state are read only here (a rule with -f or match modules).
  if ((g & R.SLOW) !== 0) return restMismatch(rules[i]!, skb, states[i]) === MATCHED;
  if ((g & R.IN) !== 0) {
    const n = rt.inName[i]!;
    if (((g & R.IN_WILD) !== 0 ? skb.inIf.startsWith(n) : skb.inIf === n) === ((g & R.IN_INV) !== 0))
      return false;
  }
  if ((g & R.OUT) !== 0) {
    const n = rt.outName[i]!;
    if (((g & R.OUT_WILD) !== 0 ? skb.outIf.startsWith(n) : skb.outIf === n) === ((g & R.OUT_INV) !== 0))
      return false;
  }
  if ((g & R.PROTO) !== 0 && (skb.proto === rt.proto[i]) === ((g & R.PROTO_INV) !== 0)) return false;
  return true;
}

/** ip_packet_match after the addresses (interfaces, protocol, fragment), then the match modules. */
function restMismatch(r: Rule, skb: Skb, state: RuleState | undefined): number {
  const inIface = r.inIface;
  if (inIface && ifaceMatches(skb.inIf, inIface.value) === inIface.invert) return FAIL_IN;
  const outIface = r.outIface;
  if (outIface && ifaceMatches(skb.outIf, outIface.value) === outIface.invert) return FAIL_OUT;
  const protocol = r.protocol;
  if (protocol && protocol.value !== 0 && (skb.proto === protocol.value) === protocol.invert)
    return FAIL_PROTO;
  const fragment = r.fragment;
  if (fragment && skb.fragment === fragment.invert) return FAIL_FRAG;
  const ms = r.matches;
  return ms.length === 0 ? MATCHED : modulesMismatch(ms, skb, state);
}

/** The match modules in order: MATCHED, or FAIL_MODULE + the index of the first that failed. */
function modulesMismatch(ms: readonly Match[], skb: Skb, state: RuleState | undefined): number {
  for (let k = 0; k < ms.length; k++) {
    const m = ms[k]!;
    const x = xtMatch(m);
    let st: unknown = undefined;
    if (x.newState) {
      st = state === undefined ? undefined : state[k];
      if (st === undefined) noState(m);
    }
    if (!x.match(m, skb, st)) return FAIL_MODULE + k;
  }
  return MATCHED;
}

/** A stateful match evaluated without its rule's state: a caller's mistake, never the input's. */
function noState(m: Match): never {
  throw new Error(`-m ${m.module} keeps per-rule state: pass the rule's RuleState`);
}

/** Why natbox cannot evaluate this match, or undefined when it can. */
export function checkMatch(m: Match, caps: MatchCaps = {}): string | undefined {
  return xtMatch(m).check?.(m, caps);
}

/**
 * Why a rule did not match, in words, from ruleMismatch's answer and the packet (for the trace
 * only): `-i br-lan: the packet came in on wan`, `-m tcp --dport 80: dport is 8080`.
 */
export function describeMismatch(r: Rule, fail: number, skb: Skb, state?: RuleState): string {
  const not = (x: { invert: boolean } | undefined): string => (x?.invert ? '! ' : '');
  switch (fail) {
    case FAIL_SRC:
      return `${not(r.src)}-s ${formatPrefix(r.src!.value)}: the source is ${formatIpv4(skb.src)}`;
    case FAIL_DST:
      return `${not(r.dst)}-d ${formatPrefix(r.dst!.value)}: the destination is ${formatIpv4(skb.dst)}`;
    case FAIL_IN:
      return `${not(r.inIface)}-i ${r.inIface!.value.name}${r.inIface!.value.wildcard ? '+' : ''}: the packet came in on ${skb.inIf || '(none: locally generated)'}`;
    case FAIL_OUT:
      return `${not(r.outIface)}-o ${r.outIface!.value.name}${r.outIface!.value.wildcard ? '+' : ''}: the packet goes out of ${skb.outIf || '(not routed yet)'}`;
    case FAIL_PROTO:
      return `${not(r.protocol)}-p ${protoWord(r.protocol!.value)}: the packet is ${protoWord(skb.proto)}`;
    case FAIL_FRAG:
      return `${not(r.fragment)}-f: the packet is ${skb.fragment ? '' : 'not '}a fragment`;
    default: {
      const m = r.matches[fail - FAIL_MODULE];
      if (!m) return '-m ? did not match';
      const x = xtMatch(m);
      const k = fail - FAIL_MODULE;
      return x.describe ? x.describe(m, skb, state?.[k]) : `-m ${m.module} did not match`;
    }
  }
}
