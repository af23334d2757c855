// Bridge loops without STP: the run stops within its budget with the verdict `storm` naming the
// loop, instead of growing until V8 runs out of heap (before this, two bridges joined by two cables
// and one flow ran for about a minute, grew past 4 GB and died with exit 134). Also the budgets
// themselves: the pending queue, the events, the trace steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { Scheduler } from '../../src/sim/scheduler.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = (name: string): string => readFileSync(`${root}examples/loops/${name}`, 'utf8');

function run(text: string, file: string, opts: Parameters<typeof simulateScenario>[2] = {}) {
  const r = simulateScenario(text, file, opts);
  if (!r.ok) assert.fail(r.errors.join('\n'));
  return r;
}

test('storm: two bridges joined by two cables, no STP: verdict storm naming sw1, sw2 and both cables, fast and small', () => {
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const r = run(example('two-cables.yaml'), 'two-cables.yaml');
  const ms = performance.now() - t0;
  const [f] = r.sim.results;
  assert.equal(f!.verdict, 'storm');
  assert.deepEqual(f!.mismatches, [], 'expect: { verdict: storm } holds');
  assert.equal(r.sim.complete, true, 'a storm verdict is a finished run');
  assert.equal(r.sim.stopped?.kind, 'storm');
  assert.match(
    f!.detail,
    /^broadcast storm between sw1 and sw2: a loop without STP \(sw1:p2–sw2:p2, sw1:p3–sw2:p3\); the ARP request who-has 192\.168\.1\.200 tell 192\.168\.1\.10 crossed sw1:p\d–sw2:p\d \d+ times in [\d.]+ ms/,
  );
  // Stopped within a few round trips of the loop (0.1 ms a hop), long before the flow's 2 s.
  assert.ok(r.sim.end < 0.01, `stopped at ${r.sim.end}`);
  assert.ok(r.sim.world.sched.ran < 1000, `${r.sim.world.sched.ran} events`);
  assert.ok(r.sim.steps.length < 1000, `${r.sim.steps.length} steps`);
  assert.ok(ms < 2000, `${ms} ms`);
  assert.ok(process.memoryUsage().heapUsed - heap0 < 64 * 2 ** 20, 'heap grew by less than 64 MiB');
  const doc = buildTraceDoc({ name: 'loop', file: 'two-cables.yaml' }, r.sim);
  assert.equal(doc.flows[0]!.verdict, 'storm');
  assert.match(doc.flows[0]!.reason, /^Broadcast storm between sw1 and sw2: a loop without STP/);
  assert.equal(doc.stopped?.kind, 'storm');
});

test("storm: a bridge's two ports cabled together: storm on sw1, the loop is that one cable", () => {
  const r = run(example('self-loop.yaml'), 'self-loop.yaml');
  const [f] = r.sim.results;
  assert.equal(f!.verdict, 'storm');
  assert.match(f!.detail, /^broadcast storm on sw1: a loop without STP \(sw1:p2–sw1:p3\); /);
  assert.ok(r.sim.end < 0.01);
});

test('storm: a loop of three bridges names the three, not the hosts hanging off them', () => {
  const text = `
name: triangle
hosts:
  a: { interfaces: { p1: {}, p2: {}, p3: {} }, bridges: { br0: { ports: [p1, p2, p3] } } }
  b: { interfaces: { p1: {}, p2: {}, p3: {} }, bridges: { br0: { ports: [p1, p2, p3] } } }
  c: { interfaces: { p1: {}, p2: {} }, bridges: { br0: { ports: [p1, p2] } } }
  h1: { interfaces: { eth0: 10.0.0.1/24 } }
  h2: { interfaces: { eth0: 10.0.0.2/24 }, listen: [udp/7] }
links:
  - [a:p1, b:p1]
  - [b:p2, c:p1]
  - [c:p2, a:p2]
  - [h1:eth0, a:p3]
  - [h2:eth0, b:p3]
flows:
  - { name: ask, from: h1, proto: udp, to: 10.0.0.2:7, sport: 5000, timeout: 1 }
`;
  const r = run(text, 'triangle.yaml');
  assert.equal(r.sim.results[0]!.verdict, 'storm');
  assert.match(
    r.sim.results[0]!.detail,
    /^broadcast storm between a, b and c: a loop without STP \(a:p1–b:p1, b:p2–c:p1, c:p2–a:p2\); /,
  );
});

test('storm: a flow that ended before the storm keeps its verdict; a later one gets storm', () => {
  // x and y talk over their own cable and are done by t = 0.5; the client's ARP request starts the
  // storm on sw1's looped ports at t = 1.
  const text = `
name: late-storm
hosts:
  sw1: { interfaces: { p1: {}, p2: {}, p3: {} }, bridges: { br0: { ports: [p1, p2, p3] } } }
  client: { interfaces: { eth0: 10.0.0.1/24 } }
  server: { interfaces: { eth0: 10.0.0.2/24 }, listen: [udp/7] }
  x: { interfaces: { eth0: 10.9.0.1/24 } }
  y: { interfaces: { eth0: 10.9.0.2/24 }, listen: [udp/7] }
links:
  - [client:eth0, sw1:p1]
  - [sw1:p2, sw1:p3]
  - [x:eth0, y:eth0]
flows:
  - { name: early, from: x, proto: udp, to: 10.9.0.2:7, sport: 5000, timeout: 0.5, expect: { verdict: reply } }
  - { name: late, from: client, proto: udp, to: 10.0.0.2:7, sport: 5000, at: 1, timeout: 1, expect: { verdict: storm } }
`;
  const r = run(text, 'late.yaml');
  assert.deepEqual(
    r.sim.results.map((x) => [x.flow.name, x.verdict, x.mismatches]),
    [
      ['early', 'reply', []],
      ['late', 'storm', []],
    ],
  );
  assert.ok(r.sim.end > 1 && r.sim.end < 1.01);
});

test('storm: a bridge with two ports on one switch (a link of three ends) is a loop too', () => {
  const text = `
name: switch-loop
hosts:
  sw1: { interfaces: { p1: {}, p2: {} }, bridges: { br0: { ports: [p1, p2] } } }
  client: { interfaces: { eth0: 10.0.0.1/24 } }
links:
  - { name: hub, connect: [sw1:p1, sw1:p2, client:eth0] }
flows:
  - { name: ping, from: client, proto: icmp, to: 10.0.0.2, timeout: 1, expect: { verdict: storm } }
`;
  const r = run(text, 'hub.yaml');
  assert.deepEqual(r.sim.results[0]!.mismatches, []);
  assert.match(
    r.sim.results[0]!.detail,
    /^broadcast storm on sw1: a loop without STP \(sw1:p1–sw1:p2–client:eth0\); /,
  );
});

test('storm: no false alarm: ARP requests retried for an absent host, on a bridge without a loop', () => {
  // Each flow's ARP request is sent 3 times, 1 s apart, byte for byte the same, and flooded by the
  // bridge each time; three flows resolving the same address at once share one resolution.
  const text = `
name: absent
hosts:
  sw1: { interfaces: { p1: {}, p2: {}, p3: {} }, bridges: { br0: { ports: [p1, p2, p3] } } }
  client: { interfaces: { eth0: 10.0.0.1/24 } }
  other: { interfaces: { eth0: 10.0.0.3/24 } }
links:
  - [client:eth0, sw1:p1]
  - [other:eth0, sw1:p2]
flows:
  - { name: a, from: client, proto: udp, to: 10.0.0.99:7, sport: 5000, timeout: 5 }
  - { name: b, from: client, proto: udp, to: 10.0.0.99:7, sport: 5001, at: 0.5, timeout: 5 }
  - { name: c, from: client, proto: icmp, to: 10.0.0.99, at: 3.5, timeout: 5 }
`;
  const r = run(text, 'absent.yaml');
  assert.equal(r.sim.stopped, undefined);
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    // ARP gives up: Linux answers the sender with ICMP host unreachable from itself
    // (ipv4_link_failure), which a connected UDP socket ignores (soft: __udp4_lib_err) and the
    // ping's raw socket sees.
    ['timeout', 'timeout', 'icmp-error'],
  );
});

test('storm: expecting connected where a storm happens fails with the loop in the words', () => {
  const text = example('two-cables.yaml').replace(
    'expect: { verdict: storm }',
    'expect: { verdict: connected }',
  );
  const r = run(text, 'x.yaml');
  assert.deepEqual(r.sim.results[0]!.mismatches, ['expected connected, got storm']);
});

test('budget: the scheduler stops (never throws) when more events wait than its queue budget', () => {
  const s = new Scheduler(100);
  let ran = 0;
  // Every event schedules two more: the queue doubles, as frames on a loop of three cables do.
  const grow = (): void => {
    ran++;
    s.at(s.now + 0.001, grow);
    s.at(s.now + 0.001, grow);
  };
  s.at(0, grow);
  assert.equal(s.run(10), false);
  assert.equal(s.stopped?.kind, 'pending');
  assert.match(s.stopped!.text, /more than 100 events waited at once/);
  assert.ok(s.pending === 0 && s.peakPending === 100 && ran < 200);
  s.at(20, () => assert.fail('no event is queued after a stop'));
  assert.equal(s.pending, 0);
});

test('budget: the event budget cuts the run: not complete, unfinished flows say why', () => {
  const r = run(readFileSync(`${root}examples/hairpin/dnat-snat.yaml`, 'utf8'), 'dnat-snat.yaml', {
    maxEvents: 10,
  });
  assert.equal(r.sim.complete, false);
  assert.equal(r.sim.stopped?.kind, 'events');
  assert.match(
    r.sim.stopped!.text,
    /the simulator ran 10 events \(its event budget\); the busiest links were /,
  );
  assert.match(r.sim.results[0]!.detail, /^not finished: the run was stopped at t = /);
});

test('budget: the queue budget on a real storm stops it with the verdict storm and the busiest links', () => {
  const r = run(example('two-cables.yaml'), 'two-cables.yaml', { maxPending: 3 });
  assert.equal(r.sim.stopped?.kind, 'pending');
  assert.equal(r.sim.results[0]!.verdict, 'storm');
  assert.match(
    r.sim.results[0]!.detail,
    /more than 3 events waited at once .*; the busiest links were client:eth0–sw1:p1/,
  );
});

test('budget: the trace keeps at most maxSteps steps and counts the rest', () => {
  const r = run(readFileSync(`${root}examples/hairpin/dnat-snat.yaml`, 'utf8'), 'dnat-snat.yaml', {
    maxSteps: 50,
  });
  assert.equal(r.sim.steps.length, 50);
  assert.ok(r.sim.stepsDropped > 50);
  assert.equal(r.sim.results[0]!.verdict, 'connected', 'the run itself is not cut');
  const doc = buildTraceDoc({ name: 'x', file: 'x' }, r.sim);
  assert.equal(doc.steps.length, 50);
  assert.equal(doc.stepsDropped, r.sim.stepsDropped);
});

function natbox(...args: string[]): { code: number; out: string; err: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 2 ** 20,
    timeout: 20_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

test('cli: natbox test on the loop examples passes (storm expected, STP connects), exit 0', () => {
  const r = natbox(
    'test',
    'examples/loops/two-cables.yaml',
    'examples/loops/self-loop.yaml',
    'examples/loops/two-cables-stp.yaml',
  );
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^3 passed, 0 failed$/m);
});

test('cli: natbox trace and trace --json on a loop: exit 0, the verdict in words, a small document', () => {
  const t = natbox('trace', 'examples/loops/two-cables.yaml');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /verdict: STORM/);
  assert.match(t.out, /why: Broadcast storm between sw1 and sw2: a loop without STP/);
  const j = natbox('trace', '--json', 'examples/loops/two-cables.yaml');
  assert.equal(j.code, 0, j.err);
  assert.ok(j.out.length < 1_000_000, `${j.out.length} bytes of JSON`);
  const doc = JSON.parse(j.out);
  assert.equal(doc.flows[0].verdict, 'storm');
  assert.equal(doc.stopped.kind, 'storm');
});
