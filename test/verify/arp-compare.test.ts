// natbox verify's ARP comparison (src/oracle/compare.ts compareArp): frames after the run's end
// left out, order and sender/target per interface, the kernel's time within a window of natbox's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignSameInstant, ARP_LATE, ARP_TAIL, compareArp, SAME_INSTANT } from '../../src/oracle/compare.ts';
import type { ArpPacket } from '../../src/oracle/packets.ts';

const f = (
  t: number,
  dir: 'in' | 'out',
  op: 'request' | 'reply',
  sender: string,
  target: string,
): ArpPacket => ({
  t,
  iface: 'a:eth0',
  dir,
  op,
  sender,
  target,
});
const nb = [
  f(0.001, 'out', 'request', '10.0.0.1', '10.0.0.2'),
  f(0.002, 'in', 'reply', '10.0.0.2', '10.0.0.1'),
];

test('the same frames agree; a kernel probe after the end is left out', () => {
  const kn = [...nb.map((p) => ({ ...p, t: p.t + 0.01 })), f(5.3, 'out', 'request', '10.0.0.1', '10.0.0.2')];
  const r = compareArp(nb, kn, 4);
  assert.deepEqual(r.diffs, []);
  assert.equal(
    r.lines[0],
    'ARP: 2 natbox / 2 kernel frames up to the end (t=4.0; 1 kernel frames after it left out), the same on 1 of 1 interfaces',
  );
});

test('a different target is the first difference, with both frames', () => {
  const r = compareArp(nb, [nb[0]!, f(0.002, 'in', 'reply', '10.0.0.3', '10.0.0.1')], 4);
  assert.equal(r.diffs.length, 1);
  const d = r.diffs[0]!;
  assert.deepEqual(
    [d.what, d.where, d.index, d.field, d.natbox, d.kernel],
    ['arp', 'a:eth0', 1, 'frame', 'in reply 10.0.0.2 > 10.0.0.1', 'in reply 10.0.0.3 > 10.0.0.1'],
  );
});

test('time: the kernel later than natbox by more than ARP_LATE differs; within a window natbox gives, it agrees', () => {
  const late = [nb[0]!, { ...nb[1]!, t: nb[1]!.t + ARP_LATE + 0.01 }];
  assert.equal(compareArp(nb, late, 4).diffs[0]?.field, 'time');
  const windowed = [nb[0]!, { ...nb[1]!, window: [0, 2] as const }];
  assert.deepEqual(compareArp(windowed, late, 4).diffs, []);
});

test('a frame only one side has is a difference', () => {
  const d = compareArp(nb, nb.slice(0, 1), 4).diffs[0]!;
  assert.equal(d.field, 'frame');
  assert.equal(d.kernel, '(none: the kernel has 1 ARP frames here)');
});

test('a natbox frame near the end whose kernel twin may come after it is no difference; earlier ones are', () => {
  // natbox probes at 3.5, the run ends at 4: the kernel's probe may be up to ARP_LATE later, past
  // the end, and left out with the frames after it (gen-20261201-1: the kernel's at 5.2, end 5.1).
  const probe = f(4 - ARP_LATE / 2, 'out', 'request', '10.0.0.1', '10.0.0.2');
  assert.deepEqual(compareArp([...nb, probe], nb, 4).diffs, []);
  const early = f(4 - ARP_LATE - 0.1, 'out', 'request', '10.0.0.1', '10.0.0.2');
  assert.equal(compareArp([...nb, early], nb, 4).diffs[0]?.field, 'frame');
});

test('same instant: natbox frames at one simulated time match the kernel’s in either order', () => {
  // icmp-redirect-all-off.yaml, h1:eth0 (Linux 6.18.44, 2026-12-02): h1's own request for the new
  // gateway and r1's broadcast for it left within 15 µs; the kernel's order is a race.
  const x = [
    f(0.0002, 'in', 'reply', '172.16.1.253', '172.16.1.1'),
    f(0.0004, 'out', 'request', '172.16.1.1', '172.16.1.254'),
    f(0.0004, 'in', 'request', '172.16.1.253', '172.16.1.254'),
    f(0.0006, 'in', 'reply', '172.16.1.254', '172.16.1.1'),
  ];
  const k = [x[0]!, { ...x[2]!, t: 0.0008 }, { ...x[1]!, t: 0.00082 }, { ...x[3]!, t: 0.0009 }];
  assert.deepEqual(compareArp(x, k, 4).diffs, []);
  assert.deepEqual(
    alignSameInstant(x, k).map((p) => p.sender),
    ['172.16.1.253', '172.16.1.1', '172.16.1.253', '172.16.1.254'],
  );
  // Frames at different natbox times keep their order: swapped, they differ.
  const swapped = [x[0]!, x[3]!, x[1]!, x[2]!];
  assert.equal(compareArp(x, swapped, 4).diffs[0]?.index, 2);
  // A frame of the group the kernel does not have is still a difference.
  const other = [x[0]!, f(0.0008, 'out', 'request', '172.16.1.1', '172.16.1.9'), x[2]!, x[3]!];
  assert.equal(compareArp(x, other, 4).diffs[0]?.field, 'frame');
  assert.equal(SAME_INSTANT, 1e-6);
});

test('a window (proxy_delay, reachable_time) widens by the usual slack on both sides', () => {
  const proxy = [{ ...nb[0]!, window: [0.5, 1.33] as const }];
  const at = (t: number) => [{ ...nb[0]!, t }];
  assert.deepEqual(compareArp(proxy, at(0.41), 4).diffs, []);
  assert.deepEqual(compareArp(proxy, at(1.33 + ARP_LATE), 4).diffs, []);
  assert.equal(compareArp(proxy, at(0.39), 4).diffs[0]?.field, 'time');
  assert.equal(compareArp(proxy, at(1.34 + ARP_LATE), 4).diffs[0]?.field, 'time');
});

test('a kernel probe just before the end, which natbox sends in a later wheel bucket after it, is no difference; an earlier one is', () => {
  // gen-20261201-1 (CI dry run, 2026-12-03): s2's DELAY timer ran at 5.012 s on the kernel; natbox's,
  // in its own 256 ms bucket, after the run's end at 5.1 s.
  const probe = f(5.012, 'out', 'request', '10.0.0.1', '10.0.0.2');
  assert.deepEqual(compareArp(nb, [...nb, probe], 5.1).diffs, []);
  const early = { ...probe, t: 5.1 - ARP_TAIL - 0.01 };
  assert.equal(compareArp(nb, [...nb, early], 5.1).diffs[0]?.field, 'frame');
});

test('ARP_TAIL boundary: a kernel frame natbox lacks 0.29 s or exactly 0.3 s before the end is none; 0.31 s is a difference', () => {
  assert.equal(ARP_TAIL, 0.3);
  const end = 5.1;
  const probe = (t: number): ArpPacket => f(t, 'out', 'request', '10.0.0.1', '10.0.0.9');
  assert.deepEqual(compareArp(nb, [...nb, probe(4.81)], end).diffs, []);
  // 4.8 + 0.3 is 5.1 (or a hair below it in doubles): within (CAPTURE_RESOLUTION).
  assert.deepEqual(compareArp(nb, [...nb, probe(4.8)], end).diffs, []);
  const d = compareArp(nb, [...nb, probe(4.79)], end).diffs;
  assert.deepEqual(
    d.map((x) => [x.what, x.where, x.index, x.field, x.natbox, x.kernel, x.t]),
    [
      [
        'arp',
        'a:eth0',
        2,
        'frame',
        '(none: natbox has 2 ARP frames here)',
        'out request 10.0.0.1 > 10.0.0.9',
        4.79,
      ],
    ],
  );
  // The frames after the first one in the tail go with it.
  assert.deepEqual(compareArp(nb, [...nb, probe(4.81), probe(5.05)], end).diffs, []);
  // The tail is for a frame natbox lacks: one natbox has otherwise (another target) still differs.
  const other = f(4.95, 'out', 'request', '10.0.0.1', '10.0.0.8');
  assert.equal(compareArp([...nb, other], [...nb, probe(4.95)], end).diffs[0]?.field, 'frame');
  // And a frame after the end on the kernel's side is left out before any of this.
  assert.deepEqual(compareArp(nb, [...nb, probe(5.2)], end).diffs, []);
});
