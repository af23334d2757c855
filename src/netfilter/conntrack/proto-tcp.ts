// TCP connection tracking: the kernel's state machine as a table of data
// (tcp_conntracks[direction][packet class][state], nf_conntrack_proto_tcp.c) and the per-packet
// update of nf_conntrack_tcp_packet: new state, ASSURED, timeout refresh, kill on an RST before any
// reply. Window tracking (tcp_in_window) is not modelled yet: every segment is taken as in window,
// as with nf_conntrack_tcp_be_liberal=1 except for RSTs.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.ts';
import { ConntrackTable, IPS_ASSURED, IPS_SEEN_REPLY, REC_META } from './table.ts';
import { TimeoutTicks, type Timeouts } from './timeouts.ts';

export const TCP_CONNTRACK_NONE = 0;
export const TCP_CONNTRACK_SYN_SENT = 1;
export const TCP_CONNTRACK_SYN_RECV = 2;
export const TCP_CONNTRACK_ESTABLISHED = 3;
export const TCP_CONNTRACK_FIN_WAIT = 4;
export const TCP_CONNTRACK_CLOSE_WAIT = 5;
export const TCP_CONNTRACK_LAST_ACK = 6;
export const TCP_CONNTRACK_TIME_WAIT = 7;
export const TCP_CONNTRACK_CLOSE = 8;
export const TCP_CONNTRACK_SYN_SENT2 = 9;
const sIV = 10; // invalid (TCP_CONNTRACK_MAX)
const sIG = 11; // ignore (TCP_CONNTRACK_IGNORE)

export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;

// Packet classes (enum tcp_bit_set).
export const TCP_SYN_SET = 0;
export const TCP_SYNACK_SET = 1;
export const TCP_FIN_SET = 2;
export const TCP_ACK_SET = 3;
export const TCP_RST_SET = 4;
export const TCP_NONE_SET = 5;

/** get_conntrack_index: RST beats SYN beats FIN beats ACK. */
export function tcpPacketClass(flags: number): number {
  if (flags & TCP_RST) return TCP_RST_SET;
  if (flags & TCP_SYN) return flags & TCP_ACK ? TCP_SYNACK_SET : TCP_SYN_SET;
  if (flags & TCP_FIN) return TCP_FIN_SET;
  if (flags & TCP_ACK) return TCP_ACK_SET;
  return TCP_NONE_SET;
}

const sNO = 0, sSS = 1, sSR = 2, sES = 3, sFW = 4, sCW = 5, sLA = 6, sTW = 7, sCL = 8, sS2 = 9; // prettier-ignore

// prettier-ignore
/** tcp_conntracks[dir][class][state], from nf_conntrack_proto_tcp.c (Linux 6.x). */
const TABLE: readonly (readonly (readonly number[])[])[] = [
  [ // ORIGINAL      sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
    /* syn    */ [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2], // new, retransmit; TW/CL reopen
    /* synack */ [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR], // only in simultaneous open
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV], // close starts; FIN both ways -> LAST_ACK
    /* ack    */ [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV], // NONE -> ES is pickup (loose)
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL], // any RST closes
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV], // no flags: invalid
  ],
  [ // REPLY         sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
    /* syn    */ [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2], // simultaneous open
    /* synack */ [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR], // the standard open
    /* fin    */ [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack    */ [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG], // SS -> IG: maybe half-open
    /* rst    */ [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none   */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

/** TABLE flattened: FLAT[(dir * 6 + class) * 10 + state], for the per-packet lookup. */
const FLAT = Uint8Array.from(TABLE.flat(2));

export function tcpTransition(dir: number, cls: number, state: number): number {
  return FLAT[(dir * 6 + cls) * 10 + state]!;
}

export const TCP_VERDICT_OK = 0;
export const TCP_VERDICT_INVALID = 1;
export const TCP_VERDICT_IGNORE = 2;
/** The entry was deleted (RST before any reply, or a reopen of a closed connection). */
export const TCP_VERDICT_KILLED = 3;
/** A SYN reopening a TIME_WAIT/CLOSE entry: the caller deletes it and tracks the packet as new. */
export const TCP_VERDICT_REOPEN = 4;

/** tcp_new: may this packet create an entry? A SYN always; a mid-stream ACK only with tcp_loose. */
export function tcpNewState(flags: number, loose: boolean): number {
  const cls = tcpPacketClass(flags);
  const next = FLAT[cls * 10 + sNO]!;
  if (next === sSS) return sSS;
  if (next === sES && loose) return sES; // pickup of an already established connection
  return sIV;
}

/**
 * nf_conntrack_tcp_packet for an entry that exists (or was just created with state `NONE` moved
 * to its first state by the caller). Updates state, status and timeout in the table.
 */
export function tcpPacket(
  t: ConntrackTable,
  e: number,
  dir: number,
  flags: number,
  seq: number,
  now: number,
  to: Timeouts,
  isNew: boolean,
): number {
  return tcpPacketTick(t, e, dir, flags, seq, t.tick(now), new TimeoutTicks(to), isNew);
}

/** tcpPacket with the time and the timeouts in table ticks: tcpPacketTick and tcpPacketGeneral. */
type TcpPacketTick = (
  t: ConntrackTable,
  e: number,
  dir: number,
  flags: number,
  seq: number,
  nowTick: number,
  to: TimeoutTicks,
  isNew: boolean,
) => number;

/** tcpPacket with the time and the timeouts in table ticks (the engine's packet path). */
export const tcpPacketTick: TcpPacketTick = (t, e, dir, flags, seq, nowTick, to, isNew) => {
  const rec = t.rec;
  const m = e * t.rw + REC_META;
  const meta = rec[m]!;
  if (
    (flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) === TCP_ACK &&
    ((meta >>> 24) & 0xf) === sES &&
    (meta & (IPS_SEEN_REPLY | IPS_ASSURED)) === (IPS_SEEN_REPLY | IPS_ASSURED) &&
    !isNew
  ) {
    // Most packets: an ACK of an assured, replied ESTABLISHED connection. What the general way
    // below does for it: ESTABLISHED either way (tcp_conntracks), last index ACK, the ESTABLISHED
    // timeout, no status change.
    rec[m] = (meta & 0x0fffffff) | ((TCP_ACK_SET | (dir << 3)) << 28);
    t.refresh(e, nowTick, to.tcp[sES]!);
    return TCP_VERDICT_OK;
  }
  return tcpPacketGeneral(t, e, dir, flags, seq, nowTick, to, isNew);
};

/** tcpPacketTick without its shortcut for the common case (exported so tests compare the two). */
export const tcpPacketGeneral: TcpPacketTick = (t, e, dir, flags, seq, nowTick, to, isNew) => {
  const rec = t.rec;
  const m = e * t.rw + REC_META;
  const meta = rec[m]!;
  const cls = tcpPacketClass(flags);
  const old = (meta >>> 24) & 0xf;
  const next = isNew ? old : FLAT[(dir * 6 + cls) * 10 + old]!;
  if (next === sSS && !isNew && old >= sTW) {
    // RFC 1122 reopen of a closed connection: the kernel kills the entry and tracks the SYN anew.
    return TCP_VERDICT_REOPEN;
  }
  // last_index / last_dir, packed as class | dir << 3 in the meta word's top 4 bits.
  const last = (cls | (dir << 3)) << 28;
  if (next === sIG) {
    rec[m] = (meta & 0x0fffffff) | last;
    return TCP_VERDICT_IGNORE;
  }
  if (next === sIV) return TCP_VERDICT_INVALID;

  const status = meta & 0xffff;
  if ((status & IPS_SEEN_REPLY) === 0 && cls === TCP_RST_SET) {
    // "If only reply is a RST, we can consider ourselves not to have an established connection"
    t.remove(e);
    return TCP_VERDICT_KILLED;
  }
  if (cls === TCP_SYN_SET && dir === 0) t.aux[e] = seq;
  let nm = (meta & 0x00ffffff) | (next << 24) | last;
  let timeout = to.tcp[next]!;
  if ((status & IPS_SEEN_REPLY) === 0) {
    // nf_conntrack_tcp_packet: "do not renew timeout on SYN retransmit. Else port reuse by client
    // or NAT middlebox can keep entry alive indefinitely": any SYN while SYN_SENT and unreplied,
    // whatever its sequence number (measured on Linux 6.18 too).
    if (!isNew && cls === TCP_SYN_SET && old === sSS) {
      rec[m] = nm;
      return TCP_VERDICT_OK;
    }
    // "ESTABLISHED without SEEN_REPLY, i.e. mid-connection pickup with loose=1. Avoid large
    // ESTABLISHED timeout": capped at the unacknowledged timeout.
    if (next === sES && timeout > to.tcpUnacknowledged) {
      timeout = to.tcpUnacknowledged;
    }
  } else if ((status & IPS_ASSURED) === 0 && (old === sSR || old === sES) && next === sES) {
    // "Set ASSURED if we see valid ack in ESTABLISHED after SYN_RECV or a valid answer for a
    // picked up connection" (only once a reply was seen: the else of the !SEEN_REPLY test).
    nm |= IPS_ASSURED;
  }
  rec[m] = nm;
  t.refresh(e, nowTick, timeout);
  return TCP_VERDICT_OK;
};

/**
 * nf_conntrack_tcp_set_closing (nf_ct_set_closing, called by nf_send_reset after it attached the
 * entry to its RST): a confirmed TCP entry goes to CLOSE with the CLOSE timeout (`closeTimeout`
 * seconds), unless already CLOSE. Returns whether the state changed (an UPDATE event is due).
 */
export function tcpSetClosing(t: ConntrackTable, e: number, now: number, closeTimeout: number): boolean {
  if (!t.isConfirmed(e)) return false;
  const m = e * t.rw + REC_META;
  const meta = t.rec[m]!;
  if (((meta >>> 24) & 0xf) === sCL) return false;
  t.rec[m] = (meta & 0xf0ffffff) | (sCL << 24);
  t.refresh(e, t.tick(now), ConntrackTable.ticks(closeTimeout));
  t.listener?.('UPDATE', e);
  return true;
}
