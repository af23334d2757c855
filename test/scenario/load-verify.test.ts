// The scenario's `verify:` settings (arp) and the per-device neighbour sysctls
// (net.ipv4.neigh.DEV.*): what loads, each bad value as an error at its line and column, and
// whether natbox verify counts ARP for a scenario (NATBOX_VERIFY_ARP overrides it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from '../../src/scenario/load.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { arpCompared } from '../../src/cli/verify/verify.ts';

const doc = (extra: string, sysctls = ''): string =>
  [
    'hosts:',
    `  a: { interfaces: { e0: 10.0.0.1/24 }${sysctls ? `, sysctls: { ${sysctls} }` : ''} }`,
    '  b: { interfaces: { e0: 10.0.0.2/24 } }',
    'links: [[a:e0, b:e0]]',
    extra,
  ].join('\n');

const errors = (text: string): string[] => {
  const r = loadScenario(text, 'x.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
};

test('verify: { arp: false } loads; without it there is no verify setting', () => {
  const r = loadScenario(doc('verify: { arp: false }'), 'x.yaml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  assert.deepEqual(r.scenario.verify, { arp: false });
  const s = loadScenario(doc(''), 'x.yaml');
  assert.ok(s.ok);
  assert.equal(s.scenario.verify, undefined);
});

test('bad verify settings are errors at their position', () => {
  assert.deepEqual(errors(doc('verify: { arp: sometimes }')), [
    '5:16: verify.arp: expected true or false, found the text "sometimes"',
  ]);
  const e = errors(doc('verify: { packets: false }'));
  assert.equal(e.length, 1);
  assert.match(e[0]!, /^5:11: .*packets/);
});

test('ARP counts by default, not with verify.arp false; NATBOX_VERIFY_ARP=1/0 overrides', () => {
  const on = loadScenario(doc(''), 'x.yaml');
  const off = loadScenario(doc('verify: { arp: false }'), 'x.yaml');
  assert.ok(on.ok && off.ok);
  const saved = process.env.NATBOX_VERIFY_ARP;
  try {
    delete process.env.NATBOX_VERIFY_ARP;
    assert.deepEqual([arpCompared(on), arpCompared(off)], [true, false]);
    process.env.NATBOX_VERIFY_ARP = '1';
    assert.deepEqual([arpCompared(on), arpCompared(off)], [true, true]);
    process.env.NATBOX_VERIFY_ARP = '0';
    assert.deepEqual([arpCompared(on), arpCompared(off)], [false, false]);
  } finally {
    if (saved === undefined) delete process.env.NATBOX_VERIFY_ARP;
    else process.env.NATBOX_VERIFY_ARP = saved;
  }
});

test('net.ipv4.neigh.DEV.* load and reach the neighbour table; bad ones are errors', () => {
  const r = simulateScenario(
    doc('', 'net.ipv4.neigh.e0.base_reachable_time_ms: 2000, net.ipv4.neigh.e0.retrans_time_ms: 250'),
    'x.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const n = r.sim.world.hosts.get('a')!.neigh;
  assert.equal(n.parm('e0', 'retrans_time_ms'), 250);
  assert.equal(n.parm('e0', 'ucast_solicit'), 3);
  const rt = n.reachableTime('e0');
  assert.ok(rt >= 1 && rt < 3, String(rt));
  assert.match(errors(doc('', 'net.ipv4.neigh.e0.mcast_solicit: 0')).join('\n'), /mcast_solicit/);
  assert.match(errors(doc('', 'net.ipv4.neigh.e0.gc_stale_time: 60')).join('\n'), /unknown sysctl/);
  const s = simulateScenario(doc('', 'net.ipv4.neigh.e9.ucast_solicit: 1'), 'x.yaml');
  assert.ok(!s.ok);
  assert.match(s.errors.join('\n'), /no device "e9"/);
});
