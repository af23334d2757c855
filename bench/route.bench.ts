// Route lookups (`npm run bench -- route`). Issue 14's target: a lookup through 3 rules and a
// 100,000-route table under 1 µs (over 1 M lookups/s).
//
// The table: 100,000 unicast routes with prefix lengths 8..28 spread as in a full BGP table
// (most /24, then /22../16 and a few longer and shorter ones), plus a default route; random
// destinations, so most lookups probe several lengths before the longest match. "policy, 3
// rules" is PolicyRouting.lookup with the rules `fwmark 0x2 lookup 200` and the three defaults
// (local, main, default): the local table is looked up first (a miss), the fwmark rule does not
// match, main answers. "fwmark rule into table 200" is the same with the flow's mark 0x2: the
// local table misses, the fwmark rule matches and table 200 (the same 100,000 routes) answers.
// "multipath, seeded hash" is a lookup whose answer is a 2-way multipath route: the kernel's
// siphash of the flow (mphash.ts) under net.ipv4.fib_multipath_hash_seed picks the path. "main
// table only" is RouteTable.lookupTos alone.
import { bench } from './harness.ts';
import { PolicyRouting, RouteResult, newFlowKey } from '../src/route/policy.ts';
import { parseRule } from '../src/route/rule.ts';
import { nexthopBounds } from '../src/route/table.ts';
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
  const addr = (rnd() & mask) >>> 0;
  for (const table of [254, 200])
    p.add({ addr, mask, len, via: 0x0a000001, dev: 'eth0', src: 0, metric: 0, origin: 'static', table });
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
bench('route lookup: policy, fwmark rule into table 200, 100,000 routes', (n) => {
  let s = 0;
  k.mark = 2;
  for (let j = 0; j < n; j++) {
    k.dst = dsts[i++ & 65535]!;
    s += p.lookup(k, res) + res.table;
  }
  k.mark = 0;
  return s;
});
const mp = new PolicyRouting();
mp.add({
  addr: 0,
  mask: 0,
  len: 0,
  via: 0,
  dev: '',
  src: 0,
  metric: 0,
  origin: 'static',
  nexthops: nexthopBounds([
    { via: 0x0a000001, dev: 'eth0', weight: 1 },
    { via: 0x0b000001, dev: 'eth1', weight: 1 },
  ]),
});
mp.hashSeed = 3221338814;
for (const policy of [0, 1])
  bench(`route lookup: multipath, seeded hash, policy ${policy}`, (n) => {
    let s = 0;
    mp.hashPolicy = policy;
    k.proto = 17;
    k.dport = 53;
    for (let j = 0; j < n; j++) {
      k.dst = dsts[i++ & 65535]!;
      k.sport = j & 0xffff;
      s += mp.lookup(k, res) + res.via;
    }
    k.proto = 0;
    k.sport = 0;
    k.dport = 0;
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
