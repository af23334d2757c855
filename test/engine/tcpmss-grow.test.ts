// TCPMSS that adds an MSS option makes a packet 4 bytes longer: the host must send the grown packet,
// routed and bridged (br_netfilter). A rule without a SYN match (iptables-nft takes it, as
// test/kernel/tcpmss.test.ts measures) gives every pure ACK an MSS option of 536 on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import type { SimResult as SimRun } from '../../src/sim/run.ts';

const RULE = 'iptables -t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 1200';

function sim(text: string): SimRun {
  const r = simulateScenario(text, 'tcpmss.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

/** The TCP frames `host` received, as tcpdump-style summaries. */
const received = (s: SimRun, host: string): string[] => {
  const out: string[] = [];
  for (const x of s.steps) {
    if (x.kind !== 'packet' || x.host !== host || x.dir !== 'in') continue;
    const f = describeFrame(x.frame);
    if (f.proto === 'tcp') out.push(f.summary);
  }
  return out;
};

test('TCPMSS adds an MSS option to forwarded ACKs: the routed packet leaves 4 bytes longer', () => {
  const s = sim(`
name: grow-routed
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      ${RULE}
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80]
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
flows:
  - { name: web, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1.5 }
`);
  assert.equal(s.results[0]!.verdict, 'connected');
  const atServer = received(s, 'server');
  assert.match(atServer[0]!, /options \[mss 1200,/, 'the SYN: lowered');
  assert.ok(
    atServer.slice(1).some((l) => /Flags \[\.\].*options \[mss 536,nop,nop,TS/.test(l)),
    atServer.join('\n'),
  );
  const atClient = received(s, 'client');
  assert.match(atClient[0]!, /Flags \[S\.\].*options \[mss 1200,/, 'the SYN-ACK: lowered on the way back');
});

test('TCPMSS adds an MSS option to bridged ACKs (br_netfilter): the frame grows with the packet', () => {
  const s = sim(`
name: grow-bridged
hosts:
  bridge:
    interfaces: { p1: {}, p2: {} }
    bridges:
      br0: { ports: [p1, p2], addresses: [192.168.1.1/24] }
    sysctls: { net.bridge.bridge-nf-call-iptables: 1 }
    rules: |
      ${RULE}
  client:
    interfaces: { eth0: 192.168.1.10/24 }
  server:
    interfaces: { eth0: 192.168.1.20/24 }
    listen: [tcp/80]
links:
  - [client:eth0, bridge:p1]
  - [server:eth0, bridge:p2]
flows:
  - { name: web, from: client, proto: tcp, to: 192.168.1.20:80, sport: 40000, timeout: 1.5 }
`);
  assert.equal(s.results[0]!.verdict, 'connected');
  const atServer = received(s, 'server');
  assert.match(atServer[0]!, /options \[mss 1200,/);
  assert.ok(
    atServer.slice(1).some((l) => /Flags \[\.\].*options \[mss 536,nop,nop,TS/.test(l)),
    atServer.join('\n'),
  );
});
