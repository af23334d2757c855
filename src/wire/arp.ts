// ARP for IPv4 over Ethernet (RFC 826): accessors, parse/emit of the 28-byte packet, and whole
// Ethernet frames for a request (broadcast) and a reply. Neighbour tables and when to ask are the
// simulator's (stack/); this file only reads and writes the bytes.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Hardware Type (1 = Ethernet)|   Protocol Type (0x0800)      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  HLEN (6)     |  PLEN (4)     |   Operation (1 req, 2 reply)  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Sender Hardware Address (6 bytes) ...         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ... SHA      |   Sender Protocol Address (4 bytes) ...       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ... SPA      |   Target Hardware Address (6 bytes) ...       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                ... THA                                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Target Protocol Address (4 bytes)             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { read16, read32, write16, write32 } from './checksum.ts';
import { err, ok, type Result } from './addr.ts';
import { BROADCAST_MAC, emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.ts';

export const ARP_LEN = 28;
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

export const ARP_OFF = {
  htype: 0,
  ptype: 2,
  hlen: 4,
  plen: 5,
  op: 6,
  sha: 8,
  spa: 14,
  tha: 18,
  tpa: 24,
} as const;

export const arpHtype = (b: Uint8Array, o: number): number => read16(b, o);
export const arpPtype = (b: Uint8Array, o: number): number => read16(b, o + 2);
export const arpOp = (b: Uint8Array, o: number): number => read16(b, o + 6);
export const arpSenderIp = (b: Uint8Array, o: number): number => read32(b, o + 14);
export const arpTargetIp = (b: Uint8Array, o: number): number => read32(b, o + 24);
/** The sender MAC as a view (no copy) into `b`. */
export const arpSenderMac = (b: Uint8Array, o: number): Uint8Array => b.subarray(o + 8, o + 14);
export const arpTargetMac = (b: Uint8Array, o: number): Uint8Array => b.subarray(o + 18, o + 24);

export interface ArpPacket {
  /** ARPOP_REQUEST (1) or ARPOP_REPLY (2); other operations are parsed and kept. */
  readonly op: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

export type ArpError = 'truncated' | 'not-ethernet-ipv4';

/** Parses ARP for IPv4 over Ethernet (hardware type 1, protocol 0x0800, lengths 6 and 4). */
export function parseArp(b: Uint8Array, o = 0, end = b.length): Result<ArpPacket, ArpError> {
  if (end > b.length) end = b.length;
  if (o < 0 || end - o < ARP_LEN) return err('truncated');
  if (
    read16(b, o) !== ARPHRD_ETHER ||
    read16(b, o + 2) !== ETHERTYPE_IPV4 ||
    b[o + 4] !== 6 ||
    b[o + 5] !== 4
  ) {
    return err('not-ethernet-ipv4');
  }
  return ok({
    op: read16(b, o + 6),
    senderMac: b.slice(o + 8, o + 14),
    senderIp: read32(b, o + 14),
    targetMac: b.slice(o + 18, o + 24),
    targetIp: read32(b, o + 24),
  });
}

/** Writes the 28-byte packet; returns its length. */
export function emitArp(h: ArpPacket, b: Uint8Array, o = 0): number {
  write16(b, o, ARPHRD_ETHER);
  write16(b, o + 2, ETHERTYPE_IPV4);
  b[o + 4] = 6;
  b[o + 5] = 4;
  write16(b, o + 6, h.op);
  b.set(h.senderMac.subarray(0, 6), o + 8);
  write32(b, o + 14, h.senderIp >>> 0);
  b.set(h.targetMac.subarray(0, 6), o + 18);
  write32(b, o + 24, h.targetIp >>> 0);
  return ARP_LEN;
}

const ZERO_MAC = new Uint8Array(6);

/**
 * A broadcast "who-has targetIp tell senderIp" frame. Linux leaves the target MAC zero in a request
 * (net/ipv4/arp.c arp_create, when no target hardware address is known). 42 bytes: no padding to
 * 60, as captures on veth and bridges show it.
 */
export function arpRequestFrame(senderMac: Uint8Array, senderIp: number, targetIp: number): Uint8Array {
  const p = new Uint8Array(ARP_LEN);
  emitArp({ op: ARPOP_REQUEST, senderMac, senderIp, targetMac: ZERO_MAC, targetIp }, p);
  return emitEthernet(BROADCAST_MAC, senderMac, ETHERTYPE_ARP, p);
}

/** A unicast "senderIp is-at senderMac" frame answering `targetMac`/`targetIp`. */
export function arpReplyFrame(
  senderMac: Uint8Array,
  senderIp: number,
  targetMac: Uint8Array,
  targetIp: number,
): Uint8Array {
  const p = new Uint8Array(ARP_LEN);
  emitArp({ op: ARPOP_REPLY, senderMac, senderIp, targetMac, targetIp }, p);
  return emitEthernet(targetMac, senderMac, ETHERTYPE_ARP, p);
}
