// A mark set in PREROUTING of a frame bridged to the router's own bridge MAC, with
// bridge-nf-call-iptables=1, chooses the input route (generator difference gen-1701-79,
// test/conformance/generated/gen-1701-79.yaml). br_nf_pre_routing runs the IPv4 PREROUTING hook
// (net/bridge/br_netfilter_hooks.c); br_nf_pre_routing_finish gives the skb the bridge's fake
// rtable (no DNAT) or routes it itself with ip_route_input (DNAT); br_nf_local_in drops the fake
// rtable, ip_sabotage_in skips the second PREROUTING and ip_rcv_finish → ip_rcv_finish_core, with
// no valid dst, looks the route up with ip_route_input_noref, skb->mark included. The fib rule
// `fwmark 0x3/0x3 lookup 100` then picks table 100, whose blackhole drops the packet in silence
// (fib_lookup -EINVAL → ip_error drops it without an ICMP error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import type { SimResult as SimRun } from '../../src/sim/run.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

function sim(rules: string, flows: string, brnf: 0 | 1 = 1): SimRun {
  const r = simulateScenario(
    `
name: bridge-nf-mark-route
hosts:
  s1:
    interfaces: { eth0: 203.0.113.10/24 }
    routes: ['default via 203.0.113.1']
    listen: [udp/5000]
  h11:
    interfaces: { eth0: 10.1.0.11/24 }
    routes: ['default via 10.1.0.1']
    listen: [udp/5000, tcp/80]
  h12:
    interfaces: { eth0: 10.1.0.12/24 }
    routes: ['default via 10.1.0.1']
  r1:
    interfaces: { wan: 203.0.113.1/24, p1: {}, p2: {} }
    bridges:
      br0: { ports: [p1, p2], addresses: [10.1.0.1/24] }
    routes: ['blackhole default table 100']
    ip_rules: ['fwmark 0x3/0x3 lookup 100 pref 1000']
    sysctls: { net.ipv4.ip_forward: 1, net.bridge.bridge-nf-call-iptables: ${brnf} }
    rules: |
${rules
  .trim()
  .split('\n')
  .map((l) => `      ${l.trim()}`)
  .join('\n')}
links:
  - [s1:eth0, r1:wan]
  - [h11:eth0, r1:p1]
  - [h12:eth0, r1:p2]
flows:
${flows}
`,
    'bridge-nf-mark-route.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

const TO_S1 = `  - { name: f1, from: h12, proto: udp, to: '203.0.113.10:5000', at: 0.3, timeout: 1.5 }`;
const MARK_BR0 = 'iptables -t mangle -A PREROUTING -i br0 -p udp -j MARK --set-mark 0x3';

/** r1's route and drop steps, in words. */
function r1Steps(s: SimRun): string[] {
  const out: string[] = [];
  for (const x of s.steps) {
    if (x.host !== 'r1') continue;
    if (x.kind === 'route') out.push(`route ${x.decision} ${x.dst}${x.why ? ` (${x.why})` : ''}`);
    else if (x.kind === 'drop') out.push(`drop ${x.ifname} ${x.reason}`);
    else if (x.kind === 'packet' && x.ifname === 'wan' && x.dir === 'out') out.push('wan out');
  }
  return out;
}

test('a MARK of the bridged PREROUTING chooses table 100: its blackhole drops the datagram', () => {
  const s = sim(MARK_BR0, TO_S1);
  assert.equal(s.results[0]!.verdict, 'timeout');
  assert.deepEqual(r1Steps(s), [
    'route unreachable 203.0.113.10 (EINVAL: blackhole default (table 100, rule 1000), mark 0x3)',
    `drop br0 ${DropReason.IP_INNOROUTES}`,
  ]);
  // A blackhole drops in silence (ip_error: EINVAL sends nothing).
  assert.ok(!s.steps.some((x) => x.kind === 'icmp-sent'));
});

test('without the mark the main table forwards it', () => {
  const s = sim('iptables -A INPUT -j ACCEPT', TO_S1);
  assert.equal(s.results[0]!.verdict, 'reply');
  assert.equal(r1Steps(s)[0], 'route forward 203.0.113.10');
});

test('bridge netfilter off: the PREROUTING ip_rcv runs on br0 marks it, and the route drops it all the same', () => {
  const s = sim(MARK_BR0, TO_S1, 0);
  assert.equal(s.results[0]!.verdict, 'timeout');
  assert.deepEqual(r1Steps(s), [
    'route unreachable 203.0.113.10 (EINVAL: blackhole default (table 100, rule 1000), mark 0x3)',
    `drop br0 ${DropReason.IP_INNOROUTES}`,
  ]);
});

test('the same with the mark set by an nft prerouting filter chain, and by -m physdev --physdev-in', () => {
  for (const rules of [
    `nft add table ip t
     nft add chain ip t pre '{ type filter hook prerouting priority -150; }'
     nft add rule ip t pre iifname br0 meta l4proto udp meta mark set 0x3`,
    'iptables -t mangle -A PREROUTING -m physdev --physdev-in p2 -p udp -j MARK --set-mark 0x3',
  ]) {
    const s = sim(rules, TO_S1);
    assert.equal(s.results[0]!.verdict, 'timeout', rules);
    assert.match(r1Steps(s)[0]!, /blackhole default \(table 100, rule 1000\), mark 0x3/);
  }
});

test('-i p2 does not match in the bridged PREROUTING (the in-device is br0): no mark, forwarded', () => {
  const s = sim('iptables -t mangle -A PREROUTING -i p2 -p udp -j MARK --set-mark 0x3', TO_S1);
  assert.equal(s.results[0]!.verdict, 'reply');
});

test('a frame bridged through (h12 to h11) is not routed: the mark does not drop it', () => {
  const s = sim(
    MARK_BR0,
    `  - { name: f1, from: h12, proto: udp, to: '10.1.0.11:5000', at: 0.3, timeout: 1.5 }`,
  );
  assert.equal(s.results[0]!.verdict, 'reply');
  assert.deepEqual(r1Steps(s), []);
});

test("after DNAT, br_nf_pre_routing_finish's own ip_route_input uses the mark: blackhole, not bridged back", () => {
  const dnat =
    'iptables -t nat -A PREROUTING -i br0 -d 10.1.0.1 -p tcp --dport 8080 -j DNAT --to-destination 10.1.0.11:80';
  const flow = `  - { name: f1, from: h12, proto: tcp, to: '10.1.0.1:8080', at: 0.3, timeout: 1.5 }`;
  const plain = sim(dnat, flow);
  assert.equal(plain.results[0]!.verdict, 'connected');
  assert.ok(
    plain.steps.some((x) => x.kind === 'route' && x.host === 'r1' && x.decision === 'bridge'),
    'bridged to h11 (bridged_dnat)',
  );
  const marked = sim(`${dnat}\niptables -t mangle -A PREROUTING -i br0 -p tcp -j MARK --set-mark 0x3`, flow);
  assert.equal(marked.results[0]!.verdict, 'timeout');
  assert.equal(
    r1Steps(marked)[0],
    'route unreachable 10.1.0.11 (EINVAL: blackhole default (table 100, rule 1000), mark 0x3)',
  );
});

test('a frame bridged through whose destination DNAT changed is routed: up to r1, out of wan, answered', () => {
  const s = sim(
    'iptables -t nat -A PREROUTING -i br0 -d 10.1.0.11 -p udp --dport 7000 -j DNAT --to-destination 203.0.113.10:5000',
    `  - { name: f1, from: h12, proto: udp, to: '10.1.0.11:7000', at: 0.3, timeout: 1.5 }`,
  );
  // br_nf_pre_routing_finish: ip_route_input finds wan, not br0; the frame takes br0's MAC and
  // goes up (ip_forward), and the answer comes back from the address h12 asked.
  assert.equal(s.results[0]!.verdict, 'reply');
  assert.equal(s.results[0]!.serverSaw, '10.1.0.12:40000');
  assert.equal(s.results[0]!.replyFrom, '10.1.0.11:7000');
  assert.equal(r1Steps(s)[0], 'route forward 203.0.113.10');
  const h11In = s.steps.filter((x) => x.kind === 'packet' && x.host === 'h11' && x.dir === 'in');
  assert.ok(
    h11In.every((x) => x.kind === 'packet' && x.frame[12] === 0x08 && x.frame[13] === 0x06),
    'h11 gets only ARP',
  );
});
