// Shared by the netfilter tests: addresses from text, tuples, a table with confirmed entries, an
// engine built from rule text, and a walk of one packet through the forward path's hooks
// (PREROUTING, FORWARD, POSTROUTING) as the stack would call them.
import assert from 'node:assert/strict';
import { parseIpv4 } from '../../src/wire/addr.ts';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.ts';
import { tcpChecksumOk } from '../../src/wire/tcp.ts';
import { udpChecksumOk } from '../../src/wire/udp.ts';
import { icmpChecksumOk } from '../../src/wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { ConntrackTable, NO_ENTRY } from '../../src/netfilter/conntrack/table.ts';
import { invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import { NF_ACCEPT, Netfilter, type NfHost } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { loadRulesText } from '../../src/rules/load.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import type { Ruleset } from '../../src/rules/iptables/model.ts';

/** fast-check runs per engine-level property: NATBOX_FC_RUNS, or 500. */
export const FC_RUNS = Number(process.env.NATBOX_FC_RUNS ?? 500) || 500;
export const fcOpts = { numRuns: FC_RUNS, seed: 0x6e6174 } as const;

export function ip(text: string): number {
  const r = parseIpv4(text);
  if (!r.ok) throw new Error(`bad address ${text}`);
  return r.value;
}

export function tuple(src: string, dst: string, proto: number, sport: number, dport: number): TupleBuf {
  return new TupleBuf().set(ip(src), ip(dst), proto, sport, dport);
}

/** alloc + a timeout + confirm, as one packet through PREROUTING .. POSTROUTING without NAT. */
export function addEntry(ct: ConntrackTable, orig: TupleBuf, now: number, timeout = 100): number {
  const reply = new TupleBuf();
  assert.ok(invertTuple(reply, orig));
  const e = ct.alloc(orig, reply, now);
  assert.notEqual(e, NO_ENTRY, 'alloc failed');
  ct.expires[e] = now + timeout;
  assert.ok(ct.confirm(e, now), 'confirm failed');
  return e;
}

export function find(ct: ConntrackTable, t: TupleBuf, now: number): number {
  return ct.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now);
}

/** The box of the kernel reference runs: br-lan 192.168.1.1/24, wan 203.0.113.22. */
export const HOST: NfHost = {
  masqueradeAddress: (outIf) => (outIf === 'wan' ? ip('203.0.113.22') : ip('192.168.1.1')),
  primaryAddress: (inIf) => (inIf === 'wan' ? ip('203.0.113.22') : ip('192.168.1.1')),
};

export function ruleset(text: string): Ruleset {
  const r = loadRulesText(text, 'test.rules', undefined, { counters: true });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset;
}

export function engine(
  rules: string,
  opts: { seed?: number; max?: number; sysctls?: Map<string, number> } = {},
): Netfilter {
  return new Netfilter({
    ruleset: ruleset(rules),
    host: HOST,
    rng: new SeededRng(opts.seed ?? 1),
    conntrackMax: opts.max,
    sysctls: opts.sysctls,
  });
}

/** The seed's two hairpin rules, with the reference runs' public address. */
export const SEED_RULES = [
  'iptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 203.0.113.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200',
  'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
].join('\n');

/** A router: MASQUERADE out of wan. */
export const MASQ_RULES = 'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE';

const skb = new Skb();

/**
 * One packet forwarded by the box: PREROUTING, FORWARD, POSTROUTING. Rewrites `buf` in place and
 * returns the verdict of the first hook that did not accept, or NF_ACCEPT.
 */
export function forward(nf: Netfilter, buf: Uint8Array, inIf: string, outIf: string, now: number): number {
  skb.load(buf, 0, inIf, '');
  let v = nf.prerouting(skb, now);
  if (v !== NF_ACCEPT) return v;
  skb.outIf = outIf;
  v = nf.forward(skb, now);
  if (v !== NF_ACCEPT) return v;
  return nf.postrouting(skb, now);
}

/** The last Skb `forward` used (its ct, ctinfo, drop reason). */
export const lastSkb = (): Skb => skb;

/** Every checksum of an IPv4 packet (IP header, and TCP, UDP or ICMP) verifies. */
export function assertChecksums(b: Uint8Array, what = 'packet'): void {
  assert.ok(ipv4ChecksumOk(b, 0), `${what}: IPv4 header checksum`);
  const hl = (b[0]! & 15) * 4;
  const len = ((b[2]! << 8) | b[3]!) - hl;
  const src = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
  const dst = ((b[16]! << 24) | (b[17]! << 16) | (b[18]! << 8) | b[19]!) >>> 0;
  const p = b[9];
  if (p === IPPROTO_TCP) assert.ok(tcpChecksumOk(b, hl, len, src, dst), `${what}: TCP checksum`);
  if (p === IPPROTO_UDP) assert.ok(udpChecksumOk(b, hl, len, src, dst), `${what}: UDP checksum`);
  if (p === IPPROTO_ICMP) assert.ok(icmpChecksumOk(b, hl, len), `${what}: ICMP checksum`);
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A connection's first packet as the nft walk tests send it (nftables-fast*.test.ts): a TCP SYN or
 * a UDP datagram from port 40000, in on eth0, with `mark`, its random numbers (numgen random) from
 * an LCG seeded with `seed`.
 */
export function firstPacketSkb(
  src: number,
  dst: number,
  dport: number,
  tcp: boolean,
  mark: number,
  seed: number,
): Skb {
  const buf = tcp
    ? buildTcpPacket(
        { src, dst, id: 1 },
        { srcPort: 40000, dstPort: dport, seq: 1, ack: 0, flags: 2, window: 9 },
      )
    : buildUdpPacket({ src, dst, id: 1 }, { srcPort: 40000, dstPort: dport });
  const skb = new Skb().load(buf, 0, 'eth0', '');
  skb.mark = mark;
  let r = seed;
  skb.env = {
    addrType: () => 1,
    random32: () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0),
    conntrack: undefined as never,
  };
  return skb;
}
