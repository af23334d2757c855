// Policy routing in the simulated stack, against the kernel reference runs
// client-somark-fwmark-rule and line-ip-rule-table-and-blackhole (../shared/reference/kernel/:
// what the kernel did is in each case's result.json): a socket's SO_MARK chooses the table and the
// source address from the first packet on; a router answers a packet routed by `unreachable` with
// ICMP host unreachable (type 3 code 1), drops it in silence for `blackhole`, and a `prohibit`
// route gives code 13 (ip_error). The flows that need a bound source (`src`) in the reference run
// come here from a second client with that address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const SOMARK = `
name: somark
hosts:
  a:
    interfaces: { eth0: 10.0.1.10/24, eth1: 10.0.3.10/24 }
    routes: [default via 10.0.1.1, default via 10.0.3.1 table 200]
    ip_rules: [fwmark 0x2 lookup 200 pref 1000]
  r:
    interfaces: { eth0: 10.0.1.1/24, eth1: 10.0.2.1/24, eth2: 10.0.3.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
  b:
    interfaces: { eth0: 10.0.2.20/24 }
    routes: [default via 10.0.2.1]
    listen: [tcp/80, udp/5000]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
  - [a:eth1, r:eth2]
flows:
  - { name: t1, from: a, proto: tcp, to: 10.0.2.20:80, sport: 44000 }
  - { name: t2, from: a, proto: tcp, to: 10.0.2.20:80, sport: 44001, at: 0.5, mark: "0x2" }
  - { name: u3, from: a, proto: udp, to: 10.0.2.20:5000, sport: 44002, at: 1, mark: 2 }
`;

function run(text: string): ReturnType<typeof simulateScenario> & { ok: true } {
  const r = simulateScenario(text, 'x.yaml', { seed: 1 });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r;
}

test('SO_MARK: the marked socket is routed by table 200 from its first packet, with eth1 as source (client-somark-fwmark-rule)', () => {
  const r = run(SOMARK);
  const seen = r.sim.results.map((f) => [f.flow.name, f.verdict, f.serverSaw]);
  assert.deepEqual(seen, [
    ['t1', 'connected', '10.0.1.10:44000'],
    ['t2', 'connected', '10.0.3.10:44001'],
    ['u3', 'reply', '10.0.3.10:44002'],
  ]);
  // Every packet of the marked flows leaves a by eth1 (none by eth0 with the eth1 source).
  const out = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'a' && s.dir === 'out' && s.frame[12] === 8 && s.frame[13] === 0,
  );
  for (const s of out) {
    const st = s as unknown as { ifname: string; frame: Uint8Array };
    const src = st.frame.subarray(26, 30).join('.');
    assert.equal(st.ifname, src === '10.0.3.10' ? 'eth1' : 'eth0', `${src} left by ${st.ifname}`);
  }
});

test('ip rule from A lookup 100 with unreachable default; blackhole and prohibit routes (line-ip-rule-table-and-blackhole)', () => {
  const r = run(`
name: rules
hosts:
  a:
    interfaces: { eth0: 10.0.1.10/24 }
    routes: [default via 10.0.1.1]
  a2:
    interfaces: { eth0: 10.0.1.11/24 }
    routes: [default via 10.0.1.1]
  r:
    interfaces: { eth0: 10.0.1.1/24, eth1: 10.0.2.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    routes: [unreachable default table 100, blackhole 10.0.2.30/32, prohibit 10.0.2.40/32]
    ip_rules: [from 10.0.1.11 lookup 100 pref 1000]
  b:
    interfaces: { eth0: [10.0.2.20/24, 10.0.2.30/24, 10.0.2.40/24] }
    routes: [default via 10.0.2.1]
    listen: [tcp/80, udp/5000]
links:
  - { name: lan, connect: [a:eth0, a2:eth0, r:eth0] }
  - [r:eth1, b:eth0]
flows:
  - { name: p1, from: a, proto: icmp, to: 10.0.2.20, timeout: 0.8 }
  - { name: p2, from: a2, proto: icmp, to: 10.0.2.20, timeout: 0.8, at: 1 }
  - { name: u3, from: a2, proto: udp, to: 10.0.2.20:5000, sport: 43300, timeout: 0.8, at: 2 }
  - { name: t4, from: a2, proto: tcp, to: 10.0.2.20:80, sport: 43301, timeout: 0.8, at: 3 }
  - { name: p5, from: a, proto: icmp, to: 10.0.2.30, timeout: 0.8, at: 4 }
  - { name: t6, from: a, proto: tcp, to: 10.0.2.40:80, sport: 43302, timeout: 0.8, at: 5 }
`);
  assert.deepEqual(
    r.sim.results.map((f) => [f.flow.name, f.verdict]),
    [
      ['p1', 'reply'],
      ['p2', 'icmp-error'], // type 3 code 1 from 10.0.1.1 (result.json)
      ['u3', 'timeout'], // a connected UDP socket does not report host unreachable (result.json)
      ['t4', 'error'], // EHOSTUNREACH at once (result.json)
      ['p5', 'timeout'], // the blackhole: nothing comes back
      ['t6', 'error'], // EHOSTUNREACH: ICMP code 13 (admin prohibited) for the SYN
    ],
  );
  // The ICMP errors r sent: type 3 code 1 (host unreachable) for .11's three packets, code 13
  // for the prohibit route, none for the blackhole.
  const icmp = r.sim.steps
    .filter((s) => s.kind === 'packet' && s.host === 'r' && s.dir === 'out')
    .map((s) => (s as unknown as { frame: Uint8Array }).frame)
    .filter((f) => f[12] === 8 && f[13] === 0 && f[23] === 1 && f[34] === 3)
    .map((f) => `${f.subarray(30, 34).join('.')} code ${f[35]}`);
  assert.deepEqual(icmp, ['10.0.1.11 code 1', '10.0.1.11 code 1', '10.0.1.11 code 1', '10.0.1.10 code 13']);
});
