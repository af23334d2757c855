// One FIB per family behind one interface (src/route/fib.ts): the IPv4 RouteTable is a Fib, found
// by family in a host's Fibs, and answers as fib_table_lookup does (longest prefix, then lowest
// metric); list() and format() give the routes in that order, as `ip route` lists them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, RouteTable, type Fib4, type Fibs, type Route } from '../../src/route/table.ts';
import type { Fib, Fib6, FibRoute } from '../../src/route/fib.ts';
import { AF_INET, AF_INET6, parseIpv4 } from '../../src/wire/addr.ts';

const ip = (t: string): number => {
  const r = parseIpv4(t);
  if (!r.ok) throw new Error(t);
  return r.value;
};

function route(text: string, dev: string, origin: Route['origin'] = 'static'): Route {
  const r = parseRoute(text);
  assert.ok(r.ok, text);
  const { addr, mask, len, via, src, metric } = r.value;
  return { addr, mask, len, via, src, metric, dev: r.value.dev ?? dev, origin };
}

test('RouteTable is the IPv4 Fib: lookup by longest prefix then metric, list and format in that order', () => {
  const fib: Fib4 = new RouteTable();
  assert.equal(fib.family, AF_INET);
  fib.add(route('default via 203.0.113.1 dev wan', 'wan'));
  fib.add(route('10.0.0.0/8 via 192.168.1.254 metric 20', 'lan'));
  fib.add(route('10.0.0.0/8 via 192.168.1.253 metric 10', 'lan'));
  fib.add(route('10.1.0.0/16 dev tun0', 'tun0'));
  fib.add({
    addr: ip('192.168.1.0'),
    mask: 0xffffff00,
    len: 24,
    via: 0,
    src: ip('192.168.1.1'),
    metric: 0,
    dev: 'lan',
    origin: 'kernel',
  });
  assert.equal(fib.lookup(ip('10.1.2.3'))?.dev, 'tun0');
  assert.equal(fib.lookup(ip('10.2.0.1'))?.via, ip('192.168.1.253'));
  assert.equal(fib.lookup(ip('192.168.1.77'))?.origin, 'kernel');
  assert.equal(fib.lookup(ip('8.8.8.8'))?.via, ip('203.0.113.1'));
  // `ip route show` lists in the kernel's trie order (by destination, the longer prefix first),
  // and a route without gateway as `scope link` (iproute2 6.1 on Linux 6.18, captured here).
  assert.deepEqual(fib.format(), [
    'default via 203.0.113.1 dev wan',
    '10.0.0.0/8 via 192.168.1.253 dev lan metric 10',
    '10.0.0.0/8 via 192.168.1.254 dev lan metric 20',
    '10.1.0.0/16 dev tun0 scope link',
    '192.168.1.0/24 dev lan proto kernel scope link src 192.168.1.1',
  ]);
  assert.deepEqual(
    fib.list().map((r) => r.len),
    [24, 16, 8, 8, 0],
  );
  fib.removeWhere((r) => r.origin === 'kernel');
  assert.equal(fib.lookup(ip('192.168.1.77'))?.dev, 'wan');
  const empty: Fib4 = new RouteTable();
  assert.equal(empty.lookup(ip('192.0.2.1')), undefined); // "Network is unreachable"
});

test('Fibs: one FIB per family, picked by the family number (an Skb’s)', () => {
  const v4 = new RouteTable();
  v4.add(route('default via 203.0.113.1 dev wan', 'wan'));
  const fibs: Fibs = { [AF_INET]: v4 };
  assert.equal(fibs[AF_INET].lookup(ip('198.51.100.1'))?.dev, 'wan');
  assert.equal(fibs[AF_INET6], undefined);
  // The interface admits an IPv6 FIB: any Fib over 4-word addresses is one (shape check only).
  const fib6: Fib6 | undefined = fibs[AF_INET6];
  const generic: Fib<number, FibRoute> = fibs[AF_INET];
  assert.equal(fib6, undefined);
  assert.equal(generic.family, AF_INET);
});
