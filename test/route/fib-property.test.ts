// The fast route lookup (RouteTable's interval views, PolicyRouting's flat rules) answers as a
// plain reading of the kernel's rules does, on random tables, rules and flows: the reference below
// walks the rules one by one (net/core/fib_rules.c fib_rules_lookup, fib_rule_match,
// net/ipv4/fib_rules.c fib4_rule_match/fib4_rule_suppress) and scans every route of a table for
// the longest matching prefix holding a route for the flow's TOS, taking that prefix's routes in
// fib_alias order (tos descending, metric ascending, then as added: fib_table_lookup).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyRouting, RouteResult, newFlowKey, type FlowKey } from '../../src/route/policy.ts';
import {
  FR_ACT_GOTO,
  FR_ACT_NOP,
  FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  ruleActionError,
  type FibRule,
  type ParsedRule,
} from '../../src/route/rule.ts';
import {
  EAGAIN,
  ENETUNREACH,
  RTN_BLACKHOLE,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  routeTypeError,
  type Route,
} from '../../src/route/table.ts';
import { prefixMask } from '../../src/wire/addr.ts';

// Few base addresses, so that random prefixes nest and overlap.
const BASES = [0x0a000000, 0x0a010200, 0x0a0102f0, 0xc0a80100, 0xffffff00, 0];
const addrArb = fc
  .tuple(fc.constantFrom(...BASES), fc.integer({ min: 0, max: 0x1ff }), fc.boolean())
  .map(([b, off, far]) => (far ? (b ^ (off << 20)) >>> 0 : (b + off) >>> 0));
const TABLES = [254, 255, 100];

const routeArb = fc
  .record({
    addr: addrArb,
    len: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(8, 16, 24, 32)),
    tos: fc.constantFrom(0, 0, 0, 0x10, 0x08),
    metric: fc.integer({ min: 0, max: 3 }),
    type: fc.constantFrom(RTN_UNICAST, RTN_UNICAST, RTN_UNICAST, RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_THROW),
    table: fc.constantFrom(...TABLES),
    dev: fc.constantFrom('d0', 'e0'),
    via: fc.integer({ min: 0, max: 3 }),
  })
  .map((x): Route => ({
    addr: (x.addr & prefixMask(x.len)) >>> 0,
    mask: prefixMask(x.len),
    len: x.len,
    via: x.type === RTN_UNICAST ? x.via : 0,
    dev: x.type === RTN_UNICAST ? x.dev : '',
    src: 0,
    metric: x.metric,
    origin: 'static',
    type: x.type,
    table: x.table,
    ...(x.tos ? { tos: x.tos } : {}),
  }));

const ruleArb = fc
  .record({
    pref: fc.integer({ min: 1, max: 40 }),
    invert: fc.boolean(),
    from: fc.option(fc.tuple(addrArb, fc.integer({ min: 0, max: 32 }))),
    to: fc.option(fc.tuple(addrArb, fc.integer({ min: 0, max: 32 }))),
    tos: fc.constantFrom(0, 0, 0x10),
    mark: fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0xffffffff, 1, 2, 0x80000003))),
    iif: fc.constantFrom('', '', 'lo', 'd0'),
    oif: fc.constantFrom('', '', 'e0'),
    ipproto: fc.constantFrom(0, 0, 6, 17),
    sport: fc.option(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }))),
    dport: fc.option(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }))),
    action: fc.constantFrom(
      FR_ACT_TO_TBL,
      FR_ACT_TO_TBL,
      FR_ACT_TO_TBL,
      FR_ACT_GOTO,
      FR_ACT_NOP,
      FR_ACT_PROHIBIT,
      FR_ACT_UNREACHABLE,
    ),
    table: fc.constantFrom(...TABLES, 7),
    target: fc.integer({ min: 1, max: 50 }),
    suppressPrefixlen: fc.constantFrom(-1, -1, 0, 8, 24),
  })
  .map((x): ParsedRule => {
    const pfx = (p: [number, number] | null): [number, number] =>
      p ? [(p[0] & prefixMask(p[1])) >>> 0, p[1]] : [0, 0];
    const [src, srcLen] = pfx(x.from);
    const [dst, dstLen] = pfx(x.to);
    const range = (r: [number, number] | null): readonly [number, number] | undefined =>
      r ? [Math.min(...r), Math.max(...r)] : undefined;
    return {
      pref: x.pref,
      invert: x.invert,
      src,
      srcLen,
      dst,
      dstLen,
      tos: x.tos,
      mark: x.mark ? x.mark[0] : 0,
      markMask: x.mark ? x.mark[1] : 0,
      hasMark: x.mark !== null,
      iif: x.iif,
      oif: x.oif,
      ipproto: x.ipproto,
      sport: range(x.sport),
      dport: range(x.dport),
      action: x.action,
      table: x.table,
      target: x.pref + x.target,
      suppressPrefixlen: x.suppressPrefixlen,
      suppressIfgroup: -1,
    };
  });

const flowArb = fc.record({
  dst: addrArb,
  src: addrArb,
  tos: fc.constantFrom(0, 0, 0x10, 0x08),
  mark: fc.integer({ min: 0, max: 3 }),
  iif: fc.constantFrom('lo', 'd0'),
  oif: fc.constantFrom('', '', 'e0', 'd0'),
  proto: fc.constantFrom(6, 17),
  sport: fc.integer({ min: 0, max: 10 }),
  dport: fc.integer({ min: 0, max: 10 }),
});

/** fib_table_lookup by scanning every route. */
function refTable(routes: readonly Route[], dst: number, tos: number): Route | undefined {
  let best: Route | undefined;
  let bestAt = -1;
  routes.forEach((r, at) => {
    if (((dst ^ r.addr) & r.mask) !== 0) return;
    const t = r.tos ?? 0;
    if (t !== 0 && t !== tos) return;
    if (
      best === undefined ||
      r.len > best.len ||
      (r.len === best.len &&
        (t > (best.tos ?? 0) ||
          (t === (best.tos ?? 0) && (r.metric < best.metric || (r.metric === best.metric && at < bestAt)))))
    ) {
      best = r;
      bestAt = at;
    }
  });
  return best;
}

function refMatch(r: FibRule, k: FlowKey): boolean {
  const m = (a: number, b: number, len: number): boolean => len === 0 || ((a ^ b) & prefixMask(len)) === 0;
  const ok =
    (r.iif === '' || r.iif === k.iif) &&
    (r.oif === '' || r.oif === k.oif) &&
    ((r.mark ^ k.mark) & r.markMask) === 0 &&
    m(k.src, r.src, r.srcLen) &&
    m(k.dst, r.dst, r.dstLen) &&
    (r.tos === 0 || r.tos === k.tos) &&
    (r.ipproto === 0 || r.ipproto === k.proto) &&
    (r.sport === undefined || (k.sport >= r.sport[0] && k.sport <= r.sport[1])) &&
    (r.dport === undefined || (k.dport >= r.dport[0] && k.dport <= r.dport[1]));
  return r.invert ? !ok : ok;
}

interface Answer {
  err: number;
  route: Route | undefined;
  table: number;
  rulePref: number;
  via: number;
  dev: string;
}

/** fib_rules_lookup, one rule after another. */
function refLookup(rules: readonly FibRule[], tables: Map<number, Route[]>, k: FlowKey): Answer {
  const none = { route: undefined, table: 0, rulePref: -1, via: 0, dev: '' };
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (!refMatch(r, k)) continue;
    if (r.action === FR_ACT_GOTO) {
      const t = rules.findIndex((x) => x.pref === r.target);
      if (t >= 0) i = t - 1;
      continue;
    }
    if (r.action === FR_ACT_NOP) continue;
    if (r.action !== FR_ACT_TO_TBL) return { ...none, err: ruleActionError(r.action), rulePref: r.pref };
    const t = tables.get(r.table);
    if (!t) continue;
    const route = refTable(t, k.dst, k.tos);
    if (!route) continue;
    const err = routeTypeError(route.type ?? RTN_UNICAST);
    if (err === EAGAIN) continue;
    if (err !== 0) return { ...none, err, route, table: r.table, rulePref: r.pref };
    if (k.oif !== '' && route.dev !== k.oif) continue;
    if (r.suppressPrefixlen >= 0 && route.len <= r.suppressPrefixlen) continue;
    return { err: 0, route, table: r.table, rulePref: r.pref, via: route.via, dev: route.dev };
  }
  return { ...none, err: ENETUNREACH };
}

test('property: the fast lookup answers as a rule-by-rule, route-by-route longest-prefix match', () => {
  fc.assert(
    fc.property(
      fc.array(routeArb, { maxLength: 60 }),
      fc.array(ruleArb, { maxLength: 6 }),
      fc.array(flowArb, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 3 }),
      (routes, rules, flows, dropMetric) => {
        const p = new PolicyRouting();
        const tables = new Map<number, Route[]>(TABLES.map((t) => [t, []]));
        for (const r of routes) {
          p.add(r);
          tables.get(r.table!)!.push(r);
        }
        for (const r of rules) p.rules.add(r);
        const res = new RouteResult();
        const check = (): void => {
          for (const f of flows) {
            const k: FlowKey = Object.assign(newFlowKey(), f);
            const want = refLookup(p.rules.rules, tables, k);
            const err = p.lookup(k, res);
            assert.equal(err, want.err);
            assert.deepEqual(
              {
                err: res.err,
                route: res.route,
                table: res.table,
                rulePref: res.rulePref,
                via: res.via,
                dev: res.dev,
              },
              want,
            );
          }
        };
        check();
        // After removing some routes (as an address going away does), the views are rebuilt.
        p.removeWhere((r) => r.metric === dropMetric);
        for (const [id, t] of tables)
          tables.set(
            id,
            t.filter((r) => r.metric !== dropMetric),
          );
        check();
      },
    ),
    { numRuns: 300 },
  );
});

test('a 100,000-route table answers every probe as the scan does (prefixes nested 8..32 deep)', () => {
  const p = new PolicyRouting();
  const all: Route[] = [];
  let seed = 7;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 100_000; i++) {
    const len = 8 + (rnd() % 25);
    const mask = prefixMask(len);
    const r: Route = {
      addr: (rnd() & 0x0fffffff & mask) >>> 0,
      mask,
      len,
      via: i,
      dev: 'e0',
      src: 0,
      metric: rnd() % 2,
      origin: 'static',
    };
    all.push(r);
    p.main.add(r);
  }
  for (let j = 0; j < 300; j++) {
    const dst = j % 2 === 0 ? all[rnd() % all.length]!.addr + (rnd() % 300) : rnd() & 0x0fffffff;
    assert.equal(p.main.lookup(dst >>> 0), refTable(all, dst >>> 0, 0));
  }
});
