// RouteTable answers the same on a host's few routes (no per-/16 index: each length present is
// probed, longest first) as on a big table (the per-/16 index of lengths, made past 64 prefixes),
// and across the change both ways (routes added past it, removed below it, added again past it
// without a rebuild). The reference is a
// plain walk: the longest prefix holding the address, its route with the lowest metric (the first
// added among equals), as fib_table_lookup picks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prefixMask } from '../../src/wire/addr.ts';
import { RouteTable, type Route } from '../../src/route/table.ts';

const mk = (addr: number, len: number, metric: number, n: number): Route => ({
  addr: (addr & prefixMask(len)) >>> 0,
  mask: prefixMask(len),
  len,
  via: 0,
  src: 0,
  metric,
  dev: `d${n}`,
  origin: 'static',
});

function walk(routes: readonly Route[], dst: number): Route | undefined {
  let best: Route | undefined;
  for (const r of routes) {
    if ((dst & r.mask) >>> 0 !== r.addr) continue;
    if (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
  }
  return best;
}

// Addresses from a few /16s so that prefixes overlap and lookups hit.
const addr = fc
  .tuple(fc.constantFrom(0x0a000000, 0x0a010000, 0xc0a80000, 0xcb007100), fc.integer({ min: 0, max: 0xffff }))
  .map(([hi, lo]) => (hi | lo) >>> 0);
const route = fc.tuple(addr, fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 3 }));

test('RouteTable lookups equal a plain longest-prefix walk below and above 64 prefixes, as routes come and go', () => {
  fc.assert(
    fc.property(
      fc.array(route, { minLength: 0, maxLength: 200, size: 'max' }),
      fc.array(addr, { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 3 }),
      (spec, more, drop) => {
        // The routes' own addresses (hits on their prefixes), and others.
        const dsts = [...spec.map(([a]) => a), ...more];
        const t = new RouteTable();
        const added: Route[] = [];
        spec.forEach(([a, len, metric], n) => {
          const r = mk(a, len, metric, n);
          t.add(r);
          added.push(r);
          // Check along the way: the table passes 64 prefixes while it grows.
          if (n % 37 === 0) for (const d of dsts) assert.equal(t.lookup(d), walk(added, d));
        });
        for (const d of dsts) assert.equal(t.lookup(d), walk(added, d));
        // Removing most routes takes a big table back below 64 prefixes.
        t.removeWhere((r) => r.metric !== drop);
        const kept = added.filter((r) => r.metric === drop);
        for (const d of dsts) assert.equal(t.lookup(d), walk(kept, d));
        // Growing again in the room the big table left (no rebuild) passes 64 prefixes once more.
        spec.forEach(([a, len], n) => {
          const r = mk(a, len, 9, n);
          t.add(r);
          kept.push(r);
        });
        for (const d of dsts) assert.equal(t.lookup(d), walk(kept, d));
      },
    ),
    { numRuns: 100 },
  );
});
