// What the conntrack bench (conntrack.bench.ts) and its callgrind drivers (conntrack-packets.ts,
// conntrack-new-packets.ts) build alike: the gateway's host and rules, the clients and servers,
// and 64-byte packets (20 IP + 8 UDP or 20 TCP + payload), so that a driver measures exactly the
// bench's case.
import { buildTcpPacket, buildUdpPacket } from '../src/wire/packet.ts';
import { Netfilter, type NfHost } from '../src/netfilter/core/engine.ts';
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
