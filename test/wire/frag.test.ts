// IPv4 fragmentation and reassembly at the byte level (wire/frag.ts), against the kernel's rules
// (net/ipv4/ip_output.c ip_do_fragment, net/ipv4/ip_fragment.c ip_frag_queue/ip_frag_reasm):
// the reference vector of line-mtu-fragments-and-frag-needed (1478 bytes on MTU 1400 → 1396 +
// 102), then properties: fragments reassemble to the original in any order, every offset is a
// multiple of 8, every fragment fits the MTU, MF on all but the last, the header fields kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FRAG_DUP,
  FRAG_OK,
  FRAG_OVERLAP,
  FragQueue,
  fragmentPacket,
  isFragment,
} from '../../src/wire/frag.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { read16 } from '../../src/wire/checksum.ts';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.ts';

const udp = (n: number, df = false, id = 0x4242, ttl = 63): Uint8Array =>
  buildUdpPacket(
    { src: 0x0a00010a, dst: 0x0a000214, id, dontFragment: df, ttl },
    { srcPort: 43100, dstPort: 5000 },
    Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff),
  );

test('the kernel reference vector: 1478 bytes on MTU 1400 leave as 1396 (offset 0, MF) and 102 (offset 1376)', () => {
  const p = udp(1450);
  assert.equal(p.length, 1478);
  const f = fragmentPacket(p, 1400);
  assert.deepEqual(
    f.map((x) => [read16(x, 2), (read16(x, 6) & 0x1fff) * 8, (read16(x, 6) & 0x2000) !== 0]),
    [
      [1396, 0, true],
      [102, 1376, false],
    ],
  );
  for (const x of f) {
    assert.ok(ipv4ChecksumOk(x, 0));
    assert.equal(read16(x, 4), 0x4242, 'ID kept');
    assert.equal(x[8], 63, 'TTL kept');
    assert.ok(isFragment(x));
  }
});

test('a packet that fits leaves whole; an MTU too small for 8 data bytes gives nothing', () => {
  const p = udp(100);
  const f = fragmentPacket(p, 1500);
  assert.equal(f.length, 1);
  assert.deepEqual([...f[0]!], [...p]);
  assert.deepEqual(fragmentPacket(p, 27), []);
});

test('frag_max_size: a reassembled datagram leaves in pieces no larger than it came in', () => {
  const f = fragmentPacket(udp(1450), 1500, 1396);
  assert.deepEqual(
    f.map((x) => read16(x, 2)),
    [1396, 102],
  );
});

test('options: later fragments keep only the copied ones (ip_options_fragment)', () => {
  // Record route (7, not copied) and router alert (148, copied), 8 + 4 bytes.
  const opts = Uint8Array.from([7, 7, 4, 0, 0, 0, 0, 1, 148, 4, 0, 0]);
  const p = buildUdpPacket(
    { src: 1, dst: 2, id: 9, options: opts },
    { srcPort: 1, dstPort: 2 },
    new Uint8Array(200),
  );
  const [a, b] = fragmentPacket(p, 120);
  assert.deepEqual([...a!.subarray(20, 32)], [...opts]);
  assert.deepEqual([...b!.subarray(20, 32)], [1, 1, 1, 1, 1, 1, 1, 1, 148, 4, 0, 0]);
});

test('reassembly: duplicates are dropped alone, overlaps take the queue; DF survives only when all had it', () => {
  const f = fragmentPacket(udp(3000), 1000);
  const q = new FragQueue(30);
  assert.equal(q.add(f[0]!), FRAG_OK);
  assert.equal(q.add(f[0]!), FRAG_DUP);
  // A fragment starting 8 bytes into the first one's data overlaps it.
  const bad = f[1]!.slice();
  bad[6] = 0x20;
  bad[7] = 1;
  assert.equal(q.add(bad), FRAG_OVERLAP);
  const q2 = new FragQueue(30);
  for (const x of f.reverse()) assert.equal(q2.add(x), FRAG_OK);
  assert.ok(q2.complete());
  const whole = q2.reassemble();
  assert.equal(read16(whole, 6), 0, 'no DF, no MF, offset 0');
  assert.equal(q2.maxSize, 996);
});

test('property: fragments fit the MTU, carry multiples of 8, and reassemble to the original in any order', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8000 }),
      fc.integer({ min: 68, max: 9000 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (n, mtu, df, seed) => {
        const p = udp(n, df);
        const f = fragmentPacket(p, mtu, 0, df);
        assert.ok(f.length >= 1);
        let expected = 0;
        f.forEach((x, i) => {
          const ff = read16(x, 6);
          const off = (ff & 0x1fff) * 8;
          assert.ok(read16(x, 2) <= Math.max(mtu, 0) || f.length === 1, 'fits the MTU');
          assert.equal(off, expected, 'contiguous');
          const last = i === f.length - 1;
          if (!last) assert.equal((read16(x, 2) - 20) % 8, 0, 'a multiple of 8');
          assert.equal((ff & 0x2000) !== 0, !last && f.length > 1, 'MF on all but the last');
          assert.equal((ff & 0x4000) !== 0, df, 'DF as asked');
          assert.ok(ipv4ChecksumOk(x, 0));
          expected += read16(x, 2) - 20;
        });
        if (f.length === 1) {
          assert.deepEqual([...f[0]!], [...p]);
          return;
        }
        // Any order (a seeded shuffle), through the reassembly queue.
        const order = f.map((x, i) => ({ x, k: (Math.imul(i + 1, 2654435761) ^ seed) >>> 0 }));
        order.sort((a, b) => a.k - b.k);
        const q = new FragQueue(30);
        for (const { x } of order) assert.equal(q.add(x), FRAG_OK);
        assert.ok(q.complete());
        const whole = q.reassemble();
        const want = p.slice();
        want[6] = df ? 0x40 : 0;
        want[7] = 0;
        want[10] = whole[10]!;
        want[11] = whole[11]!;
        assert.deepEqual([...whole], [...want]);
        assert.ok(ipv4ChecksumOk(whole, 0));
      },
    ),
    { numRuns: 300, seed: 14 },
  );
});
