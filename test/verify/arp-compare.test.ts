// natbox verify's ARP comparison (src/oracle/compare.ts compareArp): frames after the run's end
// left out, order and sender/target per interface, the kernel's time within a window of natbox's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARP_LATE, compareArp } from '../../src/oracle/compare.ts';
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
