// Every codec against real kernel packets (test/vectors/wire/kernel.json), in four shapes: read
// every field (accessors vs tshark's dissection), write every field (setters rebuild the bytes),
// parse to a header, emit from a header (byte-exact). Plus tcpdump's one-line summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addr, loadVectors, num, toHex, vector, type Vector } from './helpers.ts';
import { formatMac } from '../../src/wire/addr.ts';
import { pseudoHeaderSum, read16, write16 } from '../../src/wire/checksum.ts';
import * as ip from '../../src/wire/ipv4.ts';
import * as tcp from '../../src/wire/tcp.ts';
import * as udp from '../../src/wire/udp.ts';
import * as icmp from '../../src/wire/icmp.ts';
import * as arp from '../../src/wire/arp.ts';
import { formatArp, formatIpv4Packet } from '../../src/wire/format.ts';

const all = loadVectors();
const ipv4 = all.filter((v) => v.layer === 'ipv4');
const f = (v: Vector, name: string, i = 0): string | undefined => v.fields[name]?.[i];
const byProto = (p: number): Vector[] => ipv4.filter((v) => num(f(v, 'ip.proto')) === p);

/** The vector with its L4 checksum as tshark computes it (offloaded captures hold a partial one). */
function withTrueChecksum(v: Vector, at: number): Uint8Array {
  const b = v.bytes.slice();
  const calc = v.tshark.tcpChecksumCalculated ?? v.tshark.udpChecksumCalculated;
  if (calc !== undefined && v.tshark.icmpChecksumStatus === undefined) write16(b, at, num(calc));
  return b;
}

test('vectors: every vector names its origin and parses', () => {
  assert.ok(all.length >= 12);
  for (const v of all) assert.match(v.origin, /^kernel capture: \/shared\/reference\/kernel\/.+ packet \d+/);
});

// ---- IPv4 ------------------------------------------------------------------------------------

test('ipv4: read every field', () => {
  for (const v of ipv4) {
    const b = v.bytes;
    assert.equal(ip.ipv4Version(b, 0), 4, v.name);
    assert.equal(ip.ipv4HeaderLength(b, 0), num(f(v, 'ip.hdr_len')), v.name);
    assert.equal(ip.ipv4Tos(b, 0), num(f(v, 'ip.dsfield')), v.name);
    assert.equal(ip.ipv4Dscp(b, 0), num(f(v, 'ip.dsfield.dscp')), v.name);
    assert.equal(ip.ipv4Ecn(b, 0), num(f(v, 'ip.dsfield.ecn')), v.name);
    assert.equal(ip.ipv4TotalLength(b, 0), num(f(v, 'ip.len')), v.name);
    assert.equal(ip.ipv4Id(b, 0), num(f(v, 'ip.id')), v.name);
    assert.equal(ip.ipv4Flags(b, 0) >> 2, num(f(v, 'ip.flags.rb')), v.name);
    assert.equal(ip.ipv4DontFragment(b, 0), f(v, 'ip.flags.df') === '1', v.name);
    assert.equal(ip.ipv4MoreFragments(b, 0), f(v, 'ip.flags.mf') === '1', v.name);
    assert.equal(ip.ipv4FragmentOffset(b, 0), num(f(v, 'ip.frag_offset')), v.name);
    assert.equal(ip.ipv4IsFragment(b, 0), false, v.name);
    assert.equal(ip.ipv4Ttl(b, 0), num(f(v, 'ip.ttl')), v.name);
    assert.equal(ip.ipv4Protocol(b, 0), num(f(v, 'ip.proto')), v.name);
    assert.equal(ip.ipv4ChecksumField(b, 0), num(f(v, 'ip.checksum')), v.name);
    assert.equal(ip.ipv4Src(b, 0), addr(f(v, 'ip.src')), v.name);
    assert.equal(ip.ipv4Dst(b, 0), addr(f(v, 'ip.dst')), v.name);
    assert.ok(ip.ipv4ChecksumOk(b, 0), v.name);
    assert.equal(ip.ipv4ComputeChecksum(b, 0), ip.ipv4ChecksumField(b, 0), v.name);
  }
});

test('ipv4: write every field through the setters (checksum fixed as they go)', () => {
  for (const v of ipv4) {
    const b = v.bytes.slice();
    // Scramble every field, then write the real values back: the checksum must come out right.
    ip.ipv4SetTos(b, 0, 0xff);
    ip.ipv4SetTotalLength(b, 0, 0);
    ip.ipv4SetId(b, 0, 0x1234);
    ip.ipv4SetFlagsFragment(b, 0, 7, 8 * 100);
    ip.ipv4SetTtl(b, 0, 1);
    ip.ipv4SetProtocol(b, 0, 99);
    ip.ipv4SetSrc(b, 0, 0x01020304);
    ip.ipv4SetDst(b, 0, 0x05060708);
    assert.ok(ip.ipv4ChecksumOk(b, 0), v.name);
    ip.ipv4SetDscp(b, 0, num(f(v, 'ip.dsfield.dscp')));
    ip.ipv4SetEcn(b, 0, num(f(v, 'ip.dsfield.ecn')));
    ip.ipv4SetTotalLength(b, 0, num(f(v, 'ip.len')));
    ip.ipv4SetId(b, 0, num(f(v, 'ip.id')));
    const flags =
      (num(f(v, 'ip.flags.rb')) << 2) | (num(f(v, 'ip.flags.df')) << 1) | num(f(v, 'ip.flags.mf'));
    ip.ipv4SetFlagsFragment(b, 0, flags, num(f(v, 'ip.frag_offset')));
    ip.ipv4SetTtl(b, 0, num(f(v, 'ip.ttl')));
    ip.ipv4SetProtocol(b, 0, num(f(v, 'ip.proto')));
    ip.ipv4SetSrc(b, 0, addr(f(v, 'ip.src')));
    ip.ipv4SetDst(b, 0, addr(f(v, 'ip.dst')));
    assert.equal(toHex(b), v.hex, v.name);
  }
});

test('ipv4: parse to a header', () => {
  for (const v of ipv4) {
    const h = ip.parseIpv4Header(v.bytes);
    assert.ok(h.ok, v.name);
    assert.deepEqual(
      { ...h.value, options: [...h.value.options] },
      {
        tos: num(f(v, 'ip.dsfield')),
        id: num(f(v, 'ip.id')),
        dontFragment: f(v, 'ip.flags.df') === '1',
        moreFragments: f(v, 'ip.flags.mf') === '1',
        fragmentOffset: num(f(v, 'ip.frag_offset')),
        ttl: num(f(v, 'ip.ttl')),
        protocol: num(f(v, 'ip.proto')),
        src: addr(f(v, 'ip.src')),
        dst: addr(f(v, 'ip.dst')),
        options: [],
        totalLength: num(f(v, 'ip.len')),
        checksum: num(f(v, 'ip.checksum')),
        headerLength: 20,
        reservedFlag: false,
      },
      v.name,
    );
  }
});

test('ipv4: emit from a header (byte-exact)', () => {
  for (const v of ipv4) {
    const h = ip.parseIpv4Header(v.bytes);
    assert.ok(h.ok);
    const out = new Uint8Array(20);
    assert.equal(ip.emitIpv4Header(h.value, h.value.totalLength - 20, out), 20);
    assert.equal(toHex(out), v.hex.slice(0, 40), v.name);
  }
});

// ---- TCP -------------------------------------------------------------------------------------

const tcps = byProto(ip.IPPROTO_TCP);

test('tcp: read every field', () => {
  assert.ok(tcps.length >= 5);
  for (const v of tcps) {
    const b = v.bytes;
    assert.equal(tcp.tcpSrcPort(b, 20), num(f(v, 'tcp.srcport')), v.name);
    assert.equal(tcp.tcpDstPort(b, 20), num(f(v, 'tcp.dstport')), v.name);
    assert.equal(tcp.tcpSeq(b, 20), num(f(v, 'tcp.seq_raw')), v.name);
    assert.equal(tcp.tcpAck(b, 20), num(f(v, 'tcp.ack_raw')), v.name);
    assert.equal(tcp.tcpDataOffset(b, 20), num(f(v, 'tcp.hdr_len')), v.name);
    assert.equal(tcp.tcpFlags(b, 20) | (tcp.tcpReserved(b, 20) << 8), num(f(v, 'tcp.flags')), v.name);
    assert.equal(tcp.tcpWindow(b, 20), num(f(v, 'tcp.window_size_value')), v.name);
    assert.equal(tcp.tcpChecksumField(b, 20), num(f(v, 'tcp.checksum')), v.name);
    assert.equal(tcp.tcpUrgent(b, 20), num(f(v, 'tcp.urgent_pointer')), v.name);
    const segLen = b.length - 20;
    const src = ip.ipv4Src(b, 0);
    const dst = ip.ipv4Dst(b, 0);
    if (v.tshark.tcpChecksumStatus === 'good') assert.ok(tcp.tcpChecksumOk(b, 20, segLen, src, dst), v.name);
    else {
      // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum (tcp_v4_send_check).
      assert.equal(tcp.tcpChecksumField(b, 20), pseudoHeaderSum(src, dst, 6, segLen), v.name);
      const fixed = withTrueChecksum(v, 36);
      assert.ok(tcp.tcpChecksumOk(fixed, 20, segLen, src, dst), v.name);
    }
  }
});

test('tcp: options as tshark reads them', () => {
  const v = vector('tcp-syn');
  const h = tcp.parseTcpHeader(v.bytes, 20, v.bytes.length);
  assert.ok(h.ok);
  assert.deepEqual(h.value.options, [
    { kind: 'mss', mss: num(f(v, 'tcp.options.mss_val')) },
    { kind: 'sackOK' },
    {
      kind: 'ts',
      val: num(f(v, 'tcp.options.timestamp.tsval')),
      ecr: num(f(v, 'tcp.options.timestamp.tsecr')),
    },
    { kind: 'nop' },
    { kind: 'ws', shift: num(f(v, 'tcp.options.wscale.shift')) },
  ]);
  assert.deepEqual(
    h.value.options.map((o) => ({ mss: 2, sackOK: 4, ts: 8, nop: 1, ws: 3 })[o.kind as 'mss']),
    v.fields['tcp.option_kind']!.map(Number),
  );
});

test('tcp: write every field through the setters', () => {
  for (const v of tcps) {
    const b = v.bytes.slice();
    const src = ip.ipv4Src(b, 0);
    const dst = ip.ipv4Dst(b, 0);
    tcp.tcpSetPort(b, 20, 0, 1);
    tcp.tcpSetPort(b, 20, 2, 2);
    tcp.tcpSetSeq(b, 20, 3);
    tcp.tcpSetAck(b, 20, 4);
    tcp.tcpSetFlags(b, 20, 0xff);
    tcp.tcpSetWindow(b, 20, 5);
    tcp.tcpSetPort(b, 20, 0, num(f(v, 'tcp.srcport')));
    tcp.tcpSetPort(b, 20, 2, num(f(v, 'tcp.dstport')));
    tcp.tcpSetSeq(b, 20, num(f(v, 'tcp.seq_raw')));
    tcp.tcpSetAck(b, 20, num(f(v, 'tcp.ack_raw')));
    tcp.tcpSetFlags(b, 20, num(f(v, 'tcp.flags')) & 0xff);
    tcp.tcpSetWindow(b, 20, num(f(v, 'tcp.window_size_value')));
    assert.equal(toHex(b), v.hex, v.name);
    tcp.tcpFillChecksum(b, 20, b.length - 20, src, dst);
    assert.equal(toHex(b), toHex(withTrueChecksum(v, 36)), v.name);
  }
});

test('tcp: parse to a header and emit from it (byte-exact, with the true checksum)', () => {
  for (const v of tcps) {
    const b = v.bytes;
    const h = tcp.parseTcpHeader(b, 20, b.length);
    assert.ok(h.ok, v.name);
    assert.equal(h.value.srcPort, num(f(v, 'tcp.srcport')));
    assert.equal(h.value.dstPort, num(f(v, 'tcp.dstport')));
    assert.equal(h.value.seq, num(f(v, 'tcp.seq_raw')));
    assert.equal(h.value.ack, num(f(v, 'tcp.ack_raw')));
    assert.equal(h.value.flags, num(f(v, 'tcp.flags')) & 0xff);
    assert.equal(h.value.window, num(f(v, 'tcp.window_size_value')));
    assert.equal(h.value.urgent, num(f(v, 'tcp.urgent_pointer')));
    assert.equal(h.value.headerLength, num(f(v, 'tcp.hdr_len')));
    assert.equal(h.value.checksum, num(f(v, 'tcp.checksum')));
    const out = v.bytes.slice();
    out.fill(0, 20);
    const payload = b.subarray(20 + h.value.headerLength);
    assert.equal(payload.length, num(f(v, 'tcp.len')));
    const len = tcp.emitTcp(h.value, payload, ip.ipv4Src(b, 0), ip.ipv4Dst(b, 0), out, 20);
    assert.equal(len, b.length - 20);
    assert.equal(toHex(out), toHex(withTrueChecksum(v, 36)), v.name);
  }
});

// ---- UDP -------------------------------------------------------------------------------------

const udps = byProto(ip.IPPROTO_UDP);

test('udp: read every field', () => {
  assert.ok(udps.length >= 2);
  for (const v of udps) {
    const b = v.bytes;
    assert.equal(udp.udpSrcPort(b, 20), num(f(v, 'udp.srcport')));
    assert.equal(udp.udpDstPort(b, 20), num(f(v, 'udp.dstport')));
    assert.equal(udp.udpLength(b, 20), num(f(v, 'udp.length')));
    assert.equal(udp.udpChecksumField(b, 20), num(f(v, 'udp.checksum')));
    const src = ip.ipv4Src(b, 0);
    const dst = ip.ipv4Dst(b, 0);
    assert.equal(
      udp.udpChecksumField(b, 20),
      pseudoHeaderSum(src, dst, 17, b.length - 20),
      'partial checksum',
    );
    assert.equal(udp.udpComputeChecksum(b, 20, b.length - 20, src, dst), num(v.tshark.udpChecksumCalculated));
  }
});

test('udp: write every field through the setters', () => {
  for (const v of udps) {
    const b = v.bytes.slice();
    udp.udpSetPort(b, 20, 0, 7);
    udp.udpSetPort(b, 20, 2, 9);
    udp.udpSetPort(b, 20, 0, num(f(v, 'udp.srcport')));
    udp.udpSetPort(b, 20, 2, num(f(v, 'udp.dstport')));
    udp.udpSetLengthRaw(b, 20, num(f(v, 'udp.length')));
    assert.equal(toHex(b), v.hex, v.name);
  }
});

test('udp: parse to a header and emit from it (byte-exact, with the true checksum)', () => {
  for (const v of udps) {
    const b = v.bytes;
    const h = udp.parseUdpHeader(b, 20, b.length);
    assert.ok(h.ok);
    assert.deepEqual(h.value, {
      srcPort: num(f(v, 'udp.srcport')),
      dstPort: num(f(v, 'udp.dstport')),
      length: num(f(v, 'udp.length')),
      checksum: num(f(v, 'udp.checksum')),
    });
    const out = b.slice();
    out.fill(0, 20);
    udp.emitUdp(h.value, b.subarray(28), ip.ipv4Src(b, 0), ip.ipv4Dst(b, 0), out, 20);
    assert.equal(toHex(out), toHex(withTrueChecksum(v, 26)), v.name);
  }
});

// ---- ICMP ------------------------------------------------------------------------------------

const icmps = byProto(ip.IPPROTO_ICMP);

test('icmp: read every field', () => {
  assert.ok(icmps.length >= 4);
  for (const v of icmps) {
    const b = v.bytes;
    const len = b.length - 20;
    assert.equal(icmp.icmpType(b, 20), num(f(v, 'icmp.type')));
    assert.equal(icmp.icmpCode(b, 20), num(f(v, 'icmp.code')));
    assert.equal(icmp.icmpChecksumField(b, 20), num(f(v, 'icmp.checksum')));
    assert.ok(icmp.icmpChecksumOk(b, 20, len), v.name);
    if (f(v, 'icmp.ident') !== undefined) {
      assert.equal(icmp.icmpEchoId(b, 20), num(f(v, 'icmp.ident')));
      assert.equal(icmp.icmpEchoSeq(b, 20), num(f(v, 'icmp.seq')));
    }
    if (f(v, 'icmp.redir_gw') !== undefined)
      assert.equal(icmp.icmpGateway(b, 20), addr(f(v, 'icmp.redir_gw')));
  }
});

test('icmp: write every field through the setters', () => {
  for (const v of icmps.filter((x) => f(x, 'icmp.ident') !== undefined)) {
    const b = v.bytes.slice();
    icmp.icmpSetEchoId(b, 20, 1);
    icmp.icmpSetEchoSeq(b, 20, 2);
    icmp.icmpSetEchoId(b, 20, num(f(v, 'icmp.ident')));
    icmp.icmpSetEchoSeq(b, 20, num(f(v, 'icmp.seq')));
    assert.equal(toHex(b), v.hex, v.name);
  }
});

test('icmp: parse to a header, with the quote of an error as a nested view', () => {
  const echo = icmp.parseIcmp(
    vector('icmp-echo-request').bytes,
    20,
    vector('icmp-echo-request').bytes.length,
  );
  assert.ok(echo.ok);
  assert.deepEqual(echo.value, {
    type: 8,
    code: 0,
    checksum: echo.value.checksum,
    kind: 'echo-request',
    id: 20306,
    seq: 1,
  });

  const v = vector('icmp-port-unreachable');
  const h = icmp.parseIcmp(v.bytes, 20, v.bytes.length);
  assert.ok(h.ok && h.value.kind === 'dest-unreachable');
  assert.equal(h.value.code, icmp.ICMP_PORT_UNREACH);
  assert.equal(h.value.nextHopMtu, 0);
  const q = h.value.quote;
  assert.equal(q.ipOffset, 28);
  assert.equal(q.l4Offset, 48);
  assert.equal(q.end, v.bytes.length);
  assert.equal(q.ip.src, addr(f(v, 'ip.src', 1)));
  assert.equal(q.ip.dst, addr(f(v, 'ip.dst', 1)));
  assert.equal(q.ip.protocol, ip.IPPROTO_UDP);
  assert.equal(q.ip.id, num(f(v, 'ip.id', 1)));
  assert.equal(q.ip.totalLength, num(f(v, 'ip.len', 1)));
  assert.equal(udp.udpSrcPort(v.bytes, q.l4Offset), num(f(v, 'udp.srcport')));
  assert.equal(udp.udpDstPort(v.bytes, q.l4Offset), num(f(v, 'udp.dstport')));

  const r = vector('icmp-redirect');
  const rh = icmp.parseIcmp(r.bytes, 20, r.bytes.length);
  assert.ok(rh.ok && rh.value.kind === 'redirect');
  assert.equal(rh.value.code, icmp.ICMP_REDIR_HOST);
  assert.equal(rh.value.gateway, addr(f(r, 'icmp.redir_gw')));
  assert.equal(rh.value.quote.ip.protocol, ip.IPPROTO_TCP);
  assert.equal(tcp.tcpDstPort(r.bytes, rh.value.quote.l4Offset), 80);
});

test('icmp: emit from a header (byte-exact), echo and errors', () => {
  for (const v of icmps) {
    const b = v.bytes;
    const h = icmp.parseIcmp(b, 20, b.length);
    assert.ok(h.ok);
    const out = b.slice();
    out.fill(0, 20);
    icmp.emitIcmp(h.value, b.subarray(28), out, 20);
    assert.equal(toHex(out), v.hex, v.name);
  }
  // The kernel's port unreachable is what buildIcmpPacket makes from the offending datagram.
  const v = vector('icmp-port-unreachable');
  const offending = v.bytes.slice(28);
  const built = icmp.buildIcmpPacket(
    { src: ip.ipv4Src(v.bytes, 0), dst: ip.ipv4Dst(v.bytes, 0), id: ip.ipv4Id(v.bytes, 0) },
    { kind: 'dest-unreachable', code: icmp.ICMP_PORT_UNREACH },
    offending,
  );
  assert.equal(toHex(built), v.hex);
  const r = vector('icmp-redirect');
  const builtR = icmp.buildIcmpPacket(
    { src: ip.ipv4Src(r.bytes, 0), dst: ip.ipv4Dst(r.bytes, 0), id: ip.ipv4Id(r.bytes, 0) },
    { kind: 'redirect', code: icmp.ICMP_REDIR_HOST, gateway: icmp.icmpGateway(r.bytes, 20) },
    r.bytes.slice(28),
  );
  assert.equal(toHex(builtR), r.hex);
});

// ---- ARP -------------------------------------------------------------------------------------

const arps = all.filter((v) => v.layer === 'arp');

test('arp: read every field, parse, write, emit', () => {
  assert.equal(arps.length, 2);
  for (const v of arps) {
    const b = v.bytes;
    assert.equal(arp.arpHtype(b, 0), num(f(v, 'arp.hw.type')));
    assert.equal(arp.arpPtype(b, 0), num(f(v, 'arp.proto.type')));
    assert.equal(arp.arpOp(b, 0), num(f(v, 'arp.opcode')));
    assert.equal(formatMac(arp.arpSenderMac(b, 0)), f(v, 'arp.src.hw_mac'));
    assert.equal(arp.arpSenderIp(b, 0), addr(f(v, 'arp.src.proto_ipv4')));
    assert.equal(formatMac(arp.arpTargetMac(b, 0)), f(v, 'arp.dst.hw_mac'));
    assert.equal(arp.arpTargetIp(b, 0), addr(f(v, 'arp.dst.proto_ipv4')));
    const h = arp.parseArp(b);
    assert.ok(h.ok);
    assert.equal(h.value.op, num(f(v, 'arp.opcode')));
    assert.equal(formatMac(h.value.senderMac), f(v, 'arp.src.hw_mac'));
    assert.equal(h.value.targetIp, addr(f(v, 'arp.dst.proto_ipv4')));
    const out = new Uint8Array(28);
    arp.emitArp(h.value, out);
    assert.equal(toHex(out), v.hex, v.name);
  }
  // The frame builders make the kernel's request: broadcast, target MAC zero.
  const req = vector('arp-request');
  const frame = arp.arpRequestFrame(
    arp.arpSenderMac(req.bytes, 0),
    arp.arpSenderIp(req.bytes, 0),
    arp.arpTargetIp(req.bytes, 0),
  );
  assert.equal(toHex(frame.subarray(14)), req.hex);
  assert.equal(toHex(frame.subarray(0, 6)), 'ffffffffffff');
  const rep = vector('arp-reply');
  const rb = rep.bytes;
  const rf = arp.arpReplyFrame(
    arp.arpSenderMac(rb, 0),
    arp.arpSenderIp(rb, 0),
    arp.arpTargetMac(rb, 0),
    arp.arpTargetIp(rb, 0),
  );
  assert.equal(toHex(rf.subarray(14)), rep.hex);
});

// ---- format ----------------------------------------------------------------------------------

test('format: every vector prints as tcpdump -nn -S printed it', () => {
  for (const v of all) {
    const s = v.layer === 'arp' ? formatArp(v.bytes, 0, v.bytes.length) : formatIpv4Packet(v.bytes);
    assert.equal(s, v.tcpdump, v.name);
  }
  assert.equal(read16(vector('tcp-rst').bytes, 36), num(vector('tcp-rst').tshark.tcpChecksumCalculated));
});
