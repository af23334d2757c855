// The virtual clock and event queue: events run in time order, ties in the order they were
// scheduled, so every run of a scenario is the same. Time is in seconds.

interface Ev {
  at: number;
  seq: number;
  fn: () => void;
}

export class Scheduler {
  now = 0;
  private heap: Ev[] = [];
  private seq = 0;
  /** Events run so far (a bound against runaway scenarios). */
  ran = 0;

  at(time: number, fn: () => void): void {
    const ev = { at: Math.max(time, this.now), seq: this.seq++, fn };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
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

  /** Runs events up to and including time `until`, at most `maxEvents`. Returns false if cut. */
  run(until: number, maxEvents = 1_000_000): boolean {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > until) break;
      if (this.ran >= maxEvents) return false;
      this.pop();
      this.now = next.at;
      this.ran++;
      next.fn();
    }
    this.now = Math.max(this.now, until);
    return true;
  }
}

const less = (a: Ev, b: Ev): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
