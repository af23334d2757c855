// A frame as data for the trace: its tcpdump-style summary and its decoded addresses, ports and
// flags, so renderers and tests need not parse bytes again.
import { formatIpv4, formatMac } from '../wire/addr.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN, ethType } from '../wire/ethernet.ts';
import { formatEthernetFrame } from '../wire/format.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4Dst,
  ipv4HeaderLength,
  ipv4Protocol,
  ipv4Src,
  ipv4TotalLength,
  ipv4Ttl,
} from '../wire/ipv4.ts';
import { formatTcpFlags } from '../wire/tcp.ts';

export interface FrameInfo {
  /** tcpdump -nn style, e.g. `IP 192.168.1.10.40000 > 82.120.11.22.80: Flags [S], seq …`. */
  readonly summary: string;
  readonly ether: { readonly src: string; readonly dst: string };
  readonly proto: 'arp' | 'tcp' | 'udp' | 'icmp' | 'ip' | 'other';
  readonly src?: string;
  readonly dst?: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly ttl?: number;
  readonly flags?: string;
  readonly seq?: number;
  readonly ack?: number;
  /** TCP/UDP payload bytes. */
  readonly len?: number;
  readonly icmp?: { readonly type: number; readonly code: number; readonly id?: number };
  readonly arp?: { readonly op: 'request' | 'reply'; readonly sender: string; readonly target: string };
}

export function describeFrame(f: Uint8Array): FrameInfo {
  const ether = { src: formatMac(f, 6), dst: formatMac(f, 0) };
  const summary = formatEthernetFrame(f);
  const type = ethType(f);
  const o = ETH_HEADER_LEN;
  if (type === ETHERTYPE_ARP && f.length >= o + 28) {
    return {
      summary,
      ether,
      proto: 'arp',
      arp: {
        op: read16(f, o + 6) === 1 ? 'request' : 'reply',
        sender: formatIpv4(read32(f, o + 14)),
        target: formatIpv4(read32(f, o + 24)),
      },
    };
  }
  if (type !== ETHERTYPE_IPV4 || f.length < o + 20) return { summary, ether, proto: 'other' };
  const hl = ipv4HeaderLength(f, o);
  const l4 = o + hl;
  const total = ipv4TotalLength(f, o);
  const base = {
    summary,
    ether,
    src: formatIpv4(ipv4Src(f, o)),
    dst: formatIpv4(ipv4Dst(f, o)),
    ttl: ipv4Ttl(f, o),
  };
  const p = ipv4Protocol(f, o);
  if (p === IPPROTO_TCP && f.length >= l4 + 20) {
    const doff = (f[l4 + 12]! >> 4) * 4;
    return {
      ...base,
      proto: 'tcp',
      sport: read16(f, l4),
      dport: read16(f, l4 + 2),
      flags: formatTcpFlags(f[l4 + 13]!),
      seq: read32(f, l4 + 4),
      ack: read32(f, l4 + 8),
      len: total - hl - doff,
    };
  }
  if (p === IPPROTO_UDP && f.length >= l4 + 8) {
    return {
      ...base,
      proto: 'udp',
      sport: read16(f, l4),
      dport: read16(f, l4 + 2),
      len: read16(f, l4 + 4) - 8,
    };
  }
  if (p === IPPROTO_ICMP && f.length >= l4 + 8) {
    const type2 = f[l4]!;
    const isEcho = type2 === 0 || type2 === 8;
    return {
      ...base,
      proto: 'icmp',
      icmp: { type: type2, code: f[l4 + 1]!, ...(isEcho ? { id: read16(f, l4 + 4) } : {}) },
    };
  }
  return { ...base, proto: 'ip' };
}

/** An ARP frame in words: `ARP who-has 192.168.1.1 tell 192.168.1.10` / `ARP 192.168.1.1 is-at …`. */
export function arpText(i: FrameInfo): string {
  return i.arp!.op === 'request'
    ? `ARP who-has ${i.arp!.target} tell ${i.arp!.sender}`
    : `ARP ${i.arp!.sender} is-at ${i.ether.src}`;
}

/** `ip:port > ip:port [flags]` — the short form the trace's sentences use. */
export function shortPacket(i: FrameInfo): string {
  if (i.proto === 'arp')
    return `ARP ${i.arp!.op} ${i.arp!.op === 'request' ? `who-has ${i.arp!.target} tell ${i.arp!.sender}` : `${i.arp!.sender} is-at ${i.ether.src}`}`;
  if (i.proto === 'tcp')
    return `TCP ${i.src}:${i.sport} > ${i.dst}:${i.dport} [${i.flags}]${i.len ? ` ${i.len} bytes` : ''}`;
  if (i.proto === 'udp') return `UDP ${i.src}:${i.sport} > ${i.dst}:${i.dport} ${i.len} bytes`;
  if (i.proto === 'icmp')
    return `ICMP ${i.src} > ${i.dst} type ${i.icmp!.type} code ${i.icmp!.code}${i.icmp!.id !== undefined ? ` id ${i.icmp!.id}` : ''}`;
  return i.summary;
}
