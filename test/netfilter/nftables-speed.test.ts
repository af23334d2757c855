// The flat program's set and map lookups (compile.ts/table.ts OP_LOOKUP, OP_VMAP, OP_DVMAP over
// sets.ts's HashIndex / IntervalIndex / direct tables) against a plain reference: a walk over the
// elements in the order given, answering the first whose every field holds the packet's field
// (nft_lookup; overlapping elements do not occur in the kernel, and natbox answers the first).
// Random sets and verdict maps, named and literal, exact and interval, of 1 to 3 concatenated
// fields, with and without a catch-all, run as the evaluator runs them (a base chain, untraced and
// traced). The reference is this file's own walk: the kernel has no other answer to give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NftExpr, NftSetElem, NftStmt } from '../../src/rules/nft/model.ts';
import { nftFrontEnd } from '../../src/netfilter/nftables/index.ts';
import { NF_INET_PRE_ROUTING } from '../../src/netfilter/core/hook-numbers.ts';
import { T_ACCEPT, T_DROP, T_REJECT, type NfTable } from '../../src/netfilter/core/table.ts';
import type { NfTracer } from '../../src/netfilter/core/trace-events.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { chain, match, num, pay, meta, rs, rule, set, table, verdict } from './nftables/dsl.ts';
import { fcOpts } from './helpers.ts';

/** The key fields a rule may concatenate: the expression, its set type, its packet value. */
const FIELDS = [
  { e: pay('ip', 'saddr'), type: 'ipv4_addr', base: 0x0a000000 },
  { e: pay('ip', 'daddr'), type: 'ipv4_addr', base: 0xc6336400 },
  { e: meta('l4proto'), type: 'inet_proto', base: -1 },
  { e: pay('th', 'dport'), type: 'inet_service', base: 80 },
] as const;

/** Field f's value for a small index (0..7): addresses and ports near their base, l4proto 6/17. */
const val = (f: number, x: number): number => (FIELDS[f]!.base < 0 ? (x & 1 ? 17 : 6) : FIELDS[f]!.base + x);

type Part = readonly [lo: number, hi: number]; // indexes 0..7
interface Elem {
  readonly parts: readonly Part[];
  readonly wildcard: boolean;
}

const arbCase = fc
  .record({
    fields: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
    interval: fc.boolean(),
    named: fc.boolean(),
    neg: fc.boolean(),
    catchAll: fc.boolean(),
    raw: fc.array(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 3 })), {
        minLength: 3,
        maxLength: 3,
      }),
      { minLength: 0, maxLength: 12 },
    ),
    packets: fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 20,
    }),
  })
  .map((c) => {
    // Exact sets hold single values; interval ones ranges (l4proto stays a value: 6 or 17).
    const elems: Elem[] = c.raw.map((r) => ({
      parts: c.fields.map((f, i) => {
        const [lo, w] = r[i]!;
        return c.interval && FIELDS[f]!.base >= 0
          ? ([lo, Math.min(7, lo + w)] as const)
          : ([lo, lo] as const);
      }),
      wildcard: false,
    }));
    return { ...c, elems };
  });

function keyExpr(fields: readonly number[], parts: readonly Part[]): NftExpr {
  const items = fields.map((f, i): NftExpr => {
    const [lo, hi] = parts[i]!;
    const t = FIELDS[f]!.type;
    return lo === hi
      ? num(val(f, lo), t)
      : { kind: 'range', low: num(val(f, lo), t), high: num(val(f, hi), t) };
  });
  return items.length === 1 ? items[0]! : { kind: 'concat', items };
}

/** The reference: the first element holding the packet's fields (indexes), else the catch-all. */
function reference(
  fields: readonly number[],
  elems: readonly Elem[],
  pkt: readonly number[],
  catchAll: number,
): number {
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i]!;
    if (
      fields.every((f, j) => {
        const [lo, hi] = e.parts[j]!;
        const x = pkt[f]!;
        if (FIELDS[f]!.base < 0) return (x & 1) === (lo & 1);
        return x >= lo && x <= hi;
      })
    )
      return i;
  }
  return catchAll;
}

function packet(pkt: readonly number[]): Skb {
  const src = val(0, pkt[0]!);
  const dst = val(1, pkt[1]!);
  const dport = val(3, pkt[3]!);
  const buf =
    val(2, pkt[2]!) === 6
      ? buildTcpPacket(
          { src, dst, id: 1 },
          { srcPort: 40000, dstPort: dport, seq: 1, ack: 0, flags: 2, window: 9 },
        )
      : buildUdpPacket({ src, dst, id: 1 }, { srcPort: 40000, dstPort: dport });
  return new Skb().load(buf, 0, 'eth0', '');
}

/** The chain names the walk's rules ran in (the last one is where the verdict came from). */
function traced(t: NfTable, skb: Skb): { verdict: number; chains: string[] } {
  const chains: string[] = [];
  const tracer = {
    rule: (_h: string, _t: string, c: string) => chains.push(c),
    ruleMiss: () => undefined,
    policy: () => undefined,
  } as unknown as NfTracer;
  return { verdict: t.run(NF_INET_PRE_ROUTING, skb, 1, tracer), chains };
}

function base(rules: ReturnType<typeof rule>[]): ReturnType<typeof chain> {
  return chain('pre', rules, { hook: 'prerouting', priority: 0, policy: 'accept' });
}

function tableOf(c: ReturnType<typeof chain>[], sets: ReturnType<typeof set>[]): NfTable {
  const ts = nftFrontEnd(rs(table('ip', 't', c, sets))).tables(undefined as never, undefined);
  const t = ts.find((x) => x.name === 'ip t pre');
  assert.ok(t, 'the base chain compiled');
  assert.deepEqual((t as unknown as { rt: { problems: unknown[] } }).rt.problems, []);
  return t;
}

test('nft speed: verdict map lookups (hash, intervals, direct) agree with a walk over the elements (property)', () => {
  fc.assert(
    fc.property(arbCase, (c) => {
      // Element i: goto e<i>, which accepts (i even) or drops (i odd); no element: reject.
      const elements: NftSetElem[] = c.elems.map((e, i) => ({
        key: keyExpr(c.fields, e.parts),
        data: { kind: 'verdict', verdict: 'goto', chain: `e${i}` },
      }));
      const catchAll = c.catchAll && c.named ? elements.length : -1;
      if (catchAll >= 0)
        elements.push({
          key: { kind: 'wildcard' },
          data: { kind: 'verdict', verdict: 'goto', chain: `e${catchAll}` },
        });
      const key: NftExpr =
        c.fields.length === 1
          ? FIELDS[c.fields[0]!]!.e
          : { kind: 'concat', items: c.fields.map((f) => FIELDS[f]!.e) };
      const map: NftExpr = c.named ? { kind: 'setref', name: 'm' } : { kind: 'set', elements };
      const chains = [
        base([rule({ kind: 'vmap', key, map } as NftStmt), rule({ kind: 'reject' } as NftStmt)]),
        ...elements.map((_, i) => chain(`e${i}`, [rule(verdict(i % 2 === 0 ? 'accept' : 'drop'))])),
      ];
      const sets = c.named
        ? [
            set(
              'm',
              c.fields.map((f) => FIELDS[f]!.type),
              elements,
              {
                isMap: true,
                data: { types: ['verdict'] },
                flags: c.interval ? ['interval'] : [],
              },
            ),
          ]
        : [];
      const t = tableOf(chains, sets);
      for (const p of c.packets) {
        const want = reference(c.fields, c.elems, p, catchAll);
        const wantV = want < 0 ? T_REJECT : want % 2 === 0 ? T_ACCEPT : T_DROP;
        assert.equal(t.run(NF_INET_PRE_ROUTING, packet(p), 1, undefined), wantV);
        const tr = traced(t, packet(p));
        assert.equal(tr.verdict, wantV);
        assert.equal(tr.chains.at(-1), want < 0 ? 'pre' : `e${want}`);
      }
    }),
    fcOpts,
  );
});

test('nft speed: set membership (== and !=) agrees with a walk over the elements (property)', () => {
  fc.assert(
    fc.property(arbCase, (c) => {
      const elements: NftSetElem[] = c.elems.map((e) => ({ key: keyExpr(c.fields, e.parts) }));
      const key: NftExpr =
        c.fields.length === 1
          ? FIELDS[c.fields[0]!]!.e
          : { kind: 'concat', items: c.fields.map((f) => FIELDS[f]!.e) };
      const right: NftExpr = c.named ? { kind: 'setref', name: 's' } : { kind: 'set', elements };
      const chains = [base([rule(match(key, right, c.neg ? '!=' : 'implicit'), verdict('drop'))])];
      const sets = c.named
        ? [
            set(
              's',
              c.fields.map((f) => FIELDS[f]!.type),
              elements,
              { flags: c.interval ? ['interval'] : [] },
            ),
          ]
        : [];
      const t = tableOf(chains, sets);
      for (const p of c.packets) {
        const hit = reference(c.fields, c.elems, p, -1) >= 0;
        const want = hit !== c.neg ? T_DROP : T_ACCEPT;
        assert.equal(t.run(NF_INET_PRE_ROUTING, packet(p), 1, undefined), want);
      }
    }),
    fcOpts,
  );
});

// Random chains of payload/meta matches (value, prefix, range; ==, !=) and verdicts (accept,
// drop, jump, goto, return, continue) run by the flat program against a plain nft_do_chain
// written here: the rules in order, a jump pushes the next rule, return and a chain's end pop,
// the base chain's end is the policy (accept).
interface RMatch {
  readonly f: number;
  readonly kind: 'value' | 'range' | 'prefix';
  readonly a: number;
  readonly b: number;
  readonly neg: boolean;
}
interface RRule {
  readonly matches: readonly RMatch[];
  readonly v: 'accept' | 'drop' | 'jump' | 'goto' | 'return' | 'continue';
  readonly target: number;
}

const arbRule = (chains: number, self: number): fc.Arbitrary<RRule> =>
  fc.record({
    matches: fc.array(
      fc.record({
        f: fc.integer({ min: 0, max: 3 }),
        kind: fc.constantFrom('value' as const, 'range' as const, 'prefix' as const),
        a: fc.integer({ min: 0, max: 7 }),
        b: fc.integer({ min: 0, max: 7 }),
        neg: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
    v: fc.constantFrom(
      'accept' as const,
      'drop' as const,
      'jump' as const,
      'goto' as const,
      'return' as const,
      'continue' as const,
    ),
    // Jumps only forward (chain indexes above this one): no loops, as nft -f requires.
    target: fc.integer({ min: self + 1, max: Math.max(self + 1, chains - 1) }),
  });

/** The match's verdict on field index x (the packet's 0..9) as the kernel's cmp/bitwise give it. */
function refMatch(m: RMatch, pkt: readonly number[]): boolean {
  const x = val(m.f, pkt[m.f]!);
  let hit: boolean;
  if (FIELDS[m.f]!.base < 0) hit = x === val(m.f, m.a);
  else if (m.kind === 'range') hit = x >= val(m.f, Math.min(m.a, m.b)) && x <= val(m.f, Math.max(m.a, m.b));
  else if (m.kind === 'prefix' && m.f < 2) {
    const mask = (0xffffffff << 2) >>> 0; // a /30
    hit = (x & mask) >>> 0 === (val(m.f, m.a) & mask) >>> 0;
  } else hit = x === val(m.f, m.a);
  return hit !== m.neg;
}

function matchStmt(m: RMatch): NftStmt {
  const f = FIELDS[m.f]!;
  const t = f.type;
  const right: NftExpr =
    f.base < 0
      ? num(val(m.f, m.a), t)
      : m.kind === 'range'
        ? {
            kind: 'range',
            low: num(val(m.f, Math.min(m.a, m.b)), t),
            high: num(val(m.f, Math.max(m.a, m.b)), t),
          }
        : m.kind === 'prefix' && m.f < 2
          ? { kind: 'prefix', value: num(val(m.f, m.a), t), len: 30 }
          : num(val(m.f, m.a), t);
  return match(f.e, right, m.neg ? '!=' : 'implicit');
}

function refWalk(rules: readonly (readonly RRule[])[], pkt: readonly number[]): number {
  const stack: [number, number][] = [];
  let c = 0;
  let i = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    const rs = rules[c]!;
    if (i >= rs.length) {
      if (stack.length === 0) return T_ACCEPT;
      [c, i] = stack.pop()!;
      continue;
    }
    const r = rs[i++]!;
    if (!r.matches.every((m) => refMatch(m, pkt))) continue;
    if (r.v === 'accept') return T_ACCEPT;
    if (r.v === 'drop') return T_DROP;
    if (r.v === 'continue') continue;
    if (r.v === 'return') {
      if (stack.length === 0) return T_ACCEPT;
      [c, i] = stack.pop()!;
    } else if (r.target < rules.length) {
      if (r.v === 'jump') stack.push([c, i]);
      c = r.target;
      i = 0;
    }
  }
  throw new Error('the reference walk did not end');
}

test('nft speed: chains of matches and verdicts run as a plain nft_do_chain walks them (property)', () => {
  const arb = fc.integer({ min: 1, max: 4 }).chain((n) =>
    fc.record({
      rules: fc.tuple(...Array.from({ length: n }, (_, c) => fc.array(arbRule(n, c), { maxLength: 5 }))),
      packets: fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 }), {
        minLength: 1,
        maxLength: 12,
      }),
    }),
  );
  fc.assert(
    fc.property(arb, ({ rules, packets }) => {
      const chains = rules.map((rs, c) => {
        const nft = rs.map((r) => {
          const stmts = r.matches.map(matchStmt);
          if (r.v === 'jump' || r.v === 'goto') {
            if (r.target < rules.length)
              stmts.push(verdict(r.v, c === 0 && r.target === 0 ? 'pre' : `c${r.target}`));
          } else stmts.push(verdict(r.v));
          return rule(...stmts);
        });
        return c === 0 ? base(nft) : chain(`c${c}`, nft);
      });
      const t = tableOf(chains, []);
      for (const p of packets) {
        const want = refWalk(rules, p);
        assert.equal(t.run(NF_INET_PRE_ROUTING, packet(p), 1, undefined), want);
        assert.equal(traced(t, packet(p)).verdict, want);
      }
    }),
    fcOpts,
  );
});
