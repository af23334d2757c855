// The comparator itself (compare.ts): relabelling, volatile labels, and that a deliberately broken
// natbox run is reported at its first difference, readably (case, interface, packet, field, natbox's
// value, the kernel's). Uses the kernel reference; skips without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCase, referenceAvailable, referencePath } from './reference.ts';
import {
  compareCase,
  compareFlows,
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
