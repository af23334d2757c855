// nft sets and maps at run time (nft_lookup.c, nft_dynset.c, nft_set_hash.c/rbtree/pipapo): the
// elements compiled into a HashIndex (exact keys) or an IntervalIndex (prefixes, ranges, and their
// concatenations), each element a slot with its map data, its expiry and its per-element state
// (counter, limit). Keys are words: a number per field, an interned id per string (ifname).
import type { NftExpr, NftSet, NftSetElem, NftStmt } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';
import { CompactSet, HashIndex, IntervalIndex, type IntervalElem } from './set-index.ts';
import { NftRefusal } from './expr.ts';

/** A map's data in a slot: a verdict (code, chain) or numbers (low and high: a range's ends). */
export const NO_DATA = -1;

/** Verdict codes of the rule walk (table.ts). */
export const R_GO = 0;
export const R_BREAK = 1;
export const R_ACCEPT = 2;
export const R_DROP = 3;
export const R_REJECT = 4;
export const R_RETURN = 5;
export const R_JUMP = 6;
export const R_GOTO = 7;
/** NF_STOLEN: the statement took the packet (synproxy: answered in the server's place). */
export const R_STOLEN = 8;

export interface SetConfig {
  readonly name: string;
  /** Per key field: true when it is a string (interned). */
  readonly strFields: readonly boolean[];
  readonly interval: boolean;
  /** Per data field: a map's data width in fields (0: a set; verdict maps: 1). */
  readonly dataFields: number;
  readonly verdictMap: boolean;
  /** Default element timeout, seconds (0: none). */
  readonly timeout: number;
  readonly maxSize: number;
  /** Per-element counters (the set's `counter` flag/statement). */
  readonly counters: boolean;
}

/** The expiry array of anonymous sets (never read). */
const NO_EXPIRY = new Float64Array(0);

/** Words of a value: a number, or a string's interned id (UNKNOWN_STR when never seen). */
export const UNKNOWN_STR = 0xfffffffe;

/** A set's run-time contents. */
export class RtSet {
  /**
   * A small exact-key set's elements with their expiries and timeouts (CompactSet), while it has
   * them: a named set without declared elements, map data or intervals starts so and moves to
   * `hash` (with `expires` and `timeouts`) when its elements outgrow it. Read a slot's expiry and
   * timeout with expiryOf / timeoutOf, which answer from either.
   */
  small: CompactSet | undefined;
  hash: HashIndex | undefined;
  readonly intern = new Map<string, number>();
  intervals: IntervalIndex | undefined;
  /** The catch-all element's slot (`*`), or -1. */
  catchAll = -1;
  slots = 0;
  /** Small exact one-field keys (numgen's 0 .. N-1): slot by key, -1 for none (anonymous sets). */
  dense: Int32Array | undefined;
  /** Per slot: absolute expiry (seconds of simulation time), Infinity for none, NaN when deleted. */
  expires: Float64Array;
  private expiring = false;
  /**
   * Whether a slot may hold a finite expiry (an element's timeout or expires, a dynset with a
   * timeout): without it a lookup need not read `expires` (fast.ts skips the read). Once set it
   * stays so, and its start bumps the hash's version: a verdict map's copy in the fast program
   * (fast.ts DirectSite) answers only while that version is the one it copied.
   */
  get mayExpire(): boolean {
    return this.expiring;
  }
  set mayExpire(v: boolean) {
    if (v && !this.expiring && this.hash !== undefined) this.hash.version++;
    this.expiring = v;
  }
  /** Per slot and data field: the data's low and high ends. */
  dataLo: Float64Array;
  dataHi: Float64Array;
  /** Verdict maps: per slot, the verdict code and the chain index (jump/goto). */
  vcode: Int32Array;
  vchain: Int32Array;
  /** Per slot: packet and byte counters (counter sets, dynset counters). */
  packets: Float64Array;
  bytes: Float64Array;
  /**
   * Per slot: the model element's counter statement to update, when it has one (written by
   * setElemCounter only).
   */
  readonly elemCounters: (Extract<NftStmt, { kind: 'counter' }> | undefined)[] = [];
  /** Per slot: limit state (dynset `limit`): tokens and last time. */
  tokens: Float64Array;
  last: Float64Array;
  /** Keys of slots added from the packet path (for printing them back), words per slot. */
  keyWords: Uint32Array;
  /** Slots added from the packet path, in order. */
  readonly added: number[] = [];
  /**
   * Per slot: the element's own timeout in seconds, 0 for none (nft_set_ext_timeout's timeout,
   * which nft_dynset_new sets from the statement's timeout or the set's; `update` refreshes only
   * the expiry of an element that has one, nft_dynset_eval).
   */
  timeouts: Float64Array;
  /** Per slot added from the packet path: the statement that added it (its element's statements). */
  readonly creators: (Extract<NftStmt, { kind: 'dynset' }> | undefined)[] = [];

  constructor(
    readonly cfg: SetConfig,
    capacity: number,
  ) {
    // Anonymous sets never grow: their arrays are their size; named ones start at 16 (a compact
    // one at CompactSet.CAP) and double.
    const compact = cfg.name !== '' && capacity === 0 && !cfg.interval && cfg.dataFields === 0;
    const n = Math.max(cfg.name === '' ? 1 : compact ? CompactSet.CAP : 16, capacity);
    this.capacity = n;
    const d = Math.max(1, cfg.dataFields);
    const dyn = cfg.name === '' ? 0 : n;
    this.anon = cfg.name === '';
    this.expires = this.anon || compact ? NO_EXPIRY : new Float64Array(n);
    this.dataLo = new Float64Array(cfg.dataFields === 0 || cfg.verdictMap ? 0 : n * d);
    this.dataHi = new Float64Array(this.dataLo.length);
    this.vcode = new Int32Array(cfg.verdictMap ? n : 0);
    this.vchain = new Int32Array(this.vcode.length);
    this.packets = new Float64Array(dyn);
    this.bytes = new Float64Array(dyn);
    this.tokens = new Float64Array(dyn);
    this.last = new Float64Array(dyn);
    this.keyWords = new Uint32Array(dyn * cfg.strFields.length);
    this.timeouts = new Float64Array(compact ? 0 : dyn);
    if (compact) this.small = new CompactSet(cfg.strFields.length);
    else if (!cfg.interval && !this.anon) this.hash = new HashIndex(cfg.strFields.length, capacity);
  }

  /**
   * Gives a slot its element's counter. The first bumps the hash's version, as `mayExpire` does: a
   * verdict map's copy in the fast program (fast.ts DirectSite) does not count elements.
   */
  setElemCounter(slot: number, ctr: Extract<NftStmt, { kind: 'counter' }>): void {
    if (this.elemCounters.length === 0 && this.hash !== undefined) this.hash.version++;
    this.elemCounters[slot] = ctr;
  }

  /** Whether the set holds exact keys (a HashIndex or a CompactSet): dynsets may change it. */
  get exact(): boolean {
    return this.hash !== undefined || this.small !== undefined;
  }

  /** A slot's absolute expiry: Infinity for none, NaN when deleted (or replaced after it expired). */
  expiryOf(slot: number): number {
    const sm = this.small;
    if (sm === undefined) return this.expires[slot]!;
    const e = sm.entryOfSlot(slot);
    return e < 0 ? NaN : sm.tab[e + sm.words + 1]!;
  }

  /** A slot's own timeout in seconds (0: none). */
  timeoutOf(slot: number): number {
    const sm = this.small;
    if (sm === undefined) return this.timeouts[slot]!;
    const e = sm.entryOfSlot(slot);
    return e < 0 ? 0 : sm.tab[e + sm.words + 2]!;
  }

  /** Sets a live slot's expiry (a deleted one's stays NaN in a compact set). */
  setExpiry(slot: number, at: number): void {
    const sm = this.small;
    if (sm === undefined) this.expires[slot] = at;
    else {
      const e = sm.entryOfSlot(slot);
      if (e >= 0) sm.tab[e + sm.words + 1] = at;
    }
  }

  /** Sets a live slot's timeout. */
  setTimeout(slot: number, timeout: number): void {
    const sm = this.small;
    if (sm === undefined) this.timeouts[slot] = timeout;
    else {
      const e = sm.entryOfSlot(slot);
      if (e >= 0) sm.tab[e + sm.words + 2] = timeout;
    }
  }

  /** Whether an element holds the key, live or expired (the slot, or -1). */
  slotOfKey(k: Uint32Array): number {
    const sm = this.small;
    if (sm !== undefined) {
      const e = sm.find(k, 0);
      return e < 0 ? -1 : sm.tab[e + sm.words]!;
    }
    return this.hash ? this.hash.lookup(k, 0) : -1;
  }

  /**
   * nft_dynset_eval's `update` of an element that was there: a new expiry, now + timeout, for an
   * element with a timeout of its own (nft_set_ext_timeout).
   */
  refresh(slot: number, at: number): void {
    const sm = this.small;
    if (sm === undefined) {
      if (this.timeouts[slot]! > 0) this.expires[slot] = at;
      return;
    }
    const e = sm.entryOfSlot(slot);
    if (e >= 0 && sm.tab[e + sm.words + 2]! > 0) sm.tab[e + sm.words + 1] = at;
  }

  /** Moves a compact set's elements into a HashIndex with per-slot expiries and timeouts. */
  private spill(): void {
    const sm = this.small!;
    const w = sm.words;
    this.small = undefined;
    this.hash = new HashIndex(w, Math.max(8, sm.size * 2));
    this.expires = new Float64Array(this.capacity).fill(NaN);
    this.timeouts = new Float64Array(this.capacity);
    sm.spilled();
    for (const e of sm.entries()) {
      const slot = sm.tab[e + w]!;
      if (slot < 0) continue;
      this.hash.insert(sm.tab, e, slot);
      this.expires[slot] = sm.tab[e + w + 1]!;
      this.timeouts[slot] = sm.tab[e + w + 2]!;
    }
  }

  /** Slots the arrays hold. */
  private capacity: number;
  /** An anonymous set (a rule's literal): no expiry, no packet-path changes. */
  readonly anon: boolean;

  /** Interned id of a string key field (ids from 0). */
  internId(s: string): number {
    let id = this.intern.get(s);
    if (id === undefined) this.intern.set(s, (id = this.intern.size));
    return id;
  }

  /** A new slot (grown arrays when needed). */
  newSlot(): number {
    const s = this.slots++;
    if (s >= this.capacity) this.grow();
    if (!this.anon && this.small === undefined) this.expires[s] = Infinity;
    if (this.cfg.verdictMap) {
      this.vcode[s] = R_BREAK;
      this.vchain[s] = -1;
    }
    if (this.tokens.length > s) this.tokens[s] = -1;
    return s;
  }

  private grow(): void {
    const n = (this.capacity *= 2);
    const g64 = (a: Float64Array, k = 1): Float64Array => {
      if (a.length === 0) return a;
      const b = new Float64Array(n * k);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array): Int32Array => {
      if (a.length === 0) return a;
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const d = Math.max(1, this.cfg.dataFields);
    this.expires = g64(this.expires);
    this.dataLo = g64(this.dataLo, d);
    this.dataHi = g64(this.dataHi, d);
    this.vcode = g32(this.vcode);
    this.vchain = g32(this.vchain);
    this.packets = g64(this.packets);
    this.bytes = g64(this.bytes);
    this.tokens = g64(this.tokens);
    this.last = g64(this.last);
    this.timeouts = g64(this.timeouts);
    const kw = new Uint32Array(n * this.cfg.strFields.length);
    kw.set(this.keyWords);
    this.keyWords = kw;
  }

  /** The slot holding the key (words k[0..]), live at `now`, else the catch-all, else -1. */
  lookup(k: Uint32Array, now: number): number {
    const dense = this.dense;
    if (dense) {
      const x = k[0]!;
      return x < dense.length ? dense[x]! : this.catchAll;
    }
    const sm = this.small;
    if (sm !== undefined) {
      const e = sm.find(k, 0);
      return e >= 0 && sm.tab[e + sm.words + 1]! > now ? sm.tab[e + sm.words]! : this.catchAll;
    }
    const s = this.hash ? this.hash.lookup(k, 0) : this.intervals ? this.intervals.lookup(k, 0) : -1;
    if (s >= 0 && (this.anon || this.expires[s]! > now)) return s;
    return this.catchAll;
  }

  /** Whether the last addKey made a new element. */
  fresh = false;

  /** nft_dynset's insert: the slot of the key, made when absent (-1 when the set is full). */
  addKey(k: Uint32Array, now: number, timeout: number): number {
    this.fresh = false;
    const sm = this.small;
    if (sm !== undefined) {
      const e = sm.find(k, 0);
      if (e >= 0 && sm.tab[e + sm.words + 1]! > now) return sm.tab[e + sm.words]!;
      if (e >= 0) sm.remove(e); // expired: the kernel's gc would have removed it
      if (sm.size >= this.cfg.maxSize) return -1;
      if (sm.used < CompactSet.CAP || sm.size < sm.used) {
        const slot = this.newSlot();
        sm.insert(k, 0, slot, timeout > 0 ? now + timeout : Infinity, timeout);
        return this.added1(k, slot, timeout);
      }
      this.spill();
    }
    const h = this.hash!;
    const s = h.lookup(k, 0);
    if (s >= 0 && this.expires[s]! > now) return s;
    if (s >= 0) {
      h.delete(k, 0); // expired: the kernel's gc would have removed it
      this.expires[s] = NaN; // gone (a compact set's entry leaves with it)
    }
    if (h.size >= this.cfg.maxSize) return -1;
    const slot = this.newSlot();
    h.insert(k, 0, slot);
    this.expires[slot] = timeout > 0 ? now + timeout : Infinity;
    this.timeouts[slot] = timeout;
    return this.added1(k, slot, timeout);
  }

  /** addKey's new element: its key words kept for the listing. */
  private added1(k: Uint32Array, slot: number, timeout: number): number {
    const w = this.cfg.strFields.length;
    for (let i = 0; i < w; i++) this.keyWords[slot * w + i] = k[i]!;
    if (timeout > 0) this.mayExpire = true;
    this.added.push(slot);
    this.fresh = true;
    return slot;
  }

  deleteKey(k: Uint32Array): void {
    const sm = this.small;
    if (sm !== undefined) {
      const e = sm.find(k, 0);
      if (e >= 0) sm.remove(e);
      return;
    }
    const s = this.hash?.delete(k, 0) ?? -1;
    if (s >= 0) this.expires[s] = NaN;
  }
}

/** The number of a value expression (ipv4_addr, port, mark, ...), or a refusal. */
function numOf(e: NftExpr, rt: RtSet | undefined, field: number): number {
  if (e.kind === 'value') {
    if (typeof e.value === 'number') return e.value;
    if (rt?.cfg.strFields[field]) {
      if (e.value.endsWith('*'))
        throw new NftRefusal('an interface name wildcard in a set is not simulated', e, e.value);
      return rt.internId(e.value);
    }
  }
  throw new NftRefusal(`the set element ${e.kind} is not simulated`, e, e.kind);
}

/** An element key's fields as [lo, hi] pairs. */
export function keyRanges(key: NftExpr, rt: RtSet | undefined, nfields: number): [number[], number[]] {
  const items = key.kind === 'concat' ? key.items : [key];
  if (items.length !== nfields)
    throw new NftRefusal(`a set element with ${items.length} fields where ${nfields} are expected`, key, '.');
  const lo: number[] = [];
  const hi: number[] = [];
  items.forEach((it, f) => {
    if (it.kind === 'prefix') {
      const v = numOf(it.value, rt, f) >>> 0;
      const bits = 32;
      const mask = it.len === 0 ? 0 : (0xffffffff << (bits - it.len)) >>> 0;
      lo.push((v & mask) >>> 0);
      hi.push((v | ~mask) >>> 0);
    } else if (it.kind === 'range') {
      lo.push(numOf(it.low, rt, f) >>> 0);
      hi.push(numOf(it.high, rt, f) >>> 0);
    } else {
      const v = numOf(it, rt, f) >>> 0;
      lo.push(v);
      hi.push(v);
    }
  });
  return [lo, hi];
}

/** Fills a slot's map data from an element's data expression. */
export function setData(
  rt: RtSet,
  slot: number,
  data: NftExpr | undefined,
  chainIndex: (name: string, at: NftExpr) => number,
): void {
  if (!data) return;
  if (rt.cfg.verdictMap) {
    if (data.kind !== 'verdict') throw new NftRefusal('a verdict map element without a verdict', data, '');
    const code = verdictCode(data.verdict, data);
    rt.vcode[slot] = code;
    rt.vchain[slot] = code === R_JUMP || code === R_GOTO ? chainIndex(data.chain ?? '', data) : -1;
    return;
  }
  const d = rt.cfg.dataFields;
  const items = data.kind === 'concat' ? data.items : [data];
  if (items.length !== d) throw new NftRefusal('map data of another width', data, '.');
  items.forEach((it, f) => {
    // An Ethernet address (48 bits) is one number, not a u32 word.
    if (it.kind === 'value' && it.type === 'ether_addr' && typeof it.value === 'number') {
      rt.dataLo[slot * d + f] = rt.dataHi[slot * d + f] = it.value;
      return;
    }
    const [lo, hi] = keyRanges(it, undefined, 1);
    rt.dataLo[slot * d + f] = lo[0]!;
    rt.dataHi[slot * d + f] = hi[0]!;
  });
}

export function verdictCode(v: string, at: NftExpr | NftStmt): number {
  switch (v) {
    case 'accept':
      return R_ACCEPT;
    case 'drop':
      return R_DROP;
    case 'continue':
      return R_GO;
    case 'return':
      return R_RETURN;
    case 'jump':
      return R_JUMP;
    case 'goto':
      return R_GOTO;
    default:
      throw new NftRefusal(`the verdict ${v} in a map is not simulated`, at, v);
  }
}

/**
 * A named or anonymous set's run-time form, filled with its elements, added at `loadAt` (seconds of
 * simulation time: the elements' expiries count from it).
 */
export function buildSet(
  cfg: SetConfig,
  elements: readonly NftSetElem[],
  chainIndex: (name: string, at: NftExpr) => number,
  loadAt = 0,
): RtSet {
  const rt = new RtSet(cfg, elements.length);
  const nf = cfg.strFields.length;
  const ivs: IntervalElem[] = [];
  const exact: [number[], number][] = [];
  let denseMax = rt.anon && nf === 1 && !cfg.strFields[0] && !cfg.interval ? -1 : 256;
  for (const el of elements) {
    const slot = rt.newSlot();
    setData(rt, slot, el.data, chainIndex);
    const ctr = el.stmts?.find((s): s is Extract<NftStmt, { kind: 'counter' }> => s.kind === 'counter');
    if (ctr) rt.setElemCounter(slot, ctr);
    // nft_add_set_elem: an element without a timeout of its own takes the set's (set->timeout,
    // when the set has NFT_SET_TIMEOUT); it expires that long after it was added (`expires`, from
    // a listing read back, is its time left then).
    const timeout = el.timeout !== undefined ? el.timeout / 1000 : cfg.timeout;
    if (!rt.anon && (el.expires !== undefined || timeout > 0)) {
      rt.expires[slot] = loadAt + (el.expires !== undefined ? el.expires / 1000 : timeout);
      rt.mayExpire = true;
      rt.timeouts[slot] = timeout;
    }
    if (el.key.kind === 'wildcard') {
      rt.catchAll = slot;
      denseMax = 256;
      continue;
    }
    const [lo, hi] = keyRanges(el.key, rt, nf);
    if (cfg.interval) ivs.push({ lo, hi, value: slot });
    else {
      if (lo.some((v, i) => v !== hi[i]))
        throw new NftRefusal('a range or prefix in a set without the interval flag', el.key, '');
      exact.push([lo, slot]);
      if (denseMax < 256) denseMax = Math.max(denseMax, lo[0]!);
    }
  }
  if (cfg.interval) rt.intervals = new IntervalIndex(nf, ivs);
  else if (denseMax < 256) {
    // Small integer keys (numgen mod N's 0 .. N-1): a direct table.
    const dense = new Int32Array(denseMax + 1).fill(-1);
    for (const [k, slot] of exact) if (dense[k[0]!] === -1) dense[k[0]!] = slot;
    rt.dense = dense;
  } else if (rt.small === undefined) {
    rt.hash ??= new HashIndex(nf, exact.length);
    for (const [k, slot] of exact) if (rt.hash.lookup(k, 0) < 0) rt.hash.insert(k, 0, slot);
  }
  return rt;
}

/** A named set's configuration from its declaration. */
export function namedSetConfig(s: NftSet): SetConfig {
  const strTypes = new Set(['ifname', 'string', 'iface_index']);
  for (const t of s.key.types)
    if (t === 'ipv6_addr' || t === 'ether_addr' || t === 'ct_label')
      throw new NftRefusal(`a set of ${t} keys is not simulated`, s, s.name);
  const verdictMap = s.isMap && s.data?.types[0] === 'verdict';
  return {
    name: s.name,
    strFields: s.key.types.map((t) => strTypes.has(t)),
    interval: s.flags.includes('interval'),
    dataFields: s.isMap ? (verdictMap ? 1 : (s.data?.types.length ?? 1)) : 0,
    verdictMap,
    timeout: (s.timeout ?? 0) / 1000,
    maxSize: s.size ?? 65535,
    counters: (s.stmts ?? []).some((t) => t.kind === 'counter'),
  };
}

/**
 * A set element lookup hit (nft_lookup_eval, nft_set_elem_update_expr): the element's own counter,
 * or, in a set declared with `counter`, the counter every element has (nft_set_elem_expr_setup
 * clones the set's expressions into each element, those added from the packet path too).
 */
export function countElem(set: RtSet, slot: number, skb: Skb): void {
  const c = set.elemCounters[slot];
  if (c) {
    c.packets++;
    c.bytes += skb.len;
  } else if (set.cfg.counters && slot < set.packets.length) {
    set.packets[slot]!++;
    set.bytes[slot]! += skb.len;
  }
}
