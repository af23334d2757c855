// REJECT --reject-with tcp-reset of a packet that came in by a bridge port with
// bridge-nf-call-iptables=1 (nf_send_reset's CONFIG_BRIDGE_NETFILTER branch in
// net/ipv4/netfilter/nf_reject_ipv4.c): the RST leaves by the physical in-port with the rejected
// frame's Ethernet addresses swapped; it never crosses the bridge device, no OUTPUT/POSTROUTING
// rule sees it and NAT does not translate it. The live check is
// test/conformance/extra/reject-reset-bridge-port.yaml (hunter finding N1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import { formatMac } from '../../src/wire/addr.ts';
import type { SimResult as SimRun } from '../../src/sim/run.ts';

function sim(brnf: 0 | 1, extraRules = ''): SimRun {
  const r = simulateScenario(
    `
name: reject-bridge-port
hosts:
  router:
    interfaces: { lan1: {}, lan2: {}, wan: { addresses: [203.0.113.1/24] } }
    bridges:
      br-lan: { ports: [lan1, lan2], addresses: [192.168.1.1/24] }
    sysctls: { net.ipv4.ip_forward: 1, net.bridge.bridge-nf-call-iptables: ${brnf} }
    rules: |
      iptables -t nat -A PREROUTING -i br-lan -d 203.0.113.1 -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.20:80
      iptables -A FORWARD -p tcp --dport 80 -j REJECT --reject-with tcp-reset
      ${extraRules}
  c1:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  nas:
    interfaces: { eth0: 192.168.1.20/24 }
    routes: [default via 192.168.1.1]
    listen: [tcp/80]
  s1:
    interfaces: { eth0: 203.0.113.10/24 }
    listen: [tcp/80]
links:
  - [c1:eth0, router:lan1]
  - [nas:eth0, router:lan2]
  - [router:wan, s1:eth0]
flows:
  - { name: wan, from: c1, proto: tcp, to: '203.0.113.10:80', sport: 40001, timeout: 1.5 }
  - { name: fwd, from: c1, proto: tcp, to: '203.0.113.1:8080', sport: 40002, at: 2, timeout: 1.5 }
`,
    'reject-bridge-port.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

/** The router's RST frames: interface, direction, MACs and summary. */
function resets(s: SimRun): string[] {
  const out: string[] = [];
  for (const x of s.steps) {
    if (x.kind !== 'packet' || x.host !== 'router') continue;
    const f = describeFrame(x.frame);
    if (f.proto === 'tcp' && /Flags \[R/.test(f.summary))
      out.push(`${x.ifname} ${x.dir} ${formatMac(x.frame, 6)} > ${formatMac(x.frame, 0)} ${f.summary}`);
  }
  return out;
}

test('bridge netfilter on: the reset leaves by the in-port with the frame addresses swapped, untranslated', () => {
  const s = sim(1, 'iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP');
  const mac = (host: string, dev: string): string => formatMac(s.world.host(host).ifaces.get(dev)!.mac, 0);
  const r = resets(s);
  // The port forward's SYN is sent again after 1 s (its reset is not taken) and rejected again.
  assert.equal(r.length, 3, r.join('\n'));
  assert.equal(r[2], r[1]);
  assert.match(r[0]!, /^lan1 out /);
  assert.ok(r[0]!.includes(`${mac('router', 'br-lan')} > ${mac('c1', 'eth0')}`), r[0]);
  assert.match(r[0]!, /203\.0\.113\.10\.80 > 192\.168\.1\.10\.40001: Flags \[R\.\]/);
  // The port forward's reset keeps the server's address (no hook, so no NAT on the way out). Its
  // SYN was bridged to nas after DNAT (br_nf_pre_routing_finish's bridged_dnat), so the frame
  // REJECT saw was addressed to nas's MAC, which the reset takes as its source.
  assert.match(r[1]!, /^lan1 out .*192\.168\.1\.20\.80 > 192\.168\.1\.10\.40002: Flags \[R\.\]/);
  assert.ok(r[1]!.includes(`${mac('nas', 'eth0')} > ${mac('c1', 'eth0')}`), r[1]);
  assert.equal(s.results[0]!.verdict, 'refused', 'the OUTPUT DROP of resets does not see it');
  assert.equal(s.results[1]!.verdict, 'timeout', "c1's socket does not take a reset from 192.168.1.20");
});

test('bridge netfilter off: the reset is a local packet: through br-lan, OUTPUT and NAT', () => {
  const s = sim(0);
  const r = resets(s);
  assert.deepEqual(
    r.map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['br-lan out', 'lan1 out', 'br-lan out', 'lan1 out'],
    r.join('\n'),
  );
  assert.match(r[3]!, /203\.0\.113\.1\.8080 > 192\.168\.1\.10\.40002: Flags \[R\.\]/, 'translated back');
  assert.equal(s.results[0]!.verdict, 'refused');
  assert.equal(s.results[1]!.verdict, 'refused');
});
