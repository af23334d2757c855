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
    ['unreachable', 'connected'],
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
