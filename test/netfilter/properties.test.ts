// Properties of conntrack and NAT (fast-check, seeded; NATBOX_FC_RUNS runs, default 500):
// the reply's translation inverts the original's, no two live connections share a reply tuple,
// every rewrite leaves valid checksums equal to a full recomputation (UDP's zero checksum stays
// zero), the table never holds more than its maximum whatever happens to it, and an entry expires
// exactly at its timeout after the packet that last refreshed it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildIcmpIpv4Packet, buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../../src/wire/tcp.ts';
import { NF_ACCEPT } from '../../src/netfilter/core/engine.ts';
import { ConntrackTable, IPS_ASSURED, NO_ENTRY } from '../../src/netfilter/conntrack/table.ts';
import { DIR_REPLY, invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import { assertChecksums, engine, fcOpts, forward, hex, MASQ_RULES, SEED_RULES } from './helpers.ts';

const LAN = 0xc0a80100; // 192.168.1.0/24
const WAN_HOST = 0xcb007132; // 203.0.113.50
const PUBLIC = 0xcb007116; // 203.0.113.22

type Proto = 'tcp' | 'udp' | 'udp0' | 'icmp';

interface Pkt {
  proto: Proto;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  len: number;
  id: number;
}

function build(p: Pkt, flags = TCP_SYN): Uint8Array {
  const ipf = { src: p.src, dst: p.dst, id: p.id };
  const payload = new Uint8Array(p.len).map((_, i) => (i * 31 + p.id) & 0xff);
  switch (p.proto) {
    case 'tcp':
      return buildTcpPacket(
        ipf,
        { srcPort: p.sport, dstPort: p.dport, seq: p.id * 7, flags, window: 1000 },
        payload,
      );
    case 'udp':
    case 'udp0':
      return buildUdpPacket(
        ipf,
        { srcPort: p.sport, dstPort: p.dport, checksum: p.proto === 'udp' },
        payload,
      );
    case 'icmp':
      return buildIcmpIpv4Packet(
        ipf,
        { kind: flags === TCP_SYN ? 'echo-request' : 'echo-reply', id: p.sport, seq: 1 },
        payload,
      );
  }
}

/** Reads back addresses and ports (the echo id for ICMP, in sport and dport). */
function read(b: Uint8Array): { src: number; dst: number; sport: number; dport: number } {
  const u32 = (o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const u16 = (o: number): number => (b[o]! << 8) | b[o + 1]!;
  if (b[9] === IPPROTO_ICMP) return { src: u32(12), dst: u32(16), sport: u16(24), dport: u16(24) };
  return { src: u32(12), dst: u32(16), sport: u16(20), dport: u16(22) };
}

const protoArb = fc.constantFrom<Proto>('tcp', 'udp', 'udp0', 'icmp');
const clientArb = fc.record({
  proto: protoArb,
  host: fc.integer({ min: 2, max: 254 }),
  sport: fc.constantFrom(40000, 40001, 100, 700, 1023, 65535, 1),
  len: fc.integer({ min: 0, max: 64 }),
  id: fc.integer({ min: 0, max: 0xffff }),
});

test('nat property: translating the reply inverts the translation of the original (MASQUERADE)', () => {
  fc.assert(
    fc.property(fc.array(clientArb, { minLength: 1, maxLength: 12 }), fc.integer(), (clients, seed) => {
      const nf = engine(MASQ_RULES, { seed, max: 1024 });
      clients.forEach((c, i) => {
        const orig: Pkt = { ...c, src: LAN + c.host, dst: WAN_HOST, dport: 5000 };
        const out = build(orig);
        if (forward(nf, out, 'br-lan', 'wan', i) !== NF_ACCEPT) return; // e.g. a retransmitted SYN
        const o = read(out);
        assert.equal(o.src, PUBLIC);
        const reply: Pkt = { ...c, src: o.dst, dst: o.src, sport: o.dport, dport: o.sport };
        if (c.proto === 'icmp') reply.sport = o.sport;
        const back = build(reply, c.proto === 'tcp' ? TCP_SYN | TCP_ACK : 0);
        assert.equal(forward(nf, back, 'wan', 'br-lan', i + 0.5), NF_ACCEPT);
        const r = read(back);
        assert.equal(r.src, WAN_HOST);
        assert.equal(r.dst, orig.src);
        if (c.proto === 'icmp') assert.equal(r.sport, orig.sport);
        else assert.deepEqual([r.sport, r.dport], [orig.dport, orig.sport]);
        assertChecksums(back, 'reply');
      });
    }),
    fcOpts,
  );
});

test('nat property: the seed hairpin (DNAT + SNAT) inverts on the reply, bytes equal a fresh build', () => {
  fc.assert(
    fc.property(clientArb, fc.integer({ min: 0, max: 1400 }), (c, len) => {
      const nf = engine(SEED_RULES, { max: 64 });
      const p: Pkt = { ...c, proto: 'tcp', src: LAN + c.host, dst: PUBLIC, dport: 80, len };
      const b = build(p);
      forward(nf, b, 'br-lan', 'br-lan', 0);
      const mid: Pkt = { ...p, src: 0xc0a80101, dst: 0xc0a801c8 };
      assert.equal(hex(b), hex(build(mid)));
      const back = build(
        { ...mid, src: mid.dst, dst: mid.src, sport: 80, dport: p.sport },
        TCP_SYN | TCP_ACK,
      );
      forward(nf, back, 'br-lan', 'br-lan', 0.1);
      assert.equal(
        hex(back),
        hex(build({ ...p, src: PUBLIC, dst: p.src, sport: 80, dport: p.sport }, TCP_SYN | TCP_ACK)),
      );
    }),
    fcOpts,
  );
});

test('nat property: no two live connections share a reply tuple (many clients, one SNAT address)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          proto: fc.constantFrom<Proto>('tcp', 'udp', 'icmp'),
          host: fc.integer({ min: 2, max: 20 }),
          sport: fc.constantFrom(40000, 40001, 40002, 80, 600),
          t: fc.integer({ min: 0, max: 100 }),
        }),
        { minLength: 2, maxLength: 60 },
      ),
      fc.integer(),
      (clients, seed) => {
        const nf = engine(MASQ_RULES, { seed, max: 512 });
        let now = 0;
        for (const c of clients) {
          now += c.t / 10;
          const p: Pkt = { ...c, src: LAN + c.host, dst: WAN_HOST, dport: 80, len: 0, id: 1 };
          forward(nf, build(p, c.proto === 'tcp' ? TCP_ACK | TCP_PSH : TCP_SYN), 'br-lan', 'wan', now);
        }
        const ct = nf.conntrack;
        const seen = new Set<string>();
        const t = new TupleBuf();
        for (const e of ct.entries(now)) {
          for (const dir of [0, 1]) {
            ct.readTuple(e, dir, t);
            const k = `${t.src}/${t.dst}/${t.proto}/${t.sport}/${t.dport}`;
            assert.ok(!seen.has(k), `tuple ${k} twice`);
            seen.add(k);
            assert.equal(ct.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now), (e << 1) | dir);
          }
          assert.equal(ct.dst(e, DIR_REPLY), PUBLIC);
        }
      },
    ),
    fcOpts,
  );
});

test('nat property: every rewrite leaves valid checksums equal to a full recomputation', () => {
  fc.assert(
    fc.property(clientArb, fc.integer({ min: 0, max: 1400 }), fc.integer(), (c, len, seed) => {
      const nf = engine(MASQ_RULES, { seed, max: 64 });
      // A first connection from another client holding the same port forces a port rewrite too.
      const other: Pkt = { ...c, src: LAN + ((c.host % 250) + 3), dst: WAN_HOST, dport: 5000, len: 0 };
      forward(nf, build(other), 'br-lan', 'wan', 0);
      const p: Pkt = { ...c, src: LAN + 1, dst: WAN_HOST, dport: 5000, len };
      const b = build(p);
      assert.equal(forward(nf, b, 'br-lan', 'wan', 1), NF_ACCEPT);
      assertChecksums(b, c.proto);
      const o = read(b);
      const fresh = build({ ...p, src: o.src, sport: o.sport });
      assert.equal(hex(b), hex(fresh), 'incremental (RFC 1624) = recomputed');
      if (c.proto === 'udp0') assert.equal((b[26]! << 8) | b[27]!, 0);
    }),
    fcOpts,
  );
});

test('conntrack property: the table never exceeds its maximum and stays consistent', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('new' as const), a: fc.integer({ min: 0, max: 40 }), assured: fc.boolean() }),
    fc.record({ k: fc.constant('remove' as const), a: fc.nat() }),
    fc.record({ k: fc.constant('tick' as const), a: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ k: fc.constant('gc' as const) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 24 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
      const ct = new ConntrackTable(max);
      const live = new Map<number, TupleBuf>();
      let now = 0;
      const prune = (): void => {
        for (const [e, t] of live) {
          if (!ct.used[e] || ct.id[e] !== (t as TupleBuf & { id?: number }).id) live.delete(e);
        }
      };
      for (const o of ops) {
        if (o.k === 'new') {
          const t = new TupleBuf().set(
            0x0a000001,
            0x0a000002,
            o.a % 2 ? IPPROTO_UDP : IPPROTO_TCP,
            1000 + o.a,
            53,
          );
          const r = new TupleBuf();
          invertTuple(r, t);
          if (ct.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now) !== NO_ENTRY) continue;
          const e = ct.alloc(t, r, now);
          if (e === NO_ENTRY) continue;
          ct.expires[e] = now + 10 + o.a;
          if (o.assured) ct.status[e]! |= IPS_ASSURED;
          assert.ok(ct.confirm(e, now));
          live.set(e, Object.assign(t, { id: ct.id[e] }));
        } else if (o.k === 'remove') {
          const es = [...live.keys()];
          if (es.length) ct.remove(es[o.a % es.length]!);
        } else if (o.k === 'tick') {
          now += o.a;
        } else {
          ct.gc(now);
        }
        prune();
        assert.ok(ct.count <= max, `count ${ct.count} > max ${max}`);
        let used = 0;
        for (let e = 0; e < max; e++) used += ct.used[e]!;
        assert.equal(used, ct.count);
        for (const [e, t] of live) {
          if (ct.expires[e]! <= now) continue;
          assert.equal(ct.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now), e << 1);
        }
      }
    }),
    { ...fcOpts, numRuns: fcOpts.numRuns * 2 },
  );
});

test('conntrack property: an entry expires exactly at its timeout after the last packet that refreshed it', () => {
  // One UDP or ICMP flow through MASQUERADE with its timeout set by sysctl; packets at millisecond
  // times, gaps often exactly the timeout or one millisecond short of it. Before each packet the
  // entry is found iff the gap is below the timeout; after it, it expires exactly then + timeout.
  fc.assert(
    fc.property(
      fc.constantFrom<Proto>('udp', 'icmp'),
      fc.integer({ min: 1, max: 600 }),
      fc.integer({ min: 0, max: 10_000_000 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 1_200_000 }), { minLength: 12, maxLength: 12 }),
      (proto, timeout, startMs, kinds, randoms) => {
        const name = proto === 'udp' ? 'nf_conntrack_udp_timeout' : 'nf_conntrack_icmp_timeout';
        const nf = engine(MASQ_RULES, { sysctls: new Map([[name, timeout]]) });
        const ct = nf.conntrack;
        const ms = timeout * 1000;
        const p: Pkt = { proto, src: LAN + 10, dst: WAN_HOST, sport: 40000, dport: 53, len: 8, id: 1 };
        const pnum = proto === 'udp' ? IPPROTO_UDP : IPPROTO_ICMP;
        const find = (t: number): number =>
          ct.lookup(p.src, p.dst, pnum, p.sport, proto === 'udp' ? p.dport : 8 << 8, t / 1000);
        let t = startMs;
        let last = -1; // the time of the last packet, ms (-1: none yet)
        for (let i = 0; i < kinds.length; i++) {
          if (last >= 0) {
            const k = kinds[i]!;
            t = last + (k === 0 ? ms : k === 1 ? ms - 1 : k === 2 ? ms + 1 : randoms[i]! % (ms * 2 + 1));
            const found = find(t);
            assert.equal(found !== NO_ENTRY, t - last < ms, `gap ${t - last} ms, timeout ${ms} ms`);
          }
          assert.equal(forward(nf, build(p), 'lan', 'wan', t / 1000), NF_ACCEPT);
          const ed = find(t);
          assert.ok(ed >= 0, 'the packet left an entry');
          assert.equal(ct.expiresAt(ed >>> 1), (t + ms) / 1000);
          assert.ok(ct.isExpired(ed >>> 1, (t + ms) / 1000), 'expired at exactly the timeout');
          assert.ok(!ct.isExpired(ed >>> 1, (t + ms - 1) / 1000), 'alive one millisecond before');
          last = t;
        }
      },
    ),
    fcOpts,
  );
});
