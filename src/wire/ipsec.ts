// The IPsec headers as the matches read them: ESP's SPI (RFC 4303: SPI, sequence number; 8
// bytes, struct ip_esp_hdr) and AH's SPI (RFC 4302: next header, payload length, reserved, SPI,
// sequence number; 12 bytes, struct ip_auth_hdr).
import { read32 } from './checksum.ts';

export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const ESP_HDR_LEN = 8;
export const AH_HDR_LEN = 12;

export const espSpi = (b: Uint8Array, l4: number): number => read32(b, l4);
export const ahSpi = (b: Uint8Array, l4: number): number => read32(b, l4 + 4);

/** A flow's ESP packet: SPI, sequence number 1, 8 zero bytes (16 bytes; RAW_SCRIPT sends the same). */
export function buildEsp(spi: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, spi >>> 0);
  v.setUint32(4, 1);
  return b;
}

/**
 * A flow's AH packet: next header 59 (none), payload length 4 ((4 + 2) * 4 = 24 bytes), SPI,
 * sequence number 1, 12 zero bytes of ICV (RAW_SCRIPT sends the same).
 */
export function buildAh(spi: number): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  b[0] = 59;
  b[1] = 4;
  v.setUint32(4, spi >>> 0);
  v.setUint32(8, 1);
  return b;
}
