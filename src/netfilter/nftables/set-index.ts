// The lookup structures of nft sets and maps, as the kernel's set backends answer them: exact keys
// by hash (nft_set_hash.c), intervals by sorted segments with binary search (nft_set_rbtree.c),
// concatenations of intervals by one level of segments per field (what nft_set_pipapo.c answers:
// the element whose every field's range holds the key's field). A key is a run of 32-bit words, one
// or more per field as the kernel's registers hold them (NFT_REG32: each field padded to 4 bytes);
// strings (interface names) are one word each, an id the compiler interns. Never a walk over the
// elements: a lookup costs a hash probe, or one binary search per field. Small sets filled from
// the packet path start in a compact table of their own (CompactSet) with each element's expiry
// and timeout beside its key.

/** The 32-bit mix of a key's words (a multiply-rotate hash; the table's size is a power of two). */
function hashWords(k: ArrayLike<number>, off: number, n: number): number {
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ k[off + i]!, 0x9e3779b1);
    h = (h << 13) | (h >>> 19);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

const EMPTY = -1;
const TOMB = -2;

/**
 * Exact keys of `words` 32-bit words to a value (an element's slot, >= 0): open addressing with
 * linear probing over one Int32Array of entries, each its key's words then its value (EMPTY,
 * TOMB or the slot), so a probe reads one cache line. Insert and delete for sets the packet path
 * changes.
 */
export class HashIndex {
  /** The entries: `stride` words each (the key's words, then the value). */
  tab: Int32Array;
  /** Entries - 1 (the table's size is a power of two). */
  mask: number;
  readonly stride: number;
  private used = 0; // live + tombstones
  size = 0;
  /** Bumped by every insert and delete: a copy made by mapValues is current while it is unchanged. */
  version = 0;

  constructor(
    readonly words: number,
    expected = 8,
  ) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.stride = words + 1;
    this.tab = HashIndex.emptyTab(cap, this.stride);
    this.mask = cap - 1;
  }

  private static emptyTab(cap: number, stride: number): Int32Array {
    const t = new Int32Array(cap * stride);
    for (let i = stride - 1; i < t.length; i += stride) t[i] = EMPTY;
    return t;
  }

  /** The value stored under the key k[off .. off + words - 1], or -1. */
  lookup(k: ArrayLike<number>, off = 0): number {
    const i = this.slotOf(k, off);
    return i < 0 ? -1 : this.tab[i * this.stride + this.words]!;
  }

  /**
   * The value stored under the key held in r[0 .. words - 1] (the fast walk's registers, u32s as
   * doubles), or -1: lookup's probe with the registers read as they are.
   */
  lookupRegs(r: Float64Array): number {
    const w = this.words;
    const st = this.stride;
    const tab = this.tab;
    const mask = this.mask;
    let h = 0x811c9dc5 ^ w;
    for (let j = 0; j < w; j++) {
      h = Math.imul(h ^ r[j]!, 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    let i = h & mask;
    for (;;) {
      const base = i * st;
      const v = tab[base + w]!;
      if (v === EMPTY) return -1;
      if (v !== TOMB) {
        let j = 0;
        while (j < w && tab[base + j] === (r[j]! | 0)) j++;
        if (j === w) return v;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * lookup of a 3-word key given as its words (int32 or u32): hashWords and the probe unrolled, no
   * key array (the fast walk's `ip daddr . meta l4proto . th dport` verdict maps; fast.ts's
   * F.KEY_HVMAP writes the same hash and probe out in place: keep the two alike).
   */
  lookup3(a: number, b: number, c: number): number {
    const tab = this.tab;
    const mask = this.mask;
    let h = 0x811c9dc5 ^ 3;
    h = Math.imul(h ^ a, 0x9e3779b1);
    h = (h << 13) | (h >>> 19);
    h = Math.imul(h ^ b, 0x9e3779b1);
    h = (h << 13) | (h >>> 19);
    h = Math.imul(h ^ c, 0x9e3779b1);
    h = (h << 13) | (h >>> 19);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    a |= 0;
    let i = h & mask;
    for (;;) {
      const base = i << 2;
      const v = tab[base + 3]!;
      if (v === -1) return -1; // EMPTY (literals: a module constant is a load on every probe)
      if (v !== -2 && tab[base] === a && tab[base + 1] === b && tab[base + 2] === c) return v;
      i = (i + 1) & mask;
    }
  }

  /**
   * A copy of the index whose values are f(value) (each >= 0): the same keys, probes and layout,
   * so a lookup answers f(value) from the one cache line its key is in (the fast walk's verdict
   * maps: the packed verdict beside the key, not a second read by slot). `f` is given the entry's
   * key too, its words at tab[at .. at + words - 1].
   */
  mapValues(f: (value: number, tab: Int32Array, at: number) => number): HashIndex {
    const c = new HashIndex(this.words, 1);
    const tab = this.tab.slice();
    const w = this.words;
    for (let i = w; i < tab.length; i += this.stride) if (tab[i]! >= 0) tab[i] = f(tab[i]!, tab, i - w);
    c.tab = tab;
    c.mask = this.mask;
    c.used = this.used;
    c.size = this.size;
    return c;
  }

  /** Stores `value` under the key (replacing what was there); returns the previous value or -1. */
  insert(k: ArrayLike<number>, off: number, value: number): number {
    this.version++;
    const w = this.words;
    const at = this.slotOf(k, off);
    if (at >= 0) {
      const old = this.tab[at * this.stride + w]!;
      this.tab[at * this.stride + w] = value;
      return old;
    }
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    const st = this.stride;
    let i = hashWords(k, off, w) & this.mask;
    while (this.tab[i * st + w]! >= 0) i = (i + 1) & this.mask;
    if (this.tab[i * st + w] === EMPTY) this.used++;
    for (let j = 0; j < w; j++) this.tab[i * st + j] = k[off + j]! | 0;
    this.tab[i * st + w] = value;
    this.size++;
    return -1;
  }

  /** Removes the key; returns its value or -1. */
  delete(k: ArrayLike<number>, off = 0): number {
    const i = this.slotOf(k, off);
    if (i < 0) return -1;
    this.version++;
    const at = i * this.stride + this.words;
    const v = this.tab[at]!;
    this.tab[at] = TOMB;
    this.size--;
    return v;
  }

  /** The entry holding the key, or -1. */
  private slotOf(k: ArrayLike<number>, off: number): number {
    const w = this.words;
    const st = this.stride;
    const tab = this.tab;
    let i = hashWords(k, off, w) & this.mask;
    for (;;) {
      const v = tab[i * st + w]!;
      if (v === EMPTY) return -1;
      if (v !== TOMB) {
        let j = 0;
        while (j < w && tab[i * st + j] === (k[off + j]! | 0)) j++;
        if (j === w) return i;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.tab;
    const st = this.stride;
    const w = this.words;
    let cap = this.mask + 1;
    if (this.size * 4 >= cap) cap *= 2; // else just clear the tombstones
    this.tab = HashIndex.emptyTab(cap, st);
    this.mask = cap - 1;
    this.used = 0;
    this.size = 0;
    for (let i = 0; i < old.length; i += st) {
      const v = old[i + w]!;
      if (v >= 0) this.insert(old, i, v);
    }
  }
}

/** Doubles per chunk of CompactSet tables (64 KB). */
const CHUNK = 8192;
let chunk = new Float64Array(0);
let chunkAt = 0;

/**
 * A small exact-key set's elements with their expiry and timeout (issue 16, "Speed": kube-proxy's
 * session-affinity sets, one per endpoint, hold a client or two). Its table is a block of a shared
 * chunk, the sets made one after another side by side (a service's sets, declared together, in a
 * line or two): a header word, the live entries' count (-1 once the set moved to a HashIndex),
 * then `CompactSet.CAP` entries, each its key's words (u32s), its slot (EMPTY, TOMB or the
 * element's slot), its absolute expiry (Infinity for none) and its timeout (seconds, 0 for none),
 * so a lookup and an update's refresh read one block. The position by the hash HashIndex uses
 * (hashWords), linear probing bounded by the table's size. An empty set answers from its header.
 * An entry's slot leaves the table when its element is deleted or replaced after it expired; a set
 * whose elements outgrow it moves to a HashIndex (RtSet.addKey, `spilled`).
 */
export class CompactSet {
  /** Entries the table holds (a power of two). */
  static readonly CAP = 2;
  /** The chunk holding the table, from `base` on (the header; entries from base + 1). */
  readonly tab: Float64Array;
  readonly base: number;
  readonly stride: number;
  /** Live entries and tombstones. */
  used = 0;

  constructor(readonly words: number) {
    this.stride = words + 3;
    const len = 1 + CompactSet.CAP * this.stride;
    if (chunkAt + len > chunk.length) {
      chunk = new Float64Array(Math.max(CHUNK, len));
      chunkAt = 0;
    }
    this.tab = chunk;
    this.base = chunkAt;
    chunkAt += len;
    for (let i = this.base + 1 + words; i < this.base + len; i += this.stride) this.tab[i] = EMPTY;
  }

  /** Live entries. */
  get size(): number {
    return this.tab[this.base]!;
  }

  /** The set moved to a HashIndex: its header says so to a reader of the block (fast.ts F.KSVCA). */
  spilled(): void {
    this.tab[this.base] = -1;
  }

  /** The entry (its offset in tab) holding the key k[off .. off + words - 1], or -1. */
  find(k: ArrayLike<number>, off = 0): number {
    const tab = this.tab;
    if (tab[this.base]! <= 0) return -1;
    const w = this.words;
    const st = this.stride;
    const b = this.base + 1;
    const h = hashWords(k, off, w);
    for (let n = 0; n < CompactSet.CAP; n++) {
      const e = b + ((h + n) & (CompactSet.CAP - 1)) * st;
      const v = tab[e + w]!;
      if (v === EMPTY) return -1;
      if (v >= 0) {
        let j = 0;
        while (j < w && tab[e + j] === k[off + j]! >>> 0) j++;
        if (j === w) return e;
      }
    }
    return -1;
  }

  /** find of the key held in r[0 .. words - 1] (the fast walk's registers, u32s as doubles). */
  findRegs(r: Float64Array): number {
    const tab = this.tab;
    if (tab[this.base]! <= 0) return -1;
    const w = this.words;
    const st = this.stride;
    const b = this.base + 1;
    let h = 0x811c9dc5 ^ w;
    for (let j = 0; j < w; j++) {
      h = Math.imul(h ^ r[j]!, 0x9e3779b1);
      h = (h << 13) | (h >>> 19);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    for (let n = 0; n < CompactSet.CAP; n++) {
      const e = b + ((h + n) & (CompactSet.CAP - 1)) * st;
      const v = tab[e + w]!;
      if (v === EMPTY) return -1;
      if (v >= 0) {
        let j = 0;
        while (j < w && tab[e + j] === r[j]! >>> 0) j++;
        if (j === w) return e;
      }
    }
    return -1;
  }

  /** The entry holding `slot`, or -1 (a scan of CAP entries: the control plane's, not a lookup's). */
  entryOfSlot(slot: number): number {
    const w = this.words;
    const end = this.base + 1 + CompactSet.CAP * this.stride;
    for (let e = this.base + 1; e < end; e += this.stride) if (this.tab[e + w] === slot) return e;
    return -1;
  }

  /** Each entry's offset (live or not: read its slot word). */
  entries(): number[] {
    const out: number[] = [];
    for (let i = 0; i < CompactSet.CAP; i++) out.push(this.base + 1 + i * this.stride);
    return out;
  }

  /**
   * A new entry for a key not in the table (find answered -1): its offset, or -1 when no entry is
   * free (the caller moves the set to a HashIndex).
   */
  insert(k: ArrayLike<number>, off: number, slot: number, expiry: number, timeout: number): number {
    const w = this.words;
    const st = this.stride;
    const tab = this.tab;
    const b = this.base + 1;
    const h = hashWords(k, off, w);
    for (let n = 0; n < CompactSet.CAP; n++) {
      const e = b + ((h + n) & (CompactSet.CAP - 1)) * st;
      const v = tab[e + w]!;
      if (v >= 0) continue;
      if (v === EMPTY) this.used++;
      for (let j = 0; j < w; j++) tab[e + j] = k[off + j]! >>> 0;
      tab[e + w] = slot;
      tab[e + w + 1] = expiry;
      tab[e + w + 2] = timeout;
      tab[this.base]!++;
      return e;
    }
    return -1;
  }

  /** Removes the entry at `e` (a tombstone: a probe goes past it). */
  remove(e: number): void {
    this.tab[e + this.words] = TOMB;
    this.tab[this.base]!--;
  }
}

/** One element of an interval set: per field (one word each), its first and last value. */
export interface IntervalElem {
  readonly lo: ArrayLike<number>;
  readonly hi: ArrayLike<number>;
  /** What a lookup of a key inside it answers (>= 0). */
  readonly value: number;
}

/** A level's segments: sorted starts, and per segment its end and child (node or value, -1 none). */
interface SegNode {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly child: Int32Array;
}

/** An interval set past MAX_SEGMENTS (an explicit limit). */
export class SetTooLarge extends Error {}

/** The most segments an interval index may hold (an explicit limit, not memory exhaustion). */
export const MAX_SEGMENTS = 4_000_000;

/**
 * Intervals over `fields` one-word fields: level 0 splits the first field's axis into segments by
 * the elements' bounds, each segment holding the index of the next level built from the elements
 * that cover it; the last level holds the value. Overlapping elements answer the first given (the
 * kernel refuses overlaps in interval sets, so in practice there is one).
 */
export class IntervalIndex {
  private readonly nodes: SegNode[] = [];
  private segments = 0;

  constructor(
    readonly fields: number,
    elems: readonly IntervalElem[],
  ) {
    this.build(
      elems.map((_, i) => i),
      elems,
      0,
    );
  }

  /** The value of the element holding key k[off .. off + fields - 1], or -1. */
  lookup(k: ArrayLike<number>, off = 0): number {
    let node = 0;
    const last = this.fields - 1;
    for (let f = 0; ; f++) {
      const n = this.nodes[node]!;
      const x = k[off + f]! >>> 0;
      const s = n.starts;
      // The last segment starting at or before x.
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s[mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) return -1;
      const i = lo - 1;
      if (x > n.ends[i]!) return -1;
      const c = n.child[i]!;
      if (c < 0 || f === last) return c;
      node = c;
    }
  }

  /** Builds the node for `ids` at field `f`; returns its index. */
  private build(ids: readonly number[], elems: readonly IntervalElem[], f: number): number {
    const at = this.nodes.length;
    this.nodes.push(undefined as unknown as SegNode); // placeholder, children come after
    // The elementary segments of this field: every lo, and every hi + 1.
    const pts: number[] = [];
    for (const i of ids) {
      const e = elems[i]!;
      pts.push(e.lo[f]! >>> 0);
      const h = e.hi[f]! >>> 0;
      if (h < 0xffffffff) pts.push(h + 1);
    }
    pts.sort((a, b) => a - b);
    const uniq: number[] = [];
    for (const p of pts) if (uniq.length === 0 || uniq[uniq.length - 1] !== p) uniq.push(p);
    const segCount = uniq.length;
    const covering: number[][] = Array.from({ length: segCount }, () => []);
    const find = (x: number): number => {
      let lo = 0;
      let hi = segCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (uniq[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (const i of ids) {
      const e = elems[i]!;
      const a = find(e.lo[f]! >>> 0);
      const h = e.hi[f]! >>> 0;
      const b = h === 0xffffffff ? segCount : find(h + 1);
      this.segments += b - a;
      if (this.segments > MAX_SEGMENTS)
        throw new SetTooLarge(`an interval set needs more than ${MAX_SEGMENTS} segments`);
      for (let s = a; s < b; s++) covering[s]!.push(i);
    }
    const last = f === this.fields - 1;
    const starts: number[] = [];
    const ends: number[] = [];
    const child: number[] = [];
    let prevKey = '';
    for (let s = 0; s < segCount; s++) {
      const ids2 = covering[s]!;
      if (ids2.length === 0) {
        prevKey = '';
        continue;
      }
      const end = s + 1 < segCount ? uniq[s + 1]! - 1 : 0xffffffff;
      // Adjacent segments covered by the same elements merge into one.
      const key = ids2.join(',');
      if (key === prevKey && ends[ends.length - 1]! + 1 === uniq[s]) {
        ends[ends.length - 1] = end;
        continue;
      }
      prevKey = key;
      starts.push(uniq[s]!);
      ends.push(end);
      child.push(last ? elems[ids2[0]!]!.value : this.build(ids2, elems, f + 1));
    }
    this.nodes[at] = {
      starts: Uint32Array.from(starts),
      ends: Uint32Array.from(ends),
      child: Int32Array.from(child),
    };
    return at;
  }
}
