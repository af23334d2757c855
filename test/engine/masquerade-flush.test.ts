// MASQUERADE forgets its connections when the out interface loses the address they were bound to
// (nf_nat_masquerade_ipv4's inetaddr notifier): the entry is deleted, and the connection's next
// packet, a FIN that cannot start a new entry, is INVALID and leaves un-NATed, as on Linux.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { World } from '../../src/sim/world.ts';
import { startFlows } from '../../src/sim/flows.ts';
import type { TimedStep } from '../../src/stack/steps.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const SCENARIO = `
name: masq-address-change
hosts:
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.22/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -o wan -j MASQUERADE
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    listen: [tcp/80]
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
flows:
  - { name: web, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 2, hold: 2 }
`;

test('an address removed from the MASQUERADE interface deletes the connections bound to it', () => {
  const p = prepareScenario(SCENARIO, 'masq.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const steps: TimedStep[] = [];
  const world = new World(p.built.world, { step: (t, s) => void steps.push({ ...s, t }) });
  const results = startFlows(world, p.built.flows);
  let flushed = -1;
  // At t = 1 s the connection is established; the WAN address changes (a new DHCP lease, say).
  world.sched.at(1, () => {
    flushed = world.host('router').setAddresses('wan', [{ addr: (203 << 24) | (113 << 8) | 23, len: 24 }]);
  });
  world.run(5);
  assert.equal(results[0]!.verdict, 'connected');
  assert.equal(flushed, 1);
  assert.ok(
    steps.some(
      (s) =>
        s.kind === 'config' && /203\.0\.113\.22\/24 removed from wan: 1 masqueraded connection/.test(s.text),
    ),
  );
  // The client's FIN at t = 2 s finds no entry: INVALID, not NATed, so it leaves with its own address.
  const fin = steps.find(
    (s) =>
      s.kind === 'packet' && s.host === 'server' && s.dir === 'in' && describeFrame(s.frame).flags === 'F.',
  );
  assert.ok(fin && fin.kind === 'packet');
  assert.equal(describeFrame(fin.frame).src, '192.168.1.10');
  const states = steps
    .filter((s) => s.kind === 'conntrack' && s.host === 'router' && s.t >= 1)
    .map((s) => (s.kind === 'conntrack' ? s.state : ''));
  assert.equal(states[0], 'INVALID');
});
