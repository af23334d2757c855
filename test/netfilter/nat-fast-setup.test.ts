// NatCore.setup's shortcuts (the null binding at PREROUTING read from the record, setupSrcOne for
// MASQUERADE and SNAT onto one address) and the engine's first-packet path (core/first-packet.ts)
// against the general path (nat.fastPaths = false, Netfilter.firstPackets = false): two engines
// with the same rules and seed take the same random packets (new connections from a few clients,
// so that find_appropriate_src lends mappings and reply tuples clash; inbound connections to the
// public address, which take the tuples SNAT wants; time jumps past the UDP timeouts; a table of
// 4 or 8 entries that fills), and must agree on every verdict and byte, the whole conntrack record
// array, the entry ids and MASQUERADE tags, `conntrack -S`, the port search's tries, the rules'
// counters and the drop counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildIcmpIpv4Packet, buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { TCP_SYN } from '../../src/wire/tcp.ts';
import { Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import type { Ruleset } from '../../src/rules/iptables/model.ts';
import { fcOpts, forward, hex, HOST, ruleset } from './helpers.ts';

const LAN = 0xc0a80100; // 192.168.1.0/24
const PUBLIC = 0xcb007116; // 203.0.113.22, the wan address of helpers.ts's HOST
const SERVERS = [0xcb007132, 0xcb007133, 0x0a000001]; // 203.0.113.50, .51, 10.0.0.1

/** The POSTROUTING rule (and whether a DNAT rule comes before it, at PREROUTING). */
const postArb = fc.constantFrom(
  '-o wan -j MASQUERADE',
  '-o wan -p udp -j MASQUERADE --to-ports 1024-1030',
  '-o wan -j MASQUERADE --random',
  '-o wan -j MASQUERADE --random-fully',
  '-o wan -j SNAT --to-source 203.0.113.22',
  '-o wan -j SNAT --to-source 203.0.113.22 --persistent',
  '-o wan -j SNAT --to-source 203.0.113.22-203.0.113.24',
  '-o wan -p tcp -j SNAT --to-source 203.0.113.22:2000-2003',
  '-o wan -s 192.168.1.2 -j SNAT --to-source 203.0.113.22',
  '-o wan -p udp -j MASQUERADE',
);
const dnatArb = fc.constantFrom(
  '',
  'iptables -t nat -A PREROUTING -i wan -p tcp --dport 80 -j DNAT --to-destination 192.168.1.200',
  'iptables -t nat -A PREROUTING -i br-lan -p udp --dport 53 -j DNAT --to-destination 203.0.113.50',
);

interface Pkt {
  out: boolean; // from the LAN to a server (else: a server to the public address)
  /** Inbound to the LAN host itself (routed, or DNATed elsewhere): its tuple is a reply tuple. */
  direct: boolean;
  proto: 'tcp' | 'udp' | 'icmp';
  host: number;
  server: number;
  sport: number;
  dport: number;
  dt: number;
}
const pktArb = fc.record({
  out: fc.constantFrom(true, true, true, false),
  direct: fc.constantFrom(false, false, true),
  proto: fc.constantFrom<'tcp' | 'udp' | 'icmp'>('tcp', 'udp', 'udp', 'udp', 'icmp'),
  host: fc.integer({ min: 2, max: 3 }),
  server: fc.constantFrom(0, 0, 1, 2),
  // Few ports, the same on both sides: an inbound connection takes the reply tuple a client's
  // connection wants (server:Y -> public:X against client:X -> server:Y), so its port moves, and
  // the client's next connection is lent that port by find_appropriate_src.
  sport: fc.constantFrom(1024, 40000, 40000, 600),
  dport: fc.constantFrom(1024, 1024, 40000, 80),
  dt: fc.constantFrom(0, 0, 0, 1, 31, 200),
});

function build(p: Pkt): Uint8Array {
  const src = p.out ? LAN + p.host : SERVERS[p.server]!;
  const dst = p.out ? SERVERS[p.server]! : p.direct ? LAN + p.host : PUBLIC;
  const ipf = { src, dst, id: 7 };
  const payload = new Uint8Array(8);
  if (p.proto === 'tcp')
    return buildTcpPacket(
      ipf,
      { srcPort: p.sport, dstPort: p.dport, seq: 1, flags: TCP_SYN, window: 1000 },
      payload,
    );
  if (p.proto === 'udp') return buildUdpPacket(ipf, { srcPort: p.sport, dstPort: p.dport }, payload);
  return buildIcmpIpv4Packet(ipf, { kind: 'echo-request', id: p.sport, seq: 1 }, payload);
}

/** Every rule's and chain's packet and byte counters. */
function counters(rs: Ruleset): string {
  const out: unknown[] = [];
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      out.push(
        c.counters,
        c.rules.map((r) => r.counters),
      );
  return JSON.stringify(out);
}

function state(nf: Netfilter, rs: Ruleset): string {
  const ct = nf.conntrack;
  return JSON.stringify({
    rec: hex(new Uint8Array(ct.rec.buffer, ct.rec.byteOffset, ct.rec.byteLength)),
    id: [...ct.id],
    masq: [...ct.masq],
    aux: [...ct.aux],
    count: ct.count,
    version: ct.version,
    stats: ct.stats,
    tries: nf.nat.lastTries,
    counters: counters(rs),
    drops: [...nf.drops],
  });
}

/**
 * Runs `pkts` through two engines made from `rules` (one with every shortcut, one as `slow` sets
 * it up) and asserts the same verdicts, bytes and final state.
 */
function compare(
  rules: string,
  pkts: readonly Pkt[],
  seed: number,
  max: number,
  slowDown: (nf: Netfilter) => void,
): void {
  const make = (rs: Ruleset): Netfilter =>
    new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(seed), conntrackMax: max });
  const fastRules = ruleset(rules);
  const slowRules = ruleset(rules);
  const fast = make(fastRules);
  const slow = make(slowRules);
  slowDown(slow);
  let now = 1000;
  for (const p of pkts) {
    now += p.dt;
    const a = build(p);
    const b = a.slice();
    const inIf = p.out ? 'br-lan' : 'wan';
    const outIf = p.out ? 'wan' : 'br-lan';
    assert.equal(forward(fast, a, inIf, outIf, now), forward(slow, b, inIf, outIf, now));
    assert.equal(hex(a), hex(b));
  }
  assert.equal(state(fast, fastRules), state(slow, slowRules));
}

test('nat setup: the shortcuts give what the general path gives (random rules, clients, clashes, expiry)', () => {
  fc.assert(
    fc.property(
      postArb,
      dnatArb,
      fc.array(pktArb, { minLength: 1, maxLength: 60 }),
      fc.integer(),
      (post, dnat, pkts, seed) => {
        const rules = [dnat, `iptables -t nat -A POSTROUTING ${post}`].filter((l) => l !== '').join('\n');
        compare(rules, pkts, seed, 64, (slow) => {
          slow.nat.fastPaths = false;
          slow.firstPackets = false;
        });
      },
    ),
    fcOpts,
  );
});

/** More nat rules in front: the bench's non-matching DNAT and SNAT rules, and ones that match. */
const moreArb = fc.subarray([
  'iptables -t nat -A PREROUTING -i wan -p tcp --dport 8001 -j DNAT --to-destination 10.1.0.1',
  'iptables -t nat -A PREROUTING -i wan -p udp --dport 1024 -j DNAT --to-destination 192.168.1.3',
  'iptables -t nat -A PREROUTING -i br-lan -p udp --dport 40000 -j DNAT --to-destination 203.0.113.51:1024',
  'iptables -t nat -A POSTROUTING -s 172.16.1.0/24 -o wan -j SNAT --to-source 198.51.100.1',
  'iptables -t nat -A POSTROUTING -s 192.168.1.3 -p udp --sport 600 -o wan -j SNAT --to-source 203.0.113.23',
  'iptables -t nat -A POSTROUTING -o wan -p udp --dport 80 -j RETURN',
]);

test('first-packet path (core/first-packet.ts) gives what the hooks give (random rules, table full, clashes)', () => {
  fc.assert(
    fc.property(
      postArb,
      dnatArb,
      moreArb,
      fc.array(pktArb, { minLength: 1, maxLength: 60 }),
      fc.integer(),
      fc.constantFrom(4, 8, 64),
      (post, dnat, more, pkts, seed, max) => {
        const rules = [dnat, ...more, `iptables -t nat -A POSTROUTING ${post}`]
          .filter((l) => l !== '')
          .join('\n');
        compare(rules, pkts, seed, max, (slow) => {
          slow.firstPackets = false;
        });
      },
    ),
    fcOpts,
  );
});
