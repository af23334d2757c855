// One-line packet summaries in the style of `tcpdump -nn` (numeric addresses and ports, no -v),
// for IPv4 packets and Ethernet frames (IPv4 and ARP). The timestamp and interface that tcpdump
// prints first are the caller's. Texts follow tcpdump 4.99's print-ip.c, print-tcp.c,
// print-udp.c, print-icmp.c and print-arp.c, checked against `tcpdump -nn -S -r` in the tests.
//
// Differences, on purpose: TCP sequence numbers are absolute (as `tcpdump -S`) unless a
// TcpSeqTracker is passed, which gives tcpdump's default relative numbers; protocols that tcpdump
// decodes further (DNS, DHCP and other UDP applications, GRE, ESP, IGMP, OSPF, MPTCP/TFO/UTO
// options) are printed generically (`UDP, length N`, `ip-proto-N N`, `unknown-N`).
import { formatIpv4, formatMac } from './addr.ts';
import { read16, read32 } from './checksum.ts';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';
import { formatRawTransport } from './format-raw.ts';
import {
  formatTcpFlags,
  parseTcpOptions,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  type TcpOption,
} from './tcp.ts';
import { parseIcmp, type IcmpHeader } from './icmp.ts';
import { ARPOP_REPLY, ARPOP_REQUEST } from './arp.ts';

/**
 * tcpdump's relative sequence numbers (its default, without -S), following print-tcp.c's
 * tcp_seq_hash: only packets with ACK set take part; the first one of a conversation, or any
 * SYN-ACK, records the bases of both directions and prints absolute numbers; later ones print
 * numbers relative to the bases. SACK blocks are relative to the other direction's base. Keep one
 * tracker per capture, in capture order.
 */
export class TcpSeqTracker {
  private readonly conns = new Map<string, { seq: number; ack: number }>();

  /** The numbers to print for one segment: seq, ack, and the base to take off SACK blocks. */
  relative(
    src: number,
    sport: number,
    dst: number,
    dport: number,
    seq: number,
    ack: number,
    flags: number,
  ): { seq: number; ack: number; sackBase: number } {
    if (!(flags & TCP_ACK)) return { seq, ack, sackBase: 0 };
    const rev = sport > dport || (sport === dport && src > dst);
    const key = rev ? `${dst}:${dport}-${src}:${sport}` : `${src}:${sport}-${dst}:${dport}`;
    let th = this.conns.get(key);
    if (th === undefined || flags & TCP_SYN) {
      th = rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 };
      this.conns.set(key, th);
    } else if (rev) {
      seq = (seq - th.ack) >>> 0;
      ack = (ack - th.seq) >>> 0;
    } else {
      seq = (seq - th.seq) >>> 0;
      ack = (ack - th.ack) >>> 0;
    }
    return { seq, ack, sackBase: rev ? th.seq : th.ack };
  }
}

export interface FormatOptions {
  /** Relative TCP sequence numbers, as tcpdump without -S. */
  tcpSeq?: TcpSeqTracker;
  /**
   * The IPv4 packet's length on the wire when the capture kept less of it (a snap length): the
   * lengths printed are the wire's, as tcpdump prints them, and only a packet shorter on the wire
   * than its IP header says is `truncated-ip`. Default: the bytes given.
   */
  wireLen?: number;
}

function hex(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

function formatTcpOptions(opts: readonly TcpOption[], seqBase: number): string {
  const out: string[] = [];
  for (const x of opts) {
    switch (x.kind) {
      case 'eol':
        out.push('eol');
        break;
      case 'nop':
        out.push('nop');
        break;
      case 'mss':
        out.push(`mss ${x.mss}`);
        break;
      case 'ws':
        out.push(`wscale ${x.shift}`);
        break;
      case 'sackOK':
        out.push('sackOK');
        break;
      case 'sack':
        out.push(
          `sack ${x.blocks.length} ` +
            x.blocks.map(([l, r]) => `{${(l - seqBase) >>> 0}:${(r - seqBase) >>> 0}}`).join(''),
        );
        break;
      case 'ts':
        out.push(`TS val ${x.val} ecr ${x.ecr}`);
        break;
      case 'unknown':
        if ((x.type === 253 || x.type === 254) && x.data.length >= 2) {
          out.push(`exp-${hex(x.data, 0, 2)}`); // RFC 6994 experiment id
        } else if (x.type === 19) {
          out.push(`md5 shared secret not supplied with -M, can't check - ${hex(x.data, 0, x.data.length)}`);
        } else {
          out.push(`unknown-${x.type}${x.data.length ? ' 0x' + hex(x.data, 0, x.data.length) : ''}`);
        }
    }
    if (x.kind === 'eol') break;
  }
  return out.join(',');
}

function formatTcp(
  b: Uint8Array,
  o: number,
  len: number,
  src: number,
  dst: number,
  opt: FormatOptions,
): string {
  if (len < 4) return ' [|tcp]';
  const sport = read16(b, o);
  const dport = read16(b, o + 2);
  const ends = `${formatIpv4(src)}.${sport} > ${formatIpv4(dst)}.${dport}:`;
  if (len < 20) return `${ends}  [|tcp]`;
  const hl = (b[o + 12]! >> 4) * 4;
  const flags = b[o + 13]!;
  if (hl < 20) return `${ends}  tcp ${len - hl} [bad hdr length ${hl} - too short, < 20]`;
  if (hl > len) return `${ends} Flags [${formatTcpFlags(flags)}] [bad hdr length ${hl} - too long, > ${len}]`;
  let seq = read32(b, o + 4);
  let ack = read32(b, o + 8);
  const win = read16(b, o + 14);
  const urg = read16(b, o + 18);
  const payload = len - hl;
  let seqBase = 0;
  if (opt.tcpSeq !== undefined) {
    const r = opt.tcpSeq.relative(src, sport, dst, dport, seq, ack, flags);
    seq = r.seq;
    ack = r.ack;
    seqBase = r.sackBase;
  }
  let s = `${ends} Flags [${formatTcpFlags(flags)}]`;
  if (payload > 0 || flags & (TCP_SYN | TCP_FIN | TCP_RST)) {
    s += `, seq ${seq}`;
    if (payload > 0) s += `:${(seq + payload) >>> 0}`;
  }
  if (flags & TCP_ACK) s += `, ack ${ack}`;
  s += `, win ${win}`;
  if (flags & TCP_URG) s += `, urg ${urg}`;
  if (hl > 20) {
    const opts = parseTcpOptions(b, o + 20, o + hl);
    s += opts.ok ? `, options [${formatTcpOptions(opts.value, seqBase)}]` : ', options [bad opt]';
  }
  s += `, length ${payload}`;
  if (payload > 0 && (sport === 80 || dport === 80 || sport === 8080 || dport === 8080)) {
    s += httpSummary(b, o + hl, Math.min(o + len, b.length)); // what was captured of the payload
  }
  return s;
}

// print-http.c's request methods; responses start with `HTTP/`. Matched case-insensitively.
const HTTP_METHODS = new Set([
  'OPTIONS',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'TRACE',
  'CONNECT',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'ORDERPATCH',
]);

/** tcpdump's txtproto_print without -v: `: HTTP`, then the first line of a request or response. */
function httpSummary(b: Uint8Array, from: number, to: number): string {
  let eol = from;
  while (eol < to && b[eol] !== 0x0a && b[eol] !== 0x0d) eol++;
  let line = '';
  for (let i = from; i < eol; i++) line += String.fromCharCode(b[i]!);
  const token = line.split(' ', 1)[0]!.toUpperCase();
  if (!HTTP_METHODS.has(token) && !token.startsWith('HTTP/')) return ': HTTP';
  return `: HTTP: ${line}${eol === to ? ' [|http]' : ''}`;
}

function formatUdp(b: Uint8Array, o: number, len: number, src: number, dst: number): string {
  if (len < 8) return ' [|udp]';
  const ends = `${formatIpv4(src)}.${read16(b, o)} > ${formatIpv4(dst)}.${read16(b, o + 2)}:`;
  const ulen = read16(b, o + 4);
  if (ulen < 8) return `${ends} truncated-udplength ${ulen}`;
  if (ulen > len) return `${ends} UDP, bad length ${ulen - 8} > ${len - 8}`;
  return `${ends} UDP, length ${ulen - 8}`;
}

// print-icmp.c unreach2str, indexed by code (0-15); `%s` is the quoted destination.
const UNREACH: readonly (string | undefined)[] = [
  'net %s unreachable',
  'host %s unreachable',
  undefined, // protocol: its own format
  undefined, // port: its own format
  undefined, // need to frag: its own format
  '%s unreachable - source route failed',
  'net %s unreachable - unknown',
  'host %s unreachable - unknown',
  '%s unreachable - source host isolated',
  'net %s unreachable - admin prohibited',
  'host %s unreachable - admin prohibited',
  'net %s unreachable - tos prohibited',
  'host %s unreachable - tos prohibited',
  'host %s unreachable - admin prohibited filter',
  'host %s unreachable - host precedence violation',
  'host %s unreachable - precedence cutoff',
];

const REDIRECT = [
  'redirect %s to net %s',
  'redirect %s to host %s',
  'redirect-tos %s to net %s',
  'redirect-tos %s to host %s',
];

/** An ICMP timestamp (ms since midnight UTC) as print-icmp.c prints it: HH:MM:SS.mmm. */
function msOfDay(b: Uint8Array, at: number): string {
  if (at + 4 > b.length) return '[|icmp]';
  const ms = read32(b, at);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(ms / 3600000);
  return `${p2(h)}:${p2(Math.floor(ms / 60000) % 60)}:${p2(Math.floor(ms / 1000) % 60)}.${String(ms % 1000).padStart(3, '0')}`;
}

function icmpText(b: Uint8Array, off: number, h: IcmpHeader): string {
  switch (h.kind) {
    case 'echo-request':
    case 'echo-reply':
      return `${h.kind === 'echo-request' ? 'echo request' : 'echo reply'}, id ${h.id}, seq ${h.seq}`;
    case 'timestamp-request':
      return `time stamp query id ${h.id} seq ${h.seq}`;
    case 'info-request':
      return 'information request';
    case 'info-reply':
      return 'information reply';
    case 'address-mask-request':
      return 'address mask request';
    case 'timestamp-reply':
      return (
        `time stamp reply id ${h.id} seq ${h.seq}: org ${msOfDay(b, off + 8)}, ` +
        `recv ${msOfDay(b, off + 12)}, xmit ${msOfDay(b, off + 16)}`
      );
    case 'address-mask-reply':
      return `address mask is 0x${read32(b, off + 8)
        .toString(16)
        .padStart(8, '0')}`;
    case 'dest-unreachable': {
      const q = h.quote;
      const idst = formatIpv4(q.ip.dst);
      if (h.code === 2) return `${idst} protocol ${q.ip.protocol} unreachable`;
      if (h.code === 3) {
        const port = read16(b, q.l4Offset + 2);
        if (q.ip.protocol === IPPROTO_TCP) return `${idst} tcp port ${port} unreachable`;
        if (q.ip.protocol === IPPROTO_UDP) return `${idst} udp port ${port} unreachable`;
        return `${idst} protocol ${q.ip.protocol} port ${port} unreachable`;
      }
      if (h.code === 4) {
        return h.nextHopMtu
          ? `${idst} unreachable - need to frag (mtu ${h.nextHopMtu})`
          : `${idst} unreachable - need to frag`;
      }
      const f = UNREACH[h.code];
      return f === undefined ? `${idst} unreachable - #${h.code}` : f.replace('%s', idst);
    }
    case 'redirect': {
      const idst = formatIpv4(h.quote.ip.dst);
      const gw = formatIpv4(h.gateway);
      const f = REDIRECT[h.code];
      return f === undefined
        ? `redirect-#${h.code} ${idst} to ${gw}`
        : f.replace('%s', idst).replace('%s', gw);
    }
    case 'time-exceeded':
      return h.code === 0
        ? 'time exceeded in-transit'
        : h.code === 1
          ? 'ip reassembly time exceeded'
          : `time exceeded-#${h.code}`;
    case 'parameter-problem':
      return h.code === 0 ? `parameter problem - octet ${h.pointer}` : `parameter problem - code ${h.code}`;
    case 'source-quench':
      return 'source quench';
    case 'other':
      return `type-#${h.type}`;
  }
}

function formatIcmp(b: Uint8Array, o: number, len: number): string {
  const h = parseIcmp(b, o, o + len);
  if (!h.ok) return ' [|icmp]';
  return `ICMP ${icmpText(b, o, h.value)}, length ${len}`;
}

/**
 * One IPv4 packet at `o` (to `end`) as `tcpdump -nn` prints it after the timestamp, e.g.
 * `IP 192.168.1.10.40000 > 82.120.11.22.80: Flags [S], seq 1000, win 64240, options [...], length 0`.
 */
export function formatIpv4Packet(b: Uint8Array, o = 0, end = b.length, opt: FormatOptions = {}): string {
  if (end > b.length) end = b.length;
  const avail = end - o;
  if (avail < 20) return 'IP  [|ip]';
  const version = b[o]! >> 4;
  if (version !== 4) return version === 6 ? ' [|ip6]' : `IP${version} [|ip]`;
  const hl = (b[o]! & 0x0f) * 4;
  if (hl < 20) return `IP bad-hlen ${hl}`;
  const total = read16(b, o + 2);
  if (total < hl) return `IP bad-len ${total}`;
  let prefix = 'IP ';
  let len = total;
  // A wire length beyond the capture is taken only when the whole IP and TCP/UDP header was kept
  // (60 bytes past the IP header): the headers are read from the captured bytes.
  const wire = opt.wireLen !== undefined && opt.wireLen > avail && avail - hl >= 60 ? opt.wireLen : avail;
  if (total > wire) {
    prefix = `IP truncated-ip - ${total - wire} bytes missing! `;
    len = wire;
  }
  if (hl > avail) return `${prefix} [|ip]`;
  const src = read32(b, o + 12);
  const dst = read32(b, o + 16);
  const proto = b[o + 9]!;
  const l4 = o + hl;
  const l4len = len - hl;
  if ((read16(b, o + 6) & 0x1fff) !== 0) {
    // Not the first fragment: no L4 header to show (print-ip.c).
    return `${prefix}${formatIpv4(src)} > ${formatIpv4(dst)}: ip-proto-${proto}`;
  }
  switch (proto) {
    case IPPROTO_TCP: {
      const t = formatTcp(b, l4, l4len, src, dst, opt);
      return t.startsWith(' ') ? `${prefix}${formatIpv4(src)} > ${formatIpv4(dst)}: ${t}` : prefix + t;
    }
    case IPPROTO_UDP: {
      const u = formatUdp(b, l4, l4len, src, dst);
      return u.startsWith(' ') ? `${prefix}${formatIpv4(src)} > ${formatIpv4(dst)}: ${u}` : prefix + u;
    }
    case IPPROTO_ICMP:
      return `${prefix}${formatIpv4(src)} > ${formatIpv4(dst)}: ${formatIcmp(b, l4, Math.min(l4len, avail - hl))}`;
    default: {
      const raw = formatRawTransport(b, proto, l4, Math.min(l4len, avail - hl), src, dst);
      if (raw !== undefined) return prefix + raw;
      return `${prefix}${formatIpv4(src)} > ${formatIpv4(dst)}:  ip-proto-${proto} ${l4len}`;
    }
  }
}

/** An ARP packet at `o`; `len` is what tcpdump calls its length (the frame minus the Ethernet header). */
export function formatArp(b: Uint8Array, o: number, len: number): string {
  if (len < 8 || o + 8 > b.length) return 'ARP, [|ARP]';
  const htype = read16(b, o);
  const ptype = read16(b, o + 2);
  const op = read16(b, o + 6);
  if (
    htype !== 1 ||
    ptype !== ETHERTYPE_IPV4 ||
    b[o + 4] !== 6 ||
    b[o + 5] !== 4 ||
    len < 28 ||
    o + 28 > b.length
  ) {
    return `ARP, hardware type ${htype}, protocol type 0x${ptype.toString(16).padStart(4, '0')}, op ${op}, length ${len}`;
  }
  const spa = formatIpv4(read32(b, o + 14));
  const tpa = formatIpv4(read32(b, o + 24));
  if (op === ARPOP_REQUEST) return `ARP, Request who-has ${tpa} tell ${spa}, length ${len}`;
  if (op === ARPOP_REPLY) return `ARP, Reply ${spa} is-at ${formatMac(b, o + 8)}, length ${len}`;
  return `ARP, Unknown (${op}), length ${len}`;
}

/** An Ethernet frame as `tcpdump -nn` prints it without -e: ARP and IPv4 lines; others by type. */
export function formatEthernetFrame(b: Uint8Array, o = 0, end = b.length, opt: FormatOptions = {}): string {
  if (end > b.length) end = b.length;
  if (end - o < ETH_HEADER_LEN) return '[|ether]';
  const type = read16(b, o + 12);
  const p = o + ETH_HEADER_LEN;
  if (type === ETHERTYPE_IPV4) return formatIpv4Packet(b, p, end, opt);
  if (type === ETHERTYPE_ARP) return formatArp(b, p, end - p);
  return `ethertype 0x${type.toString(16).padStart(4, '0')}, length ${end - o}`;
}
