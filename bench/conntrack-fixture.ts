// What the conntrack bench (conntrack.bench.ts) and its callgrind drivers (conntrack-packets.ts,
// conntrack-new-packets.ts) build alike: the gateway's host and rules, the clients and servers,
// and 64-byte packets (20 IP + 8 UDP or 20 TCP + payload), so that a driver measures exactly the
// bench's case.
import { buildTcpPacket, buildUdpPacket } from '../src/wire/packet.ts';
import { ipv4SetDst, ipv4SetSrc } from '../src/wire/ipv4.ts';
import { udpSetPort } from '../src/wire/udp.ts';
import { NF_ACCEPT, Netfilter, type NfHost } from '../src/netfilter/core/engine.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { SeededRng } from '../src/netfilter/nat/nat-core.ts';
import { loadRulesText } from '../src/rules/load.ts';
import type { Ruleset } from '../src/rules/iptables/model.ts';

export const PUBLIC = 0xcb007116; // 203.0.113.22
export const SERVER = 0xcb007132; // 203.0.113.50
export const HOST: NfHost = { masqueradeAddress: () => PUBLIC, primaryAddress: () => 0xc0a80101 };

export function rules(text: string): Ruleset {
  const r = loadRulesText(text, 'bench.rules');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset;
}

export const MASQ = 'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE';
/** Ten nat rules: nine that do not match a LAN client, then MASQUERADE. */
export const TEN = [
  ...[1, 2, 3, 4, 5].map(
    (i) =>
      `iptables -t nat -A PREROUTING -i wan -p tcp --dport ${8000 + i} -j DNAT --to-destination 10.1.0.${i}`,
  ),
  ...[1, 2, 3, 4].map(
    (i) => `iptables -t nat -A POSTROUTING -s 172.16.${i}.0/24 -o wan -j SNAT --to-source 198.51.100.${i}`,
  ),
  MASQ,
].join('\n');

/**
 * An engine; `window`: TCP window tracking on (natbox's default since issue 15, as Linux). The
 * cases without "window tracking on" in their name run with it off (tcpWindow: false), as
 * natbox ran before it, so that their figures compare with earlier runs.
 */
export function makeEngine(text: string, max: number, window = false): Netfilter {
  return new Netfilter({
    ruleset: rules(text),
    host: HOST,
    rng: new SeededRng(1),
    conntrackMax: max,
    tcpWindow: window,
  });
}

/** Client i: 10.0.0.0/8 addresses, ports 1024.. so that every connection is distinct. */
export const clientAddr = (i: number): number => (0x0a000000 + Math.floor(i / 50000) * 256 + 1) >>> 0;
export const clientPort = (i: number): number => 1024 + (i % 50000);
/** One server per 50,000 clients, so that MASQUERADE keeps every source port (no clash). */
export const serverAddr = (i: number): number => SERVER + Math.floor(i / 50000);

export function udp64(src: number, dst: number, sport: number, dport: number): Uint8Array {
  return buildUdpPacket({ src, dst, id: 1 }, { srcPort: sport, dstPort: dport }, new Uint8Array(36)); // 20 + 8 + 36
}

/** A 64-byte TCP segment: 24 bytes of payload, window 1000. */
export function tcp64(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  flags: number,
  seq = 1,
  ack = 1,
): Uint8Array {
  return buildTcpPacket(
    { src, dst, id: 1 },
    { srcPort: sport, dstPort: dport, seq, ack, flags, window: 1000 },
    new Uint8Array(24),
  );
}

/**
 * A handshake segment (no payload) with window 65535 and window scale 7 (an 8 MB window), so that
 * the advancing data of the timed packets stays inside the receiver's window.
 */
export function tcpSyn(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  flags: number,
  seq: number,
  ack: number,
): Uint8Array {
  return buildTcpPacket(
    { src, dst, id: 1 },
    { srcPort: sport, dstPort: dport, seq, ack, flags, window: 65535, options: [{ kind: 'ws', shift: 7 }] },
  );
}

/**
 * The new-connection cases' packet (conntrack.bench.ts's last case, conntrack-new-packets.ts): in
 * `b`, udp64 from clientAddr(i):clientPort(i) to serverAddr(i):5000, the bytes that the drivers
 * made before by copying the template (udp64 of connection 0) and calling ipv4SetSrc, udpSetPort
 * and ipv4SetDst. Only the bytes that differ between connections or that the engine's rewrite
 * changes are written per connection: the IP header's checksum, source and destination (10..19),
 * the source port (20..21) and the UDP checksum (26..27), the checksums from the template's sums
 * plus the new words (udpSetPort leaves the UDP checksum's pseudo-header addresses those of the
 * template, as before). The constructor checks against the old way for every connection number
 * below `max` (the drivers start again at 0 with each new engine).
 */
export class NewConnPacket {
  readonly b = new Uint8Array(64);
  /** `b` for the big-endian stores (one store per field). */
  private readonly v = new DataView(this.b.buffer);
  /** The IP header's 16-bit words summed without the checksum and the addresses. */
  private readonly ipSum: number;
  /** The UDP checksum's sum (~checksum) without the source port. */
  private readonly udpSum: number;
  private readonly udpZero: boolean;

  constructor(max: number) {
    const tmpl = udp64(0x0a000001, SERVER, 1024, 5000);
    const b = this.b;
    b.set(tmpl);
    let s = 0;
    for (let k = 0; k < 10; k += 2) s += (b[k]! << 8) | b[k + 1]!; // no options: a 20-byte header
    this.ipSum = s;
    const hc = (b[26]! << 8) | b[27]!;
    this.udpZero = hc === 0;
    this.udpSum = (~hc & 0xffff) + (~1024 & 0xffff);
    // The check: write(i) after the previous connection's packet went through an engine (its
    // rewrite included) gives the template's way's bytes.
    const ref = new Uint8Array(64);
    const skb = new Skb();
    const nf = makeEngine(TEN, Math.min(max, 65536));
    for (let i = 0; i < max; i++) {
      ref.set(tmpl);
      ipv4SetSrc(ref, 0, clientAddr(i));
      udpSetPort(ref, 20, 0, clientPort(i));
      ipv4SetDst(ref, 0, serverAddr(i));
      this.write(i);
      for (let k = 0; k < 64; k++)
        if (b[k] !== ref[k])
          throw new Error(`NewConnPacket: connection ${i}: byte ${k} differs from the template's way`);
      if (i >= 65535 - 1) continue;
      skb.load(b, 0, 'lan', '');
      if (nf.prerouting(skb, 1) !== NF_ACCEPT) throw new Error(`NewConnPacket: connection ${i} dropped`);
      skb.outIf = 'wan';
      if (nf.postrouting(skb, 1) !== NF_ACCEPT) throw new Error(`NewConnPacket: connection ${i} dropped`);
      if (i === 0 && b[12] === ref[12])
        throw new Error('NewConnPacket: the engine did not rewrite the source');
    }
  }

  /** Writes connection i's packet (0 <= i < 2^31) into `b`. */
  write(i: number): void {
    const q = (i / 50000) | 0; // Math.floor for 0 <= i < 2^31
    const src = 0x0a000001 + q * 256; // clientAddr(i)
    const dst = SERVER + q; // serverAddr(i)
    const port = 1024 + (i - q * 50000); // clientPort(i)
    let s = this.ipSum + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
    s = (s & 0xffff) + (s >>> 16);
    s = (s & 0xffff) + (s >>> 16);
    const v = this.v;
    v.setUint16(10, ~s & 0xffff);
    v.setUint32(12, src);
    v.setUint32(16, dst);
    v.setUint16(20, port);
    if (!this.udpZero) {
      let u = this.udpSum + port;
      u = (u & 0xffff) + (u >>> 16);
      u = (u & 0xffff) + (u >>> 16);
      v.setUint16(26, ~u & 0xffff || 0xffff);
    }
  }
}
