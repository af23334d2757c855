// Capture files checked by outside tools: pcap and pcapng written by natbox, read by tshark (no
// malformed packets, no bad checksums, interface names kept); natbox's reader on the kernel's own
// captures; and format.ts against tcpdump on the same packets. Skips when a tool is missing.
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing } from './helpers.ts';
import { parseIpv4 } from '../../src/wire/addr.ts';
import { emitEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.ts';
import { buildIcmpIpv4Packet, buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { arpReplyFrame, arpRequestFrame } from '../../src/wire/arp.ts';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
  PcapWriter,
  readPcap,
} from '../../src/wire/pcap.ts';
import { PcapngWriter, readPcapng } from '../../src/wire/pcapng.ts';
import { formatArp, formatEthernetFrame, formatIpv4Packet, TcpSeqTracker } from '../../src/wire/format.ts';
import { ICMP_FRAG_NEEDED, ICMP_PORT_UNREACH } from '../../src/wire/icmp.ts';

const A = (s: string): number => {
  const r = parseIpv4(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const MAC_A = Uint8Array.of(2, 0x6f, 0x72, 0x63, 1, 1);
const MAC_B = Uint8Array.of(2, 0x6f, 0x72, 0x63, 2, 1);
const c = A('192.168.1.10');
const s = A('82.120.11.22');
const enc = new TextEncoder();

/** A small conversation with every protocol the wire layer speaks, as IPv4 packets. */
function packets(): Uint8Array[] {
  const syn = buildTcpPacket(
    { src: c, dst: s, id: 1, dontFragment: true },
    {
      srcPort: 40000,
      dstPort: 80,
      seq: 1000,
      flags: 0x02,
      window: 64240,
      options: [
        { kind: 'mss', mss: 1460 },
        { kind: 'sackOK' },
        { kind: 'ts', val: 1, ecr: 0 },
        { kind: 'nop' },
        { kind: 'ws', shift: 7 },
      ],
    },
  );
  const synAck = buildTcpPacket(
    { src: s, dst: c, id: 0, dontFragment: true },
    {
      srcPort: 80,
      dstPort: 40000,
      seq: 5000,
      ack: 1001,
      flags: 0x12,
      window: 65160,
      options: [{ kind: 'mss', mss: 1460 }],
    },
  );
  const ack = buildTcpPacket(
    { src: c, dst: s, id: 2 },
    { srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, flags: 0x10, window: 502 },
  );
  const data = buildTcpPacket(
    { src: c, dst: s, id: 3 },
    { srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, flags: 0x18, window: 502 },
    enc.encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
  );
  const sack = buildTcpPacket(
    { src: s, dst: c, id: 4 },
    {
      srcPort: 80,
      dstPort: 40000,
      seq: 5001,
      ack: 1001,
      flags: 0x10,
      window: 500,
      options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[1010, 1020]] }],
    },
  );
  const fin = buildTcpPacket(
    { src: c, dst: s, id: 5 },
    { srcPort: 40000, dstPort: 80, seq: 1028, ack: 5001, flags: 0x11, window: 502 },
  );
  const rst = buildTcpPacket({ src: s, dst: c }, { srcPort: 80, dstPort: 40000, seq: 5001, flags: 0x04 });
  const udp = buildUdpPacket(
    { src: A('203.0.113.50'), dst: A('203.0.113.22'), id: 9 },
    { srcPort: 5000, dstPort: 40001 },
    enc.encode('pong'),
  );
  const udpNoSum = buildUdpPacket(
    { src: c, dst: s },
    { srcPort: 5000, dstPort: 40001, checksum: false },
    enc.encode('x'),
  );
  const echo = buildIcmpIpv4Packet(
    { src: c, dst: A('192.168.1.200') },
    { kind: 'echo-request', id: 20306, seq: 1 },
    new Uint8Array(56),
  );
  const reply = buildIcmpIpv4Packet(
    { src: A('192.168.1.200'), dst: c },
    { kind: 'echo-reply', id: 20306, seq: 1 },
    new Uint8Array(56),
  );
  const unreach = buildIcmpIpv4Packet(
    { src: A('203.0.113.22'), dst: A('203.0.113.50') },
    { kind: 'dest-unreachable', code: ICMP_PORT_UNREACH },
    udp,
  );
  const fragNeeded = buildIcmpIpv4Packet(
    { src: A('192.168.1.1'), dst: c },
    { kind: 'dest-unreachable', code: ICMP_FRAG_NEEDED, nextHopMtu: 1400 },
    buildTcpPacket(
      { src: c, dst: s, dontFragment: true },
      { srcPort: 40000, dstPort: 80, seq: 1, ack: 1, flags: 0x18 },
      new Uint8Array(1460),
    ),
  );
  const ttl = buildIcmpIpv4Packet({ src: A('192.168.1.1'), dst: c }, { kind: 'time-exceeded', code: 0 }, syn);
  const redirect = buildIcmpIpv4Packet(
    { src: A('192.168.1.1'), dst: c },
    { kind: 'redirect', code: 1, gateway: A('192.168.1.200') },
    syn,
  );
  const param = buildIcmpIpv4Packet(
    { src: A('192.168.1.1'), dst: c },
    { kind: 'parameter-problem', pointer: 9 },
    syn,
  );
  const quench = buildIcmpIpv4Packet({ src: A('192.168.1.1'), dst: c }, { kind: 'source-quench' }, syn);
  const frag1 = buildUdpPacket(
    { src: c, dst: s, id: 7, moreFragments: true },
    { srcPort: 5000, dstPort: 40001 },
    new Uint8Array(16),
  );
  const opts = buildUdpPacket(
    { src: c, dst: s, options: Uint8Array.of(148, 4, 0, 0) },
    { srcPort: 5000, dstPort: 40001 },
    enc.encode('ra'),
  );
  return [
    syn,
    synAck,
    ack,
    data,
    sack,
    fin,
    rst,
    udp,
    udpNoSum,
    echo,
    reply,
    unreach,
    fragNeeded,
    ttl,
    redirect,
    param,
    quench,
    frag1,
    opts,
  ];
}

function arpFrames(): Uint8Array[] {
  return [arpRequestFrame(MAC_B, c, A('192.168.1.1')), arpReplyFrame(MAC_A, A('192.168.1.1'), MAC_B, c)];
}

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-wire-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tshark(file: string, fields: string[]): string[][] {
  const args = [
    '-r',
    file,
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'tcp.check_checksum:TRUE',
    '-o',
    'udp.check_checksum:TRUE',
  ];
  // TAPA's heuristic claims UDP port 5000 and calls short payloads malformed: not ours to judge.
  args.push('--disable-protocol', 'tapa');
  args.push('-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=;');
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  return out
    .trimEnd()
    .split('\n')
    .map((l) => l.split('|'));
}

const CHECK_FIELDS = [
  'frame.number',
  '_ws.malformed',
  '_ws.expert.severity',
  'ip.checksum.status',
  'tcp.checksum.status',
  'udp.checksum.status',
  'icmp.checksum.status',
  '_ws.col.Protocol',
];

/** tshark rows with a malformed flag or any checksum status other than good (1) or unverified (2). */
function problems(rows: string[][]): string[] {
  const bad: string[] = [];
  for (const r of rows) {
    const [n, malformed, , ...sums] = r;
    if (malformed) bad.push(`frame ${n}: malformed`);
    // In an ICMP error the quoted TCP/UDP segment is cut short: its checksum cannot verify.
    const checked = r[7] === 'ICMP' ? [sums[0], sums[3]] : sums.slice(0, 4);
    for (const x of checked) {
      for (const st of x ? x.split(';') : [])
        if (st === '0') bad.push(`frame ${n}: bad checksum ${r.join('|')}`);
    }
  }
  return bad;
}

const noTshark = missing('tshark');
const noTcpdump = missing('tcpdump');

test(
  'tshark reads our pcap (raw IPv4, µs) and pcap (Ethernet, ns): no malformed packets, no bad checksums',
  { skip: noTshark },
  () => {
    withTmp((dir) => {
      const raw = new PcapWriter({ linktype: LINKTYPE_RAW });
      packets().forEach((p, i) => raw.add(1_700_000_000 + i / 10, p));
      writeFileSync(join(dir, 'raw.pcap'), raw.bytes());
      const rows = tshark(join(dir, 'raw.pcap'), CHECK_FIELDS);
      assert.equal(rows.length, packets().length);
      assert.deepEqual(problems(rows), []);
      const protos = rows.map((r) => r[7]);
      for (const p of ['TCP', 'UDP', 'ICMP']) assert.ok(protos.includes(p), `${p} in ${protos.join(',')}`);
      // ICMP errors: tshark sees the quoted packet as well (an inner IP header).
      const inner = tshark(join(dir, 'raw.pcap'), ['ip.src']).filter((r) => (r[0] ?? '').includes(';'));
      assert.ok(inner.length >= 6);

      const eth = new PcapWriter({ linktype: LINKTYPE_ETHERNET, nanos: true });
      for (const f of arpFrames()) eth.add(1.000000001, f);
      for (const p of packets()) eth.add(2.5, emitEthernet(MAC_A, MAC_B, ETHERTYPE_IPV4, p));
      writeFileSync(join(dir, 'eth.pcap'), eth.bytes());
      const erows = tshark(join(dir, 'eth.pcap'), [...CHECK_FIELDS, 'frame.time_epoch']);
      assert.equal(erows.length, packets().length + 2);
      assert.deepEqual(problems(erows), []);
      assert.equal(erows[0]![7], 'ARP');
      assert.equal(erows[0]![8], '1.000000001');
    });
  },
);

test(
  'tshark reads our pcapng: interfaces named, timestamps in µs, no bad checksums',
  { skip: noTshark },
  () => {
    withTmp((dir) => {
      const w = new PcapngWriter();
      const lan = w.addInterface('router:br-lan', LINKTYPE_ETHERNET);
      const wan = w.addInterface('router:wan', LINKTYPE_RAW);
      for (const f of arpFrames()) w.add(lan, 10.25, f);
      packets().forEach((p, i) => {
        if (i % 2) w.add(wan, 10.5 + i, p);
        else
          w.add(
            lan,
            10.5 + i,
            emitEthernet(MAC_A, MAC_B, ETHERTYPE_IPV4, p),
            i === 0 ? 'SYN from lanc' : undefined,
          );
      });
      const file = join(dir, 'x.pcapng');
      writeFileSync(file, w.bytes());
      const rows = tshark(file, [
        ...CHECK_FIELDS,
        'frame.interface_name',
        'frame.time_epoch',
        'frame.comment',
      ]);
      assert.equal(rows.length, packets().length + 2);
      assert.deepEqual(problems(rows), []);
      assert.deepEqual([...new Set(rows.map((r) => r[8]))].sort(), ['router:br-lan', 'router:wan']);
      assert.equal(rows[0]![9], '10.250000000');
      assert.equal(rows[2]![10], 'SYN from lanc');
    });
  },
);

// The kernel reference runs, in ../shared beside the repository.
const REF = fileURLToPath(new URL('../../../shared/reference/kernel', import.meta.url));

test(
  'our pcap reader on the kernel reference captures (LINUX_SLL2)',
  { skip: existsSync(REF) ? false : `no ${REF}` },
  () => {
    let n = 0;
    for (const dir of readdirSync(REF)) {
      const d = join(REF, dir);
      if (!existsSync(join(d, 'box.pcap'))) continue;
      for (const f of readdirSync(d).filter((x) => x.endsWith('.pcap'))) {
        const r = readPcap(new Uint8Array(readFileSync(join(d, f))));
        assert.ok(r.ok, `${dir}/${f}`);
        assert.equal(r.value.linktype, LINKTYPE_LINUX_SLL2);
        n += r.value.packets.length;
      }
    }
    assert.ok(n > 1000);
  },
);

/** tcpdump's lines for a capture, without timestamps (and SLL2's interface/direction columns). */
function tcpdumpLines(file: string, absolute: boolean): string[] {
  const args = ['-nn', '-t', '-r', file];
  if (absolute) args.unshift('-S');
  return execFileSync('tcpdump', args, { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trimEnd()
    .split('\n');
}

test(
  'format.ts prints what tcpdump -nn prints (absolute and relative sequence numbers)',
  { skip: noTcpdump },
  () => {
    withTmp((dir) => {
      const raw = new PcapWriter({ linktype: LINKTYPE_RAW });
      for (const p of packets()) raw.add(0, p);
      const eth = new PcapWriter({ linktype: LINKTYPE_ETHERNET });
      for (const f of [
        ...arpFrames(),
        ...packets().map((p) => emitEthernet(MAC_A, MAC_B, ETHERTYPE_IPV4, p)),
      ])
        eth.add(0, f);
      writeFileSync(join(dir, 'raw.pcap'), raw.bytes());
      writeFileSync(join(dir, 'eth.pcap'), eth.bytes());
      for (const absolute of [true, false]) {
        const tr = absolute ? {} : { tcpSeq: new TcpSeqTracker() };
        assert.deepEqual(
          packets().map((p) => formatIpv4Packet(p, 0, p.length, tr)),
          tcpdumpLines(join(dir, 'raw.pcap'), absolute),
        );
        const te = absolute ? {} : { tcpSeq: new TcpSeqTracker() };
        const frames = readPcap(eth.bytes());
        assert.ok(frames.ok);
        assert.deepEqual(
          frames.value.packets.map((p) => formatEthernetFrame(p.data, 0, p.data.length, te)),
          tcpdumpLines(join(dir, 'eth.pcap'), absolute),
        );
      }
    });
  },
);

test(
  'format.ts prints every packet of the kernel reference captures as tcpdump does',
  { skip: noTcpdump || (existsSync(REF) ? false : `no ${REF}`) },
  () => {
    let n = 0;
    for (const dir of readdirSync(REF)) {
      const d = join(REF, dir);
      if (!existsSync(join(d, 'box.pcap'))) continue;
      for (const f of readdirSync(d).filter((x) => x.endsWith('.pcap'))) {
        const file = join(d, f);
        const r = readPcap(new Uint8Array(readFileSync(file)));
        assert.ok(r.ok);
        if (r.value.packets.length === 0) continue;
        for (const absolute of [true, false]) {
          const tr = absolute ? {} : { tcpSeq: new TcpSeqTracker() };
          const want = tcpdumpLines(file, absolute).map((l) => l.slice(10)); // SLL2: "ifb0  Out "
          const got: string[] = r.value.packets.map((p) => {
            const type = (p.data[0]! << 8) | p.data[1]!;
            return type === 0x0806
              ? formatArp(p.data, 20, p.data.length - 20)
              : formatIpv4Packet(p.data, 20, p.data.length, { ...tr, wireLen: p.origLen - 20 });
          });
          assert.deepEqual(got, want, `${dir}/${f}`);
          n += got.length;
        }
      }
    }
    assert.ok(n > 2000);
  },
);

test('pcapng reader: packets come back on the right interface (no tools needed)', () => {
  const w = new PcapngWriter();
  const a = w.addInterface('router:br-lan', LINKTYPE_ETHERNET);
  const b = w.addInterface('wanh:eth0', LINKTYPE_RAW, { description: 'WAN host' });
  w.add(b, 1.5, packets()[0]!);
  w.add(a, 2.000001, arpFrames()[0]!);
  const r = readPcapng(w.bytes());
  assert.ok(r.ok);
  assert.equal(r.value.interfaces[1]!.description, 'WAN host');
  assert.deepEqual(
    r.value.packets.map((p) => [p.ifIndex, p.timestamp, p.data.length]),
    [
      [1, 1.5, packets()[0]!.length],
      [0, 2.000001, 42],
    ],
  );
  assert.throws(() => w.add(7, 0, new Uint8Array(1)), /interface 7/);
  assert.deepEqual(readPcapng(new Uint8Array(8)), { ok: false, error: 'not-pcapng' });
});

test('pcap reader: big-endian files, both magics, and typed errors', () => {
  const be = new Uint8Array(24 + 16 + 3);
  const v = new DataView(be.buffer);
  v.setUint32(0, 0xa1b23c4d, false);
  v.setUint16(4, 2, false);
  v.setUint16(6, 4, false);
  v.setUint32(16, 65535, false);
  v.setUint32(20, 101, false);
  v.setUint32(24, 7, false);
  v.setUint32(28, 500, false);
  v.setUint32(32, 3, false);
  v.setUint32(36, 3, false);
  be.set([1, 2, 3], 40);
  const r = readPcap(be);
  assert.ok(r.ok);
  assert.equal(r.value.bigEndian, true);
  assert.equal(r.value.nanos, true);
  assert.equal(r.value.linktype, 101);
  assert.deepEqual(
    r.value.packets.map((p) => [p.sec, p.frac, [...p.data]]),
    [[7, 500, [1, 2, 3]]],
  );
  assert.deepEqual(readPcap(be.subarray(0, 42)), { ok: false, error: 'truncated-record' });
  assert.deepEqual(readPcap(new Uint8Array(10)), { ok: false, error: 'truncated-header' });
  assert.deepEqual(readPcap(new Uint8Array(24)), { ok: false, error: 'bad-magic' });
  const w = new PcapWriter({ nanos: false });
  w.add(1.9999999, new Uint8Array(0)); // rounds up into the next second
  const rr = readPcap(w.bytes());
  assert.ok(rr.ok);
  assert.deepEqual([rr.value.packets[0]!.sec, rr.value.packets[0]!.frac], [2, 0]);
});
