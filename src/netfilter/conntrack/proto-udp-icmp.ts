// UDP and ICMP connection tracking (nf_conntrack_proto_udp.c, nf_conntrack_proto_icmp.c) and the
// generic protocol: no states, only timeouts and the UDP "stream" upgrade to ASSURED. Each has a
// variant taking the time in table ticks, which the engine uses (one conversion per packet).
import {
  ConntrackTable,
  IPS_ASSURED,
  IPS_FIXED_TIMEOUT,
  IPS_NAT_CLASH,
  IPS_SEEN_REPLY,
  REC_META,
  TICKS_PER_SECOND,
} from './table.ts';
import { TimeoutTicks, type Timeouts } from './timeouts.ts';

/** Two seconds in ticks: the age at which a replied UDP entry counts as a stream. */
const STREAM_AGE = 2 * TICKS_PER_SECOND;

/**
 * udp_packet: once traffic was seen both ways, the entry is a stream; if still active two seconds
 * after it was created, the stream timeout applies and it becomes ASSURED. An entry with
 * IPS_FIXED_TIMEOUT keeps its expiry (__nf_ct_refresh_acct), and an IPS_NAT_CLASH one
 * (nf_ct_resolve_clash_harder's, 1 s) never becomes ASSURED: its replies pass and un-NAT, and it
 * expires 1 s after it was inserted, however many replies it saw (Linux 5.9's "do not auto-delete
 * clash entries on reply" removed the deletion at the first reply that 5.6 had).
 */
export function udpPacket(t: ConntrackTable, e: number, now: number, to: Timeouts): void {
  udpPacketTick(t, e, t.tick(now), new TimeoutTicks(to));
}

/** udpPacket with the time and the timeouts in table ticks (the engine's packet path). */
export function udpPacketTick(t: ConntrackTable, e: number, nowTick: number, to: TimeoutTicks): void {
  const m = e * t.rw + REC_META;
  const meta = t.rec[m]!;
  if ((meta & (IPS_SEEN_REPLY | IPS_ASSURED | IPS_FIXED_TIMEOUT)) === (IPS_SEEN_REPLY | IPS_ASSURED)) {
    // An assured UDP entry passed the stream test below at a time no later than now (times given
    // to a table do not go backwards), so it passes again: the stream timeout, without reading
    // aux (another cache line per packet).
    t.refresh(e, nowTick, to.udpStream);
  } else if (meta & IPS_FIXED_TIMEOUT) {
    if (
      (meta & (IPS_SEEN_REPLY | IPS_NAT_CLASH | IPS_ASSURED)) === IPS_SEEN_REPLY &&
      nowTick > t.aux[e]! + STREAM_AGE
    )
      t.rec[m] = meta | IPS_ASSURED;
  } else if (meta & IPS_SEEN_REPLY) {
    let extra = to.udp;
    // aux holds the creation tick (ct->proto.udp.stream_ts is that plus 2 s in the kernel).
    if (nowTick > t.aux[e]! + STREAM_AGE) {
      extra = to.udpStream;
      if ((meta & IPS_ASSURED) === 0) t.rec[m] = meta | IPS_ASSURED;
    }
    t.refresh(e, nowTick, extra);
  } else {
    t.refresh(e, nowTick, to.udp);
  }
}

/** icmp_packet: every query or answer refreshes the ICMP timeout; the entry lives on after a reply. */
export function icmpPacket(t: ConntrackTable, e: number, nowTick: number, to: TimeoutTicks): void {
  if ((t.statusOf(e) & IPS_FIXED_TIMEOUT) === 0) t.refresh(e, nowTick, to.icmp);
}

/** generic_packet: the generic timeout (a fixed one, a clash's, is left alone). */
export function genericPacket(t: ConntrackTable, e: number, nowTick: number, to: TimeoutTicks): void {
  if ((t.statusOf(e) & IPS_FIXED_TIMEOUT) === 0) t.refresh(e, nowTick, to.generic);
}
