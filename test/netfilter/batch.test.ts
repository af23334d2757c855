// Netfilter.forwardEstablished against the hooks one packet at a time: random mixes of new,
// established, reply, DNATed, invalid, fragmented, TCP/UDP/ICMP packets, in batches, through two
// engines made alike, give the same bytes, verdicts, conntrack table, counters and events; with
// the nat table alone, and with a filter table whose FORWARD chain drops, rejects and accepts
// established packets by state, direction, port, length and interface (rule counters compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildIcmpIpv4Packet, buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/wire/tcp.ts';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import type { Ruleset } from '../../src/rules/iptables/model.ts';
import { engine, fcOpts, forward, HOST, hex, ip, MASQ_RULES, ruleset } from './helpers.ts';

const LAN = ip('192.168.1.0');
const SERVER = ip('192.168.1.200');
const WAN_HOST = ip('203.0.113.50');
const PUBLIC = ip('203.0.113.22');
const RULES = [
  MASQ_RULES,
  'iptables -t nat -A PREROUTING -i wan -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
  'iptables -t nat -A PREROUTING -i wan -p udp --dport 8080 -j DNAT --to-destination 192.168.1.200:53',
].join('\n');
/** RULES and a stateful FORWARD chain, as a gateway has (every kind of verdict on the short way). */
const FILTERED = [
  RULES,
  'iptables -P FORWARD DROP',
  'iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP',
  'iptables -A FORWARD -p udp -m conntrack --ctdir REPLY -j ACCEPT',
  'iptables -A FORWARD -p udp -d 192.168.1.200 --dport 53 -j REJECT',
  'iptables -A FORWARD -p tcp --sport 5000 -i wan -m length --length 60:70 -j DROP',
  'iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
  'iptables -A FORWARD -i br-lan -p tcp --dport 5000 -j ACCEPT',
  'iptables -A FORWARD -i br-lan -p udp -j ACCEPT',
  'iptables -A FORWARD -m conntrack --ctstate DNAT -j ACCEPT',
].join('\n');

type Kind = 'out' | 'reply' | 'dnat' | 'server';
interface Pkt {
  kind: Kind;
  proto: 'tcp' | 'udp' | 'icmp';
  host: number;
  port: number;
  flags: number;
  frag: boolean;
  len: number;
}

const pktArb = (kinds: readonly Kind[]): fc.Arbitrary<Pkt> =>
  fc.record({
    kind: fc.constantFrom(...kinds),
    proto: fc.constantFrom('tcp', 'tcp', 'udp', 'udp', 'icmp'),
    host: fc.integer({ min: 2, max: 4 }),
    port: fc.constantFrom(40000, 40001),
    // Mostly the established case (the short way), with every other kind mixed in.
    flags: fc.oneof(
      { arbitrary: fc.constantFrom(TCP_PSH | TCP_ACK, TCP_ACK), weight: 8 },
      {
        arbitrary: fc.constantFrom(
          TCP_SYN,
          TCP_SYN | TCP_ACK,
          TCP_FIN | TCP_ACK,
          TCP_RST,
          TCP_RST | TCP_ACK,
          0,
        ),
        weight: 2,
      },
    ),
    frag: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
    len: fc.integer({ min: 0, max: 24 }),
  });

const batchArb = fc.oneof(
  fc.record({
    lan: fc.constant(true),
    step: fc.constantFrom(0, 0, 1, 40, 200),
    pkts: fc.array(pktArb(['out', 'server']), { maxLength: 40 }),
  }),
  fc.record({
    lan: fc.constant(false),
    step: fc.constantFrom(0, 0, 1, 40, 200),
    pkts: fc.array(pktArb(['reply', 'dnat']), { maxLength: 40 }),
  }),
);

function build(p: Pkt): Uint8Array {
  const client = LAN + p.host;
  const udpPort = p.proto === 'udp' ? 53 : 80;
  const [src, dst, sport, dport] =
    p.kind === 'out'
      ? [client, WAN_HOST, p.port, 5000]
      : p.kind === 'reply'
        ? [WAN_HOST, PUBLIC, 5000, p.port]
        : p.kind === 'dnat'
          ? [WAN_HOST + p.host, PUBLIC, p.port, 8080]
          : [SERVER, WAN_HOST + p.host, udpPort, p.port];
  const ipf = { src, dst, id: p.len };
  const payload = new Uint8Array(p.len).map((_, i) => (i * 7 + p.len) & 0xff);
  let b: Uint8Array;
  if (p.proto === 'tcp')
    b = buildTcpPacket(
      ipf,
      { srcPort: sport, dstPort: dport, seq: p.len, ack: 1, flags: p.flags, window: 1000 },
      payload,
    );
  else if (p.proto === 'udp') b = buildUdpPacket(ipf, { srcPort: sport, dstPort: dport }, payload);
  else
    b = buildIcmpIpv4Packet(
      ipf,
      { kind: p.kind === 'out' || p.kind === 'dnat' ? 'echo-request' : 'echo-reply', id: p.port, seq: 1 },
      payload,
    );
  if (p.frag) b[6]! |= 0x20; // more fragments (the first fragment)
  return b;
}

function state(nf: Netfilter, events: string[], rs: Ruleset): unknown {
  const ct = nf.conntrack;
  const counters: string[] = [];
  for (const [tn, t] of rs.tables)
    for (const [cn, c] of t.chains) {
      counters.push(`${tn}/${cn} ${c.counters.packets}/${c.counters.bytes}`);
      c.rules.forEach((r, i) =>
        counters.push(`${tn}/${cn}#${i + 1} ${r.counters.packets}/${r.counters.bytes}`),
      );
    }
  return {
    counters: counters.join(' '),
    rec: hex(new Uint8Array(ct.rec.buffer)),
    aux: hex(new Uint8Array(ct.aux.buffer)),
    masq: hex(ct.masq),
    count: ct.count,
    stats: { ...nf.stats },
    drops: [...nf.drops],
    events: events.join(' '),
  };
}

for (const [name, rules] of [
  ['nat table', RULES],
  ['nat and filter tables', FILTERED],
] as const)
  test(`forwardEstablished property (${name}): same bytes, verdicts, table, counters and events as the hooks`, () => {
    let short = 0;
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 12 }), fc.integer(), (batches, seed) => {
        const rsA = ruleset(rules);
        const rsB = ruleset(rules);
        const make = (rs: Ruleset): Netfilter =>
          new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(seed), conntrackMax: 64 });
        const a = make(rsA);
        const b = make(rsB);
        const evA: string[] = [];
        const evB: string[] = [];
        a.conntrack.listener = (k, e) => evA.push(`${k}:${e}`);
        b.conntrack.listener = (k, e) => evB.push(`${k}:${e}`);
        let now = 1;
        for (const batch of batches) {
          now += batch.step;
          const [inIf, outIf] = batch.lan ? ['br-lan', 'wan'] : ['wan', 'br-lan'];
          const pkts = batch.pkts.map(build);
          // One buffer, packets at uneven offsets.
          const offs = new Int32Array(pkts.length + 1);
          let size = 3;
          pkts.forEach((p, k) => {
            offs[k + 1] = size;
            size += p.length + 5;
          });
          const buf = new Uint8Array(size);
          pkts.forEach((p, k) => buf.set(p, offs[k + 1]!));
          const verdicts = new Uint8Array(pkts.length);
          const ok = b.forwardEstablished(buf, offs, 1, pkts.length, inIf, outIf, now, verdicts);
          let okA = 0;
          pkts.forEach((p, k) => {
            const v = forward(a, p, inIf, outIf, now);
            okA += v === NF_ACCEPT ? 1 : 0;
            assert.equal(verdicts[k], v, `packet ${k} verdict`);
            assert.equal(
              hex(buf.subarray(offs[k + 1]!, offs[k + 1]! + p.length)),
              hex(p),
              `packet ${k} bytes`,
            );
          });
          assert.equal(ok, okA);
          assert.deepEqual(state(b, evB, rsB), state(a, evA, rsA));
        }
        short += b.shortWayPackets;
      }),
      fcOpts,
    );
    assert.ok(short > fcOpts.numRuns, `the short way was taken (${short} packets)`);
  });

test('forwardEstablished: established packets take the short way and are rewritten', () => {
  const nf = engine(MASQ_RULES);
  const out = (flags: number): Uint8Array =>
    buildTcpPacket(
      { src: LAN + 2, dst: WAN_HOST, id: 1 },
      { srcPort: 40000, dstPort: 80, seq: 1, ack: 1, flags, window: 1000 },
      new Uint8Array(8),
    );
  assert.equal(forward(nf, out(TCP_SYN), 'br-lan', 'wan', 1), NF_ACCEPT);
  const synack = buildTcpPacket(
    { src: WAN_HOST, dst: PUBLIC, id: 1 },
    { srcPort: 80, dstPort: 40000, seq: 1, ack: 2, flags: TCP_SYN | TCP_ACK, window: 1000 },
    new Uint8Array(0),
  );
  assert.equal(forward(nf, synack, 'wan', 'br-lan', 1), NF_ACCEPT);
  const p = out(TCP_PSH | TCP_ACK);
  const buf = new Uint8Array(p.length * 2);
  buf.set(p, 0);
  buf.set(p, p.length);
  // The short way does not load the Skb: a fallback would leave this one's fields set.
  const before = nf.stats.invalid;
  assert.equal(nf.forwardEstablished(buf, [0, p.length], 0, 2, 'br-lan', 'wan', 2), 2);
  assert.equal(nf.stats.invalid, before);
  for (const o of [0, p.length]) {
    const src = ((buf[o + 12]! << 24) | (buf[o + 13]! << 16) | (buf[o + 14]! << 8) | buf[o + 15]!) >>> 0;
    assert.equal(src, PUBLIC);
  }
});

test('forwardEstablished: with a filter table, FORWARD judges established packets on the short way', () => {
  const rs = ruleset(FILTERED);
  const nf = new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(1) });
  const seg = (src: number, dst: number, sport: number, dport: number, flags: number, len: number) =>
    buildTcpPacket(
      { src, dst, id: 1 },
      { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags, window: 1000 },
      new Uint8Array(len),
    );
  assert.equal(forward(nf, seg(LAN + 2, WAN_HOST, 40000, 5000, TCP_SYN, 0), 'br-lan', 'wan', 1), NF_ACCEPT);
  assert.equal(
    forward(nf, seg(WAN_HOST, PUBLIC, 5000, 40000, TCP_SYN | TCP_ACK, 0), 'wan', 'br-lan', 1),
    NF_ACCEPT,
  );
  assert.equal(forward(nf, seg(LAN + 2, WAN_HOST, 40000, 5000, TCP_ACK, 0), 'br-lan', 'wan', 1), NF_ACCEPT);
  // Replies of 40 bytes pass (ESTABLISHED); of 64 bytes, the length rule before it drops them.
  const small = seg(WAN_HOST, PUBLIC, 5000, 40000, TCP_ACK, 0);
  const big = seg(WAN_HOST, PUBLIC, 5000, 40000, TCP_PSH | TCP_ACK, 24);
  const buf = new Uint8Array(small.length + big.length);
  buf.set(small, 0);
  buf.set(big, small.length);
  const verdicts = new Uint8Array(2);
  const before = nf.shortWayPackets;
  assert.equal(nf.forwardEstablished(buf, [0, small.length], 0, 2, 'wan', 'br-lan', 2, verdicts), 1);
  assert.deepEqual([...verdicts], [NF_ACCEPT, NF_DROP]);
  assert.equal(nf.shortWayPackets - before, 2, 'both took the short way');
  const forwardRules = rs.tables.get('filter')!.chains.get('FORWARD')!.rules;
  assert.equal(forwardRules[3]!.counters.packets, 1, 'the length rule dropped one');
  assert.equal(
    forwardRules[4]!.counters.packets,
    3,
    'ESTABLISHED accepted the SYN-ACK, the ACK and the small reply',
  );
  // The accepted reply was translated back to the client.
  assert.equal(((buf[16]! << 24) | (buf[17]! << 16) | (buf[18]! << 8) | buf[19]!) >>> 0, LAN + 2);
});
