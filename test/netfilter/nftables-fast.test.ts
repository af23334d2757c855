// The untraced walk's fast program (src/netfilter/nftables/fast.ts) against the plain evaluation
// (the traced walk of table.ts over compile.ts's program, sets answering through RtSet.lookup): two
// tables built from copies of one random ruleset, one run untraced and one traced, must give every
// packet the same verdict and mark, and leave the same set contents and counters. The rulesets mix
// what fast.ts rewrites (fused payload/l4proto compares, hash and interval verdict maps of
// concatenated keys with a catch-all, numgen vmaps, jump/goto/return, `meta mark set` forms) with
// what it hands back to the closures (dynset add/update/delete with timeouts, counters, mark
// binops), over sets with element timeouts; time moves on between packets so elements expire.
// The reference is the plain walk: nftables-speed.test.ts holds that one equal to a walk over the
// elements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NftExpr, NftRuleset, NftSetElem, NftStmt } from '../../src/rules/nft/model.ts';
import { nftFrontEnd } from '../../src/netfilter/nftables/index.ts';
import { NftChainTable } from '../../src/netfilter/nftables/table.ts';
import { NF_INET_PRE_ROUTING } from '../../src/netfilter/core/hook-numbers.ts';
import type { NfTable, NfTableEnv } from '../../src/netfilter/core/table.ts';
import type { NfTracer } from '../../src/netfilter/core/trace-events.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { chain, match, meta, num, pay, rs, rule, set, table, verdict } from './nftables/dsl.ts';
import { fcOpts, firstPacketSkb } from './helpers.ts';

const FIELDS = [
  { e: pay('ip', 'saddr'), type: 'ipv4_addr', base: 0x0a000000 },
  { e: pay('ip', 'daddr'), type: 'ipv4_addr', base: 0xc6336400 },
  { e: meta('l4proto'), type: 'inet_proto', base: -1 },
  { e: pay('th', 'dport'), type: 'inet_service', base: 80 },
] as const;
const val = (f: number, x: number): number => (FIELDS[f]!.base < 0 ? (x & 1 ? 17 : 6) : FIELDS[f]!.base + x);

const keyOf = (fields: readonly number[]): NftExpr =>
  fields.length === 1 ? FIELDS[fields[0]!]!.e : { kind: 'concat', items: fields.map((f) => FIELDS[f]!.e) };

/** An element key over `fields`: values, ranges (interval sets) and /30 prefixes on addresses. */
function elemKey(
  fields: readonly number[],
  parts: readonly (readonly [number, number, number])[],
  interval: boolean,
): NftExpr {
  const items = fields.map((f, i): NftExpr => {
    const [a, w, kind] = parts[i]!;
    const t = FIELDS[f]!.type;
    if (!interval || FIELDS[f]!.base < 0 || w === 0) return num(val(f, a), t);
    if (kind === 1 && f < 2) return { kind: 'prefix', value: num(val(f, a), t), len: 30 };
    return { kind: 'range', low: num(val(f, a), t), high: num(val(f, Math.min(7, a + w)), t) };
  });
  return items.length === 1 ? items[0]! : { kind: 'concat', items };
}

const arbParts = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })),
  { minLength: 3, maxLength: 3 },
);
const arbFields = fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 });
const CHAINS = 3;
const arbVerdict = fc.oneof(
  fc.constantFrom('accept', 'drop', 'continue', 'return'),
  fc.record({ v: fc.constantFrom('jump', 'goto'), c: fc.integer({ min: 0, max: CHAINS - 1 }) }),
);
type V = string | { v: string; c: number };
const verdictOf = (v: V, from: number): NftStmt | undefined => {
  if (typeof v === 'string') return v === 'continue' ? undefined : verdict(v as 'accept');
  // Only forward jumps (no loops, as nft -f requires): chain c<i> may reach c<j> for j > i.
  if (v.c <= from) return undefined;
  return verdict(v.v as 'jump', `c${v.c}`);
};

const arbRuleKind = fc.oneof(
  fc.record({ k: fc.constant('lookup' as const), neg: fc.boolean(), v: arbVerdict }),
  fc.record({ k: fc.constant('vmap' as const) }),
  fc.record({
    k: fc.constant('dynset' as const),
    op: fc.constantFrom('add' as const, 'update' as const, 'delete' as const),
    timeout: fc.constantFrom(undefined, 1000, 3000),
    counter: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('markset' as const),
    op: fc.constantFrom('=', '|', '&', '^'),
    x: fc.integer({ min: 0, max: 15 }),
  }),
  fc.record({
    k: fc.constant('mark' as const),
    bin: fc.boolean(),
    x: fc.integer({ min: 0, max: 15 }),
    v: arbVerdict,
  }),
  fc.record({
    k: fc.constant('numgen' as const),
    mod: fc.integer({ min: 1, max: 4 }),
    v: fc.array(arbVerdict, { minLength: 4, maxLength: 4 }),
  }),
  fc.record({
    k: fc.constant('payload' as const),
    f: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom('value', 'range', 'prefix'),
    a: fc.integer({ min: 0, max: 7 }),
    b: fc.integer({ min: 0, max: 7 }),
    neg: fc.boolean(),
    v: arbVerdict,
  }),
  fc.record({ k: fc.constant('counter' as const) }),
);

const arbCase = fc.record({
  sFields: arbFields,
  sInterval: fc.boolean(),
  sTimeout: fc.constantFrom(0, 2000),
  sElems: fc.array(fc.record({ parts: arbParts, timeout: fc.constantFrom(undefined, 1500, 5000) }), {
    maxLength: 10,
  }),
  mFields: arbFields,
  mInterval: fc.boolean(),
  mCatchAll: fc.boolean(),
  /** The map declared with `counter`: each element a lookup finds counts (nft_lookup_eval). */
  mCounter: fc.boolean(),
  mElems: fc.array(fc.record({ parts: arbParts, v: arbVerdict }), { maxLength: 10 }),
  chains: fc.array(fc.array(arbRuleKind, { maxLength: 5 }), { minLength: CHAINS + 1, maxLength: CHAINS + 1 }),
  packets: fc.array(
    fc.record({
      p: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 }),
      dt: fc.constantFrom(0, 0.5, 1.2),
      mark: fc.integer({ min: 0, max: 15 }),
    }),
    { minLength: 1, maxLength: 25 },
  ),
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;
type Kind = Case['chains'][number][number];

function ruleOf(k: Kind, c: Case, from: number): NftStmt[] {
  const sKey = keyOf(c.sFields);
  const v = (x: V): NftStmt[] => {
    const s = verdictOf(x, from);
    return s ? [s] : [];
  };
  switch (k.k) {
    case 'lookup':
      return [match(sKey, { kind: 'setref', name: 's' }, k.neg ? '!=' : 'implicit'), ...v(k.v)];
    case 'vmap':
      // The map's gotos reach any chain: only from the base chain (no loops).
      if (from >= 0) return [];
      return [{ kind: 'vmap', key: keyOf(c.mFields), map: { kind: 'setref', name: 'm' } } as NftStmt];
    case 'dynset':
      if (c.sInterval) return [];
      return [
        {
          kind: 'dynset',
          op: k.op,
          set: 's',
          key: sKey,
          ...(k.timeout !== undefined && k.op !== 'delete' ? { timeout: k.timeout } : {}),
          ...(k.counter && k.op !== 'delete' ? { stmts: [{ kind: 'counter', packets: 0, bytes: 0 }] } : {}),
        } as NftStmt,
      ];
    case 'markset': {
      const x = num(k.x, 'mark');
      const value: NftExpr =
        k.op === '=' ? x : { kind: 'binop', op: k.op as '|', left: meta('mark'), right: x };
      return [{ kind: 'set', target: meta('mark'), value } as NftStmt];
    }
    case 'mark': {
      const left: NftExpr = k.bin
        ? { kind: 'binop', op: '&', left: meta('mark'), right: num(3, 'mark') }
        : meta('mark');
      return [match(left, num(k.bin ? k.x & 3 : k.x, 'mark'), '=='), ...v(k.v)];
    }
    case 'numgen': {
      const elements: NftSetElem[] = [];
      k.v.forEach((x, i) => {
        const s = verdictOf(x, from);
        if (s && s.kind === 'verdict')
          elements.push({
            key: num(i),
            data: { kind: 'verdict', verdict: s.verdict, ...(s.chain ? { chain: s.chain } : {}) },
          });
      });
      return [
        {
          kind: 'vmap',
          key: { kind: 'numgen', mode: 'random', mod: k.mod, offset: 0 },
          map: { kind: 'set', elements },
        } as NftStmt,
      ];
    }
    case 'payload': {
      const f = FIELDS[k.f]!;
      const right: NftExpr =
        f.base < 0
          ? num(val(k.f, k.a), f.type)
          : k.kind === 'range'
            ? {
                kind: 'range',
                low: num(val(k.f, Math.min(k.a, k.b)), f.type),
                high: num(val(k.f, Math.max(k.a, k.b)), f.type),
              }
            : k.kind === 'prefix' && k.f < 2
              ? { kind: 'prefix', value: num(val(k.f, k.a), f.type), len: 30 }
              : num(val(k.f, k.a), f.type);
      return [match(f.e, right, k.neg ? '!=' : 'implicit'), ...v(k.v)];
    }
    case 'counter':
      return [{ kind: 'counter', packets: 0, bytes: 0 } as NftStmt];
  }
}

function rulesetOf(c: Case): NftRuleset {
  const chains = c.chains.map((kinds, i) => {
    const rules = kinds
      .map((k) => ruleOf(k, c, i - 1))
      .filter((s) => s.length > 0)
      .map((s) => rule(...s));
    return i === 0
      ? chain('pre', rules, { hook: 'prerouting', priority: 0, policy: 'accept' })
      : chain(`c${i - 1}`, rules);
  });
  const sElems: NftSetElem[] = c.sElems.map((e) => ({
    key: elemKey(c.sFields, e.parts, c.sInterval),
    ...(!c.sInterval && e.timeout !== undefined ? { timeout: e.timeout, expires: e.timeout } : {}),
  }));
  const mElems: NftSetElem[] = c.mElems.flatMap((e) => {
    const s = verdictOf(e.v, -1);
    if (!s || s.kind !== 'verdict') return [];
    return [
      {
        key: elemKey(c.mFields, e.parts, c.mInterval),
        data: { kind: 'verdict', verdict: s.verdict, ...(s.chain ? { chain: s.chain } : {}) },
      },
    ];
  });
  if (c.mCatchAll) mElems.push({ key: { kind: 'wildcard' }, data: { kind: 'verdict', verdict: 'drop' } });
  const sets = [
    set(
      's',
      c.sFields.map((f) => FIELDS[f]!.type),
      dedupe(sElems),
      {
        flags: c.sInterval ? ['interval'] : c.sTimeout ? ['timeout', 'dynamic'] : ['dynamic'],
        ...(c.sTimeout && !c.sInterval ? { timeout: c.sTimeout } : {}),
      },
    ),
    set(
      'm',
      c.mFields.map((f) => FIELDS[f]!.type),
      dedupe(mElems),
      {
        isMap: true,
        data: { types: ['verdict'] },
        flags: c.mInterval ? ['interval'] : [],
        ...(c.mCounter ? { stmts: [{ kind: 'counter', packets: 0, bytes: 0 } as NftStmt] } : {}),
      },
    ),
  ];
  return rs(table('ip', 't', chains, sets));
}

/** One element per key (nft refuses duplicates in one add). */
function dedupe(els: NftSetElem[]): NftSetElem[] {
  const seen = new Set<string>();
  return els.filter((e) => {
    const k = JSON.stringify(e.key);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const env: NfTableEnv = {
  host: { masqueradeAddress: () => 0xc0a80101, primaryAddress: () => 0xc0a80101 },
  bindNat: () => true,
  tagMasquerade: () => undefined,
};
const silent = {
  rule: () => undefined,
  ruleMiss: () => undefined,
  policy: () => undefined,
} as unknown as NfTracer;

function skbOf(p: readonly number[], mark: number, seed: number): Skb {
  const src = val(0, p[0]!);
  const dst = val(1, p[1]!);
  const dport = val(3, p[3]!);
  return firstPacketSkb(src, dst, dport, val(2, p[2]!) === 6, mark, seed);
}

function baseOf(model: NftRuleset): NftChainTable {
  const ts = nftFrontEnd(model).tables(env, undefined);
  const t = ts.find((x: NfTable) => x.name === 'ip t pre');
  assert.ok(t instanceof NftChainTable);
  return t;
}

test('nft fast walk: random rulesets with sets, maps, dynsets and timeouts run as the plain walk (property)', () => {
  let compared = 0;
  fc.assert(
    fc.property(arbCase, (c) => {
      const model = rulesetOf(c);
      const a = baseOf(structuredClone(model));
      const b = baseOf(structuredClone(model));
      if (a.rt.problems.length > 0) return; // a refused ruleset is not loaded
      let now = 1;
      c.packets.forEach((pk, i) => {
        now += pk.dt;
        const sa = skbOf(pk.p, pk.mark, i + 1);
        const sb = skbOf(pk.p, pk.mark, i + 1);
        const va = a.run(NF_INET_PRE_ROUTING, sa, now, undefined);
        const vb = b.run(NF_INET_PRE_ROUTING, sb, now, silent);
        assert.equal(va, vb, `packet ${i}: verdict`);
        assert.equal(sa.mark, sb.mark, `packet ${i}: mark`);
        compared++;
      });
      const sa = a.rt.sets.get('s')!;
      const sb = b.rt.sets.get('s')!;
      assert.deepEqual(sa.added, sb.added);
      const expiries = (s: typeof sa): number[] => Array.from({ length: s.slots }, (_, i) => s.expiryOf(i));
      assert.deepEqual(expiries(sa), expiries(sb));
      assert.deepEqual([...sa.packets.slice(0, sa.slots)], [...sb.packets.slice(0, sb.slots)]);
      assert.equal(sa.hash?.size ?? sa.small?.size, sb.hash?.size ?? sb.small?.size);
      const ma = a.rt.sets.get('m')!;
      const mb = b.rt.sets.get('m')!;
      assert.deepEqual(
        [...ma.packets.slice(0, ma.slots)],
        [...mb.packets.slice(0, mb.slots)],
        'map counters',
      );
      assert.deepEqual([...ma.bytes.slice(0, ma.slots)], [...mb.bytes.slice(0, mb.slots)], 'map counters');
      assert.equal(JSON.stringify(a.rt.table.chains), JSON.stringify(b.rt.table.chains), 'counters');
      // The fast program ran (the untraced walk), the plain one did not build it.
      assert.ok(a.rt.fast);
      assert.equal(b.rt.fast, undefined);
    }),
    fcOpts,
  );
  assert.ok(compared > 0);
});

// Also with the service map declared `counter`: each element the map's lookup finds counts in both
// walks (the service map op's copy of the map does not answer for such a map: fast.ts direct()).
// And with what else keeps the copy from answering (its DirectSite's version, -1 or bumped): the
// element with a timeout of its own (it expires at 5 s while the packets' time moves on), with a
// counter of its own, or made to expire after the copy answered packets (RtSet's mayExpire setter
// bumps the hash's version: without it the copy would answer past the expiry). And with a catch-all
// element (`* : goto ep1`): a packet whose key is not in the copy is the set's to answer (fast.ts
// runKube asks hvmap after the copy's probe misses).
const VARIANTS = ['', 'counter', 'elem-timeout', 'elem-counter', 'expire-later', 'catch-all'] as const;
for (const variant of VARIANTS)
  test(`nft fast walk: kube-proxy service path (vmap goto, mark, numgen goto, dnat) as the plain walk${variant === '' ? '' : `, ${variant}`}`, () => {
    const counter = variant === 'counter';
    // nat-prerouting: jump services; services: ip daddr . meta l4proto . th dport vmap @service-ips;
    // svc: ip saddr != 10.0.0.0/8 jump mark; numgen random mod 2 vmap { 0 : goto ep0, 1 : goto ep1 };
    // ep<k>: ip saddr 10.180.0.k jump mark; meta l4proto tcp dnat to 10.180.0.k:8080.
    const ip = (a: number, b: number, c: number, d: number): number =>
      ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    let nats: number[] = [];
    const natEnv: NfTableEnv = {
      ...env,
      bindNat: (_skb, _manip, range) => {
        nats.push(range.minAddr, range.minPort);
        return true;
      },
    };
    const mark: NftExpr = meta('mark');
    const model = rs(
      table(
        'ip',
        'k',
        [
          chain('pre', [rule(verdict('jump', 'services'))], {
            type: 'nat',
            hook: 'prerouting',
            priority: -100,
            policy: 'accept',
          }),
          chain('services', [
            rule({
              kind: 'vmap',
              key: keyOf([1, 2, 3]),
              map: { kind: 'setref', name: 'service-ips' },
            } as NftStmt),
          ]),
          chain('mark', [
            rule({
              kind: 'set',
              target: mark,
              value: { kind: 'binop', op: '|', left: mark, right: num(0x4000, 'mark') },
            } as NftStmt),
          ]),
          chain('svc', [
            rule(
              match(
                pay('ip', 'saddr'),
                { kind: 'prefix', value: num(ip(10, 0, 0, 0), 'ipv4_addr'), len: 8 },
                '!=',
              ),
              verdict('jump', 'mark'),
            ),
            rule({
              kind: 'vmap',
              key: { kind: 'numgen', mode: 'random', mod: 2, offset: 0 },
              map: {
                kind: 'set',
                elements: [0, 1].map((k) => ({
                  key: num(k),
                  data: { kind: 'verdict', verdict: 'goto', chain: `ep${k}` },
                })),
              },
            } as NftStmt),
          ]),
          ...[0, 1].map((k) =>
            chain(`ep${k}`, [
              rule(match(pay('ip', 'saddr'), num(ip(10, 180, 0, k), 'ipv4_addr')), verdict('jump', 'mark')),
              rule(match(meta('l4proto'), num(6, 'inet_proto')), {
                kind: 'nat',
                type: 'dnat',
                addr: num(ip(10, 180, 0, k), 'ipv4_addr'),
                port: num(8080, 'inet_service'),
              } as NftStmt),
            ]),
          ),
        ],
        [
          set(
            'service-ips',
            ['ipv4_addr', 'inet_proto', 'inet_service'],
            [
              {
                key: {
                  kind: 'concat',
                  items: [num(val(1, 3), 'ipv4_addr'), num(6, 'inet_proto'), num(val(3, 2), 'inet_service')],
                },
                data: { kind: 'verdict', verdict: 'goto', chain: 'svc' },
                ...(variant === 'elem-timeout' ? { timeout: 5000 } : {}),
                ...(variant === 'elem-counter'
                  ? { stmts: [{ kind: 'counter', packets: 0, bytes: 0 } as NftStmt] }
                  : {}),
              },
              ...(variant === 'catch-all'
                ? [
                    {
                      key: { kind: 'wildcard' },
                      data: { kind: 'verdict', verdict: 'goto', chain: 'ep1' },
                    } as NftSetElem,
                  ]
                : []),
            ],
            {
              isMap: true,
              ...(variant === 'elem-timeout' ? { flags: ['timeout'] } : {}),
              data: { types: ['verdict'] },
              ...(counter ? { stmts: [{ kind: 'counter', packets: 0, bytes: 0 } as NftStmt] } : {}),
            },
          ),
        ],
      ),
    );
    const pre = (m: NftRuleset): NftChainTable => {
      const t = nftFrontEnd(m)
        .tables(natEnv, undefined)
        .find((x: NfTable) => x.name === 'ip k pre');
      assert.ok(t instanceof NftChainTable);
      return t;
    };
    const a = pre(model);
    const b = pre(structuredClone(model));
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      // saddr 10.0.0.x (inside) or 198.51.100.x (outside); daddr service 198.51.100.3 or not; tcp/udp.
      const p = [i % 9, i % 5 === 0 ? 4 : 3, i % 7 === 0 ? 1 : 0, i % 11 === 0 ? 3 : 2];
      const sa = skbOf(p, 0, i + 1);
      const sb = skbOf(p, 0, i + 1);
      if (i % 2 === 1) {
        // Outside the cluster CIDR: 198.51.100.9.
        sa.buf[12] = sb.buf[12] = 198;
        sa.buf[13] = sb.buf[13] = 51;
        // A rewrite refreshes the parsed fields (Skb.parse), as every rewrite in the engine does:
        // the fast walk reads saddr and daddr as parsed.
        sa.parse();
        sb.parse();
      }
      const now = variant === 'elem-timeout' || variant === 'expire-later' ? 1 + i * 0.25 : 1;
      if (variant === 'expire-later' && i === 20)
        for (const t of [a, b]) {
          const m = t.rt.sets.get('service-ips')!;
          m.expires[0] = 5; // the element's expiry (now 6): gone from here on
          m.mayExpire = true;
        }
      nats = [];
      const va = a.run(NF_INET_PRE_ROUTING, sa, now, undefined);
      const na = nats;
      nats = [];
      const vb = b.run(NF_INET_PRE_ROUTING, sb, now, silent);
      assert.equal(va, vb);
      assert.equal(sa.mark, sb.mark);
      assert.deepEqual(na, nats);
      seen.push(`${na.length > 0 ? `dnat ${na[0]! & 0xff}` : 'none'} mark ${sa.mark}`);
    }
    // The walks went through every path: no service, dnat to either endpoint, marked or not.
    for (const want of [
      'none mark 0',
      'dnat 0 mark 0',
      'dnat 1 mark 0',
      'dnat 0 mark 16384',
      'dnat 1 mark 16384',
    ])
      assert.ok(seen.includes(want), `${want} in ${[...new Set(seen)].join(', ')}`);
    const ma = a.rt.sets.get('service-ips')!;
    const mb = b.rt.sets.get('service-ips')!;
    assert.deepEqual([...ma.packets.slice(0, ma.slots)], [...mb.packets.slice(0, mb.slots)], 'map counters');
    assert.deepEqual([...ma.bytes.slice(0, ma.slots)], [...mb.bytes.slice(0, mb.slots)], 'map counters');
    const hits = seen.filter((x) => x !== 'none mark 0').length;
    assert.equal(mb.packets[0], counter ? hits : 0);
    if (variant === 'elem-counter') {
      assert.ok(hits > 0);
      assert.equal(ma.elemCounters[0]?.packets, hits);
      assert.equal(mb.elemCounters[0]?.packets, hits);
    }
    if (variant === 'elem-timeout' || variant === 'expire-later') {
      // Service packets matched before the expiry and none after it (i >= 16 or 20: now >= 5).
      const last = seen.reduce((l, x, i) => (x !== 'none mark 0' ? i : l), -1);
      assert.ok(last >= 8 && last < (variant === 'elem-timeout' ? 16 : 20), `last hit ${last}`);
    }
  });

test('nft fast walk: an element added without a timeout keeps none through `update` ... timeout, as in the plain walk', () => {
  // add @s { ip saddr } (th dport 80); update @s { ip saddr timeout 1s } (81); ip saddr @s drop.
  // nft_dynset_eval moves the expiry of an element that has a timeout of its own only (the one
  // `add` made has none: nft_dynset_init gave its template no NFT_SET_EXT_TIMEOUT).
  const sKey = FIELDS[0].e;
  const dport = (p: number): NftStmt => match(FIELDS[3].e, num(val(3, p), 'inet_service'));
  const model = rs(
    table(
      'ip',
      't',
      [
        chain(
          'pre',
          [
            rule(dport(0), { kind: 'dynset', op: 'add', set: 's', key: sKey } as NftStmt),
            rule(dport(1), { kind: 'dynset', op: 'update', set: 's', key: sKey, timeout: 1000 } as NftStmt),
            rule(match(sKey, { kind: 'setref', name: 's' }), verdict('drop')),
          ],
          { hook: 'prerouting', priority: 0, policy: 'accept' },
        ),
      ],
      [set('s', ['ipv4_addr'], [], { flags: ['timeout', 'dynamic'] })],
    ),
  );
  const a = baseOf(structuredClone(model));
  const b = baseOf(structuredClone(model));
  const got: number[] = [];
  // At 1 s added (no timeout), at 1.5 s updated (no expiry still), at 3 s looked up.
  for (const [now, p] of [
    [1, 0],
    [1.5, 1],
    [2, 2],
    [3, 2],
  ] as const) {
    const va = a.run(NF_INET_PRE_ROUTING, skbOf([0, 0, 0, p], 0, 1), now, undefined);
    const vb = b.run(NF_INET_PRE_ROUTING, skbOf([0, 0, 0, p], 0, 1), now, silent);
    assert.equal(va, vb, `at ${now} s`);
    got.push(va);
  }
  // Dropped each time: the element never expires (both walks).
  assert.deepEqual(
    got.map((v) => v === got[0]),
    [true, true, true, true],
  );
});
