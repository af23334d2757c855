// MasqueradeNotifier.tag: the interface MASQUERADE bound each entry through, whatever the order
// of the interfaces (tag's shortcut for the last one) and past the 254 interfaces with a tag of
// their own (MASQ_MORE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConntrackTable } from '../../src/netfilter/conntrack/table.ts';
import { MasqueradeNotifier } from '../../src/netfilter/nat/masquerade.ts';

test('tag: each entry keeps its interface, in any order and past 254 interfaces', () => {
  const ct = new ConntrackTable(1024);
  const m = new MasqueradeNotifier(ct);
  const names = Array.from({ length: 300 }, (_, i) => `if${i}`);
  const bound: string[] = [];
  for (let e = 0; e < 1024; e++) {
    // Runs of one interface, then jumps back to earlier ones.
    const name = names[(Math.floor(e / 3) * 7) % names.length]!;
    m.tag(e, name);
    bound.push(name);
  }
  for (let e = 0; e < 1024; e++) assert.equal(m.boundDevice(e), bound[e], `entry ${e}`);
  // Own tags for the first 254 interfaces met, MASQ_MORE (255) for the rest.
  assert.equal(ct.masq[0], 1);
  assert.equal(m.tagOf(bound[0]!), 1);
  const late = bound.find((n) => m.tagOf(n) === 0)!;
  const e = bound.indexOf(late);
  assert.equal(ct.masq[e], 255);
});

test("tag: '' first tags 1, as before", () => {
  const ct = new ConntrackTable(16);
  const m = new MasqueradeNotifier(ct);
  m.tag(0, '');
  assert.equal(ct.masq[0], 1);
  m.tag(1, 'wan');
  m.tag(2, 'wan');
  assert.equal(ct.masq[2], ct.masq[1]);
  assert.equal(m.boundDevice(2), 'wan');
});
