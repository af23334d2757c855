// UDP and ICMP connection tracking (nf_conntrack_proto_udp.c, nf_conntrack_proto_icmp.c) and the
// generic protocol: no states, only timeouts and the UDP "stream" upgrade to ASSURED.
import { IPS_ASSURED, IPS_SEEN_REPLY, type ConntrackTable } from './table.ts';
import type { Timeouts } from './timeouts.ts';

/**
 * udp_packet: once traffic was seen both ways, the entry is a stream; if still active two seconds
 * after it was created, the stream timeout applies and it becomes ASSURED.
 */
export function udpPacket(t: ConntrackTable, e: number, now: number, to: Timeouts): void {
  const status = t.status[e]!;
  if (status & IPS_SEEN_REPLY) {
    let extra = to.nf_conntrack_udp_timeout;
    if (now > t.created[e]! + 2) {
      extra = to.nf_conntrack_udp_timeout_stream;
      if ((status & IPS_ASSURED) === 0) t.status[e] = status | IPS_ASSURED;
    }
    t.expires[e] = now + extra;
  } else {
    t.expires[e] = now + to.nf_conntrack_udp_timeout;
  }
}

/** icmp_packet: every query or answer refreshes the ICMP timeout; the entry lives on after a reply. */
export function icmpPacket(t: ConntrackTable, e: number, now: number, to: Timeouts): void {
  t.expires[e] = now + to.nf_conntrack_icmp_timeout;
}

export function genericPacket(t: ConntrackTable, e: number, now: number, to: Timeouts): void {
  t.expires[e] = now + to.nf_conntrack_generic_timeout;
}
