// Policy routing lookups (src/route/policy.ts) as fib_lookup answers them, and `ip route show` of
// the tables. Expected values: the route listing and the errnos were captured on Linux 6.18.44
// with iproute2 6.1.0 in a throwaway namespace (2026-12-01): `ip route add` of the routes below,
// `ip route show` / `ip route show table 100`, and python3 sockets (sendto/connect) to a
// blackhole (EINVAL), prohibit (EACCES), unreachable (EHOSTUNREACH) route, no route
// (ENETUNREACH), and to rules `prohibit` (EACCES), `unreachable` (ENETUNREACH), `blackhole`
// (EINVAL). The rule semantics follow net/core/fib_rules.c fib_rules_lookup and
// net/ipv4/fib_rules.c (fib4_rule_action, fib4_rule_suppress).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyRouting, RouteResult, newFlowKey, type FlowKey } from '../../src/route/policy.ts';
import { parseRule } from '../../src/route/rule.ts';
import {
  EACCES,
  EHOSTUNREACH,
  EINVAL,
  ENETUNREACH,
  nexthopBounds,
  parseRoute,
  type Route,
} from '../../src/route/table.ts';
import { parseIpv4 } from '../../src/wire/addr.ts';

const ip = (t: string): number => {
  const r = parseIpv4(t);
  if (!r.ok) throw new Error(t);
  return r.value;
};

/** A route from `ip route add` text; the device of a gateway from the two test links. */
function route(text: string): Route {
  const p = parseRoute(text);
  assert.ok(p.ok, `${text}: ${JSON.stringify(p)}`);
  const v = p.value;
  const devOf = (via: number): string => (via >>> 8 === ip('10.0.1.0') >>> 8 ? 'd0' : 'e0');
  return {
    addr: v.addr,
    mask: v.mask,
    len: v.len,
    via: v.via,
    dev: v.dev ?? (v.via ? devOf(v.via) : ''),
    src: v.src,
    metric: v.metric,
    origin: 'static',
    type: v.type,
    table: v.table,
    ...(v.tos ? { tos: v.tos } : {}),
    ...(v.scope !== undefined ? { scope: v.scope } : {}),
    ...(v.mtu !== undefined ? { mtu: v.mtu, mtuLock: v.mtuLock } : {}),
    ...(v.advmss !== undefined ? { advmss: v.advmss } : {}),
    ...(v.nexthops
      ? {
          nexthops: nexthopBounds(
            v.nexthops.map((n) => ({ via: n.via, dev: n.dev ?? devOf(n.via), weight: n.weight })),
          ),
        }
      : {}),
  };
}

function host(routes: string[], rules: string[] = []): PolicyRouting {
  const p = new PolicyRouting();
  const kernel = (addr: string, len: number, dev: string, src: string): Route => ({
    addr: ip(addr),
    mask: (0xffffffff << (32 - len)) >>> 0,
    len,
    via: 0,
    dev,
    src: ip(src),
    metric: 0,
    origin: 'kernel',
  });
  p.add(kernel('10.0.1.0', 24, 'd0', '10.0.1.10'));
  p.add(kernel('10.0.2.0', 24, 'e0', '10.0.2.10'));
  for (const r of routes) p.add(route(r));
  for (const r of rules) {
    const x = parseRule(r);
    assert.ok(x.ok, r);
    assert.equal(p.rules.add(x.value), undefined);
  }
  return p;
}

function key(dst: string, more: Partial<FlowKey> = {}): FlowKey {
  return Object.assign(newFlowKey(), { dst: ip(dst), iif: 'lo' }, more);
}

const ROUTES = [
  'default via 10.0.1.1',
  'unreachable default table 100',
  'blackhole 10.0.2.30/32',
  'prohibit 10.9.0.0/16',
  'throw 10.8.0.0/16 table 100',
  '10.7.0.0/16 via 10.0.2.1 metric 10 mtu 1400 advmss 1360 src 10.0.2.10',
  '10.7.0.0/16 via 10.0.1.1 metric 5 mtu lock 1300',
  '10.6.0.0/16 dev e0',
  '10.5.0.0/16 nexthop via 10.0.1.1 weight 2 nexthop via 10.0.2.1 dev e0',
  'local 10.4.0.0/16 dev lo table 100',
  '10.3.0.0/16 via 10.0.1.1 tos 0x10',
  '10.1.0.0/16 via 10.0.1.1 table main metric 0',
  'unreachable 10.99.0.0/16 metric 7',
  'default via 10.0.2.1 table 200',
];

test('ip route show and ip route show table 100: the kernel trie order and iproute2 text', () => {
  const p = host(ROUTES);
  // Captured (trailing spaces trimmed).
  assert.deepEqual(
    p.main
      .format()
      .join('\n')
      .split('\n')
      .map((l) => l.trimEnd()),
    [
      'default via 10.0.1.1 dev d0',
      '10.0.1.0/24 dev d0 proto kernel scope link src 10.0.1.10',
      '10.0.2.0/24 dev e0 proto kernel scope link src 10.0.2.10',
      'blackhole 10.0.2.30',
      '10.1.0.0/16 via 10.0.1.1 dev d0',
      '10.3.0.0/16 tos 0x10 via 10.0.1.1 dev d0',
      '10.5.0.0/16',
      '\tnexthop via 10.0.1.1 dev d0 weight 2',
      '\tnexthop via 10.0.2.1 dev e0 weight 1',
      '10.6.0.0/16 dev e0 scope link',
      '10.7.0.0/16 via 10.0.1.1 dev d0 metric 5 mtu lock 1300',
      '10.7.0.0/16 via 10.0.2.1 dev e0 src 10.0.2.10 metric 10 mtu 1400 advmss 1360',
      'prohibit 10.9.0.0/16',
      'unreachable 10.99.0.0/16 metric 7',
    ],
  );
  assert.deepEqual(p.table(100).format(), [
    'unreachable default',
    'local 10.4.0.0/16 dev lo scope host',
    'throw 10.8.0.0/16',
  ]);
});

test('route types answer with their errno; a route of lower metric wins; tos routes only for their tos', () => {
  const p = host(ROUTES);
  const res = new RouteResult();
  assert.equal(p.lookup(key('10.0.2.30'), res), EINVAL);
  assert.equal(p.lookup(key('10.9.1.1'), res), EACCES);
  assert.equal(p.lookup(key('10.99.1.1'), res), EHOSTUNREACH);
  assert.equal(res.route?.metric, 7);
  assert.equal(p.lookup(key('10.7.1.1'), res), 0);
  assert.deepEqual(
    [res.via, res.dev, res.route?.mtu, res.route?.mtuLock],
    [ip('10.0.1.1'), 'd0', 1300, true],
  );
  assert.equal(p.lookup(key('10.3.1.1', { tos: 0x10 }), res), 0);
  assert.equal(res.route?.len, 16);
  assert.equal(p.lookup(key('10.3.1.1'), res), 0);
  assert.equal(res.route?.len, 0); // the tos 0x10 route is not for tos 0: the default route
  const empty = new PolicyRouting();
  assert.equal(empty.lookup(key('192.0.2.1'), res), ENETUNREACH);
});

test('rules: from selects a table; throw goes on to the next rule; unreachable default ends the walk', () => {
  const p = host(ROUTES, ['from 10.0.1.11 lookup 100 pref 1000']);
  const res = new RouteResult();
  assert.equal(p.lookup(key('8.8.8.8', { src: ip('10.0.1.11') }), res), EHOSTUNREACH);
  assert.deepEqual([res.table, res.rulePref], [100, 1000]);
  // throw 10.8.0.0/16 in table 100: main decides (its default route).
  assert.equal(p.lookup(key('10.8.1.1', { src: ip('10.0.1.11') }), res), 0);
  assert.deepEqual([res.table, res.rulePref, res.via], [254, 32766, ip('10.0.1.1')]);
  // local 10.4.0.0/16 in table 100 (TPROXY's recipe): a local route.
  assert.equal(p.lookup(key('10.4.0.1', { src: ip('10.0.1.11') }), res), 0);
  assert.equal(res.route?.type, 2);
  assert.equal(p.lookup(key('8.8.8.8', { src: ip('10.0.1.10') }), res), 0);
  assert.equal(res.table, 254);
});

test('rule actions: prohibit EACCES, unreachable ENETUNREACH, blackhole EINVAL; goto skips ahead', () => {
  const p = host(
    ['default via 10.0.1.1'],
    [
      'to 192.0.2.5 prohibit pref 10',
      'to 192.0.2.6 unreachable pref 11',
      'to 192.0.2.7 blackhole pref 12',
      'to 203.0.113.0/24 pref 100 goto 300',
      'pref 200 prohibit',
      'pref 300 lookup main',
    ],
  );
  const res = new RouteResult();
  assert.equal(p.lookup(key('192.0.2.5'), res), EACCES);
  assert.equal(p.lookup(key('192.0.2.6'), res), ENETUNREACH);
  assert.equal(p.lookup(key('192.0.2.7'), res), EINVAL);
  assert.equal(p.lookup(key('203.0.113.8'), res), 0);
  assert.equal(res.rulePref, 300);
  assert.equal(p.lookup(key('198.51.100.1'), res), EACCES);
  assert.equal(res.rulePref, 200);
});

test('wg-quick: not fwmark 51820 table 51820 and table main suppress_prefixlength 0', () => {
  // wg-quick's rules for a default route through wg0 (wg-quick(8), add_default).
  const p = host(
    ['default via 10.0.1.1', 'default dev e0 table 51820'],
    ['not fwmark 51820 table 51820', 'table main suppress_prefixlength 0'],
  );
  assert.deepEqual(p.rules.format().slice(1, 3), [
    '32764:\tfrom all lookup main suppress_prefixlength 0',
    '32765:\tnot from all fwmark 0xca6c lookup 51820',
  ]);
  const res = new RouteResult();
  assert.equal(p.lookup(key('8.8.8.8'), res), 0);
  assert.deepEqual([res.dev, res.table, res.rulePref], ['e0', 51820, 32765]); // into the tunnel
  assert.equal(p.lookup(key('10.0.1.77'), res), 0);
  assert.deepEqual([res.dev, res.table], ['d0', 254]); // the LAN: main's /24 is not suppressed
  assert.equal(p.lookup(key('8.8.8.8', { mark: 51820 }), res), 0);
  assert.deepEqual([res.dev, res.table, res.rulePref], ['d0', 254, 32766]); // the tunnel's own packets
});

test('fwmark with a mask, iif lo for local packets, ipproto and port ranges', () => {
  const p = host(
    ['default via 10.0.1.1', 'default via 10.0.2.1 table 7'],
    ['fwmark 0x10/0xf0 lookup 7', 'iif d0 ipproto tcp dport 80-90 lookup 7'],
  );
  const res = new RouteResult();
  p.lookup(key('8.8.8.8', { mark: 0x1f }), res);
  assert.equal(res.table, 7);
  p.lookup(key('8.8.8.8', { mark: 0x2f }), res);
  assert.equal(res.table, 254);
  p.lookup(key('8.8.8.8', { iif: 'd0', proto: 6, dport: 85 }), res);
  assert.equal(res.table, 7);
  p.lookup(key('8.8.8.8', { iif: 'd0', proto: 6, dport: 91 }), res);
  assert.equal(res.table, 254);
  p.lookup(key('8.8.8.8', { iif: 'lo', proto: 6, dport: 85 }), res);
  assert.equal(res.table, 254);
});

test('multipath: fib_rebalance upper bounds by weight, each path chosen for its share of hashes', () => {
  const b = nexthopBounds([
    { via: 1, dev: 'a', weight: 2 },
    { via: 2, dev: 'b', weight: 1 },
  ]);
  // DIV_ROUND_CLOSEST_ULL(w << 31, total) - 1
  assert.deepEqual(
    b.map((n) => n.upper),
    [1431655764, 2147483647],
  );
  const p = host(['default nexthop via 10.0.1.1 weight 2 nexthop via 10.0.2.1']);
  const res = new RouteResult();
  const count = { d0: 0, e0: 0 } as Record<string, number>;
  for (let i = 0; i < 3000; i++) {
    p.lookup(key(`198.51.${(i >> 8) & 255}.${i & 255}`, { src: ip('10.0.1.10') }), res);
    count[res.dev]!++;
  }
  assert.ok(count.d0! > 1800 && count.d0! < 2200, JSON.stringify(count));
  // policy 1 hashes ports too: one destination spreads over both paths.
  p.hashPolicy = 1;
  const devs = new Set<string>();
  for (let sp = 1000; sp < 1100; sp++) {
    p.lookup(key('198.51.100.1', { proto: 6, sport: sp, dport: 80 }), res);
    devs.add(res.dev);
  }
  assert.equal(devs.size, 2);
  p.hashPolicy = 0;
  devs.clear();
  for (let sp = 1000; sp < 1100; sp++) {
    p.lookup(key('198.51.100.1', { proto: 6, sport: sp, dport: 80 }), res);
    devs.add(res.dev);
  }
  assert.equal(devs.size, 1);
});

test('a 100,000-route table: longest prefix found, and removal keeps the index right', () => {
  const p = new PolicyRouting();
  for (let i = 0; i < 100_000; i++) {
    const len = 16 + (i % 9);
    const addr = (Math.imul(i, 2654435761) & (0xffffffff << (32 - len))) >>> 0;
    p.add({
      addr,
      mask: (0xffffffff << (32 - len)) >>> 0,
      len,
      via: 0,
      dev: `d${i % 7}`,
      src: 0,
      metric: i,
      origin: 'static',
    });
  }
  const naive = (dst: number): Route | undefined => {
    let best: Route | undefined;
    for (const r of p.main.routes)
      if (
        (dst & r.mask) >>> 0 === r.addr &&
        (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric))
      )
        best = r;
    return best;
  };
  const res = new RouteResult();
  for (let i = 0; i < 300; i++) {
    const dst = (Math.imul(i, 0x9e3779b1) >>> 0) ^ (i << 3);
    const want = naive(dst >>> 0);
    const err = p.lookup(key('0.0.0.0', { dst: dst >>> 0 }), res);
    assert.equal(err === 0 ? res.route : undefined, want);
  }
  p.removeWhere((r) => r.len === 24);
  assert.ok(p.main.routes.every((r) => r.len !== 24));
});
