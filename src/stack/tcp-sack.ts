// A TCP sender's scoreboard for data sent in several segments: what is in flight, SACKed, lost
// and retransmitted, RACK's loss detection, and the congestion window as far as retransmissions
// need it (Linux 6.18, CONFIG_HZ 250):
// - net/ipv4/tcp_input.c tcp_sacktag_write_queue / tcp_sacktag_one (a segment a SACK block covers
//   is SACKed: never sent again), tcp_clean_rtx_queue (the cumulative ACK), tcp_ack_update_rtt
//   (min_rtt from the newest segment (s)acked that was never retransmitted), tcp_fastretrans_alert
//   (lost data → CA_Recovery: tcp_enter_recovery, ssthresh by CUBIC's beta 717/1024, and PRR's
//   tcp_cwnd_reduction), tcp_mark_skb_lost, tcp_simple_retransmit (after a path MTU drop: only
//   segments longer than the new MSS are lost; CA_Loss, the window untouched);
// - net/ipv4/tcp_recovery.c tcp_rack_advance, tcp_rack_detect_loss (a segment sent before one now
//   (s)acked is lost once RACK.rtt + reo_wnd has passed since it left, reo_wnd = min(min_rtt / 4,
//   srtt), 0 in recovery; else the reorder timer), tcp_rack_reo_timeout;
// - net/ipv4/tcp_output.c tcp_xmit_retransmit_queue (lost, not SACKed, not yet retransmitted
//   segments while cwnd - in_flight allows) and __tcp_retransmit_skb (a segment longer than
//   (cwnd - in_flight) MSS is cut there: tcp_fragment; the rest stays lost for a later ACK),
//   tcp_send_loss_probe (the last segment again), tcp_timer.c tcp_retransmit_timer → tcp_enter_loss
//   (every segment not SACKed lost, cwnd = in_flight + 1, the first one again).
// One segment here is one skb; its packets (pcount) are its length over the MSS it was sent at.
// Not modelled: reordering seen (reord_seen, DSACK-driven reo_wnd steps), undo, pacing, ECN.
import { tcpOptionNext } from '../wire/tcp.ts';

/** icsk_ca_state values used here. */
export const CA_OPEN = 0;
export const CA_RECOVERY = 3;
export const CA_LOSS = 4;

/** TCP_INIT_CWND; net.ipv4.tcp_reordering (the duplicate threshold RACK defers to). */
const TCP_INIT_CWND = 10;
const TCP_REORDERING = 3;

const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;

/** One skb of the retransmission queue. */
export interface TxSeg {
  seq: number;
  end: number;
  /** Packets it went as (tcp_skb_pcount). */
  pcount: number;
  /** skb_mstamp: when it last left (seconds). */
  sent: number;
  /** TCPCB_SACKED_ACKED, TCPCB_LOST, TCPCB_SACKED_RETRANS, TCPCB_EVER_RETRANS. */
  sacked: boolean;
  lost: boolean;
  retrans: boolean;
  everRetrans: boolean;
}

export class TcpScoreboard {
  /** tcp_rtx_queue, by sequence number. */
  readonly q: TxSeg[] = [];
  caState = CA_OPEN;
  cwnd = TCP_INIT_CWND;
  ssthresh = 0x7fffffff;
  priorCwnd = 0;
  prrDelivered = 0;
  prrOut = 0;
  highSeq = 0;
  /** tcp_min_rtt (seconds; Infinity before a sample). */
  minRtt = Infinity;
  /** tp->rack: the newest (s)acked segment's send time and end, its RTT, and `advanced`. */
  rackMstamp = -1;
  rackEndSeq = 0;
  rackRtt = 0;
  rackAdvanced = false;
  /** tlp_high_seq: a tail loss probe is out. */
  tlpOut = false;
  /** Packets the last ack() SACKed (FLAG_DATA_SACKED). */
  newlySacked = 0;
  /**
   * The last ack()'s RTT references (tcp_clean_rtx_queue, tcp_sacktag_one): first_ackt, the send
   * time of the oldest segment acknowledged that was neither retransmitted nor SACKed before (-1:
   * none); FLAG_RETRANS_DATA_ACKED, a retransmitted one was acknowledged; first_sackt, the send
   * time of the first segment newly SACKed that was never retransmitted (-1: none).
   */
  firstAckt = -1;
  retransAcked = false;
  firstSackt = -1;

  /** @param srtt the smoothed RTT (seconds), for reo_wnd's bound. */
  constructor(public srtt: number) {}

  get empty(): boolean {
    return this.q.length === 0;
  }

  /** packets_out, sacked_out, lost_out, retrans_out. */
  private count(which: 0 | 1 | 2 | 3): number {
    let n = 0;
    for (const x of this.q)
      if (which === 0 || (which === 1 ? x.sacked : which === 2 ? x.lost : x.retrans)) n += x.pcount;
    return n;
  }

  get packetsOut(): number {
    return this.count(0);
  }

  /** tcp_packets_in_flight: packets_out - (sacked_out + lost_out) + retrans_out. */
  inFlight(): number {
    let n = 0;
    for (const x of this.q)
      n += x.pcount - (x.sacked ? x.pcount : 0) - (x.lost ? x.pcount : 0) + (x.retrans ? x.pcount : 0);
    return n;
  }

  /** A new segment [seq, end) left at `now` as `pcount` packets (tcp_event_new_data_sent). */
  sent(seq: number, end: number, pcount: number, now: number): void {
    this.q.push({
      seq,
      end,
      pcount,
      sent: now,
      sacked: false,
      lost: false,
      retrans: false,
      everRetrans: false,
    });
  }

  /**
   * tcp_rack_advance (6.18): `x` was (s)acked now: RACK's RTT is its (unless it was retransmitted
   * and the sample is below min_rtt: ambiguous), and its send time the reference when it left
   * after the current one.
   */
  private rackAdvance(x: TxSeg, now: number): void {
    const rtt = now - x.sent;
    if (x.everRetrans && rtt < this.minRtt) return;
    this.rackAdvanced = true;
    this.rackRtt = rtt;
    if (this.rackMstamp < 0 || sentAfter(x.sent, this.rackMstamp, x.end, this.rackEndSeq)) {
      this.rackMstamp = x.sent;
      this.rackEndSeq = x.end;
    }
  }

  /**
   * tcp_ack's bookkeeping for a cumulative `ack` and SACK `blocks` (start, end pairs, `n` of
   * them): segments acknowledged leave the queue, those a block covers are SACKed (RACK advanced
   * and min_rtt sampled from the newest never retransmitted). Returns packets newly (s)acked.
   */
  ack(ack: number, blocks: readonly number[], n: number, now: number): number {
    this.newlySacked = 0;
    this.firstAckt = -1;
    this.retransAcked = false;
    this.firstSackt = -1;
    let delivered = 0;
    let lastSent = -1;
    const q = this.q;
    while (q.length > 0 && !after(q[0]!.end, ack)) {
      const x = q.shift()!;
      if (x.everRetrans) this.retransAcked = true;
      else if (!x.sacked && this.firstAckt < 0) this.firstAckt = x.sent;
      if (!x.sacked) {
        delivered += x.pcount;
        if (!x.everRetrans) lastSent = Math.max(lastSent, x.sent);
      }
      this.rackAdvance(x, now);
    }
    let sackLast = -1;
    for (let k = 0; k < n; k++) {
      const s = blocks[2 * k]!;
      const e = blocks[2 * k + 1]!;
      // tcp_is_sackblock_valid: within what was sent and past the cumulative ACK.
      if (!after(e, ack) || !after(e, s)) continue;
      for (const x of q) {
        if (x.sacked || before(x.seq, s) || after(x.end, e)) continue;
        x.sacked = true;
        // A SACKed segment is no longer lost nor counted as retransmitted in flight.
        x.lost = false;
        x.retrans = false;
        delivered += x.pcount;
        this.newlySacked += x.pcount;
        if (!x.everRetrans) {
          sackLast = Math.max(sackLast, x.sent);
          if (this.firstSackt < 0) this.firstSackt = x.sent;
        }
        this.rackAdvance(x, now);
      }
    }
    // tcp_ack_update_rtt: ca_rtt from the newest segment acked, else SACKed.
    const t = lastSent >= 0 ? lastSent : sackLast;
    if (t >= 0) this.minRtt = Math.min(this.minRtt, now - t);
    return delivered;
  }

  /** tcp_rack_reo_wnd (reordering never seen). */
  private reoWnd(): number {
    if (this.caState >= CA_RECOVERY) return 0;
    if (this.count(1) >= TCP_REORDERING) return 0;
    return Math.min(this.minRtt / 4, this.srtt);
  }

  /**
   * tcp_rack_detect_loss at `now`: segments sent before RACK's newest delivered one whose time
   * is up are lost. Returns how many became lost and, in `timeout[0]`, the reorder timer's wait
   * (seconds; 0: none).
   */
  rackDetectLoss(now: number, timeout: number[]): number {
    timeout[0] = 0;
    if (this.rackMstamp < 0) return 0;
    const reo = this.reoWnd();
    let lost = 0;
    // tsorted_sent_queue: the segments not (s)acked, by the time they last left.
    const order = this.q.filter((x) => !x.sacked).sort((a, b) => a.sent - b.sent || (a.end - b.end) | 0);
    for (const x of order) {
      if (x.lost && !x.retrans) continue;
      if (!sentAfter(this.rackMstamp, x.sent, this.rackEndSeq, x.end)) break;
      const remaining = this.rackRtt + reo - (now - x.sent);
      if (remaining <= 0) {
        this.markLost(x);
        lost++;
      } else timeout[0] = Math.max(timeout[0]!, remaining);
    }
    return lost;
  }

  /** tcp_mark_skb_lost. */
  private markLost(x: TxSeg): void {
    if (x.sacked) return;
    x.lost = true;
    x.retrans = false;
  }

  /** tcp_enter_recovery: CUBIC's ssthresh (cwnd * 717 / 1024, at least 2), PRR from zero. */
  enterRecovery(sndNxt: number): void {
    this.priorCwnd = this.cwnd;
    this.ssthresh = Math.max((this.cwnd * 717) >> 10, 2);
    this.prrDelivered = 0;
    this.prrOut = 0;
    this.highSeq = sndNxt;
    this.caState = CA_RECOVERY;
  }

  /** tcp_cwnd_reduction (PRR, RFC 6937). */
  cwndReduction(newlyAckedSacked: number, newlyLost: boolean, unaAdvanced: boolean): void {
    if (newlyAckedSacked <= 0 || this.priorCwnd === 0) return;
    const inFlight = this.inFlight();
    const delta = this.ssthresh - inFlight;
    this.prrDelivered += newlyAckedSacked;
    let sndcnt: number;
    if (delta < 0) {
      sndcnt =
        Math.floor((this.ssthresh * this.prrDelivered + this.priorCwnd - 1) / this.priorCwnd) - this.prrOut;
    } else {
      sndcnt = Math.max(this.prrDelivered - this.prrOut, newlyAckedSacked);
      if (unaAdvanced && !newlyLost) sndcnt++;
      sndcnt = Math.min(delta, sndcnt);
    }
    sndcnt = Math.max(sndcnt, this.prrOut ? 0 : 1);
    this.cwnd = inFlight + sndcnt;
  }

  /**
   * The ACK's effect on the state (tcp_fastretrans_alert, tcp_cong_control): recovery or loss ends
   * once `una` reaches high_seq; in CA_Loss slow start grows cwnd by what was delivered; lost data
   * in CA_Open starts recovery; in recovery PRR sets cwnd.
   */
  afterAck(una: number, sndNxt: number, delivered: number, newlyLost: number, unaAdvanced: boolean): void {
    if (this.caState !== CA_OPEN && !before(una, this.highSeq)) {
      if (this.caState === CA_RECOVERY) this.cwnd = this.ssthresh; // tcp_end_cwnd_reduction
      this.caState = CA_OPEN;
    }
    if (this.caState === CA_OPEN && this.count(2) > 0) {
      this.enterRecovery(sndNxt);
      this.cwndReduction(delivered, newlyLost > 0, unaAdvanced);
    } else if (this.caState === CA_RECOVERY) this.cwndReduction(delivered, newlyLost > 0, unaAdvanced);
    else if (unaAdvanced && this.cwnd < this.ssthresh) this.cwnd += delivered; // tcp_slow_start
  }

  /**
   * tcp_simple_retransmit with MSS `mss`: segments longer than it are lost; CA_Loss (high_seq
   * snd_nxt) unless already there. Returns false when nothing is lost.
   */
  simpleRetransmit(mss: number, sndNxt: number): boolean {
    for (const x of this.q) if (((x.end - x.seq) | 0) > mss) this.markLost(x);
    if (this.count(2) === 0) return false;
    if (this.caState !== CA_LOSS) {
      this.highSeq = sndNxt;
      this.caState = CA_LOSS;
    }
    return true;
  }

  /** tcp_enter_loss (the RTO): every segment not SACKed lost, cwnd = in_flight + 1. */
  enterLoss(sndNxt: number): void {
    if (this.caState !== CA_LOSS) {
      this.priorCwnd = this.cwnd;
      this.ssthresh = Math.max((this.cwnd * 717) >> 10, 2);
    }
    for (const x of this.q) this.markLost(x);
    this.cwnd = this.inFlight() + 1;
    this.caState = CA_LOSS;
    this.highSeq = sndNxt;
  }

  /**
   * Retransmits segment `x` with room for `segs` packets of `mss` (__tcp_retransmit_skb): a
   * longer one is cut there (tcp_fragment: the rest a new segment, still lost). `tx` sends the
   * bytes [seq, end) in packets of `mss`. Returns the packets sent.
   */
  retransmit(
    x: TxSeg,
    segs: number,
    mss: number,
    now: number,
    tx: (seq: number, end: number) => void,
  ): number {
    const len = (x.end - x.seq) >>> 0;
    if (len > segs * mss) {
      const cut = (x.seq + segs * mss) >>> 0;
      const i = this.q.indexOf(x);
      this.q.splice(i + 1, 0, { ...x, seq: cut, pcount: Math.ceil(((x.end - cut) >>> 0) / mss) });
      x.end = cut;
    }
    x.pcount = Math.ceil(((x.end - x.seq) >>> 0) / mss);
    x.retrans = true;
    x.everRetrans = true;
    x.sent = now;
    tx(x.seq, x.end);
    return x.pcount;
  }

  /**
   * tcp_xmit_retransmit_queue: lost segments, not SACKed nor retransmitted, in order, while
   * cwnd - in_flight leaves room. Returns true when the first segment of the queue went (the RTO
   * is rearmed then).
   */
  xmitRetransmitQueue(mss: number, now: number, tx: (seq: number, end: number) => void): boolean {
    let head = false;
    for (let i = 0; i < this.q.length; i++) {
      const x = this.q[i]!;
      const segs = this.cwnd - this.inFlight();
      if (segs <= 0) break;
      if (this.count(3) >= this.count(2)) break;
      if (!x.lost || x.sacked || x.retrans) continue;
      const n = this.retransmit(x, segs, mss, now, tx);
      if (this.caState === CA_RECOVERY) this.prrOut += n;
      if (i === 0) head = true;
    }
    return head;
  }
}

/** tcp_rack_sent_after: t1 after t2, or at the same time with a later end. */
function sentAfter(t1: number, t2: number, seq1: number, seq2: number): boolean {
  return t1 > t2 || (t1 === t2 && after(seq1, seq2));
}

/**
 * The SACK blocks of a segment's options b[start, end) into `out` (start, end pairs); returns
 * how many (tcp_parse_options: kind 5, length 2 + 8n; of several such options the last one, whose
 * offset tcp_parse_options leaves in TCP_SKB_CB(skb)->sacked).
 */
export function sackBlocks(b: Uint8Array, start: number, end: number, out: number[]): number {
  let n = 0;
  for (let i = tcpOptionNext(b, start, end); i >= 0; i = tcpOptionNext(b, i + b[i + 1]!, end)) {
    const l = b[i + 1]!;
    if (b[i] !== 5 || l < 10 || (l - 2) % 8 !== 0) continue;
    n = 0;
    for (let p = i + 2; p + 8 <= i + l; p += 8) {
      out[2 * n] = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      out[2 * n + 1] = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
      n++;
    }
  }
  return n;
}
