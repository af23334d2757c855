// A TCP sender's RTT estimator and retransmission timeout, in the kernel's integer microseconds
// (Linux 6.18, net/ipv4/tcp_input.c):
// - tcp_rtt_estimator: srtt_us holds 8 times the smoothed RTT (srtt = 7/8 srtt + 1/8 m), mdev_us
//   the mean deviation (3/4 mdev + 1/4 |err|, a falling RTT weighing 1/8 as much), mdev_max_us
//   its largest in the current RTT, and rttvar_us what the RTO uses: raised at once to mdev_max,
//   and brought a quarter of the way down to it once per RTT (when snd_una passes rtt_seq, the
//   snd_nxt of the last round), mdev_max starting again from tcp_rto_min;
// - the first sample sets srtt = m, mdev = 2m ("make sure rto = 3*rtt"), rttvar = max(mdev,
//   tcp_rto_min);
// - __tcp_set_rto / tcp_bound_rto: the RTO is srtt + rttvar, at most TCP_RTO_MAX (120 s), in
//   jiffies rounded up (usecs_to_jiffies);
// - tcp_rtt_tsopt_us: a sample from the timestamp echoed (TSecr), in the 1 ms clock of
//   TCP timestamps, when the data acknowledged was retransmitted (Karn: its own send time is
//   ambiguous).
// The samples come from tcp_ack_update_rtt (sockets.ts): the oldest segment the ACK
// acknowledges that was never retransmitted (seq_rtt), else the oldest newly SACKed one, else
// the timestamp.
import { HZ } from './timer-wheel.ts';

/** TCP_RTO_MIN (200 ms) and TCP_RTO_MAX (120 s), in microseconds. */
const RTO_MIN_US = 200_000;
const RTO_MAX_US = 120_000_000;

const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;

/** usecs_to_jiffies: rounded up. */
const usToJiffies = (us: number): number => Math.ceil((us * HZ) / 1_000_000);

export class TcpRtt {
  /** 8 times the smoothed RTT (tp->srtt_us), 0 before the first sample. */
  srttUs = 0;
  mdevUs = 0;
  mdevMaxUs = 0;
  rttvarUs = 0;
  /** tp->rtt_seq: snd_nxt when the current round began. */
  rttSeq = 0;
  /** How many samples were taken (for traces and tests). */
  samples = 0;

  /**
   * tcp_rtt_estimator with an RTT sample of `mUs` microseconds (> 0 taken as is; 0 counts as the
   * kernel's 1 µs floor of srtt), `sndUna` and `sndNxt` the sender's after the ACK.
   */
  sample(mUs: number, sndUna: number, sndNxt: number): void {
    let m = Math.trunc(mUs);
    let srtt = this.srttUs;
    if (srtt !== 0) {
      m -= srtt >> 3; // the error in the estimate
      srtt += m; // 7/8 srtt + 1/8 new
      if (m < 0) {
        m = -m;
        m -= this.mdevUs >> 2;
        if (m > 0) m >>= 3; // a falling RTT: its deviation weighs 1/8
      } else m -= this.mdevUs >> 2;
      this.mdevUs += m; // 3/4 mdev + 1/4 new
      if (this.mdevUs > this.mdevMaxUs) {
        this.mdevMaxUs = this.mdevUs;
        if (this.mdevMaxUs > this.rttvarUs) this.rttvarUs = this.mdevMaxUs;
      }
      if (after(sndUna, this.rttSeq)) {
        if (this.mdevMaxUs < this.rttvarUs) this.rttvarUs -= (this.rttvarUs - this.mdevMaxUs) >> 2;
        this.rttSeq = sndNxt;
        this.mdevMaxUs = RTO_MIN_US;
      }
    } else {
      srtt = m * 8;
      this.mdevUs = m * 2;
      this.rttvarUs = Math.max(this.mdevUs, RTO_MIN_US);
      this.mdevMaxUs = this.rttvarUs;
      this.rttSeq = sndNxt;
    }
    this.srttUs = Math.max(1, srtt);
    this.samples++;
  }

  /** The smoothed RTT in seconds (srtt_us >> 3). */
  get srtt(): number {
    return (this.srttUs >> 3) / 1_000_000;
  }

  /** icsk_rto in jiffies: __tcp_set_rto, tcp_bound_rto. */
  rto(): number {
    return usToJiffies(Math.min((this.srttUs >> 3) + this.rttvarUs, RTO_MAX_US));
  }

  /** The tail loss probe's base, usecs_to_jiffies(srtt_us >> 2): twice the smoothed RTT. */
  twoSrtt(): number {
    return usToJiffies(this.srttUs >> 2);
  }
}

/**
 * tcp_rtt_tsopt_us: the RTT a timestamp echo gives, `nowTs` our TCP timestamp clock now and
 * `tsecr` the value echoed (both in ms; a delta of 0 counts as 1 ms); -1 when out of range.
 */
export function tsoptRttUs(nowTs: number, tsecr: number): number {
  let delta = (nowTs - tsecr) >>> 0;
  if (delta >= Math.floor(0x7fffffff / 1000)) return -1;
  if (delta === 0) delta = 1;
  return delta * 1000;
}
