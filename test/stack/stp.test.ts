// The kernel's STP on Linux bridges (stp_state 1), as net/bridge/br_stp*.c runs it: the root bridge
// by lowest bridge id, root ports by path cost then designated bridge and port ids, one designated
// port per segment, the rest blocking; ports listen and learn for forward_delay each before they
// forward. Before this, a bridge had no STP: every loop stormed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { loadScenario, formatScenarioError } from '../../src/scenario/load.ts';
import { dropWords } from '../../src/trace/drop-words.ts';
import { configBpduFrame, parseConfigBpdu, bridgeId } from '../../src/stack/bridge.ts';
import type { SimResult } from '../../src/sim/run.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(text: string): SimResult {
  const r = simulateScenario(text, 'stp.yaml');
  if (!r.ok) assert.fail(r.errors.join('\n'));
  return r.sim;
}

/** host:port → state/role, for every bridge port. */
function ports(sim: SimResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of sim.world.hosts.values())
    for (const b of h.bridges.values())
      for (const p of b.dev.ports) out[`${h.name}:${p}`] = `${b.portState(p)}/${b.portRole(p) ?? '-'}`;
  return out;
}

const twoSwitches = (sw1: string, sw2: string, flows: string): string => `
name: two-switches
hosts:
  sw1:
    interfaces: { p1: {}, p2: {}, p3: {} }
    bridges: { br0: { ports: [p1, p2, p3], ${sw1} } }
  sw2:
    interfaces: { p1: {}, p2: {}, p3: {} }
    bridges: { br0: { ports: [p1, p2, p3], ${sw2} } }
  client: { interfaces: { eth0: 192.168.1.10/24 } }
  server: { interfaces: { eth0: 192.168.1.200/24 }, listen: [tcp/80] }
links:
  - [client:eth0, sw1:p1]
  - [sw1:p2, sw2:p2]
  - [sw1:p3, sw2:p3]
  - [server:eth0, sw2:p1]
flows:
${flows}
`;

test('stp: the example: sw1 (priority 4096) is root, sw2 keeps p2 as root port and blocks p3, the flow connects', () => {
  const sim = run(readFileSync(`${root}examples/loops/two-cables-stp.yaml`, 'utf8'));
  assert.equal(sim.results[0]!.verdict, 'connected');
  assert.deepEqual(sim.results[0]!.mismatches, []);
  assert.equal(sim.stopped, undefined);
  assert.deepEqual(ports(sim), {
    'sw1:p1': 'forwarding/designated',
    'sw1:p2': 'forwarding/designated',
    'sw1:p3': 'forwarding/designated',
    'sw2:p1': 'forwarding/designated',
    'sw2:p2': 'forwarding/root',
    'sw2:p3': 'blocking/blocked',
  });
  const sw2 = sim.world.host('sw2').bridges.get('br0')!;
  const sw1 = sim.world.host('sw1').bridges.get('br0')!;
  assert.equal(sw1.bridgeId.slice(0, 5), '1000.');
  assert.equal(sw2.designatedRoot, sw1.bridgeId);
  assert.equal(sw2.rootPathCost, 2);
  // The client's broadcast came back to sw2 by p3 and was dropped there, not flooded again.
  assert.ok(
    sim.steps.some(
      (s) => s.kind === 'drop' && s.host === 'sw2' && dropWords(s) === 'br0 port p3 is blocking (STP)',
    ),
  );
});

test('stp: with the default forward_delay (15 s) nothing crosses for 30 s: a flow at 0 fails (ARP unanswered), one at 31 s connects', () => {
  const sim = run(
    twoSwitches(
      'stp: true',
      'stp: true',
      `  - { name: early, from: client, proto: tcp, to: 192.168.1.200:80, sport: 40000, timeout: 20 }
  - { name: late, from: client, proto: tcp, to: 192.168.1.200:80, sport: 40001, at: 31, timeout: 3 }`,
    ),
  );
  assert.deepEqual(
    sim.results.map((r) => [r.flow.name, r.verdict]),
    [
      // The client's ARP requests die on sw1's listening port: connect() fails with EHOSTUNREACH.
      ['early', 'error'],
      ['late', 'connected'],
    ],
  );
  // The port states over time, as the trace tells them (sw1's p2: listening at 0, learning at 15,
  // forwarding at 30, as Linux's br_make_forwarding and forward_delay_timer_expired do).
  const p2 = sim.steps
    .filter((s) => s.kind === 'config' && s.host === 'sw1' && s.text.startsWith('br0: port p2 '))
    .map((s) => [s.t, s.kind === 'config' ? /entered (\w+)/.exec(s.text)![1] : '']);
  assert.deepEqual(p2, [
    [0, 'listening'],
    [15, 'learning'],
    [30, 'forwarding'],
  ]);
});

test('stp: equal priorities: the lower MAC is root; the other bridge roots on the lower designated port id', () => {
  const sim = run(
    twoSwitches(
      'stp: true, mac: 02:00:00:00:00:02',
      'stp: true, mac: 02:00:00:00:00:01',
      `  - { name: f, from: client, proto: tcp, to: 192.168.1.200:80, sport: 40000, at: 31, timeout: 3 }`,
    ),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  assert.equal(sim.world.host('sw2').bridges.get('br0')!.bridgeId, '8000.020000000001');
  assert.deepEqual(ports(sim), {
    'sw1:p1': 'forwarding/designated',
    'sw1:p2': 'forwarding/root',
    'sw1:p3': 'blocking/blocked',
    'sw2:p1': 'forwarding/designated',
    'sw2:p2': 'forwarding/designated',
    'sw2:p3': 'forwarding/designated',
  });
});

test('stp: on one bridge only, it still cuts the loop: the other floods its BPDUs back to it (as Linux does with STP off)', () => {
  const sim = run(
    twoSwitches(
      'stp: true',
      'mac: 02:00:00:00:00:01',
      `  - { name: f, from: client, proto: tcp, to: 192.168.1.200:80, sport: 40000, at: 31, timeout: 3 }`,
    ),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  assert.equal(sim.stopped, undefined);
  // sw1 hears its own BPDU from p2 on p3: p2's port id is lower, so p3 stops being designated.
  assert.equal(ports(sim)['sw1:p3'], 'blocking/blocked');
  assert.equal(ports(sim)['sw1:p2'], 'forwarding/designated');
});

test('stp: root port by path cost: in a triangle the direct link to the root wins; the b–c segment is blocked at the higher id', () => {
  const sim = run(`
name: triangle
hosts:
  a: { interfaces: { p1: {}, p2: {} }, bridges: { br0: { ports: [p1, p2], mac: 02:00:00:00:00:0a, stp: { priority: 0, forward_delay: 2 } } } }
  b: { interfaces: { p1: {}, p2: {}, p3: {} }, bridges: { br0: { ports: [p1, p2, p3], mac: 02:00:00:00:00:0b, stp: { forward_delay: 2 } } } }
  c: { interfaces: { p1: {}, p2: {}, p3: {} }, bridges: { br0: { ports: [p1, p2, p3], mac: 02:00:00:00:00:0c, stp: { forward_delay: 2 } } } }
  h1: { interfaces: { eth0: 10.0.0.1/24 } }
  h2: { interfaces: { eth0: 10.0.0.2/24 }, listen: [udp/7] }
links:
  - [a:p1, b:p1]
  - [b:p2, c:p2]
  - [c:p1, a:p2]
  - [h1:eth0, b:p3]
  - [h2:eth0, c:p3]
flows:
  - { name: ask, from: h1, proto: udp, to: 10.0.0.2:7, sport: 5000, at: 5, timeout: 2 }
`);
  assert.equal(sim.results[0]!.verdict, 'reply');
  assert.deepEqual(ports(sim), {
    'a:p1': 'forwarding/designated',
    'a:p2': 'forwarding/designated',
    'b:p1': 'forwarding/root',
    'b:p2': 'forwarding/designated',
    'b:p3': 'forwarding/designated',
    'c:p1': 'forwarding/root',
    'c:p2': 'blocking/blocked',
    'c:p3': 'forwarding/designated',
  });
  assert.equal(sim.world.host('c').bridges.get('br0')!.rootPathCost, 2);
});

test('stp: configuration BPDU bytes (802.3 + LLC 42 42 03, 35-byte BPDU, times in 1/256 s) round-trip', () => {
  const mac = new Uint8Array([0x02, 0, 0, 0, 0, 0x0b]);
  const b = {
    root: bridgeId(0x1000, new Uint8Array([0x02, 0, 0, 0, 0, 0x0a])),
    cost: 4,
    bridge: bridgeId(0x8000, mac),
    port: 0x8002,
    messageAge: 1,
    maxAge: 20,
    helloTime: 2,
    forwardDelay: 15,
  };
  const f = configBpduFrame(mac, b);
  assert.equal(
    Buffer.from(f.subarray(0, 14 + 3 + 35)).toString('hex'),
    '0180c2000000' +
      '02000000000b' +
      '0026' +
      '424203' +
      '0000' +
      '00' +
      '00' +
      '00' +
      '1000' +
      '02000000000a' +
      '00000004' +
      '8000' +
      '02000000000b' +
      '8002' +
      '0100' +
      '1400' +
      '0200' +
      '0f00',
  );
  assert.equal(f.length, 60);
  assert.deepEqual(parseConfigBpdu(f), b);
});

test('stp: the loader takes stp: true|false or its settings, in the ranges Linux accepts', () => {
  const sc = (stp: string): string => `
name: x
hosts:
  sw: { interfaces: { p1: {} }, bridges: { br0: { ports: [p1], stp: ${stp} } } }
`;
  const ok = loadScenario(sc('{ priority: 4096, forward_delay: 4 }'), 'x.yaml');
  assert.ok(ok.ok);
  const stp = ok.scenario.hosts[0]!.bridges[0]!.stp!;
  assert.deepEqual([stp.priority, stp.forwardDelay, stp.helloTime, stp.maxAge], [4096, 4, 2, 20]);
  const off = loadScenario(sc('false'), 'x.yaml');
  assert.ok(off.ok && off.scenario.hosts[0]!.bridges[0]!.stp === undefined);
  const bad = loadScenario(sc('{ forward_delay: 1 }'), 'x.yaml');
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map(formatScenarioError), [
    'x.yaml:4:86: hosts.sw.bridges.br0.stp.forward_delay: 1 is not a forward delay in seconds (2 to 30 with STP)',
  ]);
  const typo = loadScenario(sc('{ prio: 1 }'), 'x.yaml');
  assert.ok(!typo.ok);
  assert.equal(
    formatScenarioError(typo.errors[0]!),
    'x.yaml:4:71: hosts.sw.bridges.br0.stp.prio: unknown key "prio" (expected one of: priority, forward_delay, hello_time, max_age)',
  );
});
