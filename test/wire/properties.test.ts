// Properties of the wire layer (fast-check, seeded): the fast checksum equals the naive one,
// incremental rewrites equal full recomputation, parse(emit(x)) = x for every codec, and no parser
// or printer throws on random bytes. Runs: NATBOX_FC_RUNS (default 2000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcOpts } from './helpers.ts';
import {
  checksum,
  checksumNaive,
  checksumUpdate16,
  checksumUpdate32,
  onesSum,
  read16,
  write16,
} from '../../src/wire/checksum.ts';
import * as ip from '../../src/wire/ipv4.ts';
import * as tcp from '../../src/wire/tcp.ts';
import * as udp from '../../src/wire/udp.ts';
import * as icmp from '../../src/wire/icmp.ts';
import * as arp from '../../src/wire/arp.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { PcapWriter, readPcap } from '../../src/wire/pcap.ts';
import { PcapngWriter, readPcapng } from '../../src/wire/pcapng.ts';
import { formatEthernetFrame, formatIpv4Packet, TcpSeqTracker } from '../../src/wire/format.ts';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
/** One's complement has two zeros: 0x0000 and 0xFFFF verify alike. */
const sameChecksum = (a: number, b: number): boolean =>
  a === b || (a === 0 && b === 0xffff) || (a === 0xffff && b === 0);

// ---- checksums -------------------------------------------------------------------------------

test('checksum: fast = naive reference on random bytes, any offset and length', () => {
  fc.assert(
    fc.property(bytes(1600), fc.nat(), fc.nat(), (b, x, y) => {
      const off = b.length === 0 ? 0 : x % b.length;
      const len = b.length - off === 0 ? 0 : y % (b.length - off + 1);
      assert.equal(checksum(b, off, len), checksumNaive([...b.subarray(off, off + len)]));
    }),
    fcOpts(),
  );
});

test('checksum: the sum of two halves = the sum of the whole (initial carries over, even split)', () => {
  fc.assert(
    fc.property(bytes(200), fc.nat(), (b, x) => {
      const mid = b.length === 0 ? 0 : (x % b.length) & ~1;
      assert.ok(sameChecksum(checksum(b, mid, b.length - mid, onesSum(b, 0, mid)), checksum(b, 0, b.length)));
    }),
    fcOpts(),
  );
});

test('checksum: RFC 1624 updates = recomputation for a changed 16- or 32-bit word', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), u32, (b0, x, v) => {
      const b = b0.slice(0, b0.length & ~1);
      const at = (x % ((b.length - 4) / 2)) * 2;
      const hc = checksum(b, 0, b.length);
      const old16 = read16(b, at);
      const c = b.slice();
      write16(c, at, v & 0xffff);
      assert.ok(sameChecksum(checksumUpdate16(hc, old16, v & 0xffff), checksum(c, 0, c.length)));
      const old32 = (read16(b, at) * 65536 + read16(b, at + 2)) >>> 0;
      const d = b.slice();
      write16(d, at, v >>> 16);
      write16(d, at + 2, v & 0xffff);
      assert.ok(sameChecksum(checksumUpdate32(hc, old32, v), checksum(d, 0, d.length)));
    }),
    fcOpts(),
  );
});

// ---- arbitraries -----------------------------------------------------------------------------

const ipOptions = fc
  .array(
    fc.oneof(
      fc.constant<ip.Ipv4Option>({ kind: 'nop' }),
      fc
        .record({ type: fc.integer({ min: 2, max: 255 }), data: bytes(6) })
        .map((o): ip.Ipv4Option => ({ kind: 'option', type: o.type, data: o.data })),
    ),
    { maxLength: 4 },
  )
  .filter((o) => ip.emitIpv4Options(o).length <= 40);

const ipv4Emit = fc.record({
  tos: u8,
  id: u16,
  dontFragment: fc.boolean(),
  moreFragments: fc.boolean(),
  reservedFlag: fc.boolean(),
  fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8),
  ttl: u8,
  protocol: u8,
  src: u32,
  dst: u32,
  options: ipOptions.map(ip.emitIpv4Options),
});

const tcpOption: fc.Arbitrary<tcp.TcpOption> = fc.oneof(
  fc.constant<tcp.TcpOption>({ kind: 'nop' }),
  u16.map((mss): tcp.TcpOption => ({ kind: 'mss', mss })),
  u8.map((shift): tcp.TcpOption => ({ kind: 'ws', shift })),
  fc.constant<tcp.TcpOption>({ kind: 'sackOK' }),
  fc
    .array(fc.tuple(u32, u32), { minLength: 1, maxLength: 3 })
    .map((blocks): tcp.TcpOption => ({ kind: 'sack', blocks })),
  fc.record({ val: u32, ecr: u32 }).map((t): tcp.TcpOption => ({ kind: 'ts', ...t })),
  fc
    .record({ type: fc.integer({ min: 9, max: 255 }), data: bytes(6) })
    .map((o): tcp.TcpOption => ({ kind: 'unknown', type: o.type, data: o.data })),
);

/** Options that fill a multiple of 4 bytes (NOP padding in front, as Linux pads), up to 40. */
const tcpOptions = fc
  .array(tcpOption, { maxLength: 5 })
  .map((opts) => {
    const n = opts.reduce((s, o) => s + tcp.tcpOptionLength(o), 0);
    const pad = (4 - (n % 4)) % 4;
    return [...Array.from({ length: pad }, (): tcp.TcpOption => ({ kind: 'nop' })), ...opts];
  })
  .filter((o) => tcp.tcpOptionsLength(o) <= 40);

const tcpEmit = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: u8,
  window: u16,
  urgent: u16,
  reserved: fc.integer({ min: 0, max: 15 }),
  options: tcpOptions,
});

// ---- round trips -----------------------------------------------------------------------------

test('ipv4: parse(emit(h)) = h, and emit(parse(bytes)) = bytes', () => {
  fc.assert(
    fc.property(ipv4Emit, fc.integer({ min: 0, max: 100 }), (h, payload) => {
      const b = new Uint8Array(60 + payload);
      const hl = ip.emitIpv4Header(h, payload, b);
      const p = ip.parseIpv4Header(b, 0, hl + payload);
      assert.ok(p.ok);
      const { totalLength, checksum: cs, headerLength, ...rest } = p.value;
      assert.deepEqual({ ...rest, options: [...rest.options] }, { ...h, options: [...h.options] });
      assert.equal(totalLength, hl + payload);
      assert.equal(headerLength, hl);
      assert.ok(ip.ipv4ChecksumOk(b, 0));
      assert.equal(cs, ip.ipv4ComputeChecksum(b, 0));
      const again = new Uint8Array(hl);
      ip.emitIpv4Header(p.value, payload, again);
      assert.deepEqual(again, b.subarray(0, hl));
    }),
    fcOpts(),
  );
});

test('ipv4 options: parse(emit(o)) = o', () => {
  fc.assert(
    fc.property(ipOptions, (opts) => {
      const raw = ip.emitIpv4Options(opts);
      const p = ip.parseIpv4Options(raw);
      assert.ok(p.ok);
      const pad = raw.length - opts.reduce((s, o) => s + (o.kind === 'option' ? 2 + o.data.length : 1), 0);
      // Padding is zeros: EOL, which ends the list.
      assert.deepEqual(p.value, pad > 0 ? [...opts, { kind: 'eol' }] : opts);
    }),
    fcOpts(),
  );
});

test('tcp: parse(emit(h)) = h with a valid checksum', () => {
  fc.assert(
    fc.property(tcpEmit, bytes(64), u32, u32, (h, payload, src, dst) => {
      const b = new Uint8Array(60 + payload.length);
      const len = tcp.emitTcp(h, payload, src, dst, b);
      const p = tcp.parseTcpHeader(b, 0, len);
      assert.ok(p.ok);
      const { checksum: cs, headerLength, ...rest } = p.value;
      assert.deepEqual(rest, { ...h, options: [...h.options] });
      assert.equal(headerLength, 20 + tcp.tcpOptionsLength(h.options));
      assert.equal(cs, read16(b, 16));
      assert.ok(tcp.tcpChecksumOk(b, 0, len, src, dst));
      assert.deepEqual(b.subarray(headerLength, len), payload);
    }),
    fcOpts(),
  );
});

test('udp: parse(emit(h)) = h; checksum valid, never 0 when sent', () => {
  fc.assert(
    fc.property(u16, u16, fc.boolean(), bytes(64), u32, u32, (srcPort, dstPort, sum, payload, src, dst) => {
      const b = new Uint8Array(8 + payload.length);
      const len = udp.emitUdp({ srcPort, dstPort, checksum: sum }, payload, src, dst, b);
      const p = udp.parseUdpHeader(b, 0, len);
      assert.ok(p.ok);
      assert.deepEqual(p.value, { srcPort, dstPort, length: len, checksum: read16(b, 6) });
      assert.ok(udp.udpChecksumOk(b, 0, len, src, dst));
      if (sum) assert.notEqual(p.value.checksum, 0);
      else assert.equal(p.value.checksum, 0);
    }),
    fcOpts(),
  );
});

const quoted = fc.tuple(ipv4Emit, fc.integer({ min: 8, max: 40 })).map(([h, l4]) => {
  const b = new Uint8Array(60 + l4);
  const hl = ip.emitIpv4Header(h, l4, b);
  return b.slice(0, hl + l4);
});

const icmpEmit: fc.Arbitrary<{ h: icmp.IcmpEmit; body: Uint8Array }> = fc.oneof(
  fc
    .record({
      kind: fc.constantFrom<icmp.IcmpQueryKind>(
        'echo-request',
        'echo-reply',
        'timestamp-request',
        'info-reply',
      ),
      code: u8,
      id: u16,
      seq: u16,
    })
    .chain((h) => bytes(64).map((body) => ({ h, body }))),
  fc
    .record({ kind: fc.constant('dest-unreachable' as const), code: u8, nextHopMtu: u16 })
    .chain((h) => quoted.map((body) => ({ h, body }))),
  fc
    .record({ kind: fc.constant('source-quench' as const), code: u8 })
    .chain((h) => quoted.map((body) => ({ h, body }))),
  fc
    .record({ kind: fc.constant('redirect' as const), code: u8, gateway: u32 })
    .chain((h) => quoted.map((body) => ({ h, body }))),
  fc
    .record({ kind: fc.constant('time-exceeded' as const), code: u8 })
    .chain((h) => quoted.map((body) => ({ h, body }))),
  fc
    .record({ kind: fc.constant('parameter-problem' as const), code: u8, pointer: u8 })
    .chain((h) => quoted.map((body) => ({ h, body }))),
  fc
    .record({
      kind: fc.constant('other' as const),
      type: fc.constantFrom(6, 9, 10, 19, 42, 255),
      code: u8,
      rest: u32,
    })
    .chain((h) => bytes(16).map((body) => ({ h, body }))),
);

test('icmp: parse(emit(h)) = h, errors with a quote view at the right offsets', () => {
  fc.assert(
    fc.property(icmpEmit, fc.integer({ min: 0, max: 24 }), ({ h, body }, o) => {
      const b = new Uint8Array(o + 8 + body.length);
      const len = icmp.emitIcmp(h, body, b, o);
      assert.ok(icmp.icmpChecksumOk(b, o, len));
      const p = icmp.parseIcmp(b, o, o + len);
      assert.ok(p.ok, String(!p.ok && p.error));
      const { checksum: cs, type, ...rest } = p.value;
      assert.equal(type, icmp.icmpEmitType(h));
      assert.equal(cs, read16(b, o + 2));
      if ('quote' in rest) {
        const { quote, ...fields } = rest;
        assert.deepEqual(fields, { ...h });
        assert.equal(quote.ipOffset, o + 8);
        assert.equal(quote.l4Offset, o + 8 + ((body[0]! & 15) << 2));
        assert.equal(quote.end, o + len);
      } else assert.deepEqual(rest, 'type' in h ? { kind: h.kind, code: h.code, rest: h.rest } : { ...h });
    }),
    fcOpts(),
  );
});

test('icmp: an error quoting less than IP header + 8 bytes is a typed error', () => {
  fc.assert(
    fc.property(quoted, fc.nat(), (q, cut) => {
      const hl = (q[0]! & 15) * 4;
      const short = q.subarray(0, cut % (hl + 8));
      const b = new Uint8Array(8 + short.length);
      const len = icmp.emitIcmp({ kind: 'time-exceeded', code: 0 }, short, b);
      const p = icmp.parseIcmp(b, 0, len);
      assert.deepEqual(p, { ok: false, error: 'truncated-quote' });
    }),
    fcOpts(),
  );
});

test('arp: parse(emit(h)) = h', () => {
  fc.assert(
    fc.property(
      u16,
      fc.uint8Array({ minLength: 6, maxLength: 6 }),
      u32,
      fc.uint8Array({ minLength: 6, maxLength: 6 }),
      u32,
      (op, sm, si, tm, ti) => {
        const h = { op, senderMac: sm, senderIp: si, targetMac: tm, targetIp: ti };
        const b = new Uint8Array(28);
        arp.emitArp(h, b);
        assert.deepEqual(arp.parseArp(b), { ok: true, value: h });
      },
    ),
    fcOpts(),
  );
});

test('pcap and pcapng: read(write(packets)) = packets', () => {
  const pkt = fc.record({
    t: fc.integer({ min: 0, max: 2 ** 31 }).chain((s) => fc.nat(999999).map((us) => s + us / 1e6)),
    data: bytes(100),
  });
  fc.assert(
    fc.property(
      fc.array(pkt, { maxLength: 8 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 300 }),
      (pkts, nanos, linktype) => {
        const w = new PcapWriter({ linktype, nanos });
        for (const p of pkts) w.add(p.t, p.data);
        const r = readPcap(w.bytes());
        assert.ok(r.ok);
        assert.equal(r.value.linktype, linktype);
        assert.equal(r.value.nanos, nanos);
        assert.deepEqual(
          r.value.packets.map((p) => [Math.round(p.timestamp * 1e6), [...p.data]]),
          pkts.map((p) => [Math.round(p.t * 1e6), [...p.data]]),
        );
        const g = new PcapngWriter();
        const a = g.addInterface('router:br-lan', linktype);
        const b2 = g.addInterface('router:wan', 101);
        pkts.forEach((p, i) => g.add(i % 2 ? b2 : a, p.t, p.data, i === 0 ? 'first' : undefined));
        const n = readPcapng(g.bytes());
        assert.ok(n.ok);
        assert.deepEqual(
          n.value.interfaces.map((x) => [x.name, x.linktype]),
          [
            ['router:br-lan', linktype],
            ['router:wan', 101],
          ],
        );
        assert.deepEqual(
          n.value.packets.map((p) => [p.ifIndex, Math.round(p.timestamp! * 1e6), [...p.data], p.comment]),
          pkts.map((p, i) => [i % 2, Math.round(p.t * 1e6), [...p.data], i === 0 ? 'first' : undefined]),
        );
      },
    ),
    fcOpts(),
  );
});

// ---- incremental NAT rewrites ----------------------------------------------------------------

test('nat rewrite: TCP src address + port through the setters = full recomputation', () => {
  fc.assert(
    fc.property(tcpEmit, bytes(40), u32, u32, u32, u16, (h, payload, src, dst, nsrc, nport) => {
      const p = buildTcpPacket({ src, dst, id: 1 }, h, payload);
      ip.ipv4SetSrc(p, 0, nsrc);
      tcp.tcpPseudoAddrChanged(p, 20, src, nsrc);
      tcp.tcpSetPort(p, 20, 0, nport);
      assert.ok(sameChecksum(read16(p, 10), ip.ipv4ComputeChecksum(p, 0)));
      const c = p.slice();
      tcp.tcpFillChecksum(c, 20, c.length - 20, nsrc, dst);
      assert.ok(sameChecksum(read16(p, 36), read16(c, 36)));
      assert.ok(tcp.tcpChecksumOk(p, 20, p.length - 20, nsrc, dst));
    }),
    fcOpts(),
  );
});

test('nat rewrite: UDP address + port keep 0 as "no checksum" and never write 0 otherwise', () => {
  fc.assert(
    fc.property(
      u16,
      u16,
      fc.boolean(),
      bytes(40),
      u32,
      u32,
      u32,
      u16,
      (sp, dp, sum, payload, src, dst, ndst, nport) => {
        const p = buildUdpPacket({ src, dst }, { srcPort: sp, dstPort: dp, checksum: sum }, payload);
        ip.ipv4SetDst(p, 0, ndst);
        udp.udpPseudoAddrChanged(p, 20, dst, ndst);
        udp.udpSetPort(p, 20, 2, nport);
        assert.ok(ip.ipv4ChecksumOk(p, 0));
        if (!sum) assert.equal(udp.udpChecksumField(p, 20), 0);
        else
          assert.equal(udp.udpChecksumField(p, 20), udp.udpComputeChecksum(p, 20, p.length - 20, src, ndst));
        assert.ok(udp.udpChecksumOk(p, 20, p.length - 20, src, ndst));
      },
    ),
    fcOpts(),
  );
});

test('nat rewrite: UDP rewrite whose checksum comes out 0 writes 0xFFFF', () => {
  // Search a port that makes the incremental result 0: it must be sent as 0xFFFF (RFC 768).
  const p = buildUdpPacket(
    { src: 0x0a000001, dst: 0x0a000002 },
    { srcPort: 1000, dstPort: 2000 },
    new Uint8Array([1, 2]),
  );
  const hc = udp.udpChecksumField(p, 20);
  let target = -1;
  for (let port = 0; port <= 0xffff && target < 0; port++)
    if (checksumUpdate16(hc, 1000, port) === 0) target = port;
  assert.notEqual(target, -1);
  udp.udpSetPort(p, 20, 0, target);
  assert.equal(udp.udpChecksumField(p, 20), 0xffff);
  assert.ok(udp.udpChecksumOk(p, 20, p.length - 20, 0x0a000001, 0x0a000002));
});

test('nat rewrite: ICMP echo id setter = full recomputation', () => {
  fc.assert(
    fc.property(u16, u16, bytes(64), u16, (id, seq, payload, nid) => {
      const b = new Uint8Array(8 + payload.length);
      icmp.emitIcmpEcho('echo-request', id, seq, payload, b);
      icmp.icmpSetEchoId(b, 0, nid);
      assert.equal(icmp.icmpEchoId(b, 0), nid);
      assert.ok(sameChecksum(icmp.icmpChecksumField(b, 0), icmp.icmpComputeChecksum(b, 0, b.length)));
    }),
    fcOpts(),
  );
});

// ---- never throw -----------------------------------------------------------------------------

test('parsers and printers never throw on random bytes, offsets and ends', () => {
  fc.assert(
    fc.property(bytes(120), fc.nat(130), fc.nat(130), (b, o, e) => {
      const end = Math.max(o, e);
      ip.parseIpv4Header(b, o, end);
      ip.parseIpv4HeaderQuoted(b, o, end);
      ip.parseIpv4Options(b, o, end);
      tcp.parseTcpHeader(b, o, end);
      tcp.parseTcpOptions(b, o, end);
      udp.parseUdpHeader(b, o, end);
      icmp.parseIcmp(b, o, end);
      arp.parseArp(b, o, end);
      readPcap(b);
      readPcapng(b);
      assert.equal(typeof formatIpv4Packet(b, o, end, { tcpSeq: new TcpSeqTracker() }), 'string');
      assert.equal(typeof formatEthernetFrame(b, o, end), 'string');
    }),
    fcOpts(),
  );
});

test('parsers never throw on mutated valid packets (closer to the edge cases)', () => {
  const base = [
    buildTcpPacket(
      { src: 1, dst: 2 },
      { srcPort: 1, dstPort: 2, seq: 3, flags: 2, options: [{ kind: 'mss', mss: 1460 }] },
    ),
    buildUdpPacket({ src: 1, dst: 2 }, { srcPort: 1, dstPort: 2 }, new Uint8Array(4)),
    icmp.buildIcmpPacket(
      { src: 1, dst: 2 },
      { kind: 'dest-unreachable', code: 3 },
      buildUdpPacket({ src: 2, dst: 1 }, { srcPort: 1, dstPort: 2 }),
    ),
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...base),
      fc.array(fc.tuple(fc.nat(80), u8), { maxLength: 4 }),
      fc.nat(80),
      (p0, muts, cut) => {
        const p = p0.slice(0, Math.max(0, p0.length - (cut % 20)));
        for (const [i, v] of muts) if (i < p.length) p[i] = v;
        const h = ip.parseIpv4Header(p);
        if (h.ok) {
          const l4 = h.value.headerLength;
          tcp.parseTcpHeader(p, l4, h.value.totalLength);
          udp.parseUdpHeader(p, l4, h.value.totalLength);
          icmp.parseIcmp(p, l4, h.value.totalLength);
        }
        assert.equal(typeof formatIpv4Packet(p), 'string');
      },
    ),
    fcOpts(),
  );
});

/**
 * tcp_parse_options (net/ipv4/tcp_input.c) transcribed as the kernel writes it, counting `length`
 * down: the options it reaches, as [offset of the kind byte, kind, size].
 */
function kernelOptionWalk(b: Uint8Array, start: number, end: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  let length = end - start;
  let ptr = start;
  while (length > 0) {
    const opcode = b[ptr++]!;
    if (opcode === 0) return out; // TCPOPT_EOL
    if (opcode === 1) {
      length--; // TCPOPT_NOP
      continue;
    }
    if (length < 2) return out;
    const opsize = b[ptr++]!;
    if (opsize < 2) return out; // "silly options"
    if (opsize > length) return out; // "don't parse partial options"
    out.push([ptr - 2, opcode, opsize]);
    ptr += opsize - 2;
    length -= opsize;
  }
  return out;
}

test('tcpOptionNext walks the options tcp_parse_options reaches, and tcpOptionAt finds the first of a kind and size', () => {
  // Option bytes drawn from the kinds that matter (EOL, NOP, MSS, WS, SACK-permitted, SACK, TS)
  // with lengths right, wrong, silly or past the end, then a tail of any bytes.
  const opt = fc.oneof(
    fc.constant([0]),
    fc.constant([1]),
    fc.constant([2, 4, 5, 0xb4]),
    fc.constant([3, 3, 7]),
    fc.constant([4, 2]),
    fc
      .tuple(fc.integer({ min: 0, max: 3 }), u32)
      .map(([n, v]) => [5, 2 + 8 * n, ...Array<number>(8 * n).fill(v & 0xff)]),
    fc.constant([8, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
    fc.tuple(fc.integer({ min: 2, max: 254 }), fc.integer({ min: 0, max: 12 })).map(([k, l]) => [k, l]),
  );
  fc.assert(
    fc.property(fc.array(opt, { maxLength: 8 }), bytes(6), fc.nat(4), (opts, tail, cut) => {
      const b = new Uint8Array([...opts.flat(), ...tail]);
      const end = Math.max(0, b.length - cut);
      const walked: Array<[number, number, number]> = [];
      for (let i = tcp.tcpOptionNext(b, 0, end); i >= 0; i = tcp.tcpOptionNext(b, i + b[i + 1]!, end))
        walked.push([i, b[i]!, b[i + 1]!]);
      const want = kernelOptionWalk(b, 0, end);
      assert.deepEqual(walked, want);
      for (const [kind, len] of [
        [2, 4],
        [3, 3],
        [4, 2],
        [8, 10],
      ] as const) {
        const first = want.find(([, k, s]) => k === kind && s === len);
        assert.equal(tcp.tcpOptionAt(b, 0, end, kind, len), first === undefined ? -1 : first[0] + 2);
      }
    }),
    fcOpts(),
  );
});

test('tcpOptionAt stops at a timestamp that runs past the options (the kernel parses no partial option)', () => {
  // NOP, NOP, then a timestamp option whose 10 bytes run 4 past the data offset's end.
  const b = new Uint8Array([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
  assert.equal(tcp.tcpOptionAt(b, 0, 12, 8, 10), 4);
  assert.equal(tcp.tcpOptionAt(b, 0, 8, 8, 10), -1);
  assert.equal(tcp.tcpOptionNext(b, 0, 3), -1);
});

// ipv4SetSrc/ipv4SetDst update the header checksum on the bytes (ipv4.ts setAddr): the same bytes
// as checksumUpdate32 of the old and new address then writing them, for any header checksum
// (0x0000 and 0xffff included) and any addresses, the new one given as uint32 or int32.
test('ipv4SetSrc/ipv4SetDst: the bytes of checksumUpdate32 and write32', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.constantFrom(0, 4),
      fc.oneof(u16, fc.constantFrom(0, 0xffff)),
      fc.oneof(u32, fc.constantFrom(0, 0xffffffff, 0xffff0000, 0x0000ffff)),
      fc.boolean(),
      fc.boolean(),
      (buf, o, hc, v, dst, signed) => {
        const a = buf.slice();
        write16(a, o + 10, hc);
        const want = a.slice();
        const at = o + (dst ? 16 : 12);
        const old = ((want[at]! << 24) | (want[at + 1]! << 16) | (want[at + 2]! << 8) | want[at + 3]!) >>> 0;
        write16(want, o + 10, checksumUpdate32(hc, old, v));
        want.set([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], at);
        const nv = signed ? v | 0 : v;
        if (dst) ip.ipv4SetDst(a, o, nv);
        else ip.ipv4SetSrc(a, o, nv);
        assert.deepEqual(a, want);
      },
    ),
    fcOpts(),
  );
});
