// inet_peer's shared rate limits, step by step as Linux 6.18 computes them (HZ 250):
// net/ipv4/route.c ip_rt_send_redirect and ip_error, net/ipv4/icmp.c icmpv4_xrlim_allow →
// net/ipv4/inetpeer.c inet_peer_xrlim_allow (defaults from Documentation/networking/ip-sysctl.rst).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InetPeers } from '../../src/stack/inetpeer.ts';

const A = 0xac100101;

test('redirects: the first at once, the n-th only 20 ms << n after the last, 9 in all, again after 20.48 s of quiet', () => {
  const p = new InetPeers();
  const sent: number[] = [];
  for (let t = 0; t < 12; t += 0.01) if (p.redirectAllow(A, t)) sent.push(Math.round(t * 100) / 100);
  // 40 ms after 0 is not "after": the next at 0.05; then 80 ms (0.14), 160 (0.31), 320 (0.64)...
  assert.deepEqual(sent, [0, 0.05, 0.14, 0.31, 0.64, 1.29, 2.58, 5.15, 10.28]);
  // Silenced: every packet moves rate_last, so quiet means 20.48 s with none.
  assert.equal(p.redirectAllow(A, 30), false);
  assert.equal(p.redirectAllow(A, 50.49), true);
});

test('ICMP errors: a fresh peer has a burst of 6, then one a second; others are apart', () => {
  const p = new InetPeers();
  const ok = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((t) => p.xrlimAllow(A, t, 1000));
  assert.deepEqual(ok, [true, true, true, true, true, true, false, false]);
  assert.equal(p.xrlimAllow(A, 1.4, 1000), true); // 0.5 + 0.9 s of tokens ≥ 1 s
  assert.equal(p.xrlimAllow(A + 1, 0.7, 1000), true);
});

test('one peer for both: a redirect empties the tokens, so an ICMP error waits a second after it', () => {
  const p = new InetPeers();
  assert.equal(p.redirectAllow(A, 0.72), true);
  assert.equal(p.xrlimAllow(A, 1.0, 1000), false);
  assert.equal(p.xrlimAllow(A, 1.6, 1000), false); // 0.88 s since 0.72
  assert.equal(p.xrlimAllow(A, 1.8, 1000), true); // 1.08 s
  assert.equal(p.xrlimAllow(A, 2.0, 1000), false);
});

test('ip_error: bursts of 5, then one a second', () => {
  const p = new InetPeers();
  const ok = [0, 0, 0, 0, 0, 0].map((t) => p.errorAllow(A, t));
  assert.deepEqual(ok, [true, true, true, true, true, false]);
  assert.equal(p.errorAllow(A, 0.996), false);
  assert.equal(p.errorAllow(A, 1.0), true);
});

test('a route error passes ip_error and then icmp_send on one peer: 2 at once, then none while the packets keep coming', () => {
  // ip_error takes the tokens saved since its last call, icmp_send then finds none: a sender that
  // keeps sending (here every 250 ms for 8 s) gets two errors; after 2.5 s of quiet, two again.
  const p = new InetPeers();
  const sent: number[] = [];
  for (let i = 0; i < 32; i++) if (p.errorAllow(A, i / 4) && p.xrlimAllow(A, i / 4, 1000)) sent.push(i / 4);
  assert.deepEqual(sent, [0, 0.25]);
  assert.equal(p.errorAllow(A, 10.25) && p.xrlimAllow(A, 10.25, 1000), true);
});
