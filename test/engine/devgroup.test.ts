// -m devgroup through a whole scenario (xt_devgroup.c): the router forwards only from interfaces
// of group 2 (`group: 2` in the scenario; the others are in group 0, as Linux puts every device
// by default). Without any group in the scenario, the rule is refused when a packet reaches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const scenario = (lanA: string, lanB: string): string => `
name: devgroup
hosts:
  fw:
    interfaces:
      a: ${lanA}
      b: ${lanB}
      wan: 198.51.100.1/24
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -P FORWARD DROP
      iptables -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
      iptables -A FORWARD -m devgroup --src-group 0x2/0xf -j ACCEPT
  pa: { interfaces: { eth0: 10.0.1.10/24 }, routes: [default via 10.0.1.1] }
  pb: { interfaces: { eth0: 10.0.2.10/24 }, routes: [default via 10.0.2.1] }
  web: { interfaces: { eth0: 198.51.100.80/24 }, routes: [default via 198.51.100.1], listen: [tcp/80] }
links:
  - [pa:eth0, fw:a]
  - [pb:eth0, fw:b]
  - [web:eth0, fw:wan]
flows:
  - { name: from a, from: pa, proto: tcp, to: 198.51.100.80:80, timeout: 1 }
  - { name: from b, from: pb, proto: tcp, to: 198.51.100.80:80, timeout: 1 }
`;

test('devgroup: only the interface in group 2 (mask 0xf: 0x12 counts too) is forwarded', () => {
  const r = simulateScenario(
    scenario('{ address: 10.0.1.1/24, group: 0x12 }', '{ address: 10.0.2.1/24 }'),
    'dg.yaml',
    { trace: true },
  );
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r));
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['connected', 'timeout'],
  );
  const why = r.sim.steps
    .filter((s) => s.kind === 'rule-miss')
    .map((s) => (s.kind === 'rule-miss' ? s.why : ''));
  assert.ok(why.includes('-m devgroup did not match: b is in group 0'), why.join('\n'));
});

test('devgroup: with no group in the scenario the match is refused at evaluation', () => {
  const r = simulateScenario(scenario('10.0.1.1/24', '10.0.2.1/24'), 'dg.yaml', { trace: true });
  assert.ok(r.ok);
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['timeout', 'timeout'],
  );
  const why = r.sim.steps
    .filter((s) => s.kind === 'rule-miss')
    .map((s) => (s.kind === 'rule-miss' ? s.why : ''));
  assert.ok(
    why.some((w) => w.includes('match "devgroup" is refused')),
    why.join('\n'),
  );
});
