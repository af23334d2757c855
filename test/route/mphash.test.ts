// The kernel's multipath hash (src/route/mphash.ts): siphash-2-4 against the reference vectors
// (lib/siphash_kunit.c's test_vectors_siphash, key 00..0f, message 00..len-1), and the paths
// Linux 6.18 chose under net.ipv4.fib_multipath_hash_seed in the live scenarios
// test/conformance/extra/multipath-hash-seed.yaml (policy 0) and multipath-hash-seed-l4.yaml
// (policy 1), multipath-hash-policy2.yaml and multipath-hash-policy3.yaml (policies 2 and 3), and
// multipath-prefer-saddr.yaml (fib_select_multipath's preference for the path holding the source),
// where a 2-way route's first path takes hashes up to 1073741823.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fibMultipathCustomHash, fibMultipathHash, lastHi, siphash24 } from '../../src/route/mphash.ts';
import { PolicyRouting, RouteResult, newFlowKey, resultUsesDev } from '../../src/route/policy.ts';
import { nexthopBounds } from '../../src/route/table.ts';
import { jhash2words } from '../../src/wire/jhash.ts';
import { parseIpv4 } from '../../src/wire/addr.ts';

const ip = (s: string): number => {
  const r = parseIpv4(s);
  if (!r.ok) throw new Error(s);
  return r.value;
};

test('siphash-2-4: the reference vectors for 0, 8, 16 and 24 bytes', () => {
  const want = ['726fdb47dd0e0e31', '93f5f5799a932462', '3f2acc7f57c29bdb', 'b8ad50c6f649af94'];
  for (let n = 0; n < 4; n++) {
    const m = new Uint32Array(2 * n);
    const b = new Uint8Array(m.buffer);
    for (let i = 0; i < 8 * n; i++) b[i] = i;
    const lo = siphash24(m, n, 8 * n, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c);
    assert.equal(lastHi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0'), want[n]);
  }
});

test('policy 0 under a seed: the paths the kernel took for six sources', () => {
  const dst = ip('10.0.9.34');
  const hashes = (seed: number): number[] =>
    [10, 11, 12, 13, 14, 15].map((i) => fibMultipathHash(seed, ip(`10.0.1.${i}`), dst, 0, 0, 0));
  assert.deepEqual(hashes(3221338814), [2081828073, 806235097, 230147944, 214868519, 142819223, 125384640]);
  assert.deepEqual(
    hashes(3735928559),
    [336390749, 1276803263, 732175173, 1230712422, 1296973058, 1862020908],
  );
  // The kernel's paths (1: via 10.0.2.2, 2: via 10.0.3.2).
  const path = (h: number): number => (h <= 1073741823 ? 1 : 2);
  assert.deepEqual(hashes(3221338814).map(path), [2, 1, 1, 1, 1, 1]);
  assert.deepEqual(hashes(3735928559).map(path), [1, 2, 1, 2, 2, 2]);
  // Symmetric (__flow_hash_consistentify): the reply direction hashes alike.
  assert.equal(fibMultipathHash(3221338814, dst, ip('10.0.1.10'), 0, 0, 0), 2081828073);
});

test('policy 1 under a seed: ports and protocol count, and both directions hash alike', () => {
  const src = ip('10.0.1.10');
  const dst = ip('10.0.9.34');
  const paths = (seed: number, base: number): number[] =>
    [1, 2, 3, 4, 5, 6].map((i) =>
      fibMultipathHash(seed, src, dst, 17, base + i, 5000) <= 1073741823 ? 1 : 2,
    );
  assert.deepEqual(paths(3221338814, 40000), [1, 1, 1, 2, 2, 2]);
  assert.deepEqual(paths(3735928559, 40010), [2, 1, 1, 2, 2, 2]);
  assert.equal(
    fibMultipathHash(3221338814, dst, src, 17, 5000, 40004),
    fibMultipathHash(3221338814, src, dst, 17, 40004, 5000),
  );
  assert.notEqual(
    fibMultipathHash(3221338814, src, dst, 6, 40004, 5000),
    fibMultipathHash(3221338814, src, dst, 17, 40004, 5000),
  );
});

test('PolicyRouting picks the path by the seeded hash; the seed and the policy are read at each lookup', () => {
  const p = new PolicyRouting();
  p.add({
    addr: ip('10.0.9.0'),
    mask: 0xffffff00,
    len: 24,
    via: 0,
    dev: '',
    src: 0,
    metric: 0,
    origin: 'static',
    nexthops: nexthopBounds([
      { via: ip('10.0.2.2'), dev: 'eth1', weight: 1 },
      { via: ip('10.0.3.2'), dev: 'eth2', weight: 1 },
    ]),
  });
  const k = newFlowKey();
  k.iif = 'eth0';
  k.dst = ip('10.0.9.34');
  const res = new RouteResult();
  const devs = (): string[] =>
    [10, 11, 12, 13, 14, 15].map((i) => {
      k.src = ip(`10.0.1.${i}`);
      assert.equal(p.lookup(k, res), 0);
      return res.dev;
    });
  p.hashSeed = 3221338814;
  assert.deepEqual(devs(), ['eth2', 'eth1', 'eth1', 'eth1', 'eth1', 'eth1']);
  p.hashSeed = 3735928559;
  assert.deepEqual(devs(), ['eth1', 'eth2', 'eth1', 'eth2', 'eth2', 'eth2']);
  // Policy 1 with no ports in the key (ICMP) hashes the protocol only beside the addresses.
  p.hashPolicy = 1;
  k.proto = 1;
  const h1 = p.multipathHash(k);
  assert.equal(h1, fibMultipathHash(3735928559, k.src, k.dst, 1, 0, 0));
  assert.notEqual(h1, fibMultipathHash(3735928559, k.src, k.dst, 0, 0, 0));
});

const mpRoute = (p: PolicyRouting): void =>
  p.add({
    addr: ip('10.0.9.0'),
    mask: 0xffffff00,
    len: 24,
    via: 0,
    dev: '',
    src: 0,
    metric: 0,
    origin: 'static',
    nexthops: nexthopBounds([
      { via: ip('10.0.2.2'), dev: 'eth1', weight: 1 },
      { via: ip('10.0.3.2'), dev: 'eth2', weight: 1 },
    ]),
  });

test('jhash_2words: the final mix of include/linux/jhash.h', () => {
  // Values from a separate transcription of __jhash_nwords/__jhash_final (Python, 32-bit masks).
  assert.equal(jhash2words(0, 0, 0), 1489077439);
  assert.equal(jhash2words(0x12345678, 0, 0), 3509906074);
  assert.equal(jhash2words(1, 2, 3), 623346101);
});

test('policy 3 under a seed: the paths the kernel took, forwarded (jhash_2words) and sent (fl4)', () => {
  const dst = ip('10.0.9.34');
  const paths = (fields: number, forwarded: boolean, base: number): number[] =>
    [0, 1, 2, 3, 4, 5].map((i) =>
      fibMultipathCustomHash(
        3221338814,
        fields,
        forwarded,
        ip(`10.0.1.${10 + i}`),
        dst,
        i === 1 || i === 4 ? 6 : 17,
        base + i,
        i === 1 || i === 4 ? 80 : 5000,
      ) <= 1073741823
        ? 1
        : 2,
    );
  // multipath-hash-policy3.yaml on Linux 6.18 (u2, u5, v2, v5 are TCP to port 80): u1..u6 under
  // 0x0037, v1..v6 under 0x0010.
  assert.deepEqual(paths(0x37, true, 40001), [2, 2, 2, 2, 2, 1]);
  assert.deepEqual(paths(0x10, true, 40011), [1, 2, 1, 2, 1, 1]);
  // No outer field: every flow hashes to 0 locally (the first path).
  assert.equal(fibMultipathCustomHash(1, 0x40, false, 1, 2, 17, 3, 4), 0);
  // Only the fields of the mask count.
  assert.equal(
    fibMultipathCustomHash(7, 0x2, true, ip('10.0.1.10'), dst, 17, 1, 2),
    fibMultipathCustomHash(7, 0x2, true, ip('10.0.1.99'), dst, 6, 3, 4),
  );
  const p = new PolicyRouting();
  mpRoute(p);
  p.hashSeed = 3221338814;
  p.hashPolicy = 3;
  p.hashFields = 0x37;
  const k = newFlowKey();
  k.dst = dst;
  k.src = ip('10.0.1.10');
  k.proto = 17;
  k.sport = 40001;
  k.dport = 5000;
  const res = new RouteResult();
  k.iif = 'eth0';
  p.lookup(k, res);
  assert.equal(res.dev, 'eth2', 'forwarded: jhash_2words(outer, 0, 0)');
  k.iif = 'lo';
  p.lookup(k, res);
  assert.equal(res.dev, 'eth1', 'sent: the outer hash alone');
  // Policy 2 without encapsulation: as policy 0.
  p.hashPolicy = 2;
  assert.equal(p.multipathHash(k), fibMultipathHash(3221338814, k.src, k.dst, 0, 0, 0));
});

test('fib_select_multipath prefers the path holding an output lookup source (multipath-prefer-saddr)', () => {
  const p = new PolicyRouting();
  mpRoute(p);
  p.hashSeed = 3221338814;
  const own: Record<string, number> = { eth1: ip('10.0.2.1'), eth2: ip('10.0.3.1') };
  p.nhSaddr = (dev) => own[dev] ?? 0;
  const k = newFlowKey();
  const res = new RouteResult();
  const dev = (iif: string, src: string, dst: string): string => {
    k.iif = iif;
    k.src = ip(src);
    k.dst = ip(dst);
    assert.equal(p.lookup(k, res), 0);
    return res.dev;
  };
  // The hash alone would take eth2 for 10.0.2.1 > .35 and eth1 for 10.0.3.1 > .34.
  assert.equal(fibMultipathHash(3221338814, ip('10.0.2.1'), ip('10.0.9.35'), 0, 0, 0) > 1073741823, true);
  assert.equal(dev('lo', '10.0.2.1', '10.0.9.35'), 'eth1');
  assert.equal(dev('lo', '10.0.3.1', '10.0.9.34'), 'eth2');
  // A source no path holds: the hash (10.0.1.1 > .35: eth1), not the last path.
  assert.equal(dev('lo', '10.0.1.1', '10.0.9.35'), 'eth1');
  assert.equal(dev('lo', '10.0.1.1', '10.0.9.34'), 'eth2');
  // A forwarded packet (an input lookup) is not concerned.
  assert.equal(dev('eth0', '10.0.2.1', '10.0.9.35'), 'eth2');
});

test('fib_info_nh_uses_dev: a multipath route back uses the device of any of its paths', () => {
  const p = new PolicyRouting();
  mpRoute(p);
  const k = newFlowKey();
  k.iif = 'lo';
  k.dst = ip('10.0.9.34');
  const res = new RouteResult();
  assert.equal(p.lookup(k, res), 0);
  assert.equal(resultUsesDev(res, 'eth1'), true);
  assert.equal(resultUsesDev(res, 'eth2'), true);
  assert.equal(resultUsesDev(res, 'eth0'), false);
});

test('hashFrom: an ICMP error is hashed by the packet it is about (icmp_route_lookup, ip_multipath_l3_keys)', () => {
  const p = new PolicyRouting();
  mpRoute(p);
  p.hashSeed = 3221338814;
  const k = newFlowKey();
  k.iif = 'lo';
  k.dst = ip('10.0.9.34');
  const res = new RouteResult();
  p.lookup(k, res);
  // multipath-icmp-error-hash.yaml: r1's error to h2 about h2's packet to 10.0.1.11 takes eth1,
  // where the error's own addresses would take eth2.
  assert.equal(res.dev, 'eth2');
  const about = newFlowKey();
  about.src = ip('10.0.9.34');
  about.dst = ip('10.0.1.11');
  p.hashFrom = about;
  p.lookup(k, res);
  p.hashFrom = undefined;
  assert.equal(res.dev, 'eth1');
});
