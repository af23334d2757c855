// One frame as plain fields, tcpdump-like: the project's one decoder, used by the trace (what a
// packet step shows), the oracle (what natbox and the kernel are compared on) and the conformance
// tests. An Ethernet frame (decodeEthernet) or a network-layer packet at an offset (decodeIpv4,
// decodeArp: a LINUX_SLL2 capture's payload). Each layer is present only when the bytes hold all
// of its fixed header: a short TCP segment leaves `tcp` out rather than read past the end. Values
// are the raw ones (sequence numbers, ports, ids); what to compare or print is the reader's choice.
// Not for the packet path: this allocates objects and strings for each frame.
import { formatIpv4, formatMac } from './addr.ts';
import { read16, read32 } from './checksum.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN } from './ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';
import { parseTcpOptions, type TcpOption } from './tcp.ts';

export interface DecodedArp {
  readonly op: 'request' | 'reply';
  /** Sender and target protocol addresses. */
  readonly sender: string;
  readonly target: string;
}

export interface DecodedTcp {
  readonly sport: number;
  readonly dport: number;
  /** The flags byte (FIN 0x01 … CWR 0x80); formatTcpFlags prints it as tcpdump does. */
  readonly flags: number;
  readonly seq: number;
  /** The acknowledgment field as sent, meaningful only with the ACK flag. */
  readonly ack: number;
  /** Payload bytes (the IPv4 total length less both headers). */
  readonly len: number;
  /** The options, when the header has any (data offset above 20). */
  readonly options?: readonly TcpOption[];
  /** Why the options could not be read, when they could not. */
  readonly optionsError?: string;
}

export interface DecodedUdp {
  readonly sport: number;
  readonly dport: number;
  /** Payload bytes (the UDP length less 8). */
  readonly len: number;
}

/** The IPv4 header (and the start of its transport header) an ICMP error quotes. */
export interface DecodedQuote {
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** TCP and UDP, when the quote holds them. */
  readonly sport?: number;
  readonly dport?: number;
  /** TCP, when the quote holds it. */
  readonly seq?: number;
}

export interface DecodedIcmp {
  readonly type: number;
  readonly code: number;
  /** Echo request and reply (types 8 and 0). */
  readonly id?: number;
  readonly seq?: number;
  /** Redirect (type 5). */
  readonly gateway?: string;
  /** Errors (types 3, 4, 5, 11, 12). */
  readonly quote?: DecodedQuote;
  /** Fragmentation needed (type 3 code 4): the next-hop MTU. */
  readonly mtu?: number;
}

export interface DecodedIpv4 {
  readonly version: number;
  readonly headerLength: number;
  readonly totalLength: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  readonly tcp?: DecodedTcp;
  readonly udp?: DecodedUdp;
  readonly icmp?: DecodedIcmp;
  /**
   * A fragment (MF set or a non-zero offset): its offset in bytes and MF. A fragment other than
   * the first carries no transport header, so `tcp`/`udp`/`icmp` are left out for it; the first
   * one's `len` counts the payload in that fragment.
   */
  readonly frag?: { readonly offset: number; readonly mf: boolean };
}

export interface DecodedFrame {
  readonly ether: { readonly src: string; readonly dst: string; readonly type: number };
  readonly arp?: DecodedArp;
  readonly ipv4?: DecodedIpv4;
}

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

/** `tcp`, `udp`, `icmp`, else `ip<number>`, as the comparisons name an IPv4 protocol. */
export const protocolName = (p: number): string =>
  p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_ICMP ? 'icmp' : `ip${p}`;

export function decodeArp(b: Uint8Array, o: number): DecodedArp | undefined {
  if (b.length < o + 28) return undefined;
  return {
    op: read16(b, o + 6) === 1 ? 'request' : 'reply',
    sender: formatIpv4(read32(b, o + 14)),
    target: formatIpv4(read32(b, o + 24)),
  };
}

function decodeQuote(b: Uint8Array, q: number): DecodedQuote | undefined {
  if (b.length < q + 20) return undefined;
  const protocol = b[q + 9]!;
  const l4 = q + (b[q]! & 0x0f) * 4;
  const base = { protocol, src: formatIpv4(read32(b, q + 12)), dst: formatIpv4(read32(b, q + 16)) };
  if ((protocol !== IPPROTO_TCP && protocol !== IPPROTO_UDP) || b.length < l4 + 4) return base;
  const ports = { ...base, sport: read16(b, l4), dport: read16(b, l4 + 2) };
  return protocol === IPPROTO_TCP && b.length >= l4 + 8 ? { ...ports, seq: read32(b, l4 + 4) } : ports;
}

/** The IPv4 packet at `o`; undefined when the bytes hold less than a 20-byte header. */
export function decodeIpv4(b: Uint8Array, o: number): DecodedIpv4 | undefined {
  if (b.length < o + 20) return undefined;
  const headerLength = (b[o]! & 0x0f) * 4;
  const totalLength = read16(b, o + 2);
  const protocol = b[o + 9]!;
  const l4 = o + headerLength;
  const ff = read16(b, o + 6);
  const isFrag = (ff & 0x3fff) !== 0;
  const ip = {
    version: b[o]! >> 4,
    headerLength,
    totalLength,
    ttl: b[o + 8]!,
    protocol,
    src: formatIpv4(read32(b, o + 12)),
    dst: formatIpv4(read32(b, o + 16)),
    ...(isFrag ? { frag: { offset: (ff & 0x1fff) * 8, mf: (ff & 0x2000) !== 0 } } : {}),
  };
  if ((ff & 0x1fff) !== 0) return ip; // a later fragment: no transport header
  if (protocol === IPPROTO_TCP && b.length >= l4 + 20) {
    const doff = (b[l4 + 12]! >> 4) * 4;
    let opts: { options?: readonly TcpOption[]; optionsError?: string } = {};
    if (doff > 20) {
      const r = parseTcpOptions(b, l4 + 20, l4 + doff);
      opts = r.ok ? { options: r.value } : { optionsError: r.error };
    }
    return {
      ...ip,
      tcp: {
        sport: read16(b, l4),
        dport: read16(b, l4 + 2),
        flags: b[l4 + 13]!,
        seq: read32(b, l4 + 4),
        ack: read32(b, l4 + 8),
        len: totalLength - headerLength - doff,
        ...opts,
      },
    };
  }
  if (protocol === IPPROTO_UDP && b.length >= l4 + 8) {
    // A first fragment holds only part of the datagram: its length is what this packet carries.
    const len = isFrag ? totalLength - headerLength - 8 : read16(b, l4 + 4) - 8;
    return { ...ip, udp: { sport: read16(b, l4), dport: read16(b, l4 + 2), len } };
  }
  if (protocol === IPPROTO_ICMP && b.length >= l4 + 8) {
    const type = b[l4]!;
    const quote = ICMP_ERRORS.has(type) ? decodeQuote(b, l4 + 8) : undefined;
    return {
      ...ip,
      icmp: {
        type,
        code: b[l4 + 1]!,
        ...(type === 0 || type === 8 ? { id: read16(b, l4 + 4), seq: read16(b, l4 + 6) } : {}),
        ...(type === 5 ? { gateway: formatIpv4(read32(b, l4 + 4)) } : {}),
        ...(quote ? { quote } : {}),
        ...(type === 3 && b[l4 + 1] === 4 ? { mtu: read16(b, l4 + 6) } : {}),
      },
    };
  }
  return ip;
}

/** An Ethernet frame: its addresses and type, and the ARP or IPv4 packet it carries. */
export function decodeEthernet(f: Uint8Array): DecodedFrame {
  const type = f.length >= ETH_HEADER_LEN ? read16(f, 12) : 0;
  const ether = { src: formatMac(f, 6), dst: formatMac(f, 0), type };
  if (type === ETHERTYPE_ARP) {
    const arp = decodeArp(f, ETH_HEADER_LEN);
    return arp ? { ether, arp } : { ether };
  }
  if (type === ETHERTYPE_IPV4) {
    const ipv4 = decodeIpv4(f, ETH_HEADER_LEN);
    return ipv4 ? { ether, ipv4 } : { ether };
  }
  return { ether };
}
