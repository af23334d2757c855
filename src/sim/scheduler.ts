// The virtual clock and event queue: events run in time order, ties in the order they were
// scheduled, so every run of a scenario is the same. Time is in seconds.
//
// Bounded: a run stops cleanly (never throws, never grows without end) when it has run `maxEvents`
// events or when more than `maxPending` events wait at once (frames multiplying on a loop fill the
// queue long before they exhaust the event count). Whoever finds a reason to end the run early (the
// world's storm detector) calls `stop`; `stopped` then says why and `run` returns at once.

interface Ev {
  at: number;
  seq: number;
  fn: () => void;
}

/** Why a run ended before its time. */
export interface StopReason {
  /** `storm`: frames circulating on a loop; `events` / `pending`: a budget was spent. */
  readonly kind: 'storm' | 'events' | 'pending';
  /** In words, naming the place when it is known. */
  readonly text: string;
  /** Virtual time at which the run stopped. */
  readonly at: number;
}

/** Default budget: events run per simulation. */
export const MAX_EVENTS = 2_000_000;
/** Default budget: events waiting in the queue at once (simulate() adds two per flow). */
export const MAX_PENDING = 100_000;

export class Scheduler {
  now = 0;
  private heap: Ev[] = [];
  private seq = 0;
  /** Events run so far (a bound against runaway scenarios). */
  ran = 0;
  /** Most events ever pending at once. */
  peakPending = 0;
  /** Set when the run was ended early; no event runs or is queued after it. */
  stopped: StopReason | undefined;
  /** Called once when a budget is spent, to describe where (the world names the busiest links). */
  onBudget: ((kind: 'events' | 'pending', text: string) => string) | undefined;

  constructor(readonly maxPending = MAX_PENDING) {}

  get pending(): number {
    return this.heap.length;
  }

  /** Ends the run now (the first reason given wins) and drops every pending event. */
  stop(kind: StopReason['kind'], text: string): void {
    if (this.stopped) return;
    this.stopped = { kind, text, at: this.now };
    this.heap = [];
  }

  at(time: number, fn: () => void): void {
    if (this.stopped) return;
    const h = this.heap;
    if (h.length >= this.maxPending) {
      this.budget(
        'pending',
        `more than ${this.maxPending.toLocaleString('en-US')} events waited at once (the simulator's queue budget)`,
      );
      return;
    }
    const ev = { at: Math.max(time, this.now), seq: this.seq++, fn };
    h.push(ev);
    if (h.length > this.peakPending) this.peakPending = h.length;
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private budget(kind: 'events' | 'pending', text: string): void {
    this.stop(kind, this.onBudget ? this.onBudget(kind, text) : text);
  }

  private pop(): Ev | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /**
   * Runs events up to and including time `until`, at most `maxEvents` in all. Returns false when
   * the run was cut short: `stopped` says why.
   */
  run(until: number, maxEvents = MAX_EVENTS): boolean {
    for (;;) {
      if (this.stopped) return false;
      const next = this.heap[0];
      if (!next || next.at > until) break;
      if (this.ran >= maxEvents) {
        this.budget(
          'events',
          `the simulator ran ${maxEvents.toLocaleString('en-US')} events (its event budget)`,
        );
        return false;
      }
      this.pop();
      this.now = next.at;
      this.ran++;
      next.fn();
    }
    if (this.stopped) return false;
    this.now = Math.max(this.now, until);
    return true;
  }
}

const less = (a: Ev, b: Ev): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
