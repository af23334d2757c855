// The kernel reference vector for MTUs and fragments: line-mtu-fragments-and-frag-needed
// (../shared/reference/kernel/: the run on Linux 6.18 with
// iptables 1.8.9). a -- r -- b, r's side towards b has MTU 1400. A 1450-byte UDP datagram without
// DF (1478 bytes of IP) leaves r as a 1396-byte first fragment (1376 bytes of IP payload, a
// multiple of 8: UDP header + 1368) and a 102-byte one at offset 1376 (82 bytes), TTL 63, the
// ID kept; b reassembles and answers. A 1450-byte ping with DF is dropped by r, which answers
// type 3 code 4 with next-hop MTU 1400 from 10.0.1.1; a then has `cache expires 599sec mtu 1400`
// for b. Here natbox's packets are compared with the reference's `packets`, field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide, type RawPacket } from '../../src/oracle/packets.ts';
import { read16 } from '../../src/wire/checksum.ts';
import { REFERENCE_DIR } from '../conformance/reference.ts';

const REF = new URL('line-mtu-fragments-and-frag-needed/result.json', REFERENCE_DIR);

// The case's topology (case.json), as a scenario: MTU 1400 on r:eth1 only; the reference's MACs.
export const LINE_MTU = `
name: line-mtu-fragments-and-frag-needed
hosts:
  a:
    interfaces: { eth0: { address: 10.0.1.10/24, mac: "02:6f:72:63:01:01" } }
    routes: [default via 10.0.1.1]
  r:
    interfaces:
      eth0: { address: 10.0.1.1/24, mac: "02:6f:72:63:02:01" }
      eth1: { address: 10.0.2.1/24, mac: "02:6f:72:63:02:02", mtu: 1400 }
    sysctls: { net.ipv4.ip_forward: 1 }
  b:
    interfaces: { eth0: { address: 10.0.2.20/24, mac: "02:6f:72:63:03:01" } }
    routes: [default via 10.0.2.1]
    listen: [tcp/80, udp/5000]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
flows:
  - { name: u1, from: a, proto: udp, to: 10.0.2.20:5000, sport: 43100, size: 1450, df: false, timeout: 1, expect: reply }
  - { name: p1, from: a, proto: icmp, to: 10.0.2.20, at: 1, size: 1450, df: true, timeout: 1 }
`;

const OWNERS: Record<string, string> = {
  '02:6f:72:63:01:01': 'a:eth0',
  '02:6f:72:63:02:01': 'r:eth0',
  '02:6f:72:63:02:02': 'r:eth1',
  '02:6f:72:63:03:01': 'b:eth0',
};

/** natbox's packet in the reference's `packets` form (the fields this case has). */
function refForm(p: RawPacket): Record<string, unknown> {
  const ep = (a: string, port: number | undefined) => (port === undefined ? a : `${a}:${port}`);
  const o: Record<string, unknown> = {
    dir: p.dir,
    proto: p.proto,
    src: ep(p.src, p.sport),
    dst: ep(p.dst, p.dport),
  };
  if (p.ipproto !== undefined) o.ipproto = p.ipproto;
  if (p.proto !== 'icmp' && p.len !== undefined) o.len = p.len;
  if (p.frag) o.frag = { ...p.frag };
  if (p.icmpType !== undefined) {
    o.type = p.icmpType;
    o.code = p.icmpCode;
    if (p.icmpId !== undefined) o.id = p.icmpId;
    if (p.icmpSeq !== undefined) o.icmp_seq = p.icmpSeq;
    if (p.mtu !== undefined) o.mtu = p.mtu;
  }
  o.ttl = p.ttl;
  o.lladdr = OWNERS[p.mac ?? ''] ?? p.mac;
  return o;
}

function run() {
  const r = simulateScenario(LINE_MTU, 'line-mtu.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r;
}

test(
  'line-mtu-fragments-and-frag-needed: natbox puts the kernel reference packets on every interface',
  {
    skip: existsSync(REF) ? false : `no kernel reference at ${REF}`,
  },
  () => {
    const ref = JSON.parse(readFileSync(REF, 'utf8')) as {
      packets: Record<string, Record<string, unknown>[]>;
    };
    const r = run();
    const side = natboxSide(
      r.sim.steps.flatMap((s) =>
        s.kind === 'packet' ? [{ t: s.t, host: s.host, ifname: s.ifname, dir: s.dir, frame: s.frame }] : [],
      ),
    );
    for (const [iface, want] of Object.entries(ref.packets)) {
      const wantIp = want
        .filter((p) => p.proto !== 'arp')
        .map((p) => {
          const { n: _n, inner: _i, ...rest } = p;
          return rest;
        });
      const got = side.packets.filter((p) => p.iface === iface).map(refForm);
      assert.deepEqual(got, wantIp, iface);
    }
    // The frag-needed quotes a's echo request (the reference's `inner`, with the echo's type and id).
    const fn = side.packets.find((p) => p.iface === 'a:eth0' && p.icmpType === 3);
    assert.deepEqual(
      fn?.inner,
      ref.packets['a:eth0']!.find((p) => p.proto === 'icmp' && p.type === 3)!.inner,
    );
  },
);

test('line-mtu: the fragments keep the IP ID, and the flows end as on the kernel', () => {
  const r = run();
  const frames = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'r' && s.ifname === 'eth1' && s.dir === 'out',
  );
  const ips = frames.flatMap((s) =>
    s.kind === 'packet' && read16(s.frame, 12) === 0x0800 ? [s.frame.subarray(14)] : [],
  );
  const udpFrags = ips.filter((ip) => ip[9] === 17 && ip[12] === 10 && ip[13] === 0 && ip[14] === 1);
  assert.equal(udpFrags.length, 2);
  assert.equal(read16(udpFrags[0]!, 2), 1396);
  assert.equal(read16(udpFrags[1]!, 2), 102);
  assert.equal(read16(udpFrags[0]!, 4), read16(udpFrags[1]!, 4), 'same IP ID');
  const [u1, p1] = r.sim.results;
  assert.equal(u1!.verdict, 'reply');
  assert.notEqual(p1!.verdict, 'reply');
  assert.equal(p1!.verdict, 'icmp-error'); // the reference's p1 outcome
  assert.match(p1!.detail, /received ICMP type 3 code 4 from 10\.0\.1\.1/);
  // route_after: a learned PMTU 1400 for b, for the next 10 minutes (ip_rt_mtu_expires).
  const a = r.sim.world.host('a');
  const suffix = a.frag.pmtu.routeGetSuffix(0x0a000214, 2);
  assert.equal(suffix, ' cache expires 599sec mtu 1400');
  assert.equal(a.frag.pmtu.routeGetSuffix(0x0a000214, 1 + 600.01), '');
});
