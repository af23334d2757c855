// -m time through a whole scenario: the scenario's `epoch` is the wall-clock time of simulation
// time 0, and a flow's packets carry `epoch + at`. 2026-12-01T16:59:00Z is a Tuesday
// (date -u -d 2026-12-01 +%a), so "office hours" (Mon-Fri 09:00-17:00 UTC) accept the flow
// at 0 and drop the one at 120 (17:01), and nothing matches -m time without an epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const scenario = (epoch: string): string => `
name: office-hours
${epoch}
hosts:
  fw:
    interfaces: { lan: 10.0.0.1/24, wan: 198.51.100.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -P FORWARD DROP
      iptables -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
      iptables -A FORWARD -p tcp --dport 80 -m time --timestart 09:00 --timestop 17:00 --weekdays Mon,Tue,Wed,Thu,Fri -j ACCEPT
  pc: { interfaces: { eth0: 10.0.0.10/24 }, routes: [default via 10.0.0.1] }
  web: { interfaces: { eth0: 198.51.100.80/24 }, routes: [default via 198.51.100.1], listen: [tcp/80] }
links:
  - [pc:eth0, fw:lan]
  - [web:eth0, fw:wan]
flows:
  - { name: at 16:59, from: pc, proto: tcp, to: 198.51.100.80:80, at: 0, timeout: 1 }
  - { name: at 17:01, from: pc, proto: tcp, to: 198.51.100.80:80, at: 120, timeout: 1 }
`;

test('time: the flow inside office hours connects, the one after 17:00 is dropped', () => {
  const r = simulateScenario(scenario('epoch: "2026-12-01T16:59:00Z"'), 'office.yaml');
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r));
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['connected', 'timeout'],
  );
});

test('time: the same instant written with another zone is the same clock', () => {
  const r = simulateScenario(scenario('epoch: "2026-12-01T17:59:00+01:00"'), 'office.yaml');
  assert.ok(r.ok);
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['connected', 'timeout'],
  );
});

test('time: without an epoch the rule never matches and the trace says why', () => {
  const r = simulateScenario(scenario(''), 'office.yaml', { trace: true });
  assert.ok(r.ok);
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['timeout', 'timeout'],
  );
  const why = r.sim.steps
    .filter((s) => s.kind === 'rule-miss')
    .map((s) => (s.kind === 'rule-miss' ? s.why : ''));
  assert.ok(
    why.some((w) => w.includes('the scenario gives no epoch')),
    why.join('\n'),
  );
});

test('epoch: a bad value is refused with its place', () => {
  const r = simulateScenario(scenario('epoch: "2026-12-01 16:59"'), 'office.yaml');
  assert.ok(!r.ok);
  assert.match(JSON.stringify(r), /office\.yaml:3:\d+.*bad epoch \\"2026-12-01 16:59\\"/);
});
