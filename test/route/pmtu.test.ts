// The learned path MTU (route/pmtu.ts) as net/ipv4/route.c's __ip_rt_update_pmtu keeps it: only
// a smaller MTU is learned, one below min_pmtu (552) is raised to it and locked, an entry lasts
// ip_rt_mtu_expires (600 s), a locked route learns nothing; and `ip route get`'s suffix as
// iproute2 prints it (the kernel reference's route_after: `cache expires 599sec mtu 1400`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PmtuCache } from '../../src/route/pmtu.ts';
import type { Route } from '../../src/route/table.ts';

const route = (extra: Record<string, unknown> = {}): Route =>
  ({ addr: 0, mask: 0, len: 0, via: 1, dev: 'eth0', src: 0, metric: 0, origin: 'static', ...extra }) as Route;
const B = 0x0a000214;

test('a frag-needed lowers the path MTU for 600 s; the route get suffix counts down', () => {
  const c = new PmtuCache();
  const r = route();
  assert.equal(c.outputMtu(r, B, 1500, 0), 1500);
  assert.ok(c.update(B, 1400, 1500, false, 10));
  assert.equal(c.outputMtu(r, B, 1500, 10.5), 1400);
  assert.equal(c.routeGetSuffix(B, 10.2), ' cache expires 599sec mtu 1400');
  assert.equal(c.routeGetSuffix(B, 310), ' cache expires 299sec mtu 1400');
  assert.equal(c.outputMtu(r, B, 1500, 610), 1500, 'expired');
  assert.equal(c.routeGetSuffix(B, 610), '');
});

test('a larger MTU is ignored; below min_pmtu it is raised to 552 and locked', () => {
  const c = new PmtuCache();
  c.update(B, 1400, 1500, false, 0);
  assert.equal(c.update(B, 1450, 1400, false, 1), false);
  assert.equal(c.get(B, 1)?.mtu, 1400);
  assert.ok(c.update(B, 300, 1400, false, 2));
  assert.deepEqual(c.get(B, 2), { mtu: 552, expires: 602, locked: true });
  assert.equal(c.routeGetSuffix(B, 2), ' cache expires 599sec mtu lock 552');
});

test('a route with a locked mtu learns nothing; forwarding uses the route and the device, not the cache', () => {
  const c = new PmtuCache();
  assert.equal(c.update(B, 1400, 1500, true, 0), false);
  c.update(B, 1400, 1500, false, 0);
  assert.equal(c.forwardMtu(route(), B, 1500, false, 1), 1500);
  assert.equal(c.forwardMtu(route(), B, 1500, true, 1), 1400, 'ip_forward_use_pmtu');
  assert.equal(c.forwardMtu(route({ mtu: 1300 }), B, 1500, false, 1), 1300, 'the route mtu attribute');
  assert.equal(c.outputMtu(route({ mtu: 1300 }), 0x01020304, 1500, 1), 1300);
});

test('the cache is bounded', () => {
  const c = new PmtuCache();
  for (let i = 0; i < PmtuCache.MAX + 10; i++) c.update(i + 1, 1400, 1500, false, 0);
  assert.equal(c.get(1, 0), undefined, 'the oldest forgotten');
  assert.equal(c.get(PmtuCache.MAX + 10, 0)?.mtu, 1400);
});
