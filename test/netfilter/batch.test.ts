// Netfilter.forwardEstablished against the hooks one packet at a time: random mixes of new,
// established, reply, DNATed, invalid, fragmented, TCP/UDP/ICMP packets, in batches, through two
// engines made alike, give the same bytes, verdicts, conntrack table, counters and events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildIcmpIpv4Packet, buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/wire/tcp.ts';
import { NF_ACCEPT, type Netfilter } from '../../src/netfilter/engine.ts';
import { engine, fcOpts, forward, hex, ip, MASQ_RULES } from './helpers.ts';

const LAN = ip('192.168.1.0');
const SERVER = ip('192.168.1.200');
const WAN_HOST = ip('203.0.113.50');
const PUBLIC = ip('203.0.113.22');
const RULES = [
  MASQ_RULES,
  'iptables -t nat -A PREROUTING -i wan -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
  'iptables -t nat -A PREROUTING -i wan -p udp --dport 8080 -j DNAT --to-destination 192.168.1.200:53',
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

function state(nf: Netfilter, events: string[]): unknown {
  const ct = nf.conntrack;
  return {
    rec: hex(new Uint8Array(ct.rec.buffer)),
    aux: hex(new Uint8Array(ct.aux.buffer)),
    masq: hex(ct.masq),
    count: ct.count,
    stats: { ...nf.stats },
    drops: [...nf.drops],
    events: events.join(' '),
  };
}

test('forwardEstablished property: same bytes, verdicts, table, counters and events as the hooks', () => {
  fc.assert(
    fc.property(fc.array(batchArb, { minLength: 1, maxLength: 12 }), fc.integer(), (batches, seed) => {
      const a = engine(RULES, { seed, max: 64 });
      const b = engine(RULES, { seed, max: 64 });
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
          assert.equal(hex(buf.subarray(offs[k + 1]!, offs[k + 1]! + p.length)), hex(p), `packet ${k} bytes`);
        });
        assert.equal(ok, okA);
        assert.deepEqual(state(b, evB), state(a, evA));
      }
    }),
    fcOpts,
  );
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
