// Route lookups (`npm run bench -- route`). Issue 14's target: a lookup through 3 rules and a
// 100,000-route table under 1 µs (over 1 M lookups/s).
//
// The table: 100,000 unicast routes with prefix lengths 8..28 spread as in a full BGP table
// (most /24, then /22../16 and a few longer and shorter ones), plus a default route; random
// destinations, so most lookups probe several lengths before the longest match. "policy, 3
// rules" is PolicyRouting.lookup with the rules `fwmark 0x2 lookup 200` and the three defaults
// (local, main, default): the local table is looked up first (a miss), the fwmark rule does not
// match, main answers. "main table only" is RouteTable.lookupTos alone.
import { bench } from './harness.ts';
import { PolicyRouting, RouteResult, newFlowKey } from '../src/route/policy.ts';
import { parseRule } from '../src/route/rule.ts';
import { prefixMask } from '../src/wire/addr.ts';

const p = new PolicyRouting();
// The local table as a host with two addresses has it.
for (const a of [0x0a000101, 0xc0a80101])
  p.add({
    addr: a,
    mask: 0xffffffff,
    len: 32,
    via: 0,
    dev: 'eth0',
    src: a,
    metric: 0,
    origin: 'kernel',
    type: 2,
    table: 255,
  });
const LENS = [24, 24, 24, 24, 24, 24, 24, 24, 23, 22, 22, 21, 20, 19, 18, 17, 16, 16, 28, 12, 8];
let seed = 12345;
const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
for (let i = 0; i < 100_000; i++) {
  const len = LENS[i % LENS.length]!;
  const mask = prefixMask(len);
  p.add({
    addr: (rnd() & mask) >>> 0,
    mask,
    len,
    via: 0x0a000001,
    dev: 'eth0',
    src: 0,
    metric: 0,
    origin: 'static',
  });
}
p.add({ addr: 0, mask: 0, len: 0, via: 0x0a000001, dev: 'eth0', src: 0, metric: 0, origin: 'static' });
const r = parseRule('fwmark 0x2 lookup 200');
if (!r.ok) throw new Error('rule');
p.rules.add(r.value);
if (p.rules.rules.length !== 4) throw new Error('expected 4 rules');

const dsts = new Uint32Array(65536);
for (let i = 0; i < dsts.length; i++) dsts[i] = rnd();
const k = newFlowKey();
k.iif = 'lo';
const res = new RouteResult();
let i = 0;
bench('route lookup: policy, 3 rules + fwmark rule, 100,000 routes', (n) => {
  let s = 0;
  for (let j = 0; j < n; j++) {
    k.dst = dsts[i++ & 65535]!;
    s += p.lookup(k, res) + res.route!.len;
  }
  return s;
});
bench('route lookup: main table only, 100,000 routes', (n) => {
  let s = 0;
  for (let j = 0; j < n; j++) s += p.main.lookupTos(dsts[i++ & 65535]!, 0)!.len;
  return s;
});
// The machine may be shared: CPU time per lookup (process.cpuUsage) is less skewed by other
// processes than the rate above, which counts wall-clock time.
{
  const n = 2_000_000;
  let s = 0;
  const t0 = process.cpuUsage();
  for (let j = 0; j < n; j++) {
    k.dst = dsts[i++ & 65535]!;
    s += p.lookup(k, res);
  }
  const t = process.cpuUsage(t0);
  const ns = ((t.user + t.system) * 1000) / n;
  console.log(
    `${'route lookup: policy, CPU time per lookup'.padEnd(60)} ${ns.toFixed(0)} ns${s < 0 ? '' : ''}`,
  );
}
const m = new Map<number, number>();
for (let j = 0; j < 100_000; j++) m.set(dsts[j & 65535]! & 0x3fffff00, j);
bench('(baseline on this machine: one Map.get)', (n) => {
  let s = 0;
  for (let j = 0; j < n; j++) s += m.get(dsts[i++ & 65535]! & 0x3fffff00) ?? 0;
  return s;
});
