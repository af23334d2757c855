// Whole IPv4 packets in one call: an IP header plus a TCP, UDP or ICMP message, checksums filled.
// For hosts that originate traffic (stack/, sim/) and for tests. Hot paths use the accessors.
import { emitIpv4Header, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Emit } from './ipv4.ts';
import { emitTcp, tcpOptionsLength, type TcpEmit } from './tcp.ts';
import { emitUdp, UDP_HEADER_LEN, type UdpEmit } from './udp.ts';
import { buildIcmpPacket, type IcmpEmit } from './icmp.ts';

/** The IP fields a packet builder needs; protocol is set by the builder. TTL defaults to 64. */
export type Ipv4Fields = Omit<Ipv4Emit, 'protocol' | 'ttl'> & { ttl?: number };

const EMPTY = new Uint8Array(0);

function ipHeaderLength(ip: Ipv4Fields): number {
  return 20 + (ip.options?.length ?? 0);
}

export function buildTcpPacket(ip: Ipv4Fields, tcp: TcpEmit, payload: Uint8Array = EMPTY): Uint8Array {
  const hl = ipHeaderLength(ip);
  const segLen = 20 + tcpOptionsLength(tcp.options ?? []) + payload.length;
  const p = new Uint8Array(hl + segLen);
  emitIpv4Header({ ...ip, ttl: ip.ttl ?? 64, protocol: IPPROTO_TCP }, segLen, p, 0);
  emitTcp(tcp, payload, ip.src, ip.dst, p, hl);
  return p;
}

export function buildUdpPacket(ip: Ipv4Fields, udp: UdpEmit, payload: Uint8Array = EMPTY): Uint8Array {
  const hl = ipHeaderLength(ip);
  const len = UDP_HEADER_LEN + payload.length;
  const p = new Uint8Array(hl + len);
  emitIpv4Header({ ...ip, ttl: ip.ttl ?? 64, protocol: IPPROTO_UDP }, len, p, 0);
  emitUdp(udp, payload, ip.src, ip.dst, p, hl);
  return p;
}

/**
 * An ICMP packet; for errors `body` is the offending packet, cut as the kernel cuts it, and the TOS
 * defaults to the kernel's (see buildIcmpPacket in icmp.ts). IP options are not supported here.
 */
export function buildIcmpIpv4Packet(ip: Ipv4Fields, icmp: IcmpEmit, body: Uint8Array = EMPTY): Uint8Array {
  return buildIcmpPacket(
    { src: ip.src, dst: ip.dst, ttl: ip.ttl ?? 64, tos: ip.tos, id: ip.id, dontFragment: ip.dontFragment },
    icmp,
    body,
  );
}
