// IPv4 header (RFC 791 §3.1): field offsets, fast accessors over bytes, setters that keep the
// header checksum right (RFC 1624), options (RFC 791 §3.1, kept raw when unknown), and parse/emit
// of a plain header object. The TOS byte is DSCP (RFC 2474) and ECN (RFC 3168).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Identification        |Flags|      Fragment Offset    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options                    |    Padding    |
import { checksum, checksumUpdate16, read16, read32, write16, write32 } from './checksum.ts';
import { err, ok, type Result } from './addr.ts';

export const IPV4_OFF = {
  versionIhl: 0,
  tos: 1,
  totalLength: 2,
  id: 4,
  flagsFragment: 6,
  ttl: 8,
  protocol: 9,
  checksum: 10,
  src: 12,
  dst: 16,
} as const;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_DF = 0x4000;
export const IPV4_MF = 0x2000;
export const IPV4_OFFMASK = 0x1fff;

export const ipv4Version = (b: Uint8Array, o: number): number => b[o]! >> 4;
export const ipv4HeaderLength = (b: Uint8Array, o: number): number => (b[o]! & 0x0f) * 4;
export const ipv4TotalLength = (b: Uint8Array, o: number): number => read16(b, o + 2);
export const ipv4Protocol = (b: Uint8Array, o: number): number => b[o + 9]!;
export const ipv4Ttl = (b: Uint8Array, o: number): number => b[o + 8]!;
export const ipv4Src = (b: Uint8Array, o: number): number => read32(b, o + 12);
export const ipv4Dst = (b: Uint8Array, o: number): number => read32(b, o + 16);
export const ipv4Id = (b: Uint8Array, o: number): number => read16(b, o + 4);
/** Fragment offset in 8-byte units and the MF flag: a packet is a fragment when either is set. */
export const ipv4IsFragment = (b: Uint8Array, o: number): boolean => (read16(b, o + 6) & 0x3fff) !== 0;
/** A fragment other than the first: it carries no L4 header (kernel: ip_is_fragment + IP_OFFSET). */
export const ipv4IsLaterFragment = (b: Uint8Array, o: number): boolean => (read16(b, o + 6) & 0x1fff) !== 0;
export const ipv4Tos = (b: Uint8Array, o: number): number => b[o + 1]!;
/** Differentiated Services Code Point: the upper six bits of the TOS byte (RFC 2474). */
export const ipv4Dscp = (b: Uint8Array, o: number): number => b[o + 1]! >> 2;
/** ECN codepoint: the lower two bits of the TOS byte (RFC 3168 §5): 0 Not-ECT, 1/2 ECT, 3 CE. */
export const ipv4Ecn = (b: Uint8Array, o: number): number => b[o + 1]! & 3;
/** The three flag bits (reserved, DF, MF) as a number 0-7. */
export const ipv4Flags = (b: Uint8Array, o: number): number => b[o + 6]! >> 5;
export const ipv4DontFragment = (b: Uint8Array, o: number): boolean => (b[o + 6]! & 0x40) !== 0;
export const ipv4MoreFragments = (b: Uint8Array, o: number): boolean => (b[o + 6]! & 0x20) !== 0;
/** Fragment offset in bytes (the field counts 8-byte units). */
export const ipv4FragmentOffset = (b: Uint8Array, o: number): number => (read16(b, o + 6) & IPV4_OFFMASK) * 8;
export const ipv4ChecksumField = (b: Uint8Array, o: number): number => read16(b, o + 10);

/** Writes a 16-bit word of the header and fixes the checksum (RFC 1624). `w` is the word's offset. */
function setWord(b: Uint8Array, o: number, w: number, v: number): void {
  write16(b, o + 10, checksumUpdate16(read16(b, o + 10), read16(b, o + w), v));
  write16(b, o + w, v);
}

export const ipv4SetTos = (b: Uint8Array, o: number, tos: number): void =>
  setWord(b, o, 0, (b[o]! << 8) | (tos & 0xff));
export const ipv4SetDscp = (b: Uint8Array, o: number, dscp: number): void =>
  ipv4SetTos(b, o, ((dscp & 0x3f) << 2) | (b[o + 1]! & 3));
export const ipv4SetEcn = (b: Uint8Array, o: number, ecn: number): void =>
  ipv4SetTos(b, o, (b[o + 1]! & 0xfc) | (ecn & 3));
export const ipv4SetTotalLength = (b: Uint8Array, o: number, v: number): void => setWord(b, o, 2, v);
export const ipv4SetId = (b: Uint8Array, o: number, v: number): void => setWord(b, o, 4, v);
/** Sets the flags (reserved/DF/MF as 0-7) and fragment offset in bytes (a multiple of 8). */
export const ipv4SetFlagsFragment = (b: Uint8Array, o: number, flags: number, offsetBytes: number): void =>
  setWord(b, o, 6, ((flags & 7) << 13) | ((offsetBytes / 8) & IPV4_OFFMASK));
export const ipv4SetTtl = (b: Uint8Array, o: number, ttl: number): void =>
  setWord(b, o, 8, ((ttl & 0xff) << 8) | b[o + 9]!);
export const ipv4SetProtocol = (b: Uint8Array, o: number, p: number): void =>
  setWord(b, o, 8, (b[o + 8]! << 8) | (p & 0xff));

export function ipv4FillChecksum(b: Uint8Array, o: number): void {
  write16(b, o + 10, ipv4ComputeChecksum(b, o));
}

/** Sets the source address and fixes the header checksum incrementally (RFC 1624). */
export function ipv4SetSrc(b: Uint8Array, o: number, v: number): void {
  setAddr(b, o, (o + 12) | 0, v);
}

export function ipv4SetDst(b: Uint8Array, o: number, v: number): void {
  setAddr(b, o, (o + 16) | 0, v);
}

/**
 * The address at b[i..i+3] of the header at `o` becomes `v` (uint32 or int32), and the checksum
 * is updated as checksumUpdate32 does (two 16-bit RFC 1624 updates in a row, each folded: the
 * same bytes, 0xffff/0x0000 included), written out on the bytes: every packet NAT rewrites, and
 * every new connection of the benches, calls it (no calls, one read and one write per byte).
 */
function setAddr(b: Uint8Array, o: number, i: number, v: number): void {
  const c = (o + 10) | 0;
  const nh = v >>> 16;
  const nl = v & 0xffff;
  // ~HC + ~m + m' for the high words, folded: the first update's ~HC' (checksumUpdate16).
  let s = (~((b[c]! << 8) | b[(c + 1) | 0]!) & 0xffff) + (~((b[i]! << 8) | b[(i + 1) | 0]!) & 0xffff) + nh;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  s += (~((b[(i + 2) | 0]! << 8) | b[(i + 3) | 0]!) & 0xffff) + nl;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  const hc = ~s & 0xffff;
  b[c] = hc >>> 8;
  b[(c + 1) | 0] = hc & 0xff;
  b[i] = nh >>> 8;
  b[(i + 1) | 0] = nh & 0xff;
  b[(i + 2) | 0] = nl >>> 8;
  b[(i + 3) | 0] = nl & 0xff;
}

/** Decrements TTL and fixes the checksum (the TTL shares its 16-bit word with the protocol). */
export function ipv4DecTtl(b: Uint8Array, o: number): void {
  const old = read16(b, o + 8);
  b[o + 8] = (b[o + 8]! - 1) & 0xff;
  write16(b, o + 10, checksumUpdate16(read16(b, o + 10), old, read16(b, o + 8)));
}

export function ipv4ComputeChecksum(b: Uint8Array, o: number): number {
  const hl = ipv4HeaderLength(b, o);
  const saved = read16(b, o + 10);
  write16(b, o + 10, 0);
  const c = checksum(b, o, hl);
  write16(b, o + 10, saved);
  return c;
}

export function ipv4ChecksumOk(b: Uint8Array, o: number): boolean {
  return checksum(b, o, ipv4HeaderLength(b, o)) === 0;
}

export interface Ipv4Header {
  readonly tos: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffset: number; // in bytes
  readonly ttl: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  readonly options: Uint8Array; // raw, a multiple of 4 bytes
  readonly totalLength: number;
  readonly checksum: number;
  /** IHL in bytes (20 + options). */
  readonly headerLength: number;
  /** The reserved ("evil") flag bit, kept so that emit reproduces the bytes. */
  readonly reservedFlag: boolean;
}

export type Ipv4Error = 'truncated' | 'not-ipv4' | 'bad-ihl' | 'bad-total-length' | 'bad-checksum';

/** Validates the header against the buffer (RFC 1122 §3.2.1.1 checks) and returns its fields. */
export function parseIpv4Header(b: Uint8Array, o = 0, end = b.length): Result<Ipv4Header, Ipv4Error> {
  const h = parseIpv4HeaderQuoted(b, o, end);
  if (!h.ok) return h;
  if (h.value.totalLength > Math.min(end, b.length) - o) return err('bad-total-length');
  return h;
}

/**
 * Parses a header whose datagram may be cut short, as inside an ICMP error's quote: the IHL must
 * fit in the buffer and the total length must cover the header, but the total length may run past
 * `end`.
 */
export function parseIpv4HeaderQuoted(b: Uint8Array, o = 0, end = b.length): Result<Ipv4Header, Ipv4Error> {
  if (end > b.length) end = b.length;
  if (o < 0 || end - o < 20) return err('truncated');
  if (b[o]! >> 4 !== 4) return err('not-ipv4');
  const hl = ipv4HeaderLength(b, o);
  if (hl < 20) return err('bad-ihl');
  if (end - o < hl) return err('truncated');
  const total = ipv4TotalLength(b, o);
  if (total < hl) return err('bad-total-length');
  const ff = read16(b, o + 6);
  return ok({
    tos: b[o + 1]!,
    id: read16(b, o + 4),
    dontFragment: (ff & 0x4000) !== 0,
    moreFragments: (ff & 0x2000) !== 0,
    fragmentOffset: (ff & 0x1fff) * 8,
    ttl: b[o + 8]!,
    protocol: b[o + 9]!,
    src: read32(b, o + 12),
    dst: read32(b, o + 16),
    options: b.slice(o + 20, o + hl),
    totalLength: total,
    checksum: read16(b, o + 10),
    headerLength: hl,
    reservedFlag: (ff & 0x8000) !== 0,
  });
}

export interface Ipv4Emit {
  tos?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  reservedFlag?: boolean;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  options?: Uint8Array;
}

/** Writes a header for a payload of `payloadLength` bytes, with its checksum; returns its length. */
export function emitIpv4Header(h: Ipv4Emit, payloadLength: number, b: Uint8Array, o = 0): number {
  const opts = h.options ?? new Uint8Array(0);
  if (opts.length % 4 !== 0 || opts.length > 40)
    throw new Error('IPv4 options must be 0-40 bytes, a multiple of 4');
  const hl = 20 + opts.length;
  b[o] = 0x40 | (hl / 4);
  b[o + 1] = h.tos ?? 0;
  write16(b, o + 2, hl + payloadLength);
  write16(b, o + 4, h.id ?? 0);
  const frag = ((h.fragmentOffset ?? 0) / 8) & 0x1fff;
  const rf = h.reservedFlag ? 0x8000 : 0;
  write16(b, o + 6, rf | (h.dontFragment ? 0x4000 : 0) | (h.moreFragments ? 0x2000 : 0) | frag);
  b[o + 8] = h.ttl;
  b[o + 9] = h.protocol;
  write16(b, o + 10, 0);
  write32(b, o + 12, h.src);
  write32(b, o + 16, h.dst);
  b.set(opts, o + 20);
  write16(b, o + 10, checksum(b, o, hl));
  return hl;
}

/** One IPv4 option (RFC 791 §3.1); every kind but EOL and NOP keeps its data bytes as they were. */
export type Ipv4Option =
  | { readonly kind: 'eol' }
  | { readonly kind: 'nop' }
  | { readonly kind: 'option'; readonly type: number; readonly data: Uint8Array };

export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_SEC = 130;
export const IPOPT_LSRR = 131;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148;

/**
 * Parses the options area (`Ipv4Header.options` or bytes 20..IHL of a header). Stops at EOL, as the
 * kernel's __ip_options_compile does; a length under 2 or past the end is an error.
 */
export function parseIpv4Options(
  b: Uint8Array,
  start = 0,
  end = b.length,
): Result<Ipv4Option[], 'bad-option'> {
  const out: Ipv4Option[] = [];
  if (end > b.length) end = b.length;
  let i = start;
  while (i < end) {
    const type = b[i]!;
    if (type === IPOPT_END) {
      out.push({ kind: 'eol' });
      break;
    }
    if (type === IPOPT_NOOP) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end) return err('bad-option');
    const len = b[i + 1]!;
    if (len < 2 || i + len > end) return err('bad-option');
    out.push({ kind: 'option', type, data: b.slice(i + 2, i + len) });
    i += len;
  }
  return ok(out);
}

/** The options' bytes, padded with zeros (EOL) to a multiple of 4, ready for `Ipv4Emit.options`. */
export function emitIpv4Options(opts: readonly Ipv4Option[]): Uint8Array {
  let n = 0;
  for (const x of opts) n += x.kind === 'option' ? 2 + x.data.length : 1;
  const out = new Uint8Array((n + 3) & ~3);
  let i = 0;
  for (const x of opts) {
    if (x.kind === 'eol') out[i++] = IPOPT_END;
    else if (x.kind === 'nop') out[i++] = IPOPT_NOOP;
    else {
      out[i] = x.type;
      out[i + 1] = 2 + x.data.length;
      out.set(x.data, i + 2);
      i += 2 + x.data.length;
    }
  }
  return out;
}
