// UDP header (RFC 768): offsets, fast accessors, port rewrites that keep the checksum right, the
// pseudo-header checksum, and parse/emit of a header. Over IPv4 a checksum of 0 means "none sent":
// rewrites leave it 0, and a computed 0 goes on the wire as 0xFFFF (RFC 768, "If the computed
// checksum is zero, it is transmitted as all ones").
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |     Source      |   Destination   |
//   |      Port       |      Port       |
//   +--------+--------+--------+--------+
//   |                 |                 |
//   |     Length      |    Checksum     |
//   +--------+--------+--------+--------+
//   |
//   |          data octets ...
//   +---------------- ...
import {
  checksum,
  checksumUpdate16,
  checksumUpdate32,
  pseudoHeaderSum,
  read16,
  write16,
} from './checksum.ts';
import { err, ok, type Result } from './addr.ts';
import { IPPROTO_UDP } from './ipv4.ts';

export const UDP_HEADER_LEN = 8;

export const UDP_OFF = { srcPort: 0, dstPort: 2, length: 4, checksum: 6 } as const;

export const udpSrcPort = (b: Uint8Array, o: number): number => read16(b, o);
export const udpDstPort = (b: Uint8Array, o: number): number => read16(b, o + 2);
/** The UDP length field: header plus data, in bytes. */
export const udpLength = (b: Uint8Array, o: number): number => read16(b, o + 4);
export const udpChecksumField = (b: Uint8Array, o: number): number => read16(b, o + 6);

/** Writes a raw length field (no checksum fix: the length is also in the pseudo-header). */
export const udpSetLengthRaw = (b: Uint8Array, o: number, v: number): void => write16(b, o + 4, v);

/**
 * Sets a port and fixes the checksum (RFC 1624). `which` is 0 for source, 2 for destination.
 * A zero checksum ("none") stays zero and a result of zero is written as 0xFFFF, as the kernel's
 * net/netfilter/nf_nat_proto.c __udp_manip_pkt does (CSUM_MANGLED_0).
 */
export function udpSetPort(b: Uint8Array, o: number, which: 0 | 2, port: number): void {
  const hc = read16(b, o + 6);
  if (hc !== 0) {
    const c = checksumUpdate16(hc, read16(b, o + which), port);
    write16(b, o + 6, c === 0 ? 0xffff : c);
  }
  write16(b, o + which, port);
}

/** An address in the pseudo-header changed from `from` to `to`: fix the checksum (0 stays 0). */
export function udpPseudoAddrChanged(b: Uint8Array, o: number, from: number, to: number): void {
  const hc = read16(b, o + 6);
  if (hc === 0) return;
  const c = checksumUpdate32(hc, from, to);
  write16(b, o + 6, c === 0 ? 0xffff : c);
}

/** Checksum over pseudo-header + datagram (`len` bytes from `o`), with the checksum field as is. */
export function udpChecksumOver(b: Uint8Array, o: number, len: number, src: number, dst: number): number {
  return checksum(b, o, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len));
}

/** True when the checksum verifies or was not sent (field 0). */
export function udpChecksumOk(b: Uint8Array, o: number, len: number, src: number, dst: number): boolean {
  return read16(b, o + 6) === 0 || udpChecksumOver(b, o, len, src, dst) === 0;
}

/** The checksum the datagram should carry: the RFC 1071 sum, with 0 sent as 0xFFFF. */
export function udpComputeChecksum(b: Uint8Array, o: number, len: number, src: number, dst: number): number {
  const saved = read16(b, o + 6);
  write16(b, o + 6, 0);
  const c = udpChecksumOver(b, o, len, src, dst);
  write16(b, o + 6, saved);
  return c === 0 ? 0xffff : c;
}

export function udpFillChecksum(b: Uint8Array, o: number, len: number, src: number, dst: number): void {
  write16(b, o + 6, udpComputeChecksum(b, o, len, src, dst));
}

export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  /** Header plus data, as the length field says (validated against the buffer). */
  readonly length: number;
  readonly checksum: number;
}

export type UdpError = 'truncated' | 'bad-length';

/**
 * Parses the header of the datagram at `o`; `end` is where the IP payload ends. The length field
 * must be at least 8 and fit in the buffer (RFC 768; the kernel's __udp4_lib_rcv drops otherwise).
 * Bytes after `length` (up to `end`) are padding the caller may ignore.
 */
export function parseUdpHeader(b: Uint8Array, o: number, end: number): Result<UdpHeader, UdpError> {
  if (o < 0 || end > b.length || end - o < UDP_HEADER_LEN) return err('truncated');
  const length = read16(b, o + 4);
  if (length < UDP_HEADER_LEN || length > end - o) return err('bad-length');
  return ok({ srcPort: read16(b, o), dstPort: read16(b, o + 2), length, checksum: read16(b, o + 6) });
}

export interface UdpEmit {
  srcPort: number;
  dstPort: number;
  /**
   * false or 0: send no checksum (field 0, allowed over IPv4). true, absent or any other number:
   * compute it. (A number, so that a parsed header emits back as it was, 0 staying 0.)
   */
  checksum?: boolean | number;
}

/**
 * Writes a UDP header and copies `payload` after it, then fills the checksum for the given
 * pseudo-header addresses (unless `checksum: false`). Returns the datagram length.
 */
export function emitUdp(
  h: UdpEmit,
  payload: Uint8Array,
  src: number,
  dst: number,
  b: Uint8Array,
  o = 0,
): number {
  const len = UDP_HEADER_LEN + payload.length;
  if (len > 0xffff) throw new Error('UDP datagram over 65535 bytes');
  write16(b, o, h.srcPort);
  write16(b, o + 2, h.dstPort);
  write16(b, o + 4, len);
  write16(b, o + 6, 0);
  b.set(payload, o + UDP_HEADER_LEN);
  if (h.checksum !== false && h.checksum !== 0) udpFillChecksum(b, o, len, src, dst);
  return len;
}
