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
