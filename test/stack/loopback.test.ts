// A host's traffic to itself, step by step (src/stack/loopback.ts): out through OUTPUT and
// POSTROUTING, in again on lo through PREROUTING and INPUT with the conntrack entry it left with;
// OUTPUT DNAT/REDIRECT to a local address and to a remote one; route_localnet. The expected packets
// and entries are what Linux 6.18 gave for the same situations (`natbox verify` on the scenarios in
// test/conformance/extra/loopback-*.yaml; by hand in network namespaces for the nat counters: a
// loopback connection's packets leave the nat table's PREROUTING and INPUT counters at 0, and
// tcpdump -i any shows each loopback packet once, `lo In`, as POSTROUTING left it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareScenario, simulateScenario } from '../../src/scenario/simulate.ts';
import { simulate } from '../../src/sim/run.ts';
import { natboxSide } from '../../src/oracle/packets.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';
import { dropWords } from '../../src/trace/drop-words.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import type { DropStep } from '../../src/stack/steps.ts';

function run(yaml: string) {
  const r = simulateScenario(yaml, 'loopback.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const frames = r.sim.steps.flatMap((x) =>
    x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
  );
  const packets = natboxSide(frames).packets;
  /** The packets on one interface as `src > dst [flags]` (tcpdump's order of fields). */
  const on = (iface: string): string[] =>
    packets
      .filter((p) => p.iface === iface)
      .map(
        (p) =>
          `${p.dir} ${p.src}${p.sport !== undefined ? `:${p.sport}` : ''} > ${p.dst}${p.dport !== undefined ? `:${p.dport}` : ''}${p.flags !== undefined ? ` [${p.flags}]` : ''}`,
      );
  return { r, sim: r.sim, on };
}

const OWN = `
hosts:
  h:
    interfaces: { eth0: 10.0.0.1/24 }
    listen: [tcp/80]
    rules: |
      iptables -P INPUT DROP
      iptables -A INPUT -i lo -m conntrack --ctstate NEW -j ACCEPT
      iptables -A INPUT -i lo -m conntrack --ctstate ESTABLISHED -j ACCEPT
      iptables -t nat -A PREROUTING -i lo -j DNAT --to-destination 10.0.0.99
      iptables -t nat -A INPUT -i lo -j SNAT --to-source 10.0.0.99
  p: { interfaces: { eth0: 10.0.0.2/24 } }
links: [[h:eth0, p:eth0]]
flows:
  - { name: own, from: h, proto: tcp, to: 10.0.0.1:80, sport: 40000, hold: 0.2 }
`;

test('a connection to the own address: each packet once on lo, PREROUTING and INPUT see the entry it left with', () => {
  const { sim, on } = run(OWN);
  assert.equal(sim.results[0]!.verdict, 'connected');
  assert.equal(sim.results[0]!.serverSaw, '10.0.0.1:40000');
  const c = '10.0.0.1:40000';
  const s = '10.0.0.1:80';
  assert.deepEqual(on('h:lo'), [
    `in ${c} > ${s} [S]`,
    `in ${s} > ${c} [S.]`,
    `in ${c} > ${s} [.]`,
    `in ${c} > ${s} [P.]`,
    `in ${s} > ${c} [.]`,
    `in ${s} > ${c} [P.]`,
    `in ${c} > ${s} [.]`,
    `in ${c} > ${s} [F.]`,
    `in ${s} > ${c} [F.]`,
    `in ${c} > ${s} [.]`,
  ]);
  assert.deepEqual(on('h:eth0'), []);
  // The SYN's way, in order: conntrack makes the entry at OUTPUT, POSTROUTING confirms it, and on lo
  // PREROUTING finds it attached (not created again) and INPUT sees NEW.
  const syn = sim.steps.findIndex((x) => x.kind === 'packet' && x.ifname === 'lo');
  const before = sim.steps.slice(0, syn).filter((x) => x.host === 'h');
  const ctOut = before.find((x) => x.kind === 'conntrack');
  assert.deepEqual(
    ctOut && [ctOut.kind === 'conntrack' && ctOut.hook, ctOut.kind === 'conntrack' && ctOut.created],
    ['OUTPUT', true],
  );
  assert.ok(
    before.some((x) => x.kind === 'ct-event' && x.event === 'NEW'),
    'confirmed before lo',
  );
  const after = sim.steps.slice(syn + 1, syn + 8);
  const ctIn = after.find((x) => x.kind === 'conntrack');
  assert.ok(ctIn?.kind === 'conntrack');
  assert.deepEqual([ctIn.hook, ctIn.state, ctIn.created], ['PREROUTING', 'NEW', false]);
  const rule = after.find((x) => x.kind === 'rule');
  assert.ok(rule?.kind === 'rule');
  assert.deepEqual([rule.hook, rule.table, rule.chain, rule.index], ['INPUT', 'filter', 'INPUT', 1]);
  // nat PREROUTING and INPUT never run for a loopback packet (each manip type was bound at OUTPUT
  // and POSTROUTING): their DNAT/SNAT to 10.0.0.99 would have broken the connection.
  assert.ok(!sim.steps.some((x) => x.kind === 'rule' && x.table === 'nat'));
  // One entry, as conntrack -L shows it on Linux.
  assert.deepEqual(
    sim.world
      .host('h')
      .conntrackList()
      .map((l) => l.replace(/ \d+ TIME_WAIT/, ' TIME_WAIT')),
    [
      'tcp      6 TIME_WAIT src=10.0.0.1 dst=10.0.0.1 sport=40000 dport=80 src=10.0.0.1 dst=10.0.0.1 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    ],
  );
});

test("127.0.0.0/8: the source is 127.0.0.1 (the local route's), INPUT on lo decides", () => {
  const { sim, on } = run(`
hosts:
  h:
    interfaces: { eth0: 10.0.0.1/24 }
    listen: [tcp/80, udp/5001]
    rules: |
      iptables -A INPUT -i lo -p udp --dport 5001 -j DROP
      iptables -A INPUT -i lo -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
links: []
flows:
  - { name: t, from: h, proto: tcp, to: 127.0.0.9:80, sport: 40000, hold: 0.2 }
  - { name: u, from: h, proto: udp, to: 127.0.0.1:5001, sport: 40001, at: 1, timeout: 1 }
  - { name: i, from: h, proto: icmp, to: 127.0.0.5, at: 3 }
`);
  assert.deepEqual(
    sim.results.map((x) => [x.verdict, x.serverSaw]),
    [
      ['connected', '127.0.0.1:40000'],
      ['timeout', undefined],
      ['reply', undefined],
    ],
  );
  const lo = on('h:lo');
  assert.equal(lo[0], 'in 127.0.0.1:40000 > 127.0.0.9:80 [S]');
  assert.equal(lo[1], 'in 127.0.0.9:80 > 127.0.0.1:40000 [S.]');
  assert.ok(lo.includes('in 127.0.0.1:40001 > 127.0.0.1:5001'));
  assert.deepEqual(lo.slice(-2), ['in 127.0.0.1 > 127.0.0.5', 'in 127.0.0.5 > 127.0.0.1']);
});

const DNAT_LOCAL = `
hosts:
  laptop:
    interfaces: { eth0: 198.51.100.10/24 }
    listen: [tcp/8080]
    rules: |
      iptables -t nat -A OUTPUT -d 198.51.100.80 -p tcp --dport 80 -j DNAT --to-destination 127.0.0.1:8080
      iptables -t nat -A POSTROUTING -o lo -j SNAT --to-source 127.0.0.7
  web: { interfaces: { eth0: 198.51.100.80/24 }, listen: [tcp/80] }
links: [[laptop:eth0, web:eth0]]
flows:
  - { name: d, from: laptop, proto: tcp, to: 198.51.100.80:80, sport: 40000, hold: 0.2 }
`;

test('nat OUTPUT DNAT to 127.0.0.1: rerouted through lo, SNAT -o lo at POSTROUTING, answers translated back', () => {
  const { sim, on } = run(DNAT_LOCAL);
  assert.equal(sim.results[0]!.verdict, 'connected');
  assert.equal(sim.results[0]!.serverSaw, '127.0.0.7:40000');
  // As tcpdump -i any showed it on Linux (exp. by hand): the packets as POSTROUTING left them.
  assert.deepEqual(on('laptop:lo').slice(0, 3), [
    'in 127.0.0.7:40000 > 127.0.0.1:8080 [S]',
    'in 198.51.100.80:80 > 198.51.100.10:40000 [S.]',
    'in 127.0.0.7:40000 > 127.0.0.1:8080 [.]',
  ]);
  assert.deepEqual(on('laptop:eth0'), []);
  assert.deepEqual(
    sim.world
      .host('laptop')
      .conntrackList()
      .map((l) => l.replace(/ \d+ TIME_WAIT/, ' TIME_WAIT')),
    [
      'tcp      6 TIME_WAIT src=198.51.100.10 dst=198.51.100.80 sport=40000 dport=80 src=127.0.0.1 dst=127.0.0.7 sport=8080 dport=40000 [ASSURED] mark=0 use=1',
    ],
  );
});

const DNAT_REMOTE = `
hosts:
  h:
    interfaces: { eth0: 10.0.0.1/24 }
    rules: |
      iptables -t nat -A OUTPUT -d 127.0.0.1 -p tcp --dport 9000 -j DNAT --to-destination 10.0.0.2:80
      iptables -t nat -A OUTPUT -d 127.0.0.1 -p udp --dport 9001 -j DNAT --to-destination 10.0.0.2:5000
      iptables -t nat -A POSTROUTING -o eth0 -s 127.0.0.0/8 -j MASQUERADE
  srv: { interfaces: { eth0: 10.0.0.2/24 }, listen: [tcp/80, udp/5000] }
links: [[h:eth0, srv:eth0]]
flows:
  - { name: t, from: h, proto: tcp, to: 127.0.0.1:9000, sport: 40001, timeout: 2.5 }
  - { name: u, from: h, proto: udp, to: 127.0.0.1:9001, sport: 40002, at: 0.5 }
  - { name: t2, from: h, proto: tcp, to: 127.0.0.1:9000, sport: 40003, at: 4, hold: 0.2 }
events:
  - { at: 3.5, host: h, run: 'sysctl -w net.ipv4.conf.eth0.route_localnet=1' }
`;

test('nat OUTPUT DNAT from 127.0.0.1 to a remote server: EINVAL without route_localnet, out of eth0 with it', () => {
  const { sim, on } = run(DNAT_REMOTE);
  const [t, u, t2] = sim.results;
  // connect() goes on sending its SYN (tcp_connect ignores the EINVAL), then times out; sendto() fails.
  assert.deepEqual([t!.verdict, t!.syns], ['timeout', 3]);
  assert.deepEqual([u!.verdict, u!.errno], ['error', 'EINVAL']);
  assert.deepEqual([t2!.verdict, t2!.serverSaw], ['connected', '10.0.0.1:40003']);
  const drops = sim.steps.filter((x): x is DropStep & { t: number } => x.kind === 'drop');
  assert.equal(drops.length, 4); // 3 SYNs and the datagram
  assert.deepEqual(
    [drops[0]!.reason, drops[0]!.addr, drops[0]!.dev, drops[0]!.detail, drops[0]!.ifname],
    [DropReason.IP_LOCALNET, 0x7f000001, 'eth0', 'reroute', undefined],
  );
  assert.equal(
    dropWords(drops[0]!),
    'source 127.0.0.1 routed out of eth0: a loopback address may not leave lo (net.ipv4.conf.eth0.route_localnet is 0; ip_route_me_harder: EINVAL)',
  );
  assert.equal(sim.world.host('h').drops[DropReason.IP_LOCALNET], 4);
  // Nothing with a loopback source reached the wire; after the event the SYN left masqueraded.
  assert.equal(
    on('h:eth0').find((x) => x.includes('[S]')),
    'out 10.0.0.1:40003 > 10.0.0.2:80 [S]',
  );
  assert.ok(!on('h:eth0').some((x) => x.includes('127.')));
});

test('nat PREROUTING DNAT to 127.0.0.1 from outside: a martian destination until route_localnet is on', () => {
  const { sim } = run(`
hosts:
  h:
    interfaces: { eth0: 10.0.0.1/24 }
    listen: [{ proto: tcp, port: 8080, bind: 127.0.0.1 }]
    rules: |
      iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 80 -j DNAT --to-destination 127.0.0.1:8080
  c: { interfaces: { eth0: 10.0.0.2/24 } }
links: [[h:eth0, c:eth0]]
flows:
  - { name: m, from: c, proto: tcp, to: 10.0.0.1:80, sport: 40000, timeout: 2.5 }
  - { name: ok, from: c, proto: tcp, to: 10.0.0.1:80, sport: 40001, at: 4, hold: 0.2 }
events:
  - { at: 3.5, host: h, run: 'sysctl -w net.ipv4.conf.eth0.route_localnet=1' }
`);
  assert.deepEqual(
    sim.results.map((x) => [x.verdict, x.serverSaw]),
    [
      ['timeout', undefined],
      ['connected', '10.0.0.2:40001'],
    ],
  );
  const d = sim.steps.find((x): x is DropStep & { t: number } => x.kind === 'drop')!;
  assert.deepEqual(
    [d.reason, d.ifname, d.detail, d.addr],
    [DropReason.IP_LOCALNET, 'eth0', 'dst', 0x7f000001],
  );
  // The unconfirmed entries of the dropped SYNs are gone: only the later connection is listed.
  assert.equal(sim.world.host('h').conntrackList().length, 1);
});

test('events change the host, never the configuration it was built from (natbox verify reuses it)', () => {
  const p = prepareScenario(DNAT_REMOTE, 'x.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const sim = simulate(p.built.world, p.built.flows, {});
  assert.equal(sim.world.host('h').sysctl('net.ipv4.conf.eth0.route_localnet', 0), 1);
  const cfg = p.built.world.hosts.find((h) => h.name === 'h')!;
  assert.equal(cfg.sysctls.get('net.ipv4.conf.eth0.route_localnet'), undefined);
});

test("lo's MTU is 65536: the SYN announces MSS 65495 and a 3000-byte line goes in one segment", () => {
  const { r } = run(`
hosts:
  h: { interfaces: { eth0: 10.0.0.1/24 }, listen: [tcp/80] }
links: []
flows:
  - { name: big, from: h, proto: tcp, to: 10.0.0.1:80, sport: 40000, size: 3000, hold: 0.2 }
`);
  assert.equal(r.sim.results[0]!.verdict, 'connected');
  const lo = natboxSide(
    r.sim.steps.flatMap((x) =>
      x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
    ),
  ).packets.filter((p) => p.iface === 'h:lo');
  // Linux 6.18 on lo: `options [mss 65495,sackOK,TS ...,nop,wscale ...]`, data in one segment.
  assert.equal(lo[0]!.opts, 'mss65495,sackOK,ts,ws');
  assert.deepEqual(
    lo.filter((p) => (p.len ?? 0) > 0 && p.dport === 80).map((p) => p.len),
    [3000],
  );
});

test('a packet from 127.0.0.1 arriving on eth0 is a martian source (IP_LOCALNET) unless route_localnet is on', () => {
  for (const [sysctls, dropped] of [
    ['{}', 1],
    ["{ 'net.ipv4.conf.eth0.route_localnet': 1 }", 0],
  ] as const) {
    const r = simulateScenario(
      `
hosts:
  h: { interfaces: { eth0: 10.0.0.1/24 }, listen: [udp/5000], sysctls: ${sysctls} }
links: []
flows: []
`,
      'x.yaml',
    );
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    const h = r.sim.world.host('h');
    const ip = buildUdpPacket(
      { src: 0x7f000001, dst: 0x0a000001, dontFragment: true, id: 1 },
      { srcPort: 40000, dstPort: 5000 },
      new Uint8Array(5),
    );
    const frame = new Uint8Array(14 + ip.length);
    frame.set(h.ifaces.get('eth0')!.mac, 0);
    frame.set([2, 0, 0, 0, 0, 9], 6);
    frame[12] = 0x08;
    frame.set(ip, 14);
    h.receive('eth0', frame);
    assert.equal(h.drops[DropReason.IP_LOCALNET], dropped, sysctls);
  }
});
