// iptables -A/-I events next to each other at the same time on one host run as one batch (one
// copy of the ruleset, one engine swap: natbox check's proofs add hundreds of rules at time 0).
// The batch must do exactly what the same commands do one after another: the same exit status,
// stderr and effect for each (refusals included, before and after a change), the same rules in
// the end and the same flow verdicts. The one-by-one run (the events 1 ms apart) is the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';

const COMMANDS = [
  'iptables -t nat -N MY',
  'iptables -t nat -A MY -p tcp -j DNAT --to-destination 10.0.2.20:80',
  'iptables -t nat -A PREROUTING -p tcp --dport 8080 -j MY',
  // DNAT is refused from POSTROUTING: applyCommand throws (RULE_APPEND, rc 4).
  'iptables -t nat -A POSTROUTING -j MY',
  'iptables -t nat -I PREROUTING 9 -j ACCEPT',
  'iptables -A FORWARD -p udp -j DROP',
  'iptables -A FORWARD -j NOSUCH',
  'iptables -t nat -I PREROUTING 1 -s 192.0.2.1 -j RETURN',
  'iptables -t mangle -A PREROUTING -p tcp --dport 8080 -j ACCEPT',
  'iptables -A FORWARD -s 10.0.1.10,10.0.1.11 -p tcp --dport 22 -j DROP',
];

function run(step: number) {
  const events = COMMANDS.map((c, i) => `  - { at: ${(0.05 + i * step).toFixed(3)}, host: r, run: '${c}' }`);
  const text = [
    'name: events-batch',
    'hosts:',
    '  a: { interfaces: { eth0: 10.0.1.10/24 }, routes: [default via 10.0.1.1] }',
    '  r:',
    '    interfaces: { eth0: 10.0.1.1/24, eth1: 10.0.2.1/24 }',
    '    sysctls: { net.ipv4.ip_forward: 1 }',
    '  b: { interfaces: { eth0: 10.0.2.20/24 }, routes: [default via 10.0.2.1], listen: [tcp/80, udp/5000] }',
    'links: [[a:eth0, r:eth0], [r:eth1, b:eth0]]',
    'flows:',
    '  - { name: web, from: a, proto: tcp, to: 10.0.1.1:8080, sport: 40000, at: 0.5 }',
    '  - { name: dns, from: a, proto: udp, to: 10.0.2.20:5000, sport: 40001, at: 0.5 }',
    'events:',
    ...events,
    '',
  ].join('\n');
  const r = simulateScenario(text, 'events-batch.yaml');
  if (!r.ok) assert.fail(r.errors.join('\n'));
  return {
    events: r.sim.events.map((e) => [e.event.run, e.rc, e.stderr, e.effect]),
    rules: printSave(r.sim.world.host('r').ruleset!),
    flows: r.sim.results.map((f) => [f.flow.name, f.verdict, f.serverSaw ?? '']),
  };
}

test('iptables -A/-I events at one time run as a batch with the same results as one by one', () => {
  const alone = run(0.001);
  const batch = run(0);
  // The reference itself: the refusals and the flows as iptables and the kernel give them.
  assert.deepEqual(
    alone.events.map((e) => e[1]),
    [0, 0, 0, 4, 1, 0, 2, 0, 0, 0],
  );
  assert.deepEqual(alone.flows, [
    ['web', 'connected', '10.0.1.10:40000'],
    ['dns', 'timeout', ''],
  ]);
  assert.match(
    alone.rules,
    /-A PREROUTING -s 192\.0\.2\.1\/32 -j RETURN\n-A PREROUTING -p tcp -m tcp --dport 8080 -j MY/,
  );
  assert.deepEqual(batch, alone);
});
