// SCTP connection tracking (nf_conntrack_proto_sctp.c, Linux 6.18): the tuple carries the ports;
// each chunk moves the state by sctp_conntracks[dir][chunk][state]; the timeout is the state's.
// sctp_error: in PREROUTING a packet whose CRC32c is wrong is invalid (no entry, `invalid`
// counted). do_basic_checks: no chunk, a zero-length chunk, or INIT / INIT_ACK / SHUTDOWN_COMPLETE /
// COOKIE_* not first is invalid; a new entry is refused for an out-of-the-blue ABORT,
// SHUTDOWN_COMPLETE or COOKIE_ACK, or an INIT with a nonzero verification tag (sctp_new).
// Not modelled yet: the verification-tag checks of established entries (Sec 8.5) and the
// HEARTBEAT vtag recovery; the timeouts are the defaults (no sysctl).
import { sctpChecksumOk, SCTP_COMMON_LEN } from '../../wire/sctp.ts';
import { read16, read32 } from '../../wire/checksum.ts';
import { ConntrackTable, IPS_ASSURED } from './table.ts';

export const SCTP_STATE_NAMES = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
] as const;

const sNO = 0;
const sCL = 1;
const sCW = 2;
const sCE = 3;
const sES = 4;
const sSS = 5;
const sSR = 6;
const sSA = 7;
const sHS = 8;
const sIV = 9;

/** sctp_timeouts, seconds, by state. */
const TIMEOUT_SECONDS = [0, 10, 3, 3, 210, 3, 3, 3, 30];
const TIMEOUT_TICKS = TIMEOUT_SECONDS.map((s) => ConntrackTable.ticks(s));

/** sctp_conntracks[dir][chunk row][state]: rows init, init_ack, abort, shutdown, shutdown_ack,
 * error, cookie_echo, cookie_ack, shutdown_comp, heartbeat, heartbeat_ack. */
// prettier-ignore
const TABLE: readonly (readonly (readonly number[])[])[] = [
  [
    [sCL, sCL, sCW, sCE, sES, sCL, sCL, sSA, sCW],
    [sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL],
    [sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    [sCL, sCL, sCW, sCE, sSS, sSS, sSR, sSA, sCL],
    [sSA, sCL, sCW, sCE, sES, sSA, sSA, sSA, sSA],
    [sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sCL],
    [sCL, sCL, sCE, sCE, sES, sSS, sSR, sSA, sCL],
    [sCL, sCL, sCW, sES, sES, sSS, sSR, sSA, sCL],
    [sCL, sCL, sCW, sCE, sES, sSS, sSR, sCL, sCL],
    [sHS, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS],
    [sCL, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS],
  ],
  [
    [sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sIV],
    [sIV, sCW, sCW, sCE, sES, sSS, sSR, sSA, sIV],
    [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sIV],
    [sIV, sCL, sCW, sCE, sSR, sSS, sSR, sSA, sIV],
    [sIV, sCL, sCW, sCE, sES, sSA, sSA, sSA, sIV],
    [sIV, sCL, sCW, sCL, sES, sSS, sSR, sSA, sIV],
    [sIV, sCL, sCE, sCE, sES, sSS, sSR, sSA, sIV],
    [sIV, sCL, sCW, sES, sES, sSS, sSR, sSA, sIV],
    [sIV, sCL, sCW, sCE, sES, sSS, sSR, sCL, sIV],
    [sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sHS],
    [sIV, sCL, sCW, sCE, sES, sSS, sSR, sSA, sES],
  ],
];

/** Chunk type → row of TABLE (sctp_new_state's switch); -1: the state stays (DATA, SACK, ...). */
function row(type: number): number {
  switch (type) {
    case 1:
      return 0; // INIT
    case 2:
      return 1; // INIT_ACK
    case 6:
      return 2; // ABORT
    case 7:
      return 3; // SHUTDOWN
    case 8:
      return 4; // SHUTDOWN_ACK
    case 9:
      return 5; // ERROR
    case 10:
      return 6; // COOKIE_ECHO
    case 11:
      return 7; // COOKIE_ACK
    case 14:
      return 8; // SHUTDOWN_COMPLETE
    case 4:
      return 9; // HEARTBEAT
    case 5:
      return 10; // HEARTBEAT_ACK
    default:
      return -1;
  }
}

export const SCTP_OK = 0;
export const SCTP_INVALID = 1;

/**
 * sctp_error + do_basic_checks: whether the SCTP packet at b[l4, end) may be tracked (SCTP_OK) or
 * is invalid. `prerouting`: the CRC32c is checked (nf_conntrack_checksum, CHECKSUM_NONE).
 */
export function sctpCheck(b: Uint8Array, l4: number, end: number, prerouting: boolean): number {
  if (end - l4 < SCTP_COMMON_LEN) return SCTP_INVALID;
  if (prerouting && !sctpChecksumOk(b, l4, end)) return SCTP_INVALID;
  let count = 0;
  let flag = false;
  for (let o = l4 + SCTP_COMMON_LEN; o < end; count++) {
    if (o + 4 > end) break;
    const type = b[o]!;
    const len = read16(b, o + 2);
    if (type === 1 || type === 2 || type === 14) flag = true;
    if (((type === 11 || type === 10 || flag) && count !== 0) || len === 0) return SCTP_INVALID;
    o += (len + 3) & ~3;
  }
  return count === 0 ? SCTP_INVALID : SCTP_OK;
}

/**
 * sctp_new: whether a new entry may start with this packet (no OOTB ABORT, SHUTDOWN_COMPLETE or
 * COOKIE_ACK; every chunk valid from NONE; an INIT with verification tag 0).
 */
export function sctpNewOk(b: Uint8Array, l4: number, end: number): boolean {
  for (let o = l4 + SCTP_COMMON_LEN; o + 4 <= end;) {
    const type = b[o]!;
    if (type === 6 || type === 14 || type === 11) return false;
    const r = row(type);
    const st = r < 0 ? sNO : TABLE[0]![r]![sNO]!;
    if (st === sNO || st === sIV) return false;
    if (type === 1 && read32(b, l4 + 4) !== 0) return false;
    o += (read16(b, o + 2) + 3) & ~3;
  }
  return true;
}

/**
 * nf_conntrack_sctp_packet after the checks: every chunk moves the state; the entry's timeout
 * becomes the new state's; COOKIE_ACK in reply from COOKIE_ECHOED (or HEARTBEAT_ACK from
 * HEARTBEAT_SENT) makes it ASSURED. Returns SCTP_INVALID when a chunk is invalid in this state.
 */
export function sctpPacketTick(
  t: ConntrackTable,
  e: number,
  dir: number,
  b: Uint8Array,
  l4: number,
  end: number,
  nowTick: number,
): number {
  let state = t.tcpState(e);
  let old = state;
  for (let o = l4 + SCTP_COMMON_LEN; o + 4 <= end;) {
    const r = row(b[o]!);
    old = state;
    const next = r < 0 ? state : TABLE[dir]![r]![state]!;
    if (next === sIV) return SCTP_INVALID;
    state = next;
    o += (read16(b, o + 2) + 3) & ~3;
  }
  t.setTcpState(e, state);
  if (dir === 1 && state === sES && (old === sCE || old === sHS)) t.orStatus(e, IPS_ASSURED);
  t.refresh(e, nowTick, TIMEOUT_TICKS[state]!);
  return SCTP_OK;
}
