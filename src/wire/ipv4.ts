// IPv4 header (RFC 791 §3.1): field offsets, fast accessors over bytes, a reusable view, and
// parse/emit of a plain header object. Rewrites through the setters keep the header checksum right.
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
import { checksum, checksumUpdate16, checksumUpdate32, read16, read32, write16, write32 } from './checksum.ts';
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

export const ipv4HeaderLength = (b: Uint8Array, o: number): number => (b[o]! & 0x0f) * 4;
export const ipv4TotalLength = (b: Uint8Array, o: number): number => read16(b, o + 2);
export const ipv4Protocol = (b: Uint8Array, o: number): number => b[o + 9]!;
export const ipv4Ttl = (b: Uint8Array, o: number): number => b[o + 8]!;
export const ipv4Src = (b: Uint8Array, o: number): number => read32(b, o + 12);
export const ipv4Dst = (b: Uint8Array, o: number): number => read32(b, o + 16);
export const ipv4Id = (b: Uint8Array, o: number): number => read16(b, o + 4);
/** Fragment offset in 8-byte units and the MF flag: a packet is a fragment when either is set. */
export const ipv4IsFragment = (b: Uint8Array, o: number): boolean => (read16(b, o + 6) & 0x3fff) !== 0;

/** Sets the source address and fixes the header checksum incrementally (RFC 1624). */
export function ipv4SetSrc(b: Uint8Array, o: number, v: number): void {
  write16(b, o + 10, checksumUpdate32(read16(b, o + 10), read32(b, o + 12), v));
  write32(b, o + 12, v);
}

export function ipv4SetDst(b: Uint8Array, o: number, v: number): void {
  write16(b, o + 10, checksumUpdate32(read16(b, o + 10), read32(b, o + 16), v));
  write32(b, o + 16, v);
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
}

export type Ipv4Error =
  | 'truncated'
  | 'not-ipv4'
  | 'bad-ihl'
  | 'bad-total-length'
  | 'bad-checksum';

/** Validates the header against the buffer (RFC 1122 §3.2.1.1 checks) and returns its fields. */
export function parseIpv4Header(b: Uint8Array, o = 0, end = b.length): Result<Ipv4Header, Ipv4Error> {
  if (end - o < 20) return err('truncated');
  if (b[o]! >> 4 !== 4) return err('not-ipv4');
  const hl = ipv4HeaderLength(b, o);
  if (hl < 20) return err('bad-ihl');
  if (end - o < hl) return err('truncated');
  const total = ipv4TotalLength(b, o);
  if (total < hl || total > end - o) return err('bad-total-length');
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
  });
}

export interface Ipv4Emit {
  tos?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  options?: Uint8Array;
}

/** Writes a header for a payload of `payloadLength` bytes, with its checksum; returns its length. */
export function emitIpv4Header(h: Ipv4Emit, payloadLength: number, b: Uint8Array, o = 0): number {
  const opts = h.options ?? new Uint8Array(0);
  if (opts.length % 4 !== 0 || opts.length > 40) throw new Error('IPv4 options must be 0-40 bytes, a multiple of 4');
  const hl = 20 + opts.length;
  b[o] = 0x40 | (hl / 4);
  b[o + 1] = h.tos ?? 0;
  write16(b, o + 2, hl + payloadLength);
  write16(b, o + 4, h.id ?? 0);
  const frag = ((h.fragmentOffset ?? 0) / 8) & 0x1fff;
  write16(b, o + 6, (h.dontFragment ? 0x4000 : 0) | (h.moreFragments ? 0x2000 : 0) | frag);
  b[o + 8] = h.ttl;
  b[o + 9] = h.protocol;
  write16(b, o + 10, 0);
  write32(b, o + 12, h.src);
  write32(b, o + 16, h.dst);
  b.set(opts, o + 20);
  write16(b, o + 10, checksum(b, o, hl));
  return hl;
}
