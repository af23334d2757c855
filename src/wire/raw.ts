// An IPv4 datagram around a transport header natbox's sockets do not speak (a raw socket's
// sendto(): the kernel writes the IP header, the caller every byte after it), and the bytes a
// scenario flow of such a protocol sends (SCTP INIT, DCCP Request, ESP, AH).
import { emitIpv4Header } from './ipv4.ts';
import type { Ipv4Fields } from './packet.ts';
import { buildSctpInit, IPPROTO_SCTP } from './sctp.ts';
import { buildDccpRequest, IPPROTO_DCCP } from './dccp.ts';
import { buildAh, buildEsp, IPPROTO_AH, IPPROTO_ESP } from './ipsec.ts';

export function buildRawPacket(ip: Ipv4Fields, protocol: number, payload: Uint8Array): Uint8Array {
  const hl = 20 + (ip.options?.length ?? 0);
  const p = new Uint8Array(hl + payload.length);
  emitIpv4Header({ ...ip, ttl: ip.ttl ?? 64, protocol }, payload.length, p, 0);
  p.set(payload, hl);
  return p;
}

export type RawFlowProto = 'sctp' | 'dccp' | 'esp' | 'ah';

export const RAW_PROTO_NUMBER: Readonly<Record<RawFlowProto, number>> = {
  sctp: IPPROTO_SCTP,
  dccp: IPPROTO_DCCP,
  esp: IPPROTO_ESP,
  ah: IPPROTO_AH,
};

/** The transport bytes of a raw flow: ports for SCTP and DCCP, the SPI for ESP and AH. */
export function rawFlowPayload(proto: RawFlowProto, sport: number, dport: number, spi: number): Uint8Array {
  if (proto === 'sctp') return buildSctpInit(sport, dport);
  if (proto === 'dccp') return buildDccpRequest(sport, dport);
  return proto === 'esp' ? buildEsp(spi) : buildAh(spi);
}
