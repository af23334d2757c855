// ICMP for IPv4 (RFC 792, RFC 1191 for the next-hop MTU, RFC 1812 §4.3.2.3 for the quote):
// offsets, accessors, an echo id setter that fixes the checksum (what NAT rewrites), parse of every
// message into a header with, for errors, a nested view of the quoted packet, and emit of echo and
// error messages. What to do with a message (conntrack RELATED, NAT of the quote) is netfilter's.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | echo, echo reply:  Identifier  |       Sequence Number        |
//   | unreachable:       unused      |  Next-Hop MTU (code 4 only)  |
//   | redirect:          Gateway Internet Address                   |
//   | parameter problem: Pointer     |  unused                      |
//   | time exceeded, source quench:  unused (zero)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | echo: Data ...                                                |
//   | errors: Internet Header + at least 64 bits of Original Data   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { checksum, checksumUpdate16, read16, read32, write16, write32 } from './checksum.ts';
import { err, ok, type Result } from './addr.ts';
import { emitIpv4Header, IPPROTO_ICMP, parseIpv4HeaderQuoted, type Ipv4Header } from './ipv4.ts';

export const ICMP_HEADER_LEN = 8;

// Types, with the kernel's names (include/uapi/linux/icmp.h).
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMPREPLY = 14;
export const ICMP_INFO_REQUEST = 15;
export const ICMP_INFO_REPLY = 16;
export const ICMP_ADDRESS = 17;
export const ICMP_ADDRESSREPLY = 18;

// Codes for ICMP_DEST_UNREACH.
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_HOST_ISOLATED = 8;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_NET_UNR_TOS = 11;
export const ICMP_HOST_UNR_TOS = 12;
export const ICMP_PKT_FILTERED = 13;
export const ICMP_PREC_VIOLATION = 14;
export const ICMP_PREC_CUTOFF = 15;

// Codes for ICMP_REDIRECT.
export const ICMP_REDIR_NET = 0;
export const ICMP_REDIR_HOST = 1;
export const ICMP_REDIR_NETTOS = 2;
export const ICMP_REDIR_HOSTTOS = 3;

// Codes for ICMP_TIME_EXCEEDED.
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

/** Names of the destination-unreachable codes, as iptables' `--icmp-type` spells them. */
export const ICMP_UNREACH_NAMES: readonly string[] = [
  'network-unreachable',
  'host-unreachable',
  'protocol-unreachable',
  'port-unreachable',
  'fragmentation-needed',
  'source-route-failed',
  'network-unknown',
  'host-unknown',
  'source-host-isolated',
  'network-prohibited',
  'host-prohibited',
  'TOS-network-unreachable',
  'TOS-host-unreachable',
  'communication-prohibited',
  'host-precedence-violation',
  'precedence-cutoff',
];

/** Error types, whose body quotes the offending packet (the kernel's icmp_is_err). */
export function icmpIsError(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_SOURCE_QUENCH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETERPROB
  );
}

/** Query types that carry an identifier (conntrack tracks them by id: nf_conntrack_proto_icmp.c). */
export function icmpIsQuery(type: number): boolean {
  return (
    type === ICMP_ECHO ||
    type === ICMP_ECHOREPLY ||
    type === ICMP_TIMESTAMP ||
    type === ICMP_TIMESTAMPREPLY ||
    type === ICMP_INFO_REQUEST ||
    type === ICMP_INFO_REPLY ||
    type === ICMP_ADDRESS ||
    type === ICMP_ADDRESSREPLY
  );
}

export const icmpType = (b: Uint8Array, o: number): number => b[o]!;
export const icmpCode = (b: Uint8Array, o: number): number => b[o + 1]!;
export const icmpChecksumField = (b: Uint8Array, o: number): number => read16(b, o + 2);
/** The identifier of a query message (echo, timestamp, information, address mask). */
export const icmpEchoId = (b: Uint8Array, o: number): number => read16(b, o + 4);
export const icmpEchoSeq = (b: Uint8Array, o: number): number => read16(b, o + 6);
/** The 32-bit word after the checksum, whatever the type makes of it. */
export const icmpRest = (b: Uint8Array, o: number): number => read32(b, o + 4);
/** Next-hop MTU of a fragmentation-needed message (RFC 1191 §4). */
export const icmpNextHopMtu = (b: Uint8Array, o: number): number => read16(b, o + 6);
export const icmpGateway = (b: Uint8Array, o: number): number => read32(b, o + 4);
export const icmpPointer = (b: Uint8Array, o: number): number => b[o + 4]!;

/** Sets the query identifier and fixes the ICMP checksum (RFC 1624), as NAT of an echo does. */
export function icmpSetEchoId(b: Uint8Array, o: number, id: number): void {
  write16(b, o + 2, checksumUpdate16(read16(b, o + 2), read16(b, o + 4), id));
  write16(b, o + 4, id);
}

export function icmpSetEchoSeq(b: Uint8Array, o: number, seq: number): void {
  write16(b, o + 2, checksumUpdate16(read16(b, o + 2), read16(b, o + 6), seq));
  write16(b, o + 6, seq);
}

/** The checksum the message (`len` bytes from `o`) should carry. No pseudo-header for ICMPv4. */
export function icmpComputeChecksum(b: Uint8Array, o: number, len: number): number {
  const saved = read16(b, o + 2);
  write16(b, o + 2, 0);
  const c = checksum(b, o, len);
  write16(b, o + 2, saved);
  return c;
}

export function icmpChecksumOk(b: Uint8Array, o: number, len: number): boolean {
  return checksum(b, o, len) === 0;
}

/** Recomputes the whole checksum, as nf_nat_icmp_reply_translation does after NAT of a quote. */
export function icmpFillChecksum(b: Uint8Array, o: number, len: number): void {
  write16(b, o + 2, icmpComputeChecksum(b, o, len));
}

/** Where the quoted packet of an error sits in the buffer (absolute offsets). */
export interface IcmpQuote {
  /** Offset of the quoted IPv4 header. */
  readonly ipOffset: number;
  /** Offset of the quoted L4 header (ipOffset + the quoted IHL). */
  readonly l4Offset: number;
  /** End of the quote (the end of the ICMP message); at least l4Offset + 8. */
  readonly end: number;
  /** The quoted header; its totalLength is the original one and may run past `end`. */
  readonly ip: Ipv4Header;
}

interface IcmpCommon {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
}

export type IcmpQueryKind =
  | 'echo-request'
  | 'echo-reply'
  | 'timestamp-request'
  | 'timestamp-reply'
  | 'info-request'
  | 'info-reply'
  | 'address-mask-request'
  | 'address-mask-reply';

export type IcmpHeader =
  | (IcmpCommon & { readonly kind: IcmpQueryKind; readonly id: number; readonly seq: number })
  | (IcmpCommon & {
      readonly kind: 'dest-unreachable';
      readonly nextHopMtu: number;
      readonly quote: IcmpQuote;
    })
  | (IcmpCommon & { readonly kind: 'source-quench'; readonly quote: IcmpQuote })
  | (IcmpCommon & { readonly kind: 'redirect'; readonly gateway: number; readonly quote: IcmpQuote })
  | (IcmpCommon & { readonly kind: 'time-exceeded'; readonly quote: IcmpQuote })
  | (IcmpCommon & { readonly kind: 'parameter-problem'; readonly pointer: number; readonly quote: IcmpQuote })
  | (IcmpCommon & { readonly kind: 'other'; readonly rest: number });

export type IcmpError =
  /** Fewer than the 8 header bytes. */
  | 'truncated'
  /** An error whose quote is shorter than the quoted IP header plus 8 bytes. */
  | 'truncated-quote'
  /** An error whose quote is not an IPv4 header (version, IHL or total length wrong). */
  | 'bad-quote';

const QUERY_KINDS: Readonly<Record<number, IcmpQueryKind>> = {
  [ICMP_ECHO]: 'echo-request',
  [ICMP_ECHOREPLY]: 'echo-reply',
  [ICMP_TIMESTAMP]: 'timestamp-request',
  [ICMP_TIMESTAMPREPLY]: 'timestamp-reply',
  [ICMP_INFO_REQUEST]: 'info-request',
  [ICMP_INFO_REPLY]: 'info-reply',
  [ICMP_ADDRESS]: 'address-mask-request',
  [ICMP_ADDRESSREPLY]: 'address-mask-reply',
};

const QUERY_TYPES: Readonly<Record<IcmpQueryKind, number>> = {
  'echo-request': ICMP_ECHO,
  'echo-reply': ICMP_ECHOREPLY,
  'timestamp-request': ICMP_TIMESTAMP,
  'timestamp-reply': ICMP_TIMESTAMPREPLY,
  'info-request': ICMP_INFO_REQUEST,
  'info-reply': ICMP_INFO_REPLY,
  'address-mask-request': ICMP_ADDRESS,
  'address-mask-reply': ICMP_ADDRESSREPLY,
};

/**
 * Parses the quote of an error: the quoted IPv4 header plus at least 8 bytes of what followed it
 * (RFC 792; the ports of TCP/UDP and the id of an ICMP query are in those 8 bytes, which is what
 * the kernel's icmp_error_message needs to find the connection).
 */
export function parseIcmpQuote(b: Uint8Array, q: number, end: number): Result<IcmpQuote, IcmpError> {
  if (end - q < 20) return err('truncated-quote');
  const ip = parseIpv4HeaderQuoted(b, q, end);
  if (!ip.ok) return err(ip.error === 'truncated' ? 'truncated-quote' : 'bad-quote');
  const l4 = q + ip.value.headerLength;
  if (end - l4 < 8) return err('truncated-quote');
  return ok({ ipOffset: q, l4Offset: l4, end, ip: ip.value });
}

/** Parses the ICMP message of `end - o` bytes at `o` (the IP payload). Does not check the checksum. */
export function parseIcmp(b: Uint8Array, o: number, end: number): Result<IcmpHeader, IcmpError> {
  if (end > b.length) end = b.length;
  if (o < 0 || end - o < ICMP_HEADER_LEN) return err('truncated');
  const type = b[o]!;
  const code = b[o + 1]!;
  const cs = read16(b, o + 2);
  const query = QUERY_KINDS[type];
  if (query !== undefined) {
    return ok({ type, code, checksum: cs, kind: query, id: read16(b, o + 4), seq: read16(b, o + 6) });
  }
  if (!icmpIsError(type)) return ok({ type, code, checksum: cs, kind: 'other', rest: read32(b, o + 4) });
  const q = parseIcmpQuote(b, o + ICMP_HEADER_LEN, end);
  if (!q.ok) return q;
  const quote = q.value;
  switch (type) {
    case ICMP_DEST_UNREACH:
      return ok({ type, code, checksum: cs, kind: 'dest-unreachable', nextHopMtu: read16(b, o + 6), quote });
    case ICMP_SOURCE_QUENCH:
      return ok({ type, code, checksum: cs, kind: 'source-quench', quote });
    case ICMP_REDIRECT:
      return ok({ type, code, checksum: cs, kind: 'redirect', gateway: read32(b, o + 4), quote });
    case ICMP_TIME_EXCEEDED:
      return ok({ type, code, checksum: cs, kind: 'time-exceeded', quote });
    default:
      return ok({ type, code, checksum: cs, kind: 'parameter-problem', pointer: b[o + 4]!, quote });
  }
}

/** What to emit: the header fields of one message (the body is passed beside it). */
export type IcmpEmit =
  | { kind: IcmpQueryKind; code?: number; id: number; seq: number }
  | { kind: 'dest-unreachable'; code: number; nextHopMtu?: number }
  | { kind: 'source-quench'; code?: number }
  | { kind: 'redirect'; code: number; gateway: number }
  | { kind: 'time-exceeded'; code: number }
  | { kind: 'parameter-problem'; code?: number; pointer: number }
  | { kind: 'other'; type: number; code: number; rest: number };

/** The type number of a message to emit. */
export function icmpEmitType(h: IcmpEmit): number {
  switch (h.kind) {
    case 'dest-unreachable':
      return ICMP_DEST_UNREACH;
    case 'source-quench':
      return ICMP_SOURCE_QUENCH;
    case 'redirect':
      return ICMP_REDIRECT;
    case 'time-exceeded':
      return ICMP_TIME_EXCEEDED;
    case 'parameter-problem':
      return ICMP_PARAMETERPROB;
    case 'other':
      return h.type;
    default:
      return QUERY_TYPES[h.kind];
  }
}

/** Writes the 8-byte header and `body` after it, then the checksum. Returns the message length. */
export function emitIcmp(h: IcmpEmit, body: Uint8Array, b: Uint8Array, o = 0): number {
  b[o] = icmpEmitType(h);
  b[o + 1] = h.code ?? 0;
  write16(b, o + 2, 0);
  switch (h.kind) {
    case 'dest-unreachable':
      write32(b, o + 4, (h.nextHopMtu ?? 0) & 0xffff);
      break;
    case 'redirect':
      write32(b, o + 4, h.gateway >>> 0);
      break;
    case 'parameter-problem':
      write32(b, o + 4, ((h.pointer & 0xff) << 24) >>> 0);
      break;
    case 'source-quench':
    case 'time-exceeded':
      write32(b, o + 4, 0);
      break;
    case 'other':
      write32(b, o + 4, h.rest >>> 0);
      break;
    default:
      write16(b, o + 4, h.id);
      write16(b, o + 6, h.seq);
  }
  b.set(body, o + ICMP_HEADER_LEN);
  const len = ICMP_HEADER_LEN + body.length;
  write16(b, o + 2, checksum(b, o, len));
  return len;
}

/** RFC 1812 §4.3.2.3 and the kernel: an ICMP error is at most 576 bytes long. */
export const ICMP_ERROR_MAX_LEN = 576;

/**
 * How many bytes of the offending packet (counted from its IP header) an error quotes. Follows the
 * kernel's __icmp_send in net/ipv4/icmp.c: `room = min(dst_mtu, 576) - sizeof(iphdr) - optlen -
 * sizeof(icmphdr)`, and the quote is the whole packet when it fits in `room`, else `room` bytes.
 * (The kernel sends nothing when room is not more than an IP header; that is the caller's call.)
 */
export function icmpQuoteLength(
  offendingLength: number,
  mtu = ICMP_ERROR_MAX_LEN,
  outerOptionsLength = 0,
): number {
  const room = Math.min(mtu, ICMP_ERROR_MAX_LEN) - 20 - outerOptionsLength - ICMP_HEADER_LEN;
  return Math.max(0, Math.min(offendingLength, room));
}

/**
 * Writes an error message quoting `offending` (its bytes from the IP header on), cut as the kernel
 * cuts it (icmpQuoteLength). Returns the message length.
 */
export function emitIcmpError(
  h: Exclude<IcmpEmit, { kind: IcmpQueryKind } | { kind: 'other' }>,
  offending: Uint8Array,
  b: Uint8Array,
  o = 0,
  mtu = ICMP_ERROR_MAX_LEN,
): number {
  const q = icmpQuoteLength(offending.length, mtu);
  return emitIcmp(h, offending.subarray(0, q), b, o);
}

/** Writes an echo request or reply with `payload`. Returns the message length. */
export function emitIcmpEcho(
  kind: 'echo-request' | 'echo-reply',
  id: number,
  seq: number,
  payload: Uint8Array,
  b: Uint8Array,
  o = 0,
): number {
  return emitIcmp({ kind, id, seq }, payload, b, o);
}

/** The outer IP header of an ICMP packet built by `buildIcmpPacket`. */
export interface IcmpIpFields {
  src: number;
  dst: number;
  ttl?: number;
  tos?: number;
  id?: number;
  dontFragment?: boolean;
}

/**
 * A whole IPv4 packet carrying one ICMP message: for errors the quote is cut as the kernel cuts it
 * and, unless given, the TOS is the kernel's for errors (__icmp_send: the offending TOS with
 * precedence "internetwork control", `RT_TOS(iph->tos) | IPTOS_PREC_INTERNETCONTROL`).
 */
export function buildIcmpPacket(
  ip: IcmpIpFields,
  h: IcmpEmit,
  body: Uint8Array,
  mtu = ICMP_ERROR_MAX_LEN,
): Uint8Array {
  const error = icmpIsError(icmpEmitType(h));
  const data = error ? body.subarray(0, icmpQuoteLength(body.length, mtu)) : body;
  const p = new Uint8Array(20 + ICMP_HEADER_LEN + data.length);
  const offendingTos = error && body.length > 1 ? body[1]! : 0;
  const tos = ip.tos ?? (error ? 0xc0 | (offendingTos & 0x1e) : 0);
  emitIpv4Header(
    {
      src: ip.src,
      dst: ip.dst,
      ttl: ip.ttl ?? 64,
      protocol: IPPROTO_ICMP,
      tos,
      id: ip.id ?? 0,
      dontFragment: ip.dontFragment,
    },
    ICMP_HEADER_LEN + data.length,
    p,
    0,
  );
  emitIcmp(h, data, p, 20);
  return p;
}
