// `ip link set dev DEV mtu N` as a timed event (src/sim/events-link.ts). Expected values from the
// kernel: test/conformance/extra/link-mtu-event.yaml under `natbox verify` (Linux 6.18, ip 6.1),
// whose exit statuses and messages were measured on veths in a namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const FILE = 'test/conformance/extra/link-mtu-event.yaml';

test('link-mtu-event: lowering r eth1 to 1280 turns a DF segment into fragmentation needed, a datagram into fragments', () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const sim = r.sim;
  assert.deepEqual(
    sim.results.map((f) => f.verdict),
    ['connected', 'connected', 'reply', 'connected'],
  );
  assert.deepEqual(
    sim.events.map((e) => [e.rc, e.stderr]),
    [
      [0, ''],
      [0, ''],
      [2, 'Error: mtu less than device minimum.\n'],
    ],
  );
  const out = (host: string, ifname: string) =>
    sim.steps
      .filter((s) => s.kind === 'packet' && s.host === host && s.dir === 'out' && s.ifname === ifname)
      .map(
        (s) =>
          (s.kind === 'packet' ? { t: s.t, f: describeFrame(s.frame), n: s.frame.length - 14 } : undefined)!,
      );
  // Before the change a 1452-byte packet crosses eth1; after it, nothing above 1280 until 4 s.
  const eth1 = out('r', 'eth1');
  assert.ok(eth1.some((p) => p.t < 1 && p.n === 1452));
  assert.equal(
    eth1.filter((p) => p.t > 1 && p.t < 4).reduce((m, p) => Math.max(m, p.n), 0),
    1280,
  );
  // r's answer to t2's segment: fragmentation needed with the new MTU (RFC 1191's next-hop MTU).
  const icmp = out('r', 'eth0').filter((p) => p.f.proto === 'icmp');
  assert.equal(icmp.length, 1);
  assert.deepEqual(icmp[0]!.f.icmp, { type: 3, code: 4 });
  assert.ok(icmp[0]!.t > 2 && icmp[0]!.t < 3);
});

test('ip link set mtu: errors as ip prints them, at load time for a value that is no number', () => {
  const base = readFileSync(FILE, 'utf8');
  const bad = simulateScenario(base.replace('mtu 60 }', 'mtu abc }'), FILE);
  assert.ok(!bad.ok);
  assert.match(bad.errors.join('\n'), /argument "abc" is wrong: Invalid "mtu" value/);
  const r = simulateScenario(
    base.replace('mtu 60 }', 'mtu 65536 }').replace('dev eth1 mtu 1500', 'dev eth9 mtu 1500'),
    FILE,
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.events.map((e) => [e.rc, e.stderr]),
    [
      [0, ''],
      [1, 'Cannot find device "eth9"\n'],
      [2, 'Error: mtu greater than device maximum.\n'],
    ],
  );
});
