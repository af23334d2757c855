// Skb.load / parse (core/skb.ts) read the IPv4 and transport header fields with the header's
// bytes written out (issue 16, "Speed"): the fields must be what the wire/ helpers read, on any
// bytes (truncated packets, fragments, any protocol, any header length), and load must reset every
// per-packet field whatever the Skb held before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { read16 } from '../../src/wire/checksum.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4Dst,
  ipv4HeaderLength,
  ipv4IsFragment,
  ipv4Protocol,
  ipv4Src,
  ipv4TotalLength,
} from '../../src/wire/ipv4.ts';
import { AF_INET } from '../../src/wire/addr.ts';
import { CT_UNTRACKED, PACKET_HOST, PACKET_OUTGOING, Skb } from '../../src/netfilter/core/skb.ts';

/** The header fields as the wire helpers read them (parse() before it was written out). */
function reference(b: Uint8Array, o: number): Record<string, number | boolean> {
  const len = ipv4TotalLength(b, o);
  const l4off = o + ipv4HeaderLength(b, o);
  const proto = ipv4Protocol(b, o);
  const fragment = ipv4IsFragment(b, o);
  const f = { family: AF_INET, len, l4off, proto, src: ipv4Src(b, o), dst: ipv4Dst(b, o), fragment };
  const l4 = { sport: 0, dport: 0, tcpFlags: 0, icmpType: 0, icmpCode: 0 };
  const l4len = o + len - l4off;
  if (!(fragment && (read16(b, o + 6) & 0x1fff) !== 0)) {
    if ((proto === IPPROTO_TCP && l4len >= 14) || (proto === IPPROTO_UDP && l4len >= 8)) {
      l4.sport = read16(b, l4off);
      l4.dport = read16(b, l4off + 2);
      if (proto === IPPROTO_TCP) l4.tcpFlags = b[l4off + 13]!;
    } else if (proto === IPPROTO_ICMP && l4len >= 8) {
      l4.icmpType = b[l4off]!;
      l4.icmpCode = b[l4off + 1]!;
      l4.sport = read16(b, l4off + 4);
    }
  }
  return { ...f, ...l4 };
}

const fields = (s: Skb): Record<string, number | boolean> => ({
  family: s.family,
  len: s.len,
  l4off: s.l4off,
  proto: s.proto,
  src: s.src,
  dst: s.dst,
  fragment: s.fragment,
  sport: s.sport,
  dport: s.dport,
  tcpFlags: s.tcpFlags,
  icmpType: s.icmpType,
  icmpCode: s.icmpCode,
});

// A header whose length, protocol, fragment word and total length vary (the total may run past the
// buffer: reads past it are undefined, 0 in the shifts, in both), at an offset in a larger buffer.
const packet = fc
  .record({
    pre: fc.nat(8),
    ihl: fc.integer({ min: 0, max: 15 }),
    proto: fc.constantFrom(1, 6, 17, 132, 47, 0),
    frag: fc.oneof(
      fc.constantFrom(0, 0x4000, 0x2000, 0x0001, 0x1000, 0x8000),
      fc.integer({ min: 0, max: 0xffff }),
    ),
    body: fc.uint8Array({ minLength: 0, maxLength: 80 }),
    total: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
    src: fc.integer({ min: 0, max: 0xffffffff }),
    dst: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .map(({ pre, ihl, proto, frag, body, total, src, dst }) => {
    const b = new Uint8Array(pre + 20 + body.length);
    const o = pre;
    b[o] = 0x40 | ihl;
    const len = total ?? 20 + body.length;
    b[o + 2] = len >> 8;
    b[o + 3] = len & 0xff;
    b[o + 6] = frag >> 8;
    b[o + 7] = frag & 0xff;
    b[o + 9] = proto;
    for (let k = 0; k < 4; k++) {
      b[o + 12 + k] = (src >>> (24 - 8 * k)) & 0xff;
      b[o + 16 + k] = (dst >>> (24 - 8 * k)) & 0xff;
    }
    b.set(body, o + 20);
    return { b, o };
  });

test('Skb.load reads the fields the wire helpers read, on any header', () => {
  const skb = new Skb();
  fc.assert(
    fc.property(packet, ({ b, o }) => {
      skb.load(b, o, 'eth0', '');
      assert.deepEqual(fields(skb), reference(b, o));
      // A fresh Skb reads the same as the reused one.
      assert.deepEqual(fields(new Skb().load(b, o, 'eth0', '')), reference(b, o));
    }),
    { numRuns: 3000 },
  );
});

test('Skb.load resets every per-packet field', () => {
  const a = new Uint8Array([
    0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0,
  ]);
  const fresh = new Skb().load(a, 0, '', 'eth1');
  const used = new Skb();
  used.load(a, 0, 'eth0', 'eth1');
  Object.assign(used, {
    physIn: 'p1',
    physOut: 'p2',
    ct: 7,
    ctDir: 1,
    ctinfo: 2,
    mark: 9,
    priority: 3,
    srcMac: 'aa:bb:cc:dd:ee:ff',
    uid: 1000,
    gid: 1000,
    dropReason: 4,
    dropTable: 2,
    rejectWith: 'tcp-reset',
    hotdrop: true,
    ctZone: 5,
    ctHelper: 1,
    ctSynproxy: true,
    skPort: 80,
    skAddr: 1,
  });
  used.load(a, 0, '', 'eth1');
  const { env: _e1, ...u } = used;
  const { env: _e2, ...f } = fresh;
  assert.deepEqual(u, f);
  assert.equal(used.ctinfo, CT_UNTRACKED);
  assert.equal(used.pktType, PACKET_OUTGOING);
  assert.equal(new Skb().load(a, 0, 'eth0', '').pktType, PACKET_HOST);
  assert.equal(used.sport, 53);
  assert.equal(used.dst, 0x0a000002);
});

// A ring or batch buffer (at least Skb.VIEW_MIN bytes) is read through a DataView, a word at a
// time: the same fields, for a packet anywhere in it, one that ends past the buffer's end included
// (read byte by byte then, as a packet's own buffer is), and one Skb moving between rings and
// packets' own buffers.
test('Skb.load reads the same fields from a ring buffer (its DataView) as the wire helpers', () => {
  const rings = [new Uint8Array(Skb.VIEW_MIN), new Uint8Array(Skb.VIEW_MIN + 4096)];
  const skb = new Skb();
  fc.assert(
    fc.property(
      packet,
      fc.nat(1),
      fc.oneof(fc.nat(Skb.VIEW_MIN - 200), fc.integer({ min: Skb.VIEW_MIN - 140, max: Skb.VIEW_MIN - 1 })),
      fc.boolean(),
      ({ b, o }, which, at, own) => {
        const ring = rings[which]!;
        // The packet's bytes at `at` in the ring, cut at the ring's end (the rest of the ring is 0,
        // as the reference reads it).
        const end = Math.min(Skb.VIEW_MIN, ring.length);
        const n = Math.min(b.length - o, end - at);
        ring.fill(0, at, Math.min(ring.length, at + 200));
        ring.set(b.subarray(o, o + n), at);
        const within = ring.subarray(0, end);
        const want = reference(within, at);
        if (own) skb.load(b, o, 'eth0', ''); // an own buffer between two ring packets
        skb.load(within, at, 'eth0', '');
        assert.deepEqual(fields(skb), want);
        assert.deepEqual(fields(new Skb().load(within, at, 'eth0', '')), want);
        // The ring buffer itself (longer than `within` for the second ring).
        skb.load(ring, at, 'eth0', '');
        assert.deepEqual(fields(skb), reference(ring, at));
      },
    ),
    { numRuns: 3000 },
  );
});

test('Skb.load from a ring: packets at every offset of its last 64 bytes (cut at its end) read as the wire helpers', () => {
  const ring = new Uint8Array(Skb.VIEW_MIN);
  const skb = new Skb();
  for (const [proto, len, ihl] of [
    [6, 40, 5],
    [6, 60, 10],
    [17, 28, 5],
    [1, 28, 5],
    [17, 48, 6],
  ] as const) {
    const p = new Uint8Array(len);
    p[0] = 0x40 | ihl;
    p[2] = len >> 8;
    p[3] = len & 0xff;
    p[9] = proto;
    for (let k = 12; k < len; k++) p[k] = (k * 37 + proto) & 0xff;
    for (let at = ring.length - 64; at < ring.length - 19; at++) {
      ring.fill(0, ring.length - 128);
      ring.set(p.subarray(0, Math.min(len, ring.length - at)), at);
      skb.load(ring, at, 'eth0', '');
      assert.deepEqual(fields(skb), reference(ring, at), `proto ${proto} at end - ${ring.length - at}`);
    }
  }
});
