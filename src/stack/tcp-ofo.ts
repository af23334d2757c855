// A TCP receiver's out-of-order queue and the SACK blocks of its ACKs, as Linux keeps them
// (net/ipv4/tcp_input.c tcp_data_queue, tcp_data_queue_ofo, tcp_ofo_queue, tcp_sack_new_ofo_skb,
// tcp_sack_extend, tcp_sack_maybe_coalesce, tcp_sack_remove, tcp_dsack_set, tcp_dsack_extend;
// net/ipv4/tcp_output.c tcp_established_options and tcp_options_write):
// - a segment past rcv_nxt waits in the queue (sorted by sequence number); a new one that only
//   repeats queued bytes is dropped with a D-SACK of them;
// - with SACK agreed, each queued segment updates selective_acks (at most TCP_NUM_SACKS, the
//   block just extended or made first, then coalesced with the others);
// - when rcv_nxt reaches the queue its segments are taken in order (bytes already received
//   dropped) and the blocks rcv_nxt covers removed (all of them once the queue is empty);
// - a duplicate segment sets the D-SACK block (net.ipv4.tcp_dsack, on by default), sent once,
//   before the selective ones, in the next segment;
// - the option is NOP, NOP, SACK, with as many blocks as fit in the 40 bytes of option space
//   after the timestamps (3 with them, 4 without).
// Not modelled: the receive buffer's limits (tcp_try_rmem_schedule, tcp_prune_ofo_queue) and
// SACK compression after the third duplicate ACK at one rcv_nxt (tcp_sack_compress_send_ack).
import type { TcpOption } from '../wire/tcp.ts';

/** TCP_NUM_SACKS: the blocks a receiver remembers. */
export const TCP_NUM_SACKS = 4;
/** MAX_TCP_OPTION_SPACE. */
const MAX_TCP_OPTION_SPACE = 40;
/** TCPOLEN_SACK_BASE_ALIGNED (NOP, NOP, kind, length) and TCPOLEN_SACK_PERBLOCK. */
const SACK_BASE_ALIGNED = 4;
const SACK_PERBLOCK = 8;

const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const after = (a: number, b: number): boolean => ((b - a) | 0) < 0;

/** A segment in the out-of-order queue: its first sequence number and its bytes. */
interface OfoSeg {
  seq: number;
  end: number;
  data: Uint8Array;
}

export class TcpOfo {
  /** The out-of-order queue, by sequence number. */
  private readonly q: OfoSeg[] = [];
  /** selective_acks: start, end pairs, the most recent first (rx_opt.num_sacks of them). */
  readonly sacks: number[] = [];
  /** rx_opt.dsack and duplicate_sack[0]. */
  dsack = false;
  dsackStart = 0;
  dsackEnd = 0;

  /** @param sack SACK agreed in the handshake (tcp_is_sack); @param dsackOn net.ipv4.tcp_dsack. */
  constructor(
    readonly sack: boolean,
    private readonly dsackOn = true,
  ) {}

  get empty(): boolean {
    return this.q.length === 0;
  }

  get numSacks(): number {
    return this.sacks.length >> 1;
  }

  /** tcp_dsack_set: the next segment reports [seq, end) received twice. */
  dsackSet(seq: number, end: number): void {
    if (!this.sack || !this.dsackOn) return;
    this.dsack = true;
    this.dsackStart = seq;
    this.dsackEnd = end;
  }

  /** tcp_dsack_extend: widen the D-SACK block, or set it. */
  private dsackExtend(seq: number, end: number): void {
    if (!this.dsack) return this.dsackSet(seq, end);
    if (before(seq, this.dsackStart)) this.dsackStart = seq;
    if (after(end, this.dsackEnd)) this.dsackEnd = end;
  }

  /**
   * tcp_data_queue_ofo: `data` at `seq`, past rcv_nxt, into the queue. Returns false when it only
   * repeated queued bytes (dropped, with a D-SACK of them).
   */
  queue(seq: number, data: Uint8Array): boolean {
    const end = (seq + data.length) >>> 0;
    const q = this.q;
    let i = 0;
    while (i < q.length && before(q[i]!.seq, seq)) i++;
    // The segment before it, if it covers the new one entirely: a duplicate.
    const prev = i > 0 ? q[i - 1]! : undefined;
    if (prev && !after(end, prev.end)) {
      this.dsackSet(seq, end);
      return false;
    }
    if (prev && after(prev.end, seq)) this.dsackSet(seq, prev.end); // partial overlap
    if (i < q.length && q[i]!.seq === seq) {
      const same = q[i]!;
      if (!after(end, same.end)) {
        this.dsackSet(seq, end);
        return false;
      }
      // It covers the queued one with the same start: it replaces it.
      this.dsackExtend(same.seq, same.end);
      q.splice(i, 1);
    }
    q.splice(i, 0, { seq, end, data });
    // Queued segments the new one covers go (their bytes D-SACKed); one it overlaps stays.
    while (i + 1 < q.length && !before(end, q[i + 1]!.seq)) {
      const next = q[i + 1]!;
      if (before(end, next.end)) {
        if (after(end, next.seq)) this.dsackExtend(next.seq, end);
        break;
      }
      this.dsackExtend(next.seq, next.end);
      q.splice(i + 1, 1);
    }
    if (this.sack) this.newOfoSack(seq, end);
    return true;
  }

  /** tcp_sack_new_ofo_skb: the block the new segment extends goes first; else a new first one. */
  private newOfoSack(seq: number, end: number): void {
    const sp = this.sacks;
    const n = sp.length >> 1;
    for (let k = 0; k < n; k++) {
      if (sackExtend(sp, k, seq, end)) {
        // Rotate it to the first place, then coalesce (tcp_sack_maybe_coalesce).
        const s = sp[2 * k]!;
        const e = sp[2 * k + 1]!;
        sp.splice(2 * k, 2);
        sp.unshift(s, e);
        if (n > 1) this.coalesce();
        return;
      }
    }
    if (n >= TCP_NUM_SACKS) sp.length = 2 * (TCP_NUM_SACKS - 1); // forget the last one
    sp.unshift(seq, end);
  }

  /** tcp_sack_maybe_coalesce: the first block swallows the others it touches. */
  private coalesce(): void {
    const sp = this.sacks;
    for (let k = 1; k < sp.length >> 1;) {
      if (sackExtend(sp, 0, sp[2 * k]!, sp[2 * k + 1]!)) sp.splice(2 * k, 2);
      else k++;
    }
  }

  /**
   * tcp_ofo_queue, then tcp_sack_remove: with rcv_nxt now `rcvNxt`, the queued bytes that follow
   * on in order, as one array (undefined when none do), and the blocks rcv_nxt covers removed.
   * The caller advances rcv_nxt by the returned length.
   */
  take(rcvNxt: number): Uint8Array | undefined {
    const q = this.q;
    let parts: Uint8Array[] | undefined;
    let nxt = rcvNxt;
    let dsackHigh = rcvNxt;
    while (q.length > 0 && !after(q[0]!.seq, nxt)) {
      const seg = q.shift()!;
      if (before(seg.seq, dsackHigh)) {
        const d = dsackHigh;
        if (before(seg.end, dsackHigh)) dsackHigh = seg.end;
        this.dsackExtend(seg.seq, d);
      }
      if (!after(seg.end, nxt)) continue; // all of it received already ("ofo packet dropped")
      (parts ??= []).push(seg.data.subarray((nxt - seg.seq) >>> 0));
      nxt = seg.end;
    }
    this.sackRemove(nxt);
    if (!parts) return undefined;
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array((nxt - rcvNxt) >>> 0);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** tcp_sack_remove: rcv_nxt moved to `rcvNxt`; the blocks it reaches go. */
  sackRemove(rcvNxt: number): void {
    const sp = this.sacks;
    if (this.q.length === 0) {
      sp.length = 0;
      return;
    }
    for (let k = 0; k < sp.length >> 1;) {
      if (!before(rcvNxt, sp[2 * k]!)) sp.splice(2 * k, 2);
      else k++;
    }
  }

  /**
   * tcp_established_options and tcp_options_write: appends NOP, NOP, SACK with the D-SACK block
   * (sent once: cleared here) then the selective ones, as many as fit after `used` option bytes.
   */
  writeOptions(out: TcpOption[], used: number): void {
    const eff = this.numSacks + (this.dsack ? 1 : 0);
    if (eff === 0) return;
    const remaining = MAX_TCP_OPTION_SPACE - used;
    if (remaining < SACK_BASE_ALIGNED + SACK_PERBLOCK) return;
    const n = Math.min(eff, Math.floor((remaining - SACK_BASE_ALIGNED) / SACK_PERBLOCK));
    const blocks: [number, number][] = [];
    if (this.dsack) blocks.push([this.dsackStart, this.dsackEnd]);
    for (let k = 0; blocks.length < n; k++) blocks.push([this.sacks[2 * k]!, this.sacks[2 * k + 1]!]);
    out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks });
    this.dsack = false;
  }
}

/** tcp_sack_extend: block `k` of `sp` grows to take [seq, end) when they touch or overlap. */
function sackExtend(sp: number[], k: number, seq: number, end: number): boolean {
  if (!after(seq, sp[2 * k + 1]!) && !after(sp[2 * k]!, end)) {
    if (before(seq, sp[2 * k]!)) sp[2 * k] = seq;
    if (after(end, sp[2 * k + 1]!)) sp[2 * k + 1] = end;
    return true;
  }
  return false;
}
