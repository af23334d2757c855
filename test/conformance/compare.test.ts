// The comparator itself (compare.ts): relabelling, volatile labels, and that a deliberately broken
// natbox run is reported at its first difference, readably (case, interface, packet, field, natbox's
// value, the kernel's). Uses the kernel reference; skips without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCase, referenceAvailable, referencePath } from './reference.ts';
import {
  compareActions,
  compareCase,
  compareConntrack,
  compareConntrackStats,
  compareFlows,
  compareReceived,
  compareRouteAfter,
  errnoOf,
  fromReference,
  type EventResult,
  type ReceivedIcmp,
  comparePacketLists,
  formatDifference,
  Labels,
  labelsFor,
  natboxPackets,
  referencePackets,
  runCase,
  SeqLabeller,
  type NormPacket,
} from './compare.ts';

import { decodeIpv4 } from '../../src/wire/decode.ts';
import { rawPacket } from '../../src/oracle/packets.ts';
import { ipv4Details } from '../../src/oracle/fragments.ts';
import { normalise, REFERENCE_FIELDS } from '../../src/oracle/normalise.ts';
import { firstPacketDifference } from '../../src/oracle/compare.ts';
import type { SimResult } from '../../src/sim/run.ts';
import type { FlowResult } from '../../src/sim/flows.ts';

const skip = referenceAvailable() ? undefined : `kernel reference not found at ${referencePath()}`;

const firstLine = (s: string): string => s.split('\n')[0]!;

/** natbox's packets of a case, deep-copied so a test can break them. */
function packetsOf(name: string): { nb: Map<string, NormPacket[]>; ref: Map<string, NormPacket[]> } {
  const kc = loadCase(name);
  const run = runCase(kc);
  const nb = new Map([...natboxPackets(kc, run.sim)].map(([k, v]) => [k, v.map((p) => structuredClone(p))]));
  return { nb, ref: referencePackets(kc) };
}

const ipOnly = (l: readonly NormPacket[]): NormPacket[] => l.filter((p) => p.proto !== 'arp');

test('SeqLabeller labels ISNs in order of appearance, with offsets, across wrap-around', () => {
  const l = new SeqLabeller();
  l.syn(0xfffffffe);
  l.syn(5000);
  l.syn(0xfffffffe); // a retransmitted SYN is not a new ISN
  assert.equal(l.label(0xfffffffe), 'I0');
  assert.equal(l.label(3), 'I0+5');
  assert.equal(l.label(5000), 'I1');
  assert.equal(l.label(5029), 'I1+29');
});

test('Labels bind a volatile port once, keep it, and refuse the value the case asked for', () => {
  const l = new Labels(new Set(['40000']));
  assert.equal(l.match('192.168.1.1:$p1', '192.168.1.1:40000'), false, '$p1 may not be the requested port');
  assert.equal(l.match('192.168.1.1:$p1', '192.168.1.1:10674'), true);
  assert.equal(l.match('$p1', '10674'), true);
  assert.equal(l.match('$p1', '10675'), false, '$p1 is bound to 10674 now');
  assert.equal(l.match('192.168.1.1:40000', '192.168.1.1:40000'), true);
});

test('an unbroken run agrees with the kernel (the baseline the mutations below break)', { skip }, () => {
  const { nb, ref } = packetsOf('hairpin-tcp-dnat-snat');
  const r = comparePacketLists(
    'hairpin-tcp-dnat-snat',
    nb,
    ref,
    labelsFor(loadCase('hairpin-tcp-dnat-snat')),
  );
  assert.deepEqual(r.differences, []);
});

test('a changed source port is reported at that packet and field', { skip }, () => {
  const { nb, ref } = packetsOf('hairpin-tcp-dnat-snat');
  const p = ipOnly(nb.get('lans:eth0')!)[0]!; // the SNATed SYN as the server receives it
  assert.equal(p.src, '192.168.1.1:40000');
  p.src = '192.168.1.1:40001';
  const r = comparePacketLists(
    'hairpin-tcp-dnat-snat',
    nb,
    ref,
    labelsFor(loadCase('hairpin-tcp-dnat-snat')),
  );
  assert.equal(r.differences.length, 1);
  const text = formatDifference(r.differences[0]!);
  assert.equal(
    firstLine(text),
    'hairpin-tcp-dnat-snat: packets lans:eth0 IP packet #0: src: natbox "192.168.1.1:40001", kernel "192.168.1.1:40000"',
  );
  assert.match(
    text,
    /\n {2}natbox: in tcp 192\.168\.1\.1:40001 > 192\.168\.1\.200:80 \[S\] seq I0 .*\(natbox t=/,
  );
  assert.match(
    text,
    /\n {2}kernel: in tcp 192\.168\.1\.1:40000 > 192\.168\.1\.200:80 \[S\] seq I0 .*\(kernel #25\)/,
  );
});

test('a missing packet and a wrong sequence number are reported', { skip }, () => {
  const { nb, ref } = packetsOf('hairpin-tcp-dnat-snat');
  const lan1 = nb.get('box:lan1')!;
  lan1.splice(lan1.indexOf(ipOnly(lan1).at(-1)!), 1); // drop the client's last ACK
  ipOnly(nb.get('lanc:eth0')!)[3]!.ack = 'I1+2';
  const r = comparePacketLists(
    'hairpin-tcp-dnat-snat',
    nb,
    ref,
    labelsFor(loadCase('hairpin-tcp-dnat-snat')),
  );
  const lines = r.differences.map((d) => firstLine(formatDifference(d)));
  assert.deepEqual(lines, [
    'hairpin-tcp-dnat-snat: packets lanc:eth0 IP packet #3: ack: natbox "I1+2", kernel "I1+1"',
    'hairpin-tcp-dnat-snat: packets box:lan1 IP packet #9: packet: natbox (none: natbox has 9 packets), kernel in tcp 192.168.1.10:40000 > 203.0.113.22:80 [.] seq I0+7 ack I1+30 len 0 opts ts ttl 64 from lanc:eth0 (kernel #75)',
  ]);
});

test("a volatile port that changes between natbox's packets is caught", { skip }, () => {
  const { nb, ref } = packetsOf('masq-tcp-port-clash');
  const wan = ipOnly(nb.get('wanh:eth0')!);
  const chosen = wan.find((p) => p.src.startsWith('203.0.113.22:') && p.src !== '203.0.113.22:40000')!;
  const later = wan.filter((p) => p.src === chosen.src).at(-1)!;
  later.src = '203.0.113.22:10675';
  const r = comparePacketLists('masq-tcp-port-clash', nb, ref, labelsFor(loadCase('masq-tcp-port-clash')));
  assert.equal(r.differences.length, 1);
  assert.match(
    firstLine(formatDifference(r.differences[0]!)),
    /^masq-tcp-port-clash: packets wanh:eth0 IP packet #\d+: src: natbox "203\.0\.113\.22:10675", kernel "203\.0\.113\.22:\$p1"$/,
  );
});

test('a changed verdict is reported for its flow', { skip }, () => {
  const kc = loadCase('hairpin-udp-dnat-only');
  const run = runCase(kc);
  assert.deepEqual(compareFlows(kc, run.sim), []);
  run.sim.results[1]!.verdict = 'reply';
  assert.deepEqual(compareFlows(kc, run.sim).map(formatDifference), [
    'hairpin-udp-dnat-only: flow c2: verdict: natbox "reply", kernel "reply-from-unexpected-source"',
  ]);
});

test('natbox without the SNAT rule against the kernel with it: every kind of difference', { skip }, () => {
  // hairpin-tcp-dnat-only's run judged by hairpin-tcp-dnat-snat's reference (same topology).
  const run = runCase(loadCase('hairpin-tcp-dnat-only'));
  const r = compareCase({ ...run, kc: loadCase('hairpin-tcp-dnat-snat') });
  assert.equal(
    firstLine(formatDifference(r.packets.differences[0]!)),
    'hairpin-tcp-dnat-snat: packets box:br-lan IP packet #1: src: natbox "192.168.1.10:40000", kernel "192.168.1.1:40000"',
  );
  assert.deepEqual(r.flows.map(formatDifference), [
    'hairpin-tcp-dnat-snat: flow c1: verdict: natbox "timeout", kernel "connected"',
    'hairpin-tcp-dnat-snat: flow c1: server_saw_client_as: natbox (absent), kernel "192.168.1.1:40000"',
  ]);
  assert.equal(
    firstLine(formatDifference(r.conntrack[0]!)),
    'hairpin-tcp-dnat-snat: conntrack box entry 0: state: natbox "SYN_SENT", kernel "TIME_WAIT"',
  );
  assert.equal(
    formatDifference(r.counters[0]!),
    'hairpin-tcp-dnat-snat: counters box nat POSTROUTING #1: rule: natbox (no such rule), kernel -A POSTROUTING -s 192.168.1.0/24 -d 192.168.1.200/32 -o br-lan -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
  );
});

// ---- the fields of the format cases: fragments, frag-needed, quotes, route_after, received, actions

/** An IPv4 packet: 20-byte header (flags/offset word `fw`, protocol), then `payload`. */
function ipv4(src: number[], dst: number[], proto: number, fw: number, payload: number[]): Uint8Array {
  const total = 20 + payload.length;
  return new Uint8Array([
    0x45,
    0,
    total >> 8,
    total & 0xff,
    0x12,
    0x34,
    fw >> 8,
    fw & 0xff,
    63,
    proto,
    0,
    0,
    ...src,
    ...dst,
    ...payload,
  ]);
}
const A = [10, 0, 1, 10];
const B = [10, 0, 2, 20];
const R = [10, 0, 1, 1];

/** natbox's side of one packet, as the conformance comparison normalises it. */
function natboxNorm(b: Uint8Array): NormPacket {
  const ip = decodeIpv4(b, 0)!;
  const raw = rawPacket(ip, 0.5, 'r:eth1', 'out', undefined, ipv4Details(b, 0))!;
  return normalise(raw, new SeqLabeller(), { fields: REFERENCE_FIELDS, at: 'natbox' });
}

test('a first fragment and a later one compare as the kernel reference writes them', () => {
  // The kernel's fragments of a 1450-byte UDP datagram on a 1400-byte link
  // (line-mtu-fragments-and-frag-needed result.json, r:eth1 #10 and #12).
  const udp = [0xa8, 0x5c, 0x13, 0x88, 0x05, 0xb2, 0, 0, ...new Array<number>(1368).fill(0x2d)];
  const first = natboxNorm(ipv4(A, B, 17, 0x2000, udp));
  const second = natboxNorm(ipv4(A, B, 17, 1376 / 8, new Array<number>(82).fill(0x2d)));
  const k1 = fromReference({
    dir: 'out',
    proto: 'udp',
    src: '10.0.1.10:43100',
    dst: '10.0.2.20:5000',
    len: 1368,
    frag: { offset: 0, mf: true },
    ttl: 63,
    n: 10,
  });
  const k2 = fromReference({
    dir: 'out',
    proto: 'ip-fragment',
    src: '10.0.1.10',
    dst: '10.0.2.20',
    ipproto: 'udp',
    len: 82,
    frag: { offset: 1376, mf: false },
    ttl: 63,
    n: 12,
  });
  assert.equal(firstPacketDifference([first, second], [k1, k2]), undefined);
  assert.equal(second.frag, 'offset 1376');
  assert.equal(first.frag, 'offset 0 mf');
  assert.equal(second.ipproto, 'udp');
  // A fragment at another offset is reported on `frag`.
  const wrong = natboxNorm(ipv4(A, B, 17, 1368 / 8, new Array<number>(82).fill(0x2d)));
  const d = firstPacketDifference([first, wrong], [k1, k2])!;
  assert.deepEqual(
    [d.index, d.field, d.natboxValue, d.kernelValue],
    [1, 'frag', 'offset 1368', 'offset 1376'],
  );
  // An unfragmented datagram (UDP length 1458: 1450 bytes of payload) has no frag field.
  const whole = natboxNorm(ipv4(A, B, 17, 0x4000, [...udp, ...new Array<number>(82).fill(0x2d)]));
  assert.equal(whole.frag, undefined);
  assert.equal(whole.len, '1450');
  const dw = firstPacketDifference([whole], [{ ...k1, len: '1450' }])!;
  assert.deepEqual([dw.field, dw.natboxValue, dw.kernelValue], ['frag', undefined, 'offset 0 mf']);
});

test('fragmentation needed: the next-hop MTU and the quoted echo (type, id) are compared', () => {
  const quoted = [...ipv4(A, B, 1, 0x4000, [8, 0, 0, 0, 0x4f, 0x52, 0, 1]).slice(0, 28)];
  const icmp = [3, 4, 0, 0, 0, 0, 0x05, 0x78, ...quoted];
  const n = natboxNorm(ipv4(R, A, 1, 0, icmp));
  assert.equal(n.mtu, '1400');
  assert.equal(n.inner, 'icmp 10.0.1.10 > 10.0.2.20 type 8 id 20306');
  const k = fromReference({
    dir: 'out',
    proto: 'icmp',
    src: '10.0.1.1',
    dst: '10.0.1.10',
    type: 3,
    code: 4,
    mtu: 1400,
    inner: { proto: 'icmp', src: '10.0.1.10', dst: '10.0.2.20', type: 8, id: 20306 },
    ttl: 63,
    n: 20,
  });
  assert.equal(firstPacketDifference([n], [k]), undefined);
  const other = natboxNorm(ipv4(R, A, 1, 0, [3, 4, 0, 0, 0, 0, 0x05, 0xdc, ...quoted]));
  assert.deepEqual(
    (({ field, natboxValue, kernelValue }) => [field, natboxValue, kernelValue])(
      firstPacketDifference([other], [k])!,
    ),
    ['mtu', '1500', '1400'],
  );
});

const fakeSim = (names: string[]): SimResult =>
  ({ results: names.map((name) => ({ flow: { name }, detail: '' })) }) as unknown as SimResult;

test('route_after: compared with the expiry as Nsec; unwired it is not comparable', { skip }, () => {
  const kc = loadCase('line-mtu-fragments-and-frag-needed');
  const sim = fakeSim(['u1', 'p1']);
  assert.equal(compareRouteAfter(kc, sim, {}), undefined);
  const good = (): string =>
    '10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache expires 598sec mtu 1400';
  assert.deepEqual(compareRouteAfter(kc, sim, { routeGet: good }), []);
  const noCache = (): string => '10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache';
  assert.deepEqual(compareRouteAfter(kc, sim, { routeGet: noCache })!.map(formatDifference), [
    'line-mtu-fragments-and-frag-needed: flow u1: route_after: natbox "10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache", kernel "10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache expires Nsec mtu 1400"',
    'line-mtu-fragments-and-frag-needed: flow p1: route_after: natbox "10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache", kernel "10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 cache expires Nsec mtu 1400"',
  ]);
});

test('received ICMP: each message a ping got, in order', { skip }, () => {
  const kc = loadCase('line-ttl-time-exceeded');
  const sim = fakeSim(['u1', 'p1', 'p2']);
  assert.equal(compareReceived(kc, sim, labelsFor(kc), {}), undefined);
  const right = (r: FlowResult): ReceivedIcmp[] =>
    r.flow.name === 'p1'
      ? [{ from: '10.0.1.1', type: 11, code: 0 }]
      : r.flow.name === 'p2'
        ? [{ from: '10.0.2.20', type: 0, code: 0, id: 20307, seq: 1 }]
        : [];
  assert.deepEqual(compareReceived(kc, sim, labelsFor(kc), { received: right }), []);
  const none = (): ReceivedIcmp[] => [];
  assert.deepEqual(compareReceived(kc, sim, labelsFor(kc), { received: none })!.map(formatDifference), [
    'line-ttl-time-exceeded: flow p1: received[0]: natbox (absent), kernel "type 11 code 0 from 10.0.1.1"\n  natbox: (none)\n  kernel: type 11 code 0 from 10.0.1.1',
    'line-ttl-time-exceeded: flow p2: received[0]: natbox (absent), kernel "type 0 code 0 id 20307 from 10.0.2.20 seq 1"\n  natbox: (none)\n  kernel: type 0 code 0 id 20307 from 10.0.2.20 seq 1',
  ]);
});

test('actions: the exit status and stderr of each timed command', { skip }, () => {
  const kc = loadCase('line-timed-forward-drop');
  const sim = fakeSim(['u1']);
  assert.equal(compareActions(kc, sim, {}), undefined);
  const ran =
    (stderr2: string): (() => EventResult[]) =>
    () => [
      { at: 1.25, host: 'r', run: 'iptables -A FORWARD -p udp -j DROP', rc: 0, stderr: '' },
      { at: 1.75, host: 'r', run: 'iptables -D FORWARD -p tcp -j DROP', rc: 1, stderr: stderr2 },
    ];
  const msg = 'iptables: Bad rule (does a matching rule exist in that chain?).';
  assert.deepEqual(compareActions(kc, sim, { eventResults: ran(`${msg}\n`) }), []);
  assert.deepEqual(
    compareActions(kc, sim, { eventResults: ran('iptables: No chain/target/match by that name.') })!.map(
      formatDifference,
    ),
    [
      `line-timed-forward-drop: action #1 iptables -D FORWARD -p tcp -j DROP: stderr: natbox "iptables: No chain/target/match by that name.", kernel "${msg}"`,
    ],
  );
});

test('conntrack -S counters and the conntrack of recorded hosts only', { skip }, () => {
  const kc = loadCase('masq-udp');
  const run = runCase(kc);
  assert.deepEqual(compareConntrackStats(kc, run.sim), []);
  // Entries in a host the kernel did not record (wanh has no rules) are not compared ...
  assert.deepEqual(Object.keys(kc.result.conntrack), ['box']);
  assert.deepEqual(compareConntrack(kc, run.sim), []);
  // ... a counter that differs is.
  run.sim.world.hosts.get('box')!.nf!.conntrack.stats.insert_failed = 2;
  assert.deepEqual(compareConntrackStats(kc, run.sim).map(formatDifference), [
    'masq-udp: conntrack -S box: insert_failed: natbox 2, kernel 0',
  ]);
});

test('the errno of refused and error flows is read from natbox detail', () => {
  assert.equal(
    errnoOf('connect() failed: EHOSTUNREACH (ICMP host unreachable from 10.0.1.1)'),
    'EHOSTUNREACH',
  );
  assert.equal(errnoOf('connect() timed out after 0.8 s'), undefined);
});
