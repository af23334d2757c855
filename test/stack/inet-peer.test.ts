// ICMP rate limits per remote address (src/stack/inet-peer.ts), worked out by hand from Linux 6.x
// net/ipv4/inetpeer.c (inet_getpeer, inet_peer_xrlim_allow), route.c (ip_error,
// ip_rt_send_redirect) and icmp.c (icmpv4_xrlim_allow), and the case the generator found
// (test/conformance/generated/gen-202-8.yaml: prohibit routes, the kernel sent the third error
// of four and not the fourth, because ip_error and icmp_send draw on one bucket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InetPeers } from '../../src/stack/inet-peer.ts';

const A = 0x0a01000b;

test('icmp_send alone: a burst of 6 errors, then one a second', () => {
  const p = new InetPeers();
  const sent = [0, 0, 0, 0, 0, 0, 0, 0].map(() => p.xrlimAllow(A, 10));
  assert.deepEqual(sent, [true, true, true, true, true, true, false, false]);
  assert.equal(p.xrlimAllow(A, 10.999), false);
  assert.equal(p.xrlimAllow(A, 11.0), true);
  // Another address has its own bucket.
  assert.equal(p.xrlimAllow(A + 1, 11.0), true);
});

test('ip_error and icmp_send share the bucket: each no-route error costs 2 s (gen-202-8.yaml)', () => {
  const p = new InetPeers();
  const noRoute = (t: number): boolean => p.errorAllowed(A, t) && p.xrlimAllow(A, t);
  assert.equal(noRoute(3.2), true); // 5 → 4 → 3
  assert.equal(noRoute(4.0), true); // 3.8 → 2.8 → 1.8
  assert.equal(p.xrlimAllow(A, 4.3), true); // a port unreachable: 2.1 → 1.1
  assert.equal(noRoute(4.6), false); // 1.4 → 0.4: ip_error lets it, icmp_send does not
});

test('redirects: the first at once, then 20 ms << n apart, at most 9, again after 20.48 s of silence', () => {
  const p = new InetPeers();
  assert.equal(p.redirectAllowed(A, 1), true);
  assert.equal(p.redirectAllowed(A, 1.03), false); // within 40 ms of the first
  assert.equal(p.redirectAllowed(A, 1.041), true);
  let t = 1.041;
  for (let n = 2; n < 9; n++) {
    t += ((20 << n) + 1) / 1000;
    assert.equal(p.redirectAllowed(A, t), true, `redirect ${n + 1}`);
  }
  assert.equal(p.redirectAllowed(A, t + 100), true, 'after the silence the count starts again');
  assert.equal(p.redirectAllowed(A, t + 100.001), false);
});
