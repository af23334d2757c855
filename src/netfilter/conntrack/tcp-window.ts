// TCP window tracking: nf_conntrack_tcp_packet with tcp_in_window, as net/netfilter/
// nf_conntrack_proto_tcp.c (Linux 6.x) does it, with the sysctls nf_conntrack_tcp_be_liberal,
// nf_conntrack_tcp_max_retrans and nf_conntrack_tcp_ignore_invalid_rst (tcp_loose is
// tcpNewState's). Line references below are to that file in torvalds/linux v6.x (function names
// given, as the line numbers move between releases).
//
// State (indexed by entry; no object per connection or packet):
// - `w`, 8 words per entry (w[e * stride + off + 0..7]): words 8-15 of the entry's record when the
//   table was made for window tracking (CT_LAYOUT_IPV4_WINDOW, the engine's: one 64-byte record
//   per entry, so that an established packet reads and writes one cache line), else an array of
//   their own (stride 8, off 0). Words dir*4 + 0..2: ct->proto.tcp.seen[dir].td_end, td_maxend,
//   td_maxwin for both directions; word 3: seen[ORIGINAL].td_maxack; word 7 (W_AUX), the flags
//   word: both directions' flags (IP_CT_TCP_FLAG_*, 6 bits each, WINDOW_SCALE kept in the scale
//   field), both td_scale (4 bits each: td_scale + 1 with WINDOW_SCALE, else 0), `retrans` (4 bits,
//   saturating at 15), whether last_win was 0 (1 bit), 7 bits of a hash of the last ACK's (seq,
//   ack, end, window) for the retransmission test (the kernel keeps the four values), and A_HINT1;
// - the table's `aux` word (TCP's proto-private word; the kernel's ct->proto.tcp union):
//   seen[REPLY].td_maxack, the one word that does not fit in the record's line. tcpWindowAck reads
//   it only when A_HINT1 does not tell that an ACK leaves it (issue 15: the flags word in the
//   line, not the aux word, saved about 0.47 of 0.55 extra L2 misses per packet);
// - last_index / last_dir: the meta word's top 4 bits, as before;
// - `cold`: what only an ignored packet annotates (last_end, last_win, last_wscale, last_flags,
//   last_ack: the SYN/ACK resync, the RST answering an ignored SYN, the RFC 5961 challenge ACK,
//   the simultaneous-open flag), in a Map by entry, touched only on those rare paths.
// Where the kernel compares with last_end of the last in-window ACK (an RST "part of a train"),
// td_end of that direction stands for it: equal unless that ACK was a retransmission of older
// data. 32 bytes per entry (the aux word exists already).
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.ts';
import {
  ConntrackTable,
  type CtTcpWindows,
  IPS_ASSURED,
  IPS_SEEN_REPLY,
  IPS_SEQ_ADJUST,
  CT_LAYOUT_IPV4_WINDOW,
  REC_EXPIRES,
  REC_META,
} from './table.ts';
import type { TimeoutTicks } from './timeouts.ts';
import {
  TCP_ACK_SET,
  TCP_CONNTRACK_CLOSE,
  TCP_CONNTRACK_ESTABLISHED,
  TCP_CONNTRACK_FIN_WAIT,
  TCP_CONNTRACK_LAST_ACK,
  TCP_CONNTRACK_SYN_RECV,
  TCP_CONNTRACK_SYN_SENT,
  TCP_CONNTRACK_SYN_SENT2,
  TCP_CONNTRACK_TIME_WAIT,
  TCP_FIN_SET,
  TCP_RST_SET,
  TCP_SYN_SET,
  TCP_SYNACK_SET,
  TCP_VERDICT_IGNORE,
  TCP_VERDICT_INVALID,
  TCP_VERDICT_KILLED,
  TCP_VERDICT_OK,
  TCP_VERDICT_REOPEN,
  tcpPacketClass,
  tcpTransition,
} from './proto-tcp.ts';

// include/uapi/linux/netfilter/nf_conntrack_tcp.h
export const IP_CT_TCP_FLAG_WINDOW_SCALE = 0x01;
export const IP_CT_TCP_FLAG_SACK_PERM = 0x02;
export const IP_CT_TCP_FLAG_CLOSE_INIT = 0x04;
export const IP_CT_TCP_FLAG_BE_LIBERAL = 0x08;
export const IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED = 0x10;
export const IP_CT_TCP_FLAG_MAXACK_SET = 0x20;
const IP_CT_EXP_CHALLENGE_ACK = 0x40;
const IP_CT_TCP_SIMULTANEOUS_OPEN = 0x80;

const sIV = 10;
const sIG = 11;
/** MAXACKWINCONST */
const MAXACKWINCONST = 66000;
/** TCP_MAX_WSCALE */
const TCP_MAX_WSCALE = 14;

// The aux word's fields.
const A_FLAGS1 = 6;
const A_SCALE0 = 12; // dir 1 at 16
const A_RETRANS = 20;
const A_WIN0 = 1 << 24;
const A_HASH = 25;
/**
 * A hint, in the flags word (the bit of seen[REPLY]'s flags where WINDOW_SCALE would be): set, it
 * says seen[REPLY].td_maxack equals seen[ORIGINAL].td_end, so that tcpWindowAck need not read
 * td_maxack (out of the record's line) to know an ACK does not move it. Only tcpWindowAck sets
 * it; every other way clears it first (clear is always right: "not known").
 */
const A_HINT1 = 1 << 6;
/** The flags word's place among an entry's 8 window words (where seen[REPLY].td_maxack was). */
const W_AUX = 7;

interface Cold {
  lastEnd: number;
  lastWin: number;
  lastWscale: number;
  lastFlags: number;
  lastAck: number;
  /** Whether lastEnd is the kernel's last_end (no in-window packet came since the ignored one). */
  fresh: boolean;
}

/** The window state of a table, and the sysctls that judge it. */
export class TcpWindows implements CtTcpWindows {
  /**
   * seen[dir].{td_end, td_maxend, td_maxwin}: w[e * stride + off + dir * 4 + k], seen[ORIGINAL]
   * .td_maxack at + 3 and the flags word at + 7 (W_AUX; seen[REPLY].td_maxack: the table's aux). Either
   * the table's `rec` (CT_LAYOUT_IPV4_WINDOW: words 8-15 of each 16-word record, in the record's
   * cache line) or an array of its own, 8 words per entry (a table made without room for them).
   */
  readonly w: Uint32Array;
  readonly stride: number;
  readonly off: number;
  readonly cold = new Map<number, Cold>();
  /** nf_conntrack_tcp_be_liberal */
  beLiberal = false;
  /** nf_conntrack_tcp_max_retrans (the kernel's default 3) */
  maxRetrans = 3;
  /** nf_conntrack_tcp_ignore_invalid_rst */
  ignoreInvalidRst = false;
  /** `rec`: a CT_LAYOUT_IPV4_WINDOW table's records, which hold the window words. */
  constructor(max: number, rec?: Uint32Array) {
    this.w = rec ?? new Uint32Array(max * 8);
    this.stride = rec ? 16 : 8;
    this.off = rec ? 8 : 0;
  }
  /** Reads the sysctls (names without `net.netfilter.`) that concern window tracking. */
  configure(sysctls: ReadonlyMap<string, number> | undefined): void {
    this.beLiberal = (sysctls?.get('nf_conntrack_tcp_be_liberal') ?? 0) !== 0;
    this.maxRetrans = sysctls?.get('nf_conntrack_tcp_max_retrans') ?? 3;
    this.ignoreInvalidRst = (sysctls?.get('nf_conntrack_tcp_ignore_invalid_rst') ?? 0) !== 0;
  }
}

/**
 * Turns window tracking on for table t (once) and (re)reads its sysctls. The window words go in
 * the records when the table was made for them and every word index stays below 2^31 (up to
 * 2^27 entries: tcpWindowAck computes them as 32-bit integers), else in an array of their own.
 */
export function enableTcpWindows(
  t: ConntrackTable,
  sysctls: ReadonlyMap<string, number> | undefined,
): TcpWindows {
  const tw =
    (t.tcpWin as TcpWindows | undefined) ??
    new TcpWindows(t.max, t.layout === CT_LAYOUT_IPV4_WINDOW && t.max <= 1 << 27 ? t.rec : undefined);
  t.tcpWin = tw;
  tw.configure(sysctls);
  return tw;
}

const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;

// A direction's scale field: 0 without IP_CT_TCP_FLAG_WINDOW_SCALE, else td_scale + 1 (tcp_options
// sets td_scale only with the flag, and clears both first; so the flag bit is free: A_HINT1).
const scaleField = (aux: number, dir: number): number => (aux >>> (A_SCALE0 + dir * 4)) & 0xf;
const flagsOf = (aux: number, dir: number): number =>
  ((aux >>> (dir * A_FLAGS1)) & 0x3e) | (scaleField(aux, dir) !== 0 ? IP_CT_TCP_FLAG_WINDOW_SCALE : 0);
const scaleOf = (aux: number, dir: number): number => {
  const f = scaleField(aux, dir);
  return f === 0 ? 0 : f - 1;
};
/** Sets dir's flags to f: WINDOW_SCALE newly set means td_scale 0, cleared means td_scale 0. */
const withFlags = (aux: number, dir: number, f: number): number => {
  const sh = A_SCALE0 + dir * 4;
  let sf = (aux >>> sh) & 0xf;
  if (!(f & IP_CT_TCP_FLAG_WINDOW_SCALE)) sf = 0;
  else if (sf === 0) sf = 1;
  return (
    ((aux & ~(0x3e << (dir * A_FLAGS1)) & ~(0xf << sh)) | ((f & 0x3e) << (dir * A_FLAGS1)) | (sf << sh)) >>> 0
  );
};
/** Sets dir's td_scale; with IP_CT_TCP_FLAG_WINDOW_SCALE only (without it td_scale is 0). */
const withScale = (aux: number, dir: number, s: number): number => {
  const sh = A_SCALE0 + dir * 4;
  if (((aux >>> sh) & 0xf) === 0) return aux;
  return ((aux & ~(0xf << sh)) | (((s & 0xf) + 1) << sh)) >>> 0;
};

/** seen[dir].td_maxack of entry e: ORIGINAL's is window word 3, REPLY's the table's aux word. */
const maxackOf = (t: ConntrackTable, tw: TcpWindows, e: number, dir: number): number =>
  dir === 0 ? tw.w[e * tw.stride + tw.off + 3]! : t.aux[e]!;
function setMaxack(t: ConntrackTable, tw: TcpWindows, e: number, dir: number, v: number): void {
  if (dir === 0) tw.w[e * tw.stride + tw.off + 3] = v;
  else t.aux[e] = v;
}

/** segment_seq_plus_len: seq + payload length + SYN + FIN. `seg` is the TCP header + payload. */
function segEnd(b: Uint8Array, l4: number, seg: number): number {
  const flags = b[l4 + 13]!;
  const doff = (b[l4 + 12]! >>> 4) * 4;
  return (read32(b, l4 + 4) + seg - doff + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0;
}

const read32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/**
 * tcp_options: SACK_PERM and the window scale of a SYN or SYN/ACK, into the aux word for `dir`.
 * Without options nothing changes (the kernel returns before clearing).
 */
function tcpOptions(aux: number, dir: number, b: Uint8Array, l4: number): number {
  let length = (b[l4 + 12]! >>> 4) * 4 - 20;
  if (length <= 0) return aux;
  let flags = flagsOf(aux, dir) & IP_CT_TCP_FLAG_BE_LIBERAL;
  let scale = 0;
  let p = l4 + 20;
  while (length > 0) {
    const opcode = b[p++]!;
    if (opcode === 0) break; // TCPOPT_EOL
    if (opcode === 1) {
      length--; // TCPOPT_NOP
      continue;
    }
    if (length < 2) break;
    const opsize = b[p++]!;
    if (opsize < 2 || opsize > length) break;
    if (opcode === 4 && opsize === 2) flags |= IP_CT_TCP_FLAG_SACK_PERM;
    else if (opcode === 3 && opsize === 3) {
      scale = Math.min(b[p]!, TCP_MAX_WSCALE);
      flags |= IP_CT_TCP_FLAG_WINDOW_SCALE;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return withScale(withFlags(aux, dir, flags), dir, scale);
}

/** tcp_sack: the highest right edge of the SACK blocks, or `sack` itself. */
function tcpSack(b: Uint8Array, l4: number, sack: number): number {
  let length = (b[l4 + 12]! >>> 4) * 4 - 20;
  if (length <= 0) return sack;
  let p = l4 + 20;
  // Fast path for timestamp-only option
  if (length === 12 && b[p] === 1 && b[p + 1] === 1 && b[p + 2] === 8 && b[p + 3] === 10) return sack;
  while (length > 0) {
    const opcode = b[p++]!;
    if (opcode === 0) return sack;
    if (opcode === 1) {
      length--;
      continue;
    }
    if (length < 2) return sack;
    const opsize = b[p++]!;
    if (opsize < 2 || opsize > length) return sack;
    if (opcode === 5 && opsize >= 10 && (opsize - 2) % 8 === 0) {
      for (let i = 0; i < opsize - 2; i += 8) {
        const tmp = read32(b, p + i + 4);
        if (after(tmp, sack)) sack = tmp;
      }
      return sack;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return sack;
}

/** tcp_init_sender: a SYN or SYN/ACK (re)starts `dir`'s window data. Returns the aux word. */
function initSender(
  w: Uint32Array,
  aux: number,
  base: number,
  dir: number,
  end: number,
  win: number,
  b: Uint8Array,
  l4: number,
): number {
  const s = base + dir * 4;
  w[s] = end;
  w[s + 1] = end;
  w[s + 2] = win === 0 ? 1 : win;
  aux = tcpOptions(aux, dir, b, l4);
  // RFC 1323: both sides must send the Window Scale option to enable scaling either way.
  if (
    dir === 1 &&
    !(flagsOf(aux, 1) & IP_CT_TCP_FLAG_WINDOW_SCALE && flagsOf(aux, 0) & IP_CT_TCP_FLAG_WINDOW_SCALE)
  ) {
    aux = withScale(withScale(aux, 0, 0), 1, 0);
  }
  return aux;
}

/** tcp_new: the window data of an entry the packet creates (`syn`: a SYN; else a loose pickup). */
export function tcpWindowNew(
  t: ConntrackTable,
  tw: TcpWindows,
  e: number,
  b: Uint8Array,
  l4: number,
  seg: number,
): void {
  const w = tw.w;
  const base = e * tw.stride + tw.off;
  w.fill(0, base, base + 8);
  t.aux[e] = 0; // seen[REPLY].td_maxack
  if (tw.cold.size !== 0) tw.cold.delete(e);
  const end = segEnd(b, l4, seg);
  const win = (b[l4 + 14]! << 8) | b[l4 + 15]!;
  const maxwin = win === 0 ? 1 : win;
  w[base] = end;
  w[base + 2] = maxwin;
  // tcp_new memsets ct->proto.tcp: last_win is 0 until an ACK updates it (tcp_in_window's
  // retransmission check), so an entry that saw only SYNs (or SYN-ACKs) gets
  // nf_conntrack_tcp_timeout_max_retrans when that is shorter than its state's timeout
  // (test/conformance/generated/gen-101-0.yaml: a SYN_SENT entry gone 1 s after its last SYN).
  if (b[l4 + 13]! & TCP_SYN) {
    w[base + 1] = end;
    w[base + W_AUX] = (tcpOptions(0, 0, b, l4) | A_WIN0) >>> 0;
  } else {
    w[base + 1] = (end + maxwin) >>> 0;
    // "We assume SACK and liberal window checking to handle window scaling"
    const f = IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_BE_LIBERAL;
    w[base + W_AUX] = f | (f << A_FLAGS1) | A_WIN0;
  }
}

const NFCT_TCP_IGNORE = 0;
const NFCT_TCP_INVALID = 1;
const NFCT_TCP_ACCEPT = 2;

/** nf_tcp_log_invalid: be_liberal (the sysctl or the sender's flag) accepts what is out of window. */
const logInvalid = (tw: TcpWindows, senderFlags: number, ret: number): number =>
  tw.beLiberal || senderFlags & IP_CT_TCP_FLAG_BE_LIBERAL ? NFCT_TCP_ACCEPT : ret;

/** tcp_in_window for entry e (its window data and flags word in tw.w). `state` is the old state. */
export function tcpInWindow(
  t: ConntrackTable,
  tw: TcpWindows,
  e: number,
  dir: number,
  index: number,
  state: number,
  b: Uint8Array,
  l4: number,
  seg: number,
): number {
  const w = tw.w;
  const base = e * tw.stride + tw.off;
  const s = base + dir * 4;
  const r = base + (dir ^ 1) * 4;
  const wa = base + W_AUX;
  let aux = (w[wa]! & ~A_HINT1) >>> 0;
  w[wa] = aux;
  const flags = b[l4 + 13]!;
  let seq = read32(b, l4 + 4);
  let ack = read32(b, l4 + 8);
  const winRaw = (b[l4 + 14]! << 8) | b[l4 + 15]!;
  let win = winRaw;
  let end = segEnd(b, l4, seg);
  let sack = ack;
  if (flagsOf(aux, dir ^ 1) & IP_CT_TCP_FLAG_SACK_PERM) sack = tcpSack(b, l4, sack);
  // "Take into account NAT sequence number mangling": a helper's payload rewrite (FTP behind NAT)
  // shifted the receiver's sequence numbers, so the ACK is compared in the receiver's own space.
  const hx = t.helperExt;
  if (hx !== undefined && t.statusOf(e) & IPS_SEQ_ADJUST) {
    const off = hx.seqOffset(e, dir ^ 1, (ack - 1) >>> 0);
    ack = (ack - off) >>> 0;
    sack = (sack - off) >>> 0;
  }

  if (w[s + 2] === 0) {
    if (flags & TCP_SYN) {
      aux = initSender(w, aux, base, dir, end, win, b, l4);
      w[wa] = aux;
      if (!(flags & TCP_ACK)) return NFCT_TCP_ACCEPT; // simultaneous open
    } else {
      // In the middle of a connection, its history lost: use the data from the packet.
      w[s] = end;
      const swin = (win << scaleOf(aux, dir)) >>> 0;
      w[s + 2] = swin === 0 ? 1 : swin;
      w[s + 1] = (end + w[s + 2]!) >>> 0;
      if (w[r + 2] === 0) {
        w[r] = sack;
        w[r + 1] = sack;
      } else if (sack === (w[r]! + 1) >>> 0) {
        w[r] = sack; // likely a reply to a keepalive
      }
    }
  } else if (
    flags & TCP_SYN &&
    after(end, w[s]!) &&
    (state === TCP_CONNTRACK_SYN_SENT || state === TCP_CONNTRACK_SYN_RECV)
  ) {
    // RFC 793: a reinitialized TCP uses larger sequence numbers: re-init this direction.
    aux = initSender(w, aux, base, dir, end, win, b, l4);
    w[wa] = aux;
    if (dir === 1 && !(flags & TCP_ACK)) return NFCT_TCP_ACCEPT;
  }

  if (!(flags & TCP_ACK)) {
    ack = sack = w[r]!; // no ACK: pretend it was set and OK
  } else if ((flags & (TCP_ACK | TCP_RST)) === (TCP_ACK | TCP_RST) && ack === 0) {
    ack = sack = w[r]!; // broken stacks: RST|ACK with a zero ack
  }
  if (flags & TCP_RST && seq === 0 && state === TCP_CONNTRACK_SYN_SENT) seq = end = w[s]!; // RST answering a SYN

  const sFlags = flagsOf(aux, dir);
  const maxAckWin = w[s + 2]! > MAXACKWINCONST ? w[s + 2]! : MAXACKWINCONST;
  if (!before(seq, (w[s + 1]! + 1) >>> 0)) {
    const overshot = (end - w[s + 1]! + 1) >>> 0;
    const ackOk = after(sack, (w[r]! - maxAckWin - 1) >>> 0);
    const inRecvWin = w[r + 2] !== 0 && after(end, (w[s]! - w[r + 2]! - 1) >>> 0);
    if (inRecvWin && ackOk && overshot <= w[r + 2]! && before(sack, (w[r]! + 1) >>> 0)) {
      // "Work around TCPs that send more bytes than allowed by the receive window": td_end moves.
      w[s] = end;
      w[wa] = withFlags(aux, dir, sFlags | IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
      return logInvalid(tw, sFlags, NFCT_TCP_IGNORE); // "%u bytes more than expected"
    }
    return logInvalid(tw, sFlags, NFCT_TCP_INVALID); // "SEQ is over upper bound"
  }
  if (!before(sack, (w[r]! + 1) >>> 0)) return logInvalid(tw, sFlags, NFCT_TCP_INVALID); // "ACK is over upper bound"
  if (w[r + 2] !== 0 && !after(end, (w[s]! - w[r + 2]! - 1) >>> 0))
    return logInvalid(tw, sFlags, NFCT_TCP_IGNORE); // "SEQ is under lower bound"
  if (!after(sack, (w[r]! - maxAckWin - 1) >>> 0)) return logInvalid(tw, sFlags, NFCT_TCP_IGNORE); // "ignored ACK under lower bound"

  if (!(flags & TCP_SYN)) win = (win << scaleOf(aux, dir)) >>> 0;
  // Update sender data.
  const swin = (win + (sack - ack)) >>> 0;
  if (w[s + 2]! < swin) w[s + 2] = swin;
  let sf = sFlags;
  if (after(end, w[s]!)) {
    w[s] = end;
    sf |= IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED;
  }
  if (flags & TCP_ACK) {
    if (!(sf & IP_CT_TCP_FLAG_MAXACK_SET)) {
      setMaxack(t, tw, e, dir, ack);
      sf |= IP_CT_TCP_FLAG_MAXACK_SET;
    } else if (after(ack, maxackOf(t, tw, e, dir))) setMaxack(t, tw, e, dir, ack);
  }
  // Update receiver data.
  if (w[r + 2] !== 0 && after(end, w[s + 1]!)) w[r + 2] = (w[r + 2]! + end - w[s + 1]!) >>> 0;
  if (after((sack + win) >>> 0, (w[r + 1]! - 1) >>> 0)) {
    w[r + 1] = (sack + win + (win === 0 ? 1 : 0)) >>> 0;
  }
  aux = withFlags(aux, dir, sf);
  if (ack === w[r])
    aux = withFlags(aux, dir ^ 1, flagsOf(aux, dir ^ 1) & ~IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
  // Check retransmissions: the same (dir, seq, ack, end, window) as the last ACK.
  if (index === TCP_ACK_SET) {
    const h =
      Math.imul(seq ^ Math.imul(ack, 0x9e3779b1) ^ Math.imul(end, 0x85ebca77) ^ winRaw, 0xc2b2ae3d) >>>
      A_HASH;
    const lastDir = t.rec[e * t.rw + REC_META]! >>> 31;
    if (lastDir === dir && aux >>> A_HASH === h && ((aux & A_WIN0) !== 0) === (winRaw === 0)) {
      const rt = (aux >>> A_RETRANS) & 0xf;
      if (rt < 15) aux += 1 << A_RETRANS;
    } else {
      aux = ((aux & 0x00ffffff & ~(0xf << A_RETRANS)) | (winRaw === 0 ? A_WIN0 : 0) | (h << A_HASH)) >>> 0;
    }
    const c = tw.cold.size !== 0 ? tw.cold.get(e) : undefined;
    if (c) c.fresh = false;
  }
  w[wa] = aux >>> 0;
  return NFCT_TCP_ACCEPT;
}

/** tcpWindowAck: the segment is not the common case; tcpWindowPacket's general way takes it. */
export const TCP_WINDOW_SLOW = -1;

/**
 * The common case of nf_conntrack_tcp_packet with window tracking, in one function (no calls on
 * its way; the engine's fast path and tcpWindowPacket call it first): an ACK without SYN, FIN or
 * RST of an assured ESTABLISHED entry whose sender is initialised (td_maxwin != 0), no sequence
 * adjustment, inside every bound of tcp_in_window. tcp_conntracks keeps ESTABLISHED and no case of
 * the state switch applies, so it is tcp_in_window's tests and updates (the same as tcpInWindow's,
 * with the window words in locals), then in_window's: last index, the timeout (retransmissions,
 * unacknowledged data, a zero window) and nf_ct_refresh. Returns TCP_VERDICT_OK, or
 * TCP_WINDOW_SLOW having changed nothing (a test failed, or not this case): the general way then
 * gives the outcome. Constants are literals here (named beside them): a module constant is a
 * context load and a tag check per use in V8's optimised code. Indexes are 32-bit integers
 * (`| 0`): the segment's bytes lie below 2^31 in `b`, the window words below 2^31 in `w`
 * (enableTcpWindows).
 */
export function tcpWindowAck(
  t: ConntrackTable,
  e: number,
  dir: number,
  b: Uint8Array,
  l4: number,
  seg: number,
  nowTick: number,
  to: TimeoutTicks,
  seq32: number,
  ack32: number,
  hw32: number,
): number {
  const rec = t.rec;
  const m = e * t.rw + 6; // REC_META
  const meta = rec[m]!;
  // SYN 0x02 | FIN 0x01 | RST 0x04 | ACK 0x10 === ACK; state (bits 24-27) ESTABLISHED (3);
  // IPS_SEEN_REPLY | IPS_ASSURED (0x6) set; IPS_SEQ_ADJUST (0x40) clear or no helper state.
  if (
    ((hw32 >>> 16) & 0x17) !== 0x10 ||
    (meta & 0x0f000006) !== 0x03000006 ||
    (meta & 0x40 && t.helperExt !== undefined)
  )
    return TCP_WINDOW_SLOW;
  const tw = t.tcpWin as TcpWindows;
  const w = tw.w;
  const wb = (e * tw.stride + tw.off) | 0;
  const s = (wb + (dir << 2)) | 0;
  const r = (wb + ((dir ^ 1) << 2)) | 0;
  const sMaxwin = w[(s + 2) | 0]!;
  if (sMaxwin === 0) return TCP_WINDOW_SLOW;
  // W_AUX, the flags word, as an int32 all along (`| 0`: no conversion to a double on the way).
  let aux = w[(wb + 7) | 0]! | 0;
  // (`| 0` on an index: a plain 32-bit add in V8's optimised code, no overflow check.)
  const seq = seq32 >>> 0;
  const ack = ack32 >>> 0;
  const winRaw = hw32 & 0xffff;
  const doff = (hw32 >>> 28) * 4;
  const end = (seq + seg - doff) >>> 0;
  let sack = ack;
  // The receiver's IP_CT_TCP_FLAG_SACK_PERM (0x02 in its 6 flag bits).
  // tcp_sack's own first test, here: timestamps alone (NOP NOP TIMESTAMP, most segments of a
  // Linux peer) leave it unchanged, without passing a sequence number to a call (a number of
  // 2^31 or more passed to or returned from a call V8 does not inline is boxed).
  if (
    doff > 20 &&
    (aux >>> ((dir ^ 1) * 6)) & 0x02 &&
    !(
      doff === 32 &&
      b[(l4 + 20) | 0] === 1 &&
      b[(l4 + 21) | 0] === 1 &&
      b[(l4 + 22) | 0] === 8 &&
      b[(l4 + 23) | 0] === 10
    )
  )
    sack = tcpSack(b, l4, sack);
  const sEnd = w[s]!;
  const sMaxend = w[(s + 1) | 0]!;
  const rEnd = w[r]!;
  const rMaxwin = w[(r + 2) | 0]!;
  const maxAckWin = sMaxwin > 66000 ? sMaxwin : 66000; // MAXACKWINCONST
  // tcp_in_window's four bounds (SEQ over upper, ACK over upper, SEQ under lower, ACK under lower).
  if (
    ((seq - sMaxend - 1) | 0) >= 0 ||
    ((sack - rEnd - 1) | 0) >= 0 ||
    (rMaxwin !== 0 && ((sEnd - rMaxwin - 1 - end) | 0) >= 0) ||
    ((rEnd - maxAckWin - 1 - sack) | 0) >= 0
  )
    return TCP_WINDOW_SLOW;
  // The sender's scale field, 4 bits at A_SCALE0 (12) + dir * 4: td_scale + 1, or 0 (scaleOf).
  const sc = (aux >>> (12 + dir * 4)) & 0xf;
  const win = (winRaw << (sc - ((sc + 15) >>> 4))) >>> 0;
  const swin = (win + (sack - ack)) >>> 0;
  if (sMaxwin < swin) w[(s + 2) | 0] = swin;
  let sf = (aux >>> (dir * 6)) & 0x3f;
  if (((sEnd - end) | 0) < 0) {
    w[s] = end;
    sf |= 0x10; // IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED
    // seen[ORIGINAL].td_end moved: A_HINT1 (0x40) no longer known to hold.
    if (dir === 0) aux = aux & ~0x40;
  }
  // td_maxack (IP_CT_TCP_FLAG_MAXACK_SET 0x20): ORIGINAL's is window word 3 (s + 3); REPLY's is
  // the table's aux word, read only when A_HINT1 (bit 0 of REPLY's sf) does not tell that the ACK
  // leaves it (td_maxack == seen[ORIGINAL].td_end == rEnd and the ACK is not after rEnd).
  if (dir === 0) {
    if (!(sf & 0x20)) {
      w[(s + 3) | 0] = ack;
      sf |= 0x20;
    } else if (((w[(s + 3) | 0]! - ack) | 0) < 0) w[(s + 3) | 0] = ack;
  } else if (!(sf & 0x20)) {
    t.aux[e] = ack;
    sf = (sf & 0x3e) | 0x20 | (ack === rEnd ? 1 : 0);
  } else if (!(sf & 1) || ((rEnd - ack) | 0) < 0) {
    let ma = t.aux[e]!;
    if (((ma - ack) | 0) < 0) {
      t.aux[e] = ack;
      ma = ack;
    }
    sf = (sf & 0x3e) | (ma === rEnd ? 1 : 0);
  }
  if (rMaxwin !== 0 && ((sMaxend - end) | 0) < 0) w[(r + 2) | 0] = (rMaxwin + end - sMaxend) >>> 0;
  const edge = (sack + win) >>> 0;
  if (((w[(r + 1) | 0]! - 1 - edge) | 0) < 0) w[(r + 1) | 0] = (edge + (win === 0 ? 1 : 0)) >>> 0;
  aux = (aux & ~(0x3f << (dir * 6))) | (sf << (dir * 6));
  if (ack === rEnd) aux = aux & ~(0x10 << ((dir ^ 1) * 6));
  // The retransmission test: the same (dir, seq, ack, end, window) as the last ACK (A_HASH 25,
  // A_WIN0 1 << 24, A_RETRANS 20).
  const h =
    Math.imul(seq ^ Math.imul(ack, 0x9e3779b1) ^ Math.imul(end, 0x85ebca77) ^ winRaw, 0xc2b2ae3d) >>> 25;
  const win0 = winRaw === 0 ? 0x01000000 : 0;
  if (meta >>> 31 === dir && aux >>> 25 === h && (aux & 0x01000000) === win0) {
    if (((aux >>> 20) & 0xf) < 15) aux = (aux + (1 << 20)) | 0;
  } else {
    aux = (aux & 0x000fffff) | win0 | (h << 25);
  }
  w[(wb + 7) | 0] = aux;
  // in_window: last index ACK (TCP_ACK_SET 3) and direction; the state stays ESTABLISHED.
  rec[m] = (meta & 0x0fffffff) | ((3 | (dir << 3)) << 28);
  if (tw.cold.size !== 0) {
    const c = tw.cold.get(e);
    if (c) c.fresh = false;
  }
  const tES = to.tcp[3]!; // TCP_CONNTRACK_ESTABLISHED
  let timeout = tES;
  if (((aux >>> 20) & 0xf) >= tw.maxRetrans && tES > to.tcpMaxRetrans) timeout = to.tcpMaxRetrans;
  else if (aux & (0x10 | (0x10 << 6)) && tES > to.tcpUnacknowledged) timeout = to.tcpUnacknowledged;
  else if (aux & 0x01000000 && tES > to.tcpMaxRetrans) timeout = to.tcpMaxRetrans;
  rec[m + 1] = nowTick + timeout; // nf_ct_refresh (REC_EXPIRES)
  return TCP_VERDICT_OK;
}

/** tcpWindowAck with the header's words read here (tcpWindowPacket's way, and the tests'). */
export function tcpWindowAckAt(
  t: ConntrackTable,
  e: number,
  dir: number,
  b: Uint8Array,
  l4: number,
  seg: number,
  nowTick: number,
  to: TimeoutTicks,
): number {
  return tcpWindowAck(
    t,
    e,
    dir,
    b,
    l4,
    seg,
    nowTick,
    to,
    read32(b, l4 + 4) | 0,
    read32(b, l4 + 8) | 0,
    read32(b, l4 + 12) | 0,
  );
}

/**
 * nf_conntrack_tcp_packet, case TCP_CONNTRACK_MAX: "Special case for SYN proxy: when the SYN to
 * the server or the SYN/ACK from the server is lost, the client may transmit a keep-alive packet
 * while in SYN_SENT state". An ACK the state table refuses (sIV) is accepted as it is (NF_ACCEPT:
 * no state, timeout or last_index change, and not counted `invalid`) when the entry is in SYN_SENT,
 * the ACK is ORIGINAL, so was the last packet counted (last_dir), and its sequence number is
 * seen[ORIGINAL].td_end - 1 (SND.NXT - 1: a keep-alive or zero-window probe). The caller checks
 * nfct_synproxy(ct) and calls this only for a TCP_VERDICT_INVALID of an entry that existed. Without
 * window tracking td_end - 1 is the SYN's sequence number, which tcpPacketGeneral keeps in aux.
 */
export function tcpSynproxyKeepAlive(
  t: ConntrackTable,
  e: number,
  dir: number,
  b: Uint8Array,
  l4: number,
): boolean {
  const meta = t.rec[e * t.rw + REC_META]!;
  if (dir !== 0 || ((meta >>> 24) & 0xf) !== TCP_CONNTRACK_SYN_SENT || meta >>> 31 !== 0) return false;
  if (tcpPacketClass(b[l4 + 13]!) !== TCP_ACK_SET) return false;
  const tw = t.tcpWin;
  const tdEnd = tw === undefined ? (t.aux[e]! + 1) >>> 0 : tw.w[e * tw.stride + tw.off]!;
  return (tdEnd - 1) >>> 0 === read32(b, l4 + 4);
}

/** The kernel's last_end: an ignored packet's when it was the last, else td_end of last_dir. */
function lastEnd(t: ConntrackTable, tw: TcpWindows, e: number, lastDir: number): number {
  const c = tw.cold.size !== 0 ? tw.cold.get(e) : undefined;
  if (c?.fresh) return c.lastEnd;
  return tw.w[e * tw.stride + tw.off + lastDir * 4]!;
}

function coldOf(tw: TcpWindows, e: number): Cold {
  let c = tw.cold.get(e);
  if (!c) {
    c = { lastEnd: 0, lastWin: 0, lastWscale: 0, lastFlags: 0, lastAck: 0, fresh: false };
    tw.cold.set(e, c);
  }
  return c;
}

/**
 * nf_conntrack_tcp_packet with window tracking, for entry e (created by this packet when `isNew`:
 * the caller set its first state, tcpWindowNew is done here). `seg` is the length of the TCP
 * header and payload. Returns a TCP_VERDICT_*.
 */
export function tcpWindowPacket(
  t: ConntrackTable,
  e: number,
  dir: number,
  b: Uint8Array,
  l4: number,
  seg: number,
  nowTick: number,
  to: TimeoutTicks,
  isNew: boolean,
): number {
  const tw = t.tcpWin as TcpWindows;
  const rec = t.rec;
  const m = e * t.rw + REC_META;
  let meta = rec[m]!;
  // Most packets: an ACK of an assured ESTABLISHED connection, in window (tcpWindowAck); any
  // other segment, or one that fails a test of tcp_in_window, takes the general way below.
  if (!isNew && tcpWindowAckAt(t, e, dir, b, l4, seg, nowTick, to) === TCP_VERDICT_OK) return TCP_VERDICT_OK;
  const flags = b[l4 + 13]!;
  if (isNew) tcpWindowNew(t, tw, e, b, l4, seg);
  const index = tcpPacketClass(flags);
  let old = (meta >>> 24) & 0xf;
  // A new entry: tcp_new left state NONE, the table moves it (the caller stored the first state).
  const stored = isNew ? 0 : old;
  if (isNew) old = 0;
  let next = tcpTransition(dir, index, old);
  const lastIdx = (meta >>> 28) & 7;
  const lastDir = meta >>> 31;
  const status = meta & 0xffff;
  // The flags word; A_HINT1 cleared first (this way moves td_end and td_maxack as it likes).
  const wa = e * tw.stride + tw.off + W_AUX;
  let aux = (tw.w[wa]! & ~A_HINT1) >>> 0;
  tw.w[wa] = aux;
  let skipWindow = false;

  if (next === TCP_CONNTRACK_SYN_SENT && old >= TCP_CONNTRACK_TIME_WAIT) {
    // RFC 1122 reopen of a closed or aborted connection: kill it and look up again; else the SYN
    // is ignored (the kernel falls through to TCP_CONNTRACK_IGNORE).
    if (
      (flagsOf(aux, 0) | flagsOf(aux, 1)) & IP_CT_TCP_FLAG_CLOSE_INIT ||
      (lastDir === dir && lastIdx === TCP_RST_SET)
    )
      return TCP_VERDICT_REOPEN;
    next = sIG;
  }
  switch (next) {
    case sIG: {
      const ackSeq = read32(b, l4 + 8);
      const c = tw.cold.size !== 0 ? tw.cold.get(e) : undefined;
      if (
        index === TCP_SYNACK_SET &&
        lastIdx === TCP_SYN_SET &&
        lastDir !== dir &&
        c?.fresh &&
        ackSeq === c.lastEnd
      ) {
        // b) the SYN/ACK answers a SYN ignored earlier: get in sync from the annotated values.
        old = TCP_CONNTRACK_SYN_SENT;
        next = TCP_CONNTRACK_SYN_RECV;
        const ls = e * tw.stride + tw.off + lastDir * 4;
        tw.w[ls] = c.lastEnd;
        tw.w[ls + 1] = c.lastEnd;
        tw.w[ls + 2] = c.lastWin === 0 ? 1 : c.lastWin;
        c.lastFlags &= ~IP_CT_EXP_CHALLENGE_ACK;
        aux = withFlags(aux, lastDir, c.lastFlags);
        aux = withScale(aux, lastDir, c.lastWscale);
        // nf_ct_tcp_state_reset of this direction
        const ds = e * tw.stride + tw.off + dir * 4;
        tw.w.fill(0, ds, ds + 3);
        setMaxack(t, tw, e, dir, 0);
        aux = withScale(withFlags(aux, dir, flagsOf(aux, dir) & IP_CT_TCP_FLAG_BE_LIBERAL), dir, 0);
        tw.w[wa] = aux;
        break;
      }
      const cc = coldOf(tw, e);
      rec[m] = (meta & 0x0fffffff) | ((index | (dir << 3)) << 28);
      cc.lastEnd = segEnd(b, l4, seg);
      cc.lastWin = (b[l4 + 14]! << 8) | b[l4 + 15]!;
      cc.fresh = true;
      tw.w[wa] = cc.lastWin === 0 ? aux | A_WIN0 : aux & ~A_WIN0;
      if (index === TCP_SYN_SET && dir === 0) {
        // a) a SYN in ORIGINAL: annotate its options; a challenge ACK may follow in LAST_ACK.
        const o = tcpOptions(0, 0, b, l4);
        cc.lastFlags = 0;
        cc.lastWscale = 0;
        if (flagsOf(o, 0) & IP_CT_TCP_FLAG_WINDOW_SCALE) {
          cc.lastFlags |= IP_CT_TCP_FLAG_WINDOW_SCALE;
          cc.lastWscale = scaleOf(o, 0);
        }
        if (flagsOf(o, 0) & IP_CT_TCP_FLAG_SACK_PERM) cc.lastFlags |= IP_CT_TCP_FLAG_SACK_PERM;
        if (old === TCP_CONNTRACK_LAST_ACK) cc.lastFlags |= IP_CT_EXP_CHALLENGE_ACK;
      }
      if (old === TCP_CONNTRACK_SYN_SENT && index === TCP_ACK_SET && dir === 1) cc.lastAck = ackSeq;
      return TCP_VERDICT_IGNORE;
    }
    case sIV:
      return TCP_VERDICT_INVALID;
    case TCP_CONNTRACK_TIME_WAIT: {
      // RFC 5961 challenge ACK: not the ACK of the last FIN.
      const c = tw.cold.size !== 0 ? tw.cold.get(e) : undefined;
      if (
        old === TCP_CONNTRACK_LAST_ACK &&
        index === TCP_ACK_SET &&
        lastDir !== dir &&
        lastIdx === TCP_SYN_SET &&
        c !== undefined &&
        c.lastFlags & IP_CT_EXP_CHALLENGE_ACK
      ) {
        c.lastFlags &= ~IP_CT_EXP_CHALLENGE_ACK;
        return TCP_VERDICT_IGNORE;
      }
      break;
    }
    case TCP_CONNTRACK_SYN_SENT2:
      coldOf(tw, e).lastFlags |= IP_CT_TCP_SIMULTANEOUS_OPEN;
      break;
    case TCP_CONNTRACK_SYN_RECV: {
      const c = tw.cold.size !== 0 ? tw.cold.get(e) : undefined;
      if (dir === 1 && index === TCP_ACK_SET && c !== undefined && c.lastFlags & IP_CT_TCP_SIMULTANEOUS_OPEN)
        next = TCP_CONNTRACK_ESTABLISHED;
      break;
    }
    case TCP_CONNTRACK_CLOSE: {
      if (index !== TCP_RST_SET) break;
      // tcp_can_early_drop: closing, the tuple may be reused already: no validation.
      if (stored >= TCP_CONNTRACK_FIN_WAIT && stored <= TCP_CONNTRACK_CLOSE) {
        skipWindow = true;
        break;
      }
      const seq = read32(b, l4 + 4);
      const established = stored === TCP_CONNTRACK_ESTABLISHED && (status & IPS_ASSURED) !== 0;
      if (flagsOf(aux, dir ^ 1) & IP_CT_TCP_FLAG_MAXACK_SET && lastIdx !== TCP_SYN_SET) {
        // td_maxack is outdated if a SYN was let through earlier.
        const maxack = maxackOf(t, tw, e, dir ^ 1);
        // SEQ 0 out of ESTABLISHED: most likely the answer to a SYN let through.
        if (seq === 0 && !established) break;
        if (before(seq, maxack) && !tw.ignoreInvalidRst) return TCP_VERDICT_INVALID; // "invalid rst"
        if (!established || seq === maxack) break;
        // Part of a train: data, then an RST at its end.
        if (lastIdx === TCP_ACK_SET && lastDir === dir && seq === lastEnd(t, tw, e, lastDir)) break;
        // The RST's sequence number does not match exactly: keep the state for a challenge ACK.
        next = old;
      }
      const ackSeq = read32(b, l4 + 8);
      if (
        (((status & IPS_SEEN_REPLY) !== 0 && lastIdx === TCP_SYN_SET) ||
          ((status & IPS_ASSURED) === 0 && lastIdx === TCP_ACK_SET)) &&
        ackSeq === lastEnd(t, tw, e, lastDir)
      ) {
        skipWindow = true; // RST to an invalid SYN or ACK let through: skip the window check
        break;
      }
      const c = tw.cold.size !== 0 ? tw.cold.get(e) : undefined;
      if (
        old === TCP_CONNTRACK_SYN_SENT &&
        lastIdx === TCP_ACK_SET &&
        lastDir === 1 &&
        c !== undefined &&
        seq === c.lastAck
      )
        skipWindow = true; // reset answering a challenge ACK let through
      break;
    }
    default:
      break;
  }

  if (!skipWindow) {
    const res = tcpInWindow(t, tw, e, dir, index, stored, b, l4, seg);
    if (res === NFCT_TCP_IGNORE) return TCP_VERDICT_IGNORE;
    if (res === NFCT_TCP_INVALID) {
      handleInvalid(t, e, dir, index, nowTick, to);
      return TCP_VERDICT_INVALID;
    }
    aux = tw.w[wa]!;
  }
  // in_window:
  meta = rec[m]!;
  if (old !== next && next === TCP_CONNTRACK_FIN_WAIT) {
    aux = withFlags(aux, dir, flagsOf(aux, dir) | IP_CT_TCP_FLAG_CLOSE_INIT);
    tw.w[wa] = aux;
  }
  let nm = (meta & 0x00ffffff) | (next << 24) | ((index | (dir << 3)) << 28);
  if (tw.cold.size !== 0) {
    const c = tw.cold.get(e);
    if (c) c.fresh = false;
  }
  const tNew = to.tcp[next]!;
  let timeout: number;
  if (((aux >>> A_RETRANS) & 0xf) >= tw.maxRetrans && tNew > to.tcpMaxRetrans) timeout = to.tcpMaxRetrans;
  else if (index === TCP_RST_SET) timeout = to.tcp[TCP_CONNTRACK_CLOSE]!;
  else if (
    (flagsOf(aux, 0) | flagsOf(aux, 1)) & IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED &&
    tNew > to.tcpUnacknowledged
  )
    timeout = to.tcpUnacknowledged;
  else if (aux & A_WIN0 && tNew > to.tcpMaxRetrans) timeout = to.tcpMaxRetrans;
  else timeout = tNew;

  if ((status & IPS_SEEN_REPLY) === 0) {
    if (flags & TCP_RST) {
      // "If only reply is a RST, we can consider ourselves not to have an established connection"
      t.remove(e);
      return TCP_VERDICT_KILLED;
    }
    if (index === TCP_SYN_SET && old === TCP_CONNTRACK_SYN_SENT && !isNew) {
      // do not renew the timeout on a SYN retransmit
      rec[m] = nm;
      return TCP_VERDICT_OK;
    }
    if (next === TCP_CONNTRACK_ESTABLISHED && timeout > to.tcpUnacknowledged) timeout = to.tcpUnacknowledged;
  } else if (
    (status & IPS_ASSURED) === 0 &&
    (old === TCP_CONNTRACK_SYN_RECV || old === TCP_CONNTRACK_ESTABLISHED) &&
    next === TCP_CONNTRACK_ESTABLISHED
  ) {
    nm |= IPS_ASSURED;
  }
  rec[m] = nm;
  t.refresh(e, nowTick, timeout);
  return TCP_VERDICT_OK;
}

/**
 * nf_tcp_handle_invalid: an out-of-window FIN or RST answering a FIN or RST of the other
 * direction shrinks an assured entry's timeout to the unacknowledged one; else it becomes last.
 */
function handleInvalid(
  t: ConntrackTable,
  e: number,
  dir: number,
  index: number,
  nowTick: number,
  to: TimeoutTicks,
): void {
  const rec = t.rec;
  const m = e * t.rw + REC_META;
  const meta = rec[m]!;
  if ((meta & IPS_ASSURED) === 0) return;
  if (index !== TCP_RST_SET && index !== TCP_FIN_SET) return;
  const lastIdx = (meta >>> 28) & 7;
  const lastDir = meta >>> 31;
  if (lastDir !== dir && (lastIdx === TCP_FIN_SET || lastIdx === TCP_RST_SET)) {
    const expires = (rec[e * t.rw + REC_EXPIRES]! - nowTick) | 0;
    if (expires < ConntrackTable.ticks(120)) return;
    if (expires > to.tcpUnacknowledged) t.refresh(e, nowTick, to.tcpUnacknowledged);
  } else {
    rec[m] = (meta & 0x0fffffff) | ((index | (dir << 3)) << 28);
  }
}

/** The window data of entry e, for tests and listings: [dir][td_end, td_maxend, td_maxwin, td_maxack]. */
export function tcpWindowOf(t: ConntrackTable, tw: TcpWindows, e: number) {
  const a = tw.w[e * tw.stride + tw.off + W_AUX]!;
  const at = (dir: number, k: number): number => tw.w[e * tw.stride + tw.off + dir * 4 + k]!;
  const side = (dir: number) => ({
    end: at(dir, 0),
    maxend: at(dir, 1),
    maxwin: at(dir, 2),
    maxack: maxackOf(t, tw, e, dir),
    scale: scaleOf(a, dir),
    flags: flagsOf(a, dir),
  });
  return {
    seen: [side(0), side(1)] as const,
    retrans: (a >>> A_RETRANS) & 0xf,
    lastWinZero: (a & A_WIN0) !== 0,
    /** A_HINT1: seen[REPLY].td_maxack known to equal seen[ORIGINAL].td_end (tcpWindowAck's). */
    maxackHint: (a & A_HINT1) !== 0,
  };
}

/**
 * nft_flow_offload_eval: an offloaded connection's window tracking turns liberal in both
 * directions (seen[0].flags and seen[1].flags |= IP_CT_TCP_FLAG_BE_LIBERAL). Nothing without
 * window tracking.
 */
export function tcpSetLiberal(t: ConntrackTable, e: number): void {
  const tw = t.tcpWin as TcpWindows | undefined;
  if (tw === undefined) return;
  const wa = e * tw.stride + tw.off + W_AUX;
  let aux = tw.w[wa]!;
  aux = withFlags(aux, 0, flagsOf(aux, 0) | IP_CT_TCP_FLAG_BE_LIBERAL);
  tw.w[wa] = withFlags(aux, 1, flagsOf(aux, 1) | IP_CT_TCP_FLAG_BE_LIBERAL);
}

/** flow_offload_fixup_tcp: td_maxwin = 0 in both directions (the window is learned anew). */
export function tcpClearMaxwin(t: ConntrackTable, e: number): void {
  const tw = t.tcpWin;
  if (tw === undefined) return;
  tw.w[e * tw.stride + tw.off + 2] = 0;
  tw.w[e * tw.stride + tw.off + 6] = 0;
}
