// What the kernel round trip does to a rule or set as nft writes and lists it (observed with nft
// 1.0.6, see test/rules/nft/): a one-element anonymous set becomes its element, the protocol
// match a later header field depends on is dropped (`meta l4proto tcp tcp dport 22` lists as
// `tcp dport 22`; in an ip table `ip protocol tcp` too) and `th` after it names the protocol,
// elements of interval sets and of small keys (kept in a bitmap by the kernel) come back sorted,
// and an interval element that is exactly a prefix lists as one.
import type { NftExpr, NftFamily, NftRule, NftSet, NftSetElem, NftStmt } from './model.ts';
import {
  GROUP_ID,
  USER_ID,
  exprBits,
  exprType,
  formatIpv6,
  hasInterval,
  isL4Key,
  l4Name,
  parseIpv6,
} from './types.ts';
import { payloadMergeOrder } from './payload-merge.ts';
import { rawPayloadListing } from './raw-payload.ts';

/** The headers at nft's network base (a match of one kills a link layer dependency). */
const NETWORK = new Set(['ip', 'ip6', 'arp']);
const L4 = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'igmp', 'ah', 'esp', 'comp']);

export function normaliseRule(rule: NftRule, family: NftFamily): void {
  const s = rule.stmts;
  for (let k = 0; k < s.length; k++) {
    const st = s[k]!;
    if (st.kind === 'match') {
      const m = foldXor(resolveIds(st));
      s[k] = { ...m, right: tidyPrefix(normaliseRhs(m.left, m.right)) };
    } else if (st.kind === 'set') s[k] = { ...st, value: tidyMarkOps(st.value) };
    else if (st.kind === 'vmap' && st.map.kind === 'set') sortElems(st.map.elements, st.key, false);
  }
  // Raw payload matches come back as the header's fields or under a mask (raw-payload.ts), and
  // nft's payload merge reorders adjacent header fields (payload-merge.ts).
  s.splice(0, s.length, ...rawPayloadListing(payloadMergeOrder(s, family), family));
  // `rt nexthop` lists with the family its value has (rt.c: `rt ip nexthop`, `rt ip6 nexthop`).
  for (let k = 0; k < s.length; k++) {
    const st = s[k]!;
    if (st.kind === 'match' && st.left.kind === 'misc' && st.left.words === 'rt nexthop') {
      const t = exprType(st.right.kind === 'set' ? (st.right.elements[0]?.key ?? st.right) : st.right);
      const v6 = t === 'ipv6_addr' || (t === undefined && family === 'ip6');
      s[k] = { ...st, left: { ...st.left, words: v6 ? 'rt ip6 nexthop' : 'rt ip nexthop' } };
    }
  }
  // Dependencies.
  for (let k = 0; k < s.length; k++) {
    const st = s[k]!;
    if (st.kind !== 'match' || (st.op !== 'implicit' && st.op !== '==') || st.right.kind !== 'value')
      continue;
    const l = st.left;
    const isL4 =
      (l.kind === 'meta' && l.key === 'l4proto') ||
      (family === 'ip' && l.kind === 'payload' && l.proto === 'ip' && l.field === 'protocol') ||
      (family === 'ip6' && l.kind === 'payload' && l.proto === 'ip6' && l.field === 'nexthdr');
    if (isL4) {
      const name = l4Name(st.right.value as number);
      if (name === undefined || !L4.has(name)) continue;
      const isTh = ['tcp', 'udp', 'udplite', 'sctp', 'dccp'].includes(name);
      // Only matches up to the field that depends on it (`ip protocol tcp meta mark set 1 tcp dport
      // 22` lists whole: a statement between ends nft's dependency context).
      const upTo = s.slice(k + 1).findIndex((x) => x.kind !== 'match' && x.kind !== 'vmap');
      const later = s
        .slice(k + 1, upTo < 0 ? undefined : k + 2 + upTo)
        .filter((x) => x.kind === 'match' || x.kind === 'vmap')
        .flatMap((x) => payloadProtos(x));
      // nft drops the dependency the header's match follows: of two alike (`ip6 nexthdr 6 ip6
      // nexthdr 6 tcp dport 22`), the later one.
      // Only one before the first field that depends on it: after that field the later one is a
      // dependency of its own (`ip6 nexthdr 6 tcp dport 1-5 ip6 nexthdr 6 tcp dport 22` lists as
      // `tcp dport 1-5 tcp dport 22`).
      const scope = s.slice(k + 1, upTo < 0 ? undefined : k + 2 + upTo);
      const uses = (x: NftStmt): boolean => {
        const p = payloadProtos(x);
        return p.includes(name) || (isTh && p.includes('th'));
      };
      const first = scope.findIndex(uses);
      const again = scope
        .slice(0, first < 0 ? undefined : first)
        .some((x) => x.kind === 'match' && x.left.kind === l.kind && idOf(x) === idOf(st));
      if (!again && (later.includes(name) || (isTh && later.includes('th')))) {
        s.splice(k, 1);
        for (let j = k; j < s.length; j++) s[j] = renameTh(s[j]!, name);
        k--;
      }
      continue;
    }
    // In an ip or ip6 table `meta protocol ip` (ip6) with anything after it is the redundant
    // dependency nft drops (`meta protocol ip udp dport 67` lists as `udp dport 67`, `meta
    // protocol ip accept` as `accept`); alone at the end it stays (nft 1.0.6 here).
    if (l.kind === 'meta' && l.key === 'protocol' && (family === 'ip' || family === 'ip6')) {
      const want = family === 'ip' ? 0x0800 : 0x86dd;
      if (st.right.value === want && k + 1 < s.length) {
        s.splice(k, 1);
        k--;
      }
      continue;
    }
    // In bridge and netdev tables `ether type ip` or `meta protocol ip` (ip6, arp) before a match
    // of the network header is the dependency nft drops (payload_dependency_kill: `ether type ip
    // ip saddr 1.2.3.4` lists as `ip saddr 1.2.3.4`), up to the next statement that is not a match.
    if (
      (family === 'bridge' || family === 'netdev') &&
      ((l.kind === 'payload' && l.proto === 'ether' && l.field === 'type') ||
        (l.kind === 'meta' && l.key === 'protocol')) &&
      typeof st.right.value === 'number' &&
      [0x0800, 0x86dd, 0x0806].includes(st.right.value)
    ) {
      const upTo = s.slice(k + 1).findIndex((x) => x.kind !== 'match' && x.kind !== 'vmap');
      const later = s.slice(k + 1, upTo < 0 ? undefined : k + 1 + upTo).flatMap((x) => payloadProtos(x));
      if (later.some((p) => NETWORK.has(p))) {
        s.splice(k, 1);
        k--;
      }
      continue;
    }
    if (
      l.kind === 'meta' &&
      l.key === 'nfproto' &&
      (family === 'inet' || family === 'bridge' || family === 'netdev')
    ) {
      const fam = st.right.value === 2 ? 'ip' : st.right.value === 10 ? 'ip6' : undefined;
      // `ct original saddr` after it names the family (`ct original ip saddr`) and needs it no more.
      if (
        fam &&
        family === 'inet' &&
        s
          .slice(k + 1)
          .some(
            (x) =>
              x.kind === 'match' && x.left.kind === 'ct' && x.left.implied === true && x.left.family === fam,
          )
      ) {
        s.splice(k, 1);
        k--;
        continue;
      }
      const next = s.slice(k + 1).find((x) => x.kind !== 'match' || firstPayloadProto(x) !== undefined);
      const needs = fam === 'ip' ? ['ip', 'icmp', 'igmp'] : ['ip6', 'icmpv6'];
      if (fam && next && needs.includes(firstPayloadProto(next)!)) {
        s.splice(k, 1);
        k--;
      }
    }
  }
  addEchoDependency(s);
  // `reject with tcp reset` needs TCP: the reader puts the `meta l4proto tcp` it implies just
  // before the reject (with the reject's own position); nft's stmt_reject_gen_dependency puts it at
  // the head of the rule, where the kernel runs it first.
  for (let k = 1; k < s.length; k++) {
    const r = s[k]!;
    const d = s[k - 1]!;
    if (r.kind === 'reject' && r.with?.type === 'tcp reset' && r.pos !== undefined && d.pos === r.pos) {
      s.splice(k - 1, 1);
      s.unshift(d);
    }
  }
  thInContext(s);
}

/** The transport protocols whose ports `th` names (and ICMP's checksum where `th dport` lies). */
const TH_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  tcp: { sport: 'sport', dport: 'dport' },
  udp: { sport: 'sport', dport: 'dport' },
  udplite: { sport: 'sport', dport: 'dport' },
  sctp: { sport: 'sport', dport: 'dport' },
  dccp: { sport: 'sport', dport: 'dport' },
  icmp: { dport: 'checksum' },
  icmpv6: { dport: 'checksum' },
};

/**
 * `th` after a transport header lists as that protocol's field: nft lists a rule with the protocol
 * its first transport match's dependency set (`tcp sport != 1 th dport 7` lists as `tcp sport != 1
 * tcp dport 7`; in ICMP, `th dport` is `icmp checksum`). Checked against nft 1.0.6 here.
 */
function thInContext(s: NftStmt[]): void {
  let l4: string | undefined;
  for (let k = 0; k < s.length; k++) {
    const st = s[k]!;
    if (l4 !== undefined && payloadProtos(st).includes('th')) s[k] = renameTh(st, l4, true);
    // A protocol match (`ip protocol 17`, `ip6 nexthdr udp`, `meta l4proto udp`) sets it anew.
    if (
      st.kind === 'match' &&
      (st.op === 'implicit' || st.op === '==') &&
      st.right.kind === 'value' &&
      typeof st.right.value === 'number' &&
      isL4Key(st.left)
    ) {
      const name = l4Name(st.right.value);
      if (name !== undefined && name in TH_FIELDS) l4 = name;
    } else if (l4 === undefined) l4 = payloadProtos(st).find((p) => p in TH_FIELDS);
  }
}

/**
 * `icmp id 1` needs an echo message: nft 1.0.6's payload_add_dependency (the template's icmp_dep,
 * PROTO_ICMP_ECHO) puts `icmp type { echo-reply, echo-request }` before the first id or sequence
 * match of a rule that has not matched the type yet; the kernel runs it and nft lists it.
 */
function addEchoDependency(s: NftStmt[]): void {
  const typed = new Set<string>();
  for (let k = 0; k < s.length; k++) {
    const st = s[k]!;
    if (st.kind !== 'match') continue;
    const l = st.left.kind === 'binop' ? st.left.left : st.left;
    if (l.kind !== 'payload' || (l.proto !== 'icmp' && l.proto !== 'icmpv6')) continue;
    if (l.field === 'type') typed.add(l.proto);
    else if ((l.field === 'id' || l.field === 'sequence') && !typed.has(l.proto)) {
      typed.add(l.proto);
      const v4 = l.proto === 'icmp';
      const type = v4 ? 'icmp_type' : 'icmpv6_type';
      const elements = (v4 ? [0, 8] : [128, 129]).map((value) => ({
        key: { kind: 'value' as const, type, value },
      }));
      s.splice(k++, 0, {
        kind: 'match',
        left: { kind: 'payload', proto: l.proto, field: 'type' },
        op: 'implicit',
        right: { kind: 'set', elements },
      });
    }
  }
}

export function payloadProtos(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) {
    for (const i of x) payloadProtos(i, out);
    return out;
  }
  if (!x || typeof x !== 'object') return out;
  const o = x as { kind?: string; proto?: string };
  if (o.kind === 'payload' && o.proto !== undefined) out.push(o.proto);
  const r = o as Record<string, unknown>;
  for (const k in r) if (k !== 'pos') payloadProtos(r[k], out);
  return out;
}

function firstPayloadProto(x: unknown): string | undefined {
  if (Array.isArray(x)) {
    for (const i of x) {
      const r = firstPayloadProto(i);
      if (r) return r;
    }
    return undefined;
  }
  if (!x || typeof x !== 'object') return undefined;
  const o = x as { kind?: string; proto?: string };
  if (o.kind === 'payload') return o.proto;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'pos') continue;
    const r = firstPayloadProto(v);
    if (r) return r;
  }
  return undefined;
}

function renameTh<T>(x: T, proto: string, mapped = false): T {
  if (Array.isArray(x)) return x.map((i: unknown) => renameTh(i, proto, mapped)) as T;
  if (!x || typeof x !== 'object') return x;
  const o = x as Record<string, unknown>;
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) r[k] = k === 'pos' ? v : renameTh(v, proto, mapped);
  if (o.kind === 'payload' && o.proto === 'th') {
    // `mapped`: the field as the protocol names it (TH_FIELDS), or `th` kept where it has none.
    const field = mapped ? TH_FIELDS[proto]?.[String(o.field)] : String(o.field);
    if (field !== undefined) {
      r.proto = proto;
      r.field = field;
    }
  }
  return r as T;
}

/**
 * A one-element anonymous set that nft's expr_evaluate_set turns into its element: a value, a
 * range or a prefix, not a concatenation.
 */
function singleKey(e: NftSetElem): boolean {
  const k = e.key.kind;
  return e.data === undefined && !e.stmts && (k === 'value' || k === 'range' || k === 'prefix');
}

/** `meta skuid "root"`: a user or group name lists as its id (USER_ID, GROUP_ID). */
function resolveIds(st: Extract<NftStmt, { kind: 'match' }>): Extract<NftStmt, { kind: 'match' }> {
  const l = st.left;
  if (l.kind !== 'meta' || (l.key !== 'skuid' && l.key !== 'skgid')) return st;
  const ids = l.key === 'skuid' ? USER_ID : GROUP_ID;
  const id = (e: NftExpr): NftExpr => {
    if (e.kind !== 'value' || typeof e.value !== 'string') return e;
    const n = ids.get(e.value);
    return n === undefined ? e : { ...e, value: n };
  };
  const r = st.right;
  if (r.kind === 'set')
    return { ...st, right: { ...r, elements: r.elements.map((x) => ({ ...x, key: id(x.key) })) } };
  return { ...st, right: id(r) };
}

/**
 * `x ^ a == b` with constants a and b: nft's binop_transfer moves the xor to the right (`x == a ^ b`)
 * when x is a meta, ct, payload or exthdr expression.
 */
function foldXor(st: Extract<NftStmt, { kind: 'match' }>): Extract<NftStmt, { kind: 'match' }> {
  const l = st.left;
  const r = st.right;
  if (
    l.kind !== 'binop' ||
    l.op !== '^' ||
    l.right.kind !== 'value' ||
    typeof l.right.value !== 'number' ||
    r.kind !== 'value' ||
    typeof r.value !== 'number' ||
    !['meta', 'ct', 'payload', 'exthdr'].includes(l.left.kind) ||
    !['==', '!=', 'implicit'].includes(st.op)
  )
    return st;
  return { ...st, left: l.left, right: { ...r, value: (r.value ^ l.right.value) >>> 0 } };
}

function normaliseRhs(left: NftExpr, right: NftExpr): NftExpr {
  if (right.kind !== 'set') return right;
  const els = right.elements;
  if (els.length === 1 && singleKey(els[0]!)) return els[0]!.key;
  // The same key twice (`ip dscp { df, be, cs0 }` are all 0) is one element in the kernel; the
  // set stays a set (`tcp dport { 22, 22 }` lists as `tcp dport { 22 }`: nft 1.0.6 here, whose
  // expr_evaluate_set saw two elements).
  const seen = new Set<string>();
  for (let k = 0; k < els.length; k++) {
    const id = keyId(els[k]!.key);
    if (seen.has(id)) els.splice(k--, 1);
    else seen.add(id);
  }
  const interval = els.some((e) => hasInterval(e.key));
  sortElems(els, left, interval);
  if (interval) mergeIntervals(els);
  return right;
}

/** Sorts elements as the kernel lists them back: interval sets and keys of at most 16 bits. */
function sortElems(els: NftSetElem[], keyExpr: NftExpr | undefined, interval: boolean): void {
  const bits = keyExpr ? exprBits(keyExpr) : 32;
  if (keyExpr?.kind === 'concat') {
    // Adjacent one-byte header fields (icmpv6 type . icmpv6 code) are one 16-bit key: the kernel's
    // bitmap lists them by its little-endian value.
    const items = keyExpr.items;
    const bytes = items.every((x) => x.kind === 'payload' && exprBits(x) <= 8);
    if (!bytes || items.length > 2) return;
    const le = (e: NftExpr): number =>
      e.kind === 'concat'
        ? e.items.reduce(
            (a, x, k) => a + (x.kind === 'value' && typeof x.value === 'number' ? x.value : 0) * 256 ** k,
            0,
          )
        : 0;
    els.sort((a, b) => le(a.key) - le(b.key));
    return;
  }
  if (!interval && bits > 16) return;
  els.sort((a, b) => cmpKey(a.key, b.key));
  const w = els.findIndex((e) => e.key.kind === 'wildcard');
  if (w >= 0 && w !== els.length - 1) els.push(els.splice(w, 1)[0]!);
}

function lowOf(e: NftExpr): number | string {
  if (e.kind === 'value') return e.value;
  if (e.kind === 'range') return lowOf(e.low);
  if (e.kind === 'prefix') return lowOf(e.value);
  return 0;
}

function cmpKey(a: NftExpr, b: NftExpr): number {
  const x = lowOf(a);
  const y = lowOf(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const gx = typeof x === 'string' ? parseIpv6(x) : undefined;
  const gy = typeof y === 'string' ? parseIpv6(y) : undefined;
  if (gx && gy) {
    for (let k = 0; k < 8; k++) if (gx[k] !== gy[k]) return gx[k]! - gy[k]!;
    return 0;
  }
  return String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
}

type Span = { lo: bigint; hi: bigint; type: string; bits: number };

export function spanOf(e: NftExpr): Span | undefined {
  const num = (v: NftExpr): { n: bigint; type: string; bits: number } | undefined => {
    if (v.kind !== 'value') return undefined;
    if (typeof v.value === 'number')
      return { n: BigInt(v.value), type: v.type, bits: v.type === 'ipv4_addr' ? 32 : 16 };
    if (v.type === 'ipv6_addr') {
      const g = parseIpv6(v.value);
      if (!g) return undefined;
      return { n: g.reduce((a, x) => (a << 16n) | BigInt(x), 0n), type: v.type, bits: 128 };
    }
    return undefined;
  };
  if (e.kind === 'value') {
    const x = num(e);
    return x && { lo: x.n, hi: x.n, type: x.type, bits: x.bits };
  }
  if (e.kind === 'range') {
    const a = num(e.low);
    const b = num(e.high);
    return a && b && { lo: a.n, hi: b.n, type: a.type, bits: a.bits };
  }
  if (e.kind === 'prefix') {
    const a = num(e.value);
    if (!a) return undefined;
    const host = (1n << BigInt(a.bits - e.len)) - 1n;
    return { lo: a.n & ~host, hi: (a.n & ~host) | host, type: a.type, bits: a.bits };
  }
  return undefined;
}

/**
 * The first of `added` that overlaps another interval of an interval set holding `existing`
 * (intervals.c set_overlap, nft 1.0.6, for a set without `auto-merge` and for every map:
 * "conflicting intervals specified"): in the order of the low ends, an interval that starts at or
 * before the highest end so far; of the two, the added one (the later when both are). The same
 * interval twice is one. Undefined when none overlaps (or the keys are not single intervals).
 */
export function firstOverlap(
  existing: readonly NftSetElem[],
  added: readonly NftSetElem[],
): NftSetElem | undefined {
  const spans: { e: NftSetElem; s: Span; added: boolean }[] = [];
  for (const e of existing) {
    const sp = spanOf(e.key);
    if (sp) spans.push({ e, s: sp, added: false });
  }
  for (const e of added) {
    const sp = spanOf(e.key);
    if (sp) spans.push({ e, s: sp, added: true });
  }
  // Stable: at the same low end, what the set held comes first.
  spans.sort((a, b) => (a.s.lo < b.s.lo ? -1 : a.s.lo > b.s.lo ? 1 : 0));
  let top: (typeof spans)[number] | undefined;
  for (const c of spans) {
    if (top !== undefined && c.s.lo <= top.s.hi && !(c.s.lo === top.s.lo && c.s.hi === top.s.hi)) {
      if (c.added) return c.e;
      if (top.added) return top.e;
    }
    if (top === undefined || c.s.hi > top.s.hi) top = c;
  }
  return undefined;
}

function valueOf(n: bigint, type: string): NftExpr {
  if (type === 'ipv6_addr') {
    const g: number[] = [];
    for (let k = 7; k >= 0; k--) g.push(Number((n >> BigInt(16 * k)) & 0xffffn));
    return { kind: 'value', type, value: formatIpv6(g) };
  }
  return { kind: 'value', type, value: Number(n) };
}

function exprOfSpan(s: Span): NftExpr {
  if (s.lo === s.hi) return valueOf(s.lo, s.type);
  if (s.type === 'ipv4_addr' || s.type === 'ipv6_addr') {
    const size = s.hi - s.lo + 1n;
    if ((size & (size - 1n)) === 0n && s.lo % size === 0n) {
      const len = s.bits - (size.toString(2).length - 1);
      return { kind: 'prefix', value: valueOf(s.lo, s.type), len };
    }
  }
  return { kind: 'range', low: valueOf(s.lo, s.type), high: valueOf(s.hi, s.type) };
}

/** An anonymous interval set's overlapping and adjacent elements become one (nft merges them). */
function mergeIntervals(els: NftSetElem[]): void {
  const spans = els.map((e) => (e.data === undefined ? spanOf(e.key) : undefined));
  if (spans.some((x) => x === undefined)) return;
  const all = (spans as Span[])
    .map((s, k) => ({ ...s, k }))
    .sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : a.k - b.k));
  const out: (Span & { k: number })[] = [];
  for (const s of all) {
    const last = out[out.length - 1];
    if (last && s.lo <= last.hi + 1n) {
      if (s.hi > last.hi) last.hi = s.hi;
    } else out.push({ ...s });
  }
  if (out.length === els.length && out.every((s, k) => s.lo === spans[k]!.lo && s.hi === spans[k]!.hi))
    return;
  // A merged element keeps the first one's timeout, comment and counter (intervals.c merge_ranges
  // widens `prev`, the lower one, and frees the other).
  const pos = els[0]!.pos;
  els.splice(
    0,
    els.length,
    ...out.map((s) => ({ ...els[s.k]!, key: exprOfSpan(s), ...(pos ? { pos } : {}) })),
  );
}

/** A range that is exactly a prefix lists as that prefix (ipv4), a one-value range as the value. */
function tidyInterval(e: NftExpr): NftExpr {
  // A concatenation's parts each (concat_range_aggregate prints each part's network and prefix).
  if (e.kind === 'concat') return { ...e, items: e.items.map((x) => tidyPrefix6(tidyInterval(x))) };
  if (e.kind === 'range' && e.low.kind === 'value' && e.high.kind === 'value') {
    const lo = e.low.value;
    const hi = e.high.value;
    if (typeof lo === 'number' && typeof hi === 'number') {
      if (lo === hi) return e.low;
      if (e.low.type === 'ipv4_addr') {
        const size = hi - lo + 1;
        const len = 32 - Math.log2(size);
        if (Number.isInteger(len) && lo % size === 0)
          return { kind: 'prefix', value: e.low, len, ...(e.pos ? { pos: e.pos } : {}) };
      }
    }
  }
  if (e.kind === 'prefix' && e.value.kind === 'value' && e.value.type === 'ipv4_addr') {
    if (e.len === 32) return e.value;
    // The kernel keeps the network address.
    const v = e.value.value as number;
    const mask = e.len === 0 ? 0 : (0xffffffff << (32 - e.len)) >>> 0;
    if ((v & mask) >>> 0 !== v) return { ...e, value: { ...e.value, value: (v & mask) >>> 0 } };
  }
  return e;
}

/** An IPv6 prefix with its host bits cleared, and a /128 as the address alone. */
function tidyPrefix6(e: NftExpr): NftExpr {
  if (e.kind !== 'prefix' || e.value.kind !== 'value' || e.value.type !== 'ipv6_addr') return e;
  if (e.len === 128) return e.value;
  const g = parseIpv6(String(e.value.value));
  if (!g) return e;
  const masked = g.map((x, k) => {
    const bits = Math.min(16, Math.max(0, e.len - 16 * k));
    return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
  });
  return { ...e, value: { ...e.value, value: formatIpv6(masked) } };
}

/** A prefix lists with its host bits cleared, and a full-length one as the address alone. */
function tidyPrefix(e: NftExpr): NftExpr {
  if (e.kind === 'concat') return tidyInterval(e);
  if (e.kind === 'set') {
    for (let k = 0; k < e.elements.length; k++)
      e.elements[k] = { ...e.elements[k]!, key: tidyPrefix(e.elements[k]!.key) };
    return e;
  }
  if (e.kind !== 'prefix' || e.value.kind !== 'value' || e.value.type !== 'ipv4_addr') return e;
  return tidyInterval(e);
}

/**
 * `x & m ^ v` with no bit of v in m is what nft lists as `x & (m|v) | v` (the kernel keeps one
 * mask and xor; nft shows them so).
 */
function tidyMarkOps(e: NftExpr): NftExpr {
  if (
    e.kind === 'binop' &&
    e.op === '^' &&
    e.right.kind === 'value' &&
    typeof e.right.value === 'number' &&
    e.left.kind === 'binop' &&
    e.left.op === '&' &&
    e.left.right.kind === 'value' &&
    typeof e.left.right.value === 'number' &&
    (e.left.right.value & e.right.value) === 0
  ) {
    const m = (e.left.right.value | e.right.value) >>> 0;
    return { ...e, op: '|', left: { ...e.left, right: { ...e.left.right, value: m } } };
  }
  return e;
}

/** A hash set's element keys (and whether one is the catch-all), kept while it only grows by addElements. */
const elemKeys = new WeakMap<NftSet, { keys: Set<string>; wildcard: boolean }>();

/**
 * Declared elements that an `add element` (or a set's `elements = { … }` added again) gave a new
 * timeout or expiry in this load: their expiry counts from this load, not carried from the engine
 * before it (compile.ts carryStaticExpiry). A fresh mark per load (the reader clones the ruleset).
 */
export const refreshedElems = new WeakSet<NftSetElem>();

/**
 * An element added again to a set that holds it (NEWSETELEM without NLM_F_EXCL, as nft's `add`
 * sends it): Linux 6.12+ (nf_tables_api.c nft_add_set_elem, commit 4201f3938914) gives an element
 * with a timeout the new one when it differs — its own, else the set's, so that an element of its
 * own 30 s added again without one takes the set's — and then a fresh expiry; an explicit
 * `expires` sets the expiry. The same timeout and no `expires` changes nothing (its expiry runs
 * on). Checked with nft 1.0.6 on 6.18 in a namespace (test/rules/nft/set-readd.test.ts).
 */
export function refreshExisting(set: NftSet, els: readonly NftSetElem[]): void {
  if (set.timeout === undefined && !set.flags.includes('timeout')) return;
  let at: Map<string, number> | undefined;
  for (const e of els) {
    if (e.key.kind === 'wildcard') continue;
    at ??= new Map(set.elements.map((x, k) => [keyId(x.key), k]));
    const k = at.get(keyId(e.key));
    if (k === undefined) continue;
    const old = set.elements[k]!;
    const was = old.timeout ?? set.timeout ?? 0;
    // Only an element with a timeout has the kernel's NFT_SET_EXT_TIMEOUT to update.
    if (was === 0) continue;
    const now = e.timeout ?? set.timeout ?? 0;
    if (now === was && e.expires === undefined) continue;
    const next: NftSetElem = { ...old };
    const w = next as { timeout?: number; expires?: number };
    delete w.timeout;
    delete w.expires;
    if (e.timeout !== undefined) w.timeout = e.timeout;
    if (e.expires !== undefined) w.expires = e.expires;
    set.elements[k] = next;
    refreshedElems.add(next);
  }
}

/**
 * `add element`: new elements join the set (a key already there once), without renormalising the
 * whole set for hash sets (linear over many commands); interval and small-key sets are re-sorted.
 */
export function addElements(set: NftSet, els: readonly NftSetElem[]): void {
  refreshExisting(set, els);
  const interval = set.flags.includes('interval');
  const small =
    set.key.types.length === 1 &&
    ['inet_service', 'inet_proto', 'icmp_type', 'ether_type', 'icmpv6_type'].includes(set.key.types[0]!);
  if (interval || small) {
    set.elements.push(...els);
    normaliseSet(set);
    return;
  }
  let ix = elemKeys.get(set);
  if (!ix || ix.keys.size !== set.elements.length) {
    ix = {
      keys: new Set(set.elements.map((e) => keyId(e.key))),
      wildcard: set.elements.some((e) => e.key.kind === 'wildcard'),
    };
    elemKeys.set(set, ix);
  }
  if (ix.wildcard || els.some((e) => e.key.kind === 'wildcard')) {
    set.elements.push(...els);
    normaliseSet(set);
    elemKeys.delete(set);
    return;
  }
  const keys = ix.keys;
  for (const e of els) {
    const id = keyId(e.key);
    if (keys.has(id)) continue;
    keys.add(id);
    set.elements.push(e);
  }
}

export function normaliseSet(set: NftSet): void {
  const interval = set.flags.includes('interval');
  const els = set.elements;
  if (interval) for (let k = 0; k < els.length; k++) els[k] = { ...els[k]!, key: tidyInterval(els[k]!.key) };
  // Duplicates collapse (the kernel keeps one).
  const seen = new Set<string>();
  for (let k = 0; k < els.length; k++) {
    const id = keyId(els[k]!.key);
    if (seen.has(id)) els.splice(k--, 1);
    else seen.add(id);
  }
  if (set.key.types.length > 1) return;
  // `auto-merge`: nft merges overlapping and adjacent intervals of a set (not a map) with the
  // elements it holds (intervals.c set_automerge: set_sort_splice, setelem_automerge).
  if (interval && set.autoMerge && !set.isMap) mergeIntervals(els);
  const t = set.key.types[0]!;
  const bits = set.key.typeof
    ? exprBits(set.key.typeof[0]!)
    : (({ inet_service: 16, inet_proto: 8, icmp_type: 8, ether_type: 16 } as Record<string, number>)[t] ??
      32);
  void exprType;
  if (interval || bits <= 16) els.sort((a, b) => cmpKey(a.key, b.key));
  // The catch-all element lists last.
  const w = els.findIndex((e) => e.key.kind === 'wildcard');
  if (w >= 0 && w !== els.length - 1) els.push(els.splice(w, 1)[0]!);
}

/** An element key's identity: its fields but positions, in order (as JSON without `pos`, cheaper). */
function keyId(e: NftExpr): string {
  return idOf(e);
}

function idOf(x: unknown): string {
  if (x === null || typeof x !== 'object') return typeof x === 'string' ? JSON.stringify(x) : String(x);
  let s: string;
  if (Array.isArray(x)) {
    s = '[';
    for (const v of x as unknown[]) s += idOf(v) + ',';
    return s + ']';
  }
  const r = x as Record<string, unknown>;
  s = '{';
  for (const k in r) if (k !== 'pos' && r[k] !== undefined) s += k + ':' + idOf(r[k]) + ',';
  return s + '}';
}

// ---------------------------------------------------------------------------------------------
// The order `nft list` prints set elements in: nft sorts every set it lists (netlink.c,
// netlink_list_setelems: list_expr_sort, or interval_map_decompose / concat_range_aggregate for
// interval sets, which sort too) by expr_msort_value (mergesort.c): a value's number as nft holds
// it (big-endian types as read in network order, host-endian ones such as mark, iface_index and
// ifname strings as the host's little-endian bytes), a range or prefix by its low end, a
// concatenation by the bytes of its parts laid end to end read as one little-endian number, the
// catch-all element last.

/** Bytes and byte order of a datatype inside a concatenation (datatype.c, meta.c, ct.c). */
const BE_BYTES: Readonly<Record<string, number>> = {
  ipv4_addr: 4,
  ipv6_addr: 16,
  inet_service: 2,
  ether_addr: 6,
  ether_type: 2,
  arp_op: 2,
  inet_proto: 1,
  icmp_type: 1,
  icmp_code: 1,
  icmpv6_type: 1,
  icmpv6_code: 1,
  icmpx_code: 1,
  tcp_flag: 1,
  dscp: 1,
  ecn: 1,
  ll_addr: 6,
};
const HOST_BYTES: Readonly<Record<string, number>> = {
  ifname: 16,
  string: 16,
  pkt_type: 1,
  nf_proto: 1,
  ct_dir: 1,
  iface_type: 2,
  day: 1,
  boolean: 1,
  ct_label: 16,
};

const IFNAMSIZ = 16;

function stringBytes(s: string, n: number): number[] {
  const b = new Array<number>(n).fill(0);
  for (let k = 0; k < s.length && k < n; k++) b[k] = s.charCodeAt(k) & 0xff;
  return b;
}

/** A value's bytes as the kernel holds them in a set key. */
function valueBytes(v: Extract<NftExpr, { kind: 'value' }>): number[] {
  const x = v.value;
  if (v.type === 'iface_index' && typeof x === 'string') {
    const n = v.ifindex ?? 0;
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  }
  if (typeof x === 'string') {
    if (v.type === 'ipv6_addr') return (parseIpv6(x) ?? []).flatMap((g) => [g >> 8, g & 0xff]);
    if (/^[0-9]+$/.test(x)) {
      let b = BigInt(x);
      const out: number[] = [];
      for (let k = 0; k < Math.ceil((v.bits ?? 128) / 8); k++, b >>= 8n) out.push(Number(b & 0xffn));
      return out;
    }
    return stringBytes(x, Math.max(IFNAMSIZ, x.length));
  }
  const be = BE_BYTES[v.type] ?? (v.type === 'integer' ? Math.ceil((v.bits ?? 32) / 8) : undefined);
  const n = be ?? HOST_BYTES[v.type] ?? Math.ceil((v.bits ?? 32) / 8);
  const out: number[] = [];
  let rest = x;
  for (let k = 0; k < n; k++) {
    out.push(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return be !== undefined ? out.reverse() : out;
}

function lowValue(e: NftExpr): Extract<NftExpr, { kind: 'value' }> | undefined {
  if (e.kind === 'value') return e;
  if (e.kind === 'range') return lowValue(e.low);
  if (e.kind === 'prefix') return lowValue(e.value);
  return undefined;
}

/** A little-endian byte string as a number. */
function leNumber(b: readonly number[]): bigint {
  let n = 0n;
  for (let k = b.length - 1; k >= 0; k--) n = (n << 8n) | BigInt(b[k]!);
  return n;
}

/** expr_msort_value of an element's key (undefined: the catch-all, printed last). */
function listKey(e: NftExpr): bigint | undefined {
  if (e.kind === 'wildcard') return undefined;
  if (e.kind === 'concat')
    return leNumber(
      e.items.flatMap((x) => {
        const v = lowValue(x);
        return v ? valueBytes(v) : [];
      }),
    );
  const v = lowValue(e);
  if (!v) return 0n;
  // A single value is compared as the number it is (network-order types read big-endian).
  if (typeof v.value === 'number') return BigInt(v.value);
  const b = valueBytes(v);
  if (v.type === 'ipv6_addr') return leNumber(b.slice().reverse());
  return leNumber(b);
}

/** The elements in the order `nft list` prints them (see above). Stable; the input is not changed. */
export function listOrder(els: readonly NftSetElem[]): readonly NftSetElem[] {
  if (els.length < 2) return els;
  // Concatenations with ranges (the kernel's pipapo set) list as they were added.
  if (
    els.some(
      (e) => e.key.kind === 'concat' && e.key.items.some((x) => x.kind === 'range' || x.kind === 'prefix'),
    )
  )
    return els;
  const keyed = els.map((e, i) => ({ e, i, k: listKey(e.key) }));
  keyed.sort((a, b) => {
    if (a.k === undefined || b.k === undefined) return a.k === b.k ? a.i - b.i : a.k === undefined ? 1 : -1;
    return a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i;
  });
  return keyed.map((x) => x.e);
}
