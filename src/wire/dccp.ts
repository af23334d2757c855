// DCCP (RFC 4340) on the bytes: the generic header (ports, data offset, CCVal/CsCov, checksum,
// Res/Type/X, sequence number) and the length of the header before the options, as
// include/linux/dccp.h computes it (__dccp_hdr_len).
import { read16 } from './checksum.ts';

export const IPPROTO_DCCP = 33;
/** sizeof(struct dccp_hdr): the generic header with the short (24-bit) sequence number. */
export const DCCP_HDR_LEN = 12;

export const DCCP_PKT_REQUEST = 0;
export const DCCP_PKT_RESPONSE = 1;
export const DCCP_PKT_DATA = 2;
export const DCCP_PKT_ACK = 3;
export const DCCP_PKT_DATAACK = 4;
export const DCCP_PKT_CLOSEREQ = 5;
export const DCCP_PKT_CLOSE = 6;
export const DCCP_PKT_SYNC = 8;
export const DCCP_PKT_SYNCACK = 9;

export const dccpSport = (b: Uint8Array, l4: number): number => read16(b, l4);
export const dccpDport = (b: Uint8Array, l4: number): number => read16(b, l4 + 2);
/** Data Offset: the header length in 32-bit words, options included. */
export const dccpDoff = (b: Uint8Array, l4: number): number => b[l4 + 4]!;
/** The 4-bit packet type (byte 8: Res:3, Type:4, X:1). */
export const dccpType = (b: Uint8Array, l4: number): number => (b[l4 + 8]! >> 1) & 0x0f;
/** The X bit: a 48-bit sequence number (4 more header bytes). */
export const dccpX = (b: Uint8Array, l4: number): number => b[l4 + 8]! & 1;

/** dccp_packet_hdr_len(): the type-specific part after the generic header. */
export function dccpPacketHdrLen(type: number): number {
  if (type === DCCP_PKT_DATA) return 0;
  if (
    type === DCCP_PKT_DATAACK ||
    type === DCCP_PKT_ACK ||
    type === DCCP_PKT_SYNC ||
    type === DCCP_PKT_SYNCACK ||
    type === DCCP_PKT_CLOSE ||
    type === DCCP_PKT_CLOSEREQ
  )
    return 8; // struct dccp_hdr_ack_bits
  if (type === DCCP_PKT_REQUEST) return 4; // struct dccp_hdr_request
  return 12; // struct dccp_hdr_response, struct dccp_hdr_reset
}

/** __dccp_hdr_len(): the generic header (16 bytes with X), plus the type's part. */
export const dccpHdrLen = (b: Uint8Array, l4: number): number =>
  DCCP_HDR_LEN + (dccpX(b, l4) ? 4 : 0) + dccpPacketHdrLen(dccpType(b, l4));

/**
 * A flow's DCCP packet: a Request (data offset 5: 20 bytes, X 0, sequence number 0, service code
 * 0, 4 bytes of padding options), checksum 0 (Linux 6.18 has no DCCP: nothing checks it). The
 * kernel side's raw sender (dataplane/kernel/agents.ts RAW_SCRIPT) sends the same bytes.
 */
export function buildDccpRequest(sport: number, dport: number): Uint8Array {
  const b = new Uint8Array(20);
  b[0] = sport >> 8;
  b[1] = sport & 0xff;
  b[2] = dport >> 8;
  b[3] = dport & 0xff;
  b[4] = 5;
  b[8] = DCCP_PKT_REQUEST << 1;
  return b;
}
