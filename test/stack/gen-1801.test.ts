// Seed 1801's differences (generator issue 15, point 4), in the simulator; each file matches
// Linux 6.18 under `natbox verify` (3 runs).
// - gen-1801-87: TEE's copy follows the route to its gateway (rt_set_nexthop keeps a gateway
//   route's own next hop; only a direct route makes the TEE gateway the next hop), and a SYN still
//   waiting in its neighbour's queue is not sent again (tcp_retransmit_skb: skb_still_in_host_queue).
// - gen-1801-3: a one-shot ping flow reads nothing after its wait is over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

function run(file: string, text = readFileSync(file, 'utf8')) {
  const r = simulateScenario(text, file, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

test('gen-1801-87: the TEE copy asks for the default route gateway; the queued SYN is not sent again', () => {
  const sim = run('test/conformance/generated/gen-1801-87.yaml');
  const out = sim.steps.flatMap((s) =>
    s.kind === 'packet' && s.host === 'r2' && s.dir === 'out'
      ? [[s.t, s.ifname, describeFrame(s.frame).summary]]
      : [],
  );
  // Only ARP requests for 10.1.0.1 on wan, once a second (the neighbour's probes), nothing on lan.
  assert.ok(out.length >= 3, JSON.stringify(out));
  for (const [, ifname, summary] of out) {
    assert.equal(ifname, 'wan');
    assert.match(summary as string, /who-has 10\.1\.0\.1 tell 10\.1\.0\.252/);
  }
  const texts = sim.steps.flatMap((s) => (s.kind === 'socket' && s.host === 'r2' ? [s.text] : []));
  assert.ok(
    texts.some((t) => t.startsWith('does not retransmit its SYN to 203.0.113.10:80')),
    texts.join('\n'),
  );
  assert.ok(!texts.some((t) => t.startsWith('retransmits its SYN')), texts.join('\n'));
});

test('a SYN whose gateway never answers ARP is sent once: one ICMP host unreachable at the failure', () => {
  const text = `name: noneigh
hosts:
  h1:
    interfaces: { eth0: 10.1.0.11/24 }
    routes: [default via 10.1.0.254]
  r1:
    interfaces: { lan: 10.1.0.1/24, wan: 203.0.113.1/24 }
  s1:
    interfaces: { eth0: 203.0.113.10/24 }
    listen: [tcp/80]
links:
  - [h1:eth0, r1:lan]
  - [s1:eth0, r1:wan]
flows:
  - { name: f1, from: h1, proto: tcp, to: '203.0.113.10:80', sport: 40001, at: 0.5, timeout: 5 }
`;
  const sim = run('noneigh.yaml', text);
  const texts = sim.steps.flatMap((s) =>
    s.kind === 'socket' && s.host === 'h1' && s.t < 3.5 ? [s.text] : [],
  );
  assert.equal(texts.filter((t) => t.startsWith('does not retransmit its SYN')).length, 2, texts.join('\n'));
  assert.equal(texts.filter((t) => t.startsWith('retransmits its SYN')).length, 0, texts.join('\n'));
  const icmps = sim.steps.filter(
    (s) =>
      s.kind === 'packet' && s.host === 'h1' && s.ifname === 'lo' && describeFrame(s.frame).proto === 'icmp',
  );
  assert.equal(icmps.length, 1);
  assert.equal(sim.results[0]!.verdict, 'error');
  assert.equal(sim.results[0]!.errno, 'EHOSTUNREACH');
});

test('gen-1801-3: an echo reply after the ping flow timed out does not name its sender', () => {
  const sim = run('test/conformance/generated/gen-1801-3.yaml');
  const f1 = sim.results.find((r) => r.flow.name === 'f1')!;
  assert.equal(f1.verdict, 'timeout');
  assert.equal(f1.replyFrom, undefined);
  // The reply did reach h11 (r1 answered h21's ping towards the other 192.168.1.11).
  const late = sim.steps.filter(
    (s) =>
      s.kind === 'packet' &&
      s.host === 'h11' &&
      s.dir === 'in' &&
      s.t > 4.9 &&
      describeFrame(s.frame).summary.includes('203.0.113.1 >'),
  );
  assert.ok(late.length >= 1);
});

test("gen-1802-28: TEE's copies of segments marked dst_pending_confirm confirm the gateway: no DELAY probe", () => {
  const sim = run('test/conformance/generated/gen-1802-28.yaml');
  const probes = sim.steps.filter(
    (s) =>
      s.kind === 'packet' &&
      s.host === 'r2' &&
      s.dir === 'out' &&
      describeFrame(s.frame).summary.includes('who-has 10.2.0.12'),
  );
  assert.deepEqual(probes, []);
  // Without h21's TCP segments (its flow as a ping) nothing confirms h22: the probe 5 s on.
  const text = readFileSync('test/conformance/generated/gen-1802-28.yaml', 'utf8').replace(
    "{ name: f2, from: h21, proto: tcp, to: '203.0.113.11:443', at: 2.6, timeout: 1.5 }",
    '{ name: f2, from: h21, proto: icmp, to: 203.0.113.11, at: 2.6, timeout: 1.5 }',
  );
  assert.ok(text.includes('proto: icmp, to: 203.0.113.11'));
  const ping = run('gen-1802-28.yaml', text);
  const t = ping.steps.flatMap((s) =>
    s.kind === 'packet' &&
    s.host === 'r2' &&
    s.dir === 'out' &&
    describeFrame(s.frame).summary.includes('who-has 10.2.0.12')
      ? [Math.round(s.t * 1000) / 1000]
      : [],
  );
  assert.deepEqual(t, [5.376]);
});
