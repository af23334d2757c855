// An address conflict inside one segment (issue 14 point 3): two hosts with the same address on a
// switch both answer ARP for it, and the asking host keeps the FIRST answer (net/ipv4/arp.c
// arp_process: "If several different ARP replies follows back-to-back, use the FIRST one": a
// reply with another MAC overrides only past net.ipv4.neigh.DEV.locktime, 1 s, since the entry
// last changed, or when it is a gratuitous ARP; __neigh_update leaves the valid entry alone).
// Which answer comes first is a race in principle; on veth the switch (a bridge) floods the
// request to its ports newest first (br_add_if puts each at the head of port_list) and the chain
// runs in one CPU's backlog, so the host listed last answers first: d2 (Linux 6.18, 3 runs of
// test/conformance/extra/neigh-address-conflict.yaml). The loader warns about the conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame, arpText } from '../../src/trace/frame.ts';

const scenario = () => `
name: conflict
hosts:
  c:
    interfaces: { eth0: 10.0.0.1/24 }
  d1:
    interfaces: { eth0: 10.0.0.50/24 }
  d2:
    interfaces: { eth0: 10.0.0.50/24 }
links:
  - { name: sw, connect: [c:eth0, d1:eth0, d2:eth0] }
flows:
  - { name: p1, from: c, proto: icmp, to: 10.0.0.50, timeout: 0.4, expect: reply }
  - { name: p2, from: c, proto: icmp, to: 10.0.0.50, at: 0.5, timeout: 0.4, expect: reply }
  - { name: p3, from: c, proto: icmp, to: 10.0.0.50, at: 3, timeout: 0.4, expect: reply }
`;

/** Who got c's echo requests, in order; c's ARP frames in. */
const run = (text: string) => {
  const r = simulateScenario(text, 'conflict.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const pings: string[] = [];
  const replies: string[] = [];
  for (const s of r.sim.steps) {
    if (s.kind !== 'packet' || s.dir !== 'in') continue;
    const f = describeFrame(s.frame);
    if (f.proto === 'arp' && s.host === 'c') replies.push(arpText(f));
    if (f.proto === 'icmp' && s.host !== 'c' && f.ether.src !== undefined) pings.push(s.host);
  }
  return { pings, replies, warnings: r.warnings };
};

test('both hosts answer; the first answer is kept for locktime and past it (no override by a repeat)', () => {
  const { pings, replies, warnings } = run(scenario());
  assert.deepEqual(warnings, [
    'address 10.0.0.50 is on both d1 eth0 and d2 eth0, on the same segment: an address conflict (both answer ARP for it, as on Linux)',
  ]);
  // Both answers reach c (one MAC each).
  assert.equal(replies.filter((x) => x.includes('10.0.0.50 is-at')).length, 2);
  assert.notEqual(replies[0], replies[1]);
  // Every echo request goes to the first answerer (d2, flooded to first): the second answer came
  // within locktime of the resolution and was ignored, and nothing else changed the entry since.
  assert.deepEqual(pings, ['d2', 'd2', 'd2']);
});
