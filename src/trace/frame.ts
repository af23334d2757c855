// A frame as data for the trace: its tcpdump-style summary and its decoded addresses, ports and
// flags, so renderers and tests need not parse bytes again. The decoding is src/wire/decode.ts
// (the project's one frame decoder, shared with the oracle); this file picks the trace's fields.
import { decodeEthernet } from '../wire/decode.ts';
import { formatEthernetFrame } from '../wire/format.ts';
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
  const d = decodeEthernet(f);
  const ether = { src: d.ether.src, dst: d.ether.dst };
  const summary = formatEthernetFrame(f);
  if (d.arp) return { summary, ether, proto: 'arp', arp: d.arp };
  const ip = d.ipv4;
  if (!ip) return { summary, ether, proto: 'other' };
  const base = { summary, ether, src: ip.src, dst: ip.dst, ttl: ip.ttl };
  if (ip.tcp) {
    const t = ip.tcp;
    return {
      ...base,
      proto: 'tcp',
      sport: t.sport,
      dport: t.dport,
      flags: formatTcpFlags(t.flags),
      seq: t.seq,
      ack: t.ack,
      len: t.len,
    };
  }
  if (ip.udp) return { ...base, proto: 'udp', sport: ip.udp.sport, dport: ip.udp.dport, len: ip.udp.len };
  if (ip.icmp) {
    const { type, code, id } = ip.icmp;
    return { ...base, proto: 'icmp', icmp: { type, code, ...(id !== undefined ? { id } : {}) } };
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
