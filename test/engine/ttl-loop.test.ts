// A routing loop ends as Linux ends it: the TTL runs out, the router where it does sends ICMP time
// exceeded, and the client's connect() fails. The simulation stops by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const LOOP = `
name: routing-loop
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  r1:
    interfaces: { lan: 192.168.1.1/24, link: 198.51.100.1/30 }
    routes: [default via 198.51.100.2]
    sysctls: { net.ipv4.ip_forward: 1 }
  r2:
    interfaces: { link: 198.51.100.2/30 }
    routes: [default via 198.51.100.1]
    sysctls: { net.ipv4.ip_forward: 1 }
links:
  - [client:eth0, r1:lan]
  - [r1:link, r2:link]
flows:
  - { name: into the loop, from: client, proto: tcp, to: 203.0.113.9:80, sport: 40000, timeout: 1.5, expect: unreachable }
`;

test('a routing loop ends with ICMP time exceeded, and the client gives up', () => {
  const r = simulateScenario(LOOP, 'loop.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.equal(r.sim.complete, true);
  const [f] = r.sim.results;
  // tcp_v4_err: time exceeded for a SYN ends connect() with EHOSTUNREACH.
  assert.equal(f!.verdict, 'error');
  assert.equal(f!.errno, 'EHOSTUNREACH');
  assert.match(f!.detail, /time exceeded/);
  // The SYN crossed the r1–r2 link until its TTL ran out: 64 hops minus the first at r1.
  const onLoop = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'r2' && s.dir === 'in' && describeFrame(s.frame).proto === 'tcp',
  );
  assert.equal(onLoop.length, 32);
  const ttls = onLoop.map((s) => (s.kind === 'packet' ? describeFrame(s.frame).ttl : 0));
  assert.equal(ttls[0], 63);
  assert.equal(ttls.at(-1), 1);
  const errs = r.sim.steps.filter((s) => s.kind === 'icmp-sent');
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.host, 'r2');
});
