// What the generator's families share (generate.ts, generate-nft.ts): the seeded random numbers
// and a router as the rule families see it. A file of its own so the two import it, not each other.

/** A seeded RNG (mulberry32): the same seed, the same draws, on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** What a rule family knows of the router it writes rules for. */
export interface RouterView {
  name: string;
  /** The uplink interface and its addresses. */
  wan: string;
  wanAddrs: string[];
  /** The LAN device (an interface or the bridge) and its address and network. */
  lan: string;
  lanAddr: string;
  lanNet: string;
  /** A LAN host that listens (DNAT target), if any. */
  nas?: string;
  bridged: boolean;
}
