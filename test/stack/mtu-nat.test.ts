// Fragmentation needed through NAT, the PMTU black hole and its TCPMSS fix, in the simulator
// (the same scenarios `natbox verify` runs on the kernel: test/conformance/extra/
// pmtu-frag-needed-through-nat.yaml, examples/pmtu/). What Linux does there: the router with the
// small link answers fragmentation needed with its next-hop MTU (ip_forward), the masquerading
// router relates it to the connection and translates outer and quoted header back
// (nf_nat_icmp_reply_translation), the client's TCP learns the PMTU and resends at once in
// segments that fit (tcp_v4_mtu_reduced); dropped ICMP stalls the request; TCPMSS
// --clamp-mss-to-pmtu lowers the SYNs' MSS to 1400 - 40.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide } from '../../src/oracle/packets.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

function side(file: string) {
  const r = simulateScenario(readFileSync(file, 'utf8'), file);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const s = natboxSide(
    r.sim.steps.flatMap((x) =>
      x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
    ),
  );
  return { r, packets: s.packets };
}

test('fragmentation needed is translated back through MASQUERADE, and TCP resends in segments that fit', () => {
  const { r, packets } = side('test/conformance/extra/pmtu-frag-needed-through-nat.yaml');
  const errs = packets.filter((p) => p.iface === 'client:eth0' && p.dir === 'in' && p.icmpType === 3);
  assert.deepEqual(
    errs.map((p) => [p.src, p.dst, p.icmpCode, p.mtu, p.inner?.src, p.inner?.dst]),
    [
      ['198.51.100.1', '192.168.1.10', 4, 1400, '192.168.1.10', '203.0.113.81'],
      ['198.51.100.1', '192.168.1.10', 4, 1400, '192.168.1.10:41000', '203.0.113.80:80'],
    ],
  );
  const data = packets.filter(
    (p) => p.iface === 'client:eth0' && p.dir === 'out' && p.proto === 'tcp' && (p.len ?? 0) > 0,
  );
  assert.deepEqual(
    data.map((p) => [p.len, p.flags]),
    [
      [1420, 'P.'],
      [1348, '.'],
      [72, 'P.'],
    ],
  );
  const client = r.sim.world.host('client');
  assert.equal(client.frag.pmtu.routeGetSuffix(0xcb007150, 2), ' cache expires 599sec mtu 1400');
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['icmp-error', 'connected'],
  );
  assert.equal(r.sim.results[1]!.serverSaw, '198.51.100.2:41000');
});

test('PMTU black hole: the frag-needed is dropped, the request never arrives; TCPMSS clamping fixes it', () => {
  const hole = side('examples/pmtu/blackhole.yaml');
  assert.equal(
    hole.packets.filter((p) => p.iface === 'client:eth0' && p.icmpType === 3).length,
    0,
    'no ICMP reaches the client',
  );
  assert.equal(hole.r.sim.results[0]!.serverSaw, undefined);
  assert.equal(hole.r.sim.world.host('client').frag.pmtu.routeGetSuffix(0xcb007150, 1), '');
  const fix = side('examples/pmtu/blackhole-tcpmss-fix.yaml');
  const syns = fix.packets.filter((p) => p.proto === 'tcp' && p.syn && p.dir === 'in');
  assert.deepEqual(
    syns.map((p) => [p.iface, p.opts]),
    [
      ['fw:lan', 'mss1460,sackOK,ts,ws'],
      ['isp:eth0', 'mss1460,sackOK,ts,ws'],
      ['server:eth0', 'mss1360,sackOK,ts,ws'],
      ['isp:eth1', 'mss1460,sackOK,ts,ws'],
      ['fw:wan', 'mss1360,sackOK,ts,ws'],
      ['client:eth0', 'mss1360,sackOK,ts,ws'],
    ],
  );
  const data = fix.packets.filter(
    (p) => p.iface === 'server:eth0' && p.dir === 'in' && p.proto === 'tcp' && (p.len ?? 0) > 0,
  );
  assert.deepEqual(
    data.map((p) => p.len),
    [1348, 72],
  );
  assert.equal(fix.r.sim.results[0]!.serverSaw, '198.51.100.2:41000');
  assert.equal(fix.r.sim.results[1]!.verdict, 'timeout');
});

test('conntrack reassembles before NAT and the datagram leaves in the fragments it came in; isp cuts each again', () => {
  const { r, packets } = side('test/conformance/extra/pmtu-defrag-through-nat.yaml');
  const ipLen = (p: { len?: number; proto: string; frag?: { offset: number } }) =>
    p.proto === 'ip-fragment' ? (p.len ?? 0) + 20 : (p.len ?? 0) + 28;
  const out = (iface: string) =>
    packets
      .filter((p) => p.iface === iface && p.dir === 'out' && p.frag)
      .map((p) => [p.src, ipLen(p), p.frag!.offset]);
  assert.deepEqual(out('client:eth0'), [
    ['192.168.1.10', 1500, 0],
    ['192.168.1.10', 1500, 1480],
    ['192.168.1.10', 68, 2960],
  ]);
  // MASQUERADE rewrote the whole datagram; frag_max_size keeps the sizes.
  assert.deepEqual(out('fw:wan'), [
    ['198.51.100.2', 1500, 0],
    ['198.51.100.2', 1500, 1480],
    ['198.51.100.2', 68, 2960],
  ]);
  // isp has no conntrack: each fragment is forwarded, the long ones cut to its MTU 1400.
  assert.deepEqual(out('isp:eth1'), [
    ['198.51.100.2', 1396, 0],
    ['198.51.100.2', 124, 1376],
    ['198.51.100.2', 1396, 1480],
    ['198.51.100.2', 124, 2856],
    ['198.51.100.2', 68, 2960],
  ]);
  assert.equal(r.sim.results[0]!.serverSaw, '198.51.100.2:41000');
});

test('a veth drops a frame longer than its own MTU allows (is_skb_forwardable), unseen by captures', () => {
  const text = `
name: veth-mtu-mismatch
hosts:
  a: { interfaces: { eth0: 10.0.0.1/24 } }
  b: { interfaces: { eth0: { address: 10.0.0.2/24, mtu: 1400 } }, listen: [udp/5000] }
links: [[a:eth0, b:eth0]]
flows:
  - { name: big, from: a, proto: udp, to: 10.0.0.2:5000, size: 1450, df: false, timeout: 1, expect: timeout }
  - { name: fits, from: a, proto: udp, to: 10.0.0.2:5000, sport: 40001, at: 1, size: 1350, timeout: 1, expect: reply }
`;
  const r = simulateScenario(text, 'veth.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['timeout', 'reply'],
  );
  const seenByB = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'b' && s.dir === 'in' && s.frame.length > 1418,
  );
  assert.equal(seenByB.length, 0);
  assert.equal(r.sim.world.host('b').drops[DropReason.PKT_TOO_BIG], 1);
});
