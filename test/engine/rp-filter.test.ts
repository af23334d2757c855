// rp_filter: with strict reverse-path filtering a router drops a packet whose source it would
// reach by another interface (a spoofed or asymmetric source); with 0 it forwards it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { dropWords } from '../../src/trace/drop-words.ts';

const scenario = (rpFilter: number): string => `
name: rp-filter
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24, dmz: 198.51.100.1/24 }
    # The route back to the client's network goes out through the DMZ: asymmetric on purpose.
    routes: [192.168.1.0/25 via 198.51.100.2]
    sysctls: { net.ipv4.ip_forward: 1, net.ipv4.conf.all.rp_filter: ${rpFilter} }
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80]
  dmzhost:
    interfaces: { eth0: 198.51.100.2/24 }
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
  - [dmzhost:eth0, router:dmz]
flows:
  - { name: out through the router, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1.5 }
`;

test('rp_filter=1 drops a packet whose route back leaves by another interface', () => {
  const r = simulateScenario(scenario(1), 'rp.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const drops = r.sim.steps.filter((s) => s.kind === 'drop' && s.host === 'router');
  assert.ok(drops.length >= 1);
  assert.equal(
    drops[0]!.kind === 'drop' && dropWords(drops[0]!),
    'rp_filter=1: the route back to 192.168.1.10 leaves by dmz, not by lan where the packet came in',
  );
  assert.equal(r.sim.results[0]!.verdict, 'timeout');
  const atServer = r.sim.steps.filter((s) => s.kind === 'packet' && s.host === 'server');
  assert.equal(atServer.length, 0);
});

test('rp_filter=0 forwards it (and the answer takes the asymmetric way back)', () => {
  const r = simulateScenario(scenario(0), 'rp.yaml');
  assert.ok(r.ok);
  assert.ok(r.sim.steps.some((s) => s.kind === 'packet' && s.host === 'server' && s.dir === 'in'));
  assert.equal(
    r.sim.steps.filter((s) => s.kind === 'drop' && s.host === 'router' && /rp_filter/.test(dropWords(s)))
      .length,
    0,
  );
});
