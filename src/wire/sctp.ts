// SCTP (RFC 9260) on the bytes: the common header (source port, destination port, verification
// tag, checksum: 12 bytes) and the chunks after it (type, flags, length: 4 bytes each, padded to
// 4). Numbers only: a caller walks the chunks with sctpChunkNext from SCTP_COMMON_LEN.
import { read16 } from './checksum.ts';

export const IPPROTO_SCTP = 132;
/** sizeof(struct sctphdr). */
export const SCTP_COMMON_LEN = 12;
/** sizeof(struct sctp_chunkhdr). */
export const SCTP_CHUNK_HDR_LEN = 4;

export const sctpSport = (b: Uint8Array, l4: number): number => read16(b, l4);
export const sctpDport = (b: Uint8Array, l4: number): number => read16(b, l4 + 2);
export const sctpChunkType = (b: Uint8Array, chunk: number): number => b[chunk]!;
export const sctpChunkFlags = (b: Uint8Array, chunk: number): number => b[chunk + 1]!;
export const sctpChunkLength = (b: Uint8Array, chunk: number): number => read16(b, chunk + 2);

/**
 * The offset of the chunk after the one at `chunk` (its length rounded up to 4, SCTP_PAD4), or
 * -1 when the chunk header does not fit before `end` or its length is 0 (an invalid packet:
 * xt_sctp drops it).
 */
export function sctpChunkNext(b: Uint8Array, chunk: number, end: number): number {
  if (chunk < 0 || chunk + SCTP_CHUNK_HDR_LEN > end) return -1;
  const len = read16(b, chunk + 2);
  if (len === 0) return -1;
  return chunk + ((len + 3) & ~3);
}

// CRC32c (Castagnoli, reflected polynomial 0x82F63B78), as sctp_compute_cksum computes it.
const CRC32C = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC32C[i] = c >>> 0;
}

/** The CRC32c of b[from, to) with the checksum field (l4 + 8, 4 bytes) read as zero. */
export function sctpCrc32c(b: Uint8Array, l4: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = l4; i < end; i++) {
    const v = i >= l4 + 8 && i < l4 + 12 ? 0 : b[i]!;
    crc = CRC32C[(crc ^ v) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The checksum field as the wire carries it (little-endian, as the CRC32c goes on the wire). */
export const sctpChecksumField = (b: Uint8Array, l4: number): number =>
  (b[l4 + 8]! | (b[l4 + 9]! << 8) | (b[l4 + 10]! << 16) | (b[l4 + 11]! << 24)) >>> 0;

/** Whether the packet's CRC32c is right (sctp_csum_check). */
export const sctpChecksumOk = (b: Uint8Array, l4: number, end: number): boolean =>
  sctpChecksumField(b, l4) === sctpCrc32c(b, l4, end);

/** Writes the CRC32c of b[l4, end) into the checksum field. */
export function sctpFillChecksum(b: Uint8Array, l4: number, end: number): void {
  const c = sctpCrc32c(b, l4, end);
  b[l4 + 8] = c & 0xff;
  b[l4 + 9] = (c >>> 8) & 0xff;
  b[l4 + 10] = (c >>> 16) & 0xff;
  b[l4 + 11] = c >>> 24;
}

export const SCTP_CID_INIT = 1;

/**
 * A flow's SCTP packet: one INIT chunk (verification tag 0; initiate tag 0x1111, a_rwnd 65535,
 * 10 outbound and 10 inbound streams, initial TSN 0x2222: 32 bytes), with its CRC32c. The kernel
 * side's raw sender (dataplane/kernel/agents.ts RAW_SCRIPT) sends the same bytes.
 */
export function buildSctpInit(sport: number, dport: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  b.set([SCTP_CID_INIT, 0, 0, 20], 12);
  v.setUint32(16, 0x1111);
  v.setUint32(20, 65535);
  v.setUint16(24, 10);
  v.setUint16(26, 10);
  v.setUint32(28, 0x2222);
  sctpFillChecksum(b, 0, b.length);
  return b;
}
