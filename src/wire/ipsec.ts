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
