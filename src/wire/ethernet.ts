// Ethernet II frames (IEEE 802.3 with an EtherType): destination and source MAC, type, payload.
// The simulator's links carry whole frames so that captures are real Ethernet.
import { read16, write16 } from './checksum.ts';

export const ETH_HEADER_LEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

export const ethType = (b: Uint8Array, o = 0): number => read16(b, o + 12);

export function ethDstIs(b: Uint8Array, mac: Uint8Array, o = 0): boolean {
  for (let i = 0; i < 6; i++) if (b[o + i] !== mac[i]) return false;
  return true;
}

export function ethIsBroadcast(b: Uint8Array, o = 0): boolean {
  for (let i = 0; i < 6; i++) if (b[o + i] !== 0xff) return false;
  return true;
}

/** A new frame holding `payload` (copied). */
export function emitEthernet(
  dst: Uint8Array,
  src: Uint8Array,
  type: number,
  payload: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + payload.length);
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  write16(f, 12, type);
  f.set(payload, ETH_HEADER_LEN);
  return f;
}

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
