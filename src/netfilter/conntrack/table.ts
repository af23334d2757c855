// The conntrack table: entries in typed arrays (struct of arrays, no object per connection) and an
// open-addressing hash over both directions' tuples, as the kernel's nf_conntrack_hash holds both
// tuplehash[ORIGINAL] and tuplehash[REPLY]. Entries are created unconfirmed (not in the hash) and
// inserted by confirm(), as __nf_conntrack_confirm does when the first packet leaves the host.
// Expiry is driven by the `now` callers pass in (seconds); nothing here reads a clock.
import { DIR_ORIGINAL, DIR_REPLY, hashTuple, type TupleBuf } from './tuple.ts';

// Status bits (include/uapi/linux/netfilter/nf_conntrack_common.h, enum ip_conntrack_status).
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
export const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
export const IPS_SEQ_ADJUST = 1 << 6;
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
export const IPS_DYING = 1 << 9;

export const STATUS_NAMES: ReadonlyArray<readonly [number, string]> = [
  [IPS_EXPECTED, 'EXPECTED'],
  [IPS_SEEN_REPLY, 'SEEN_REPLY'],
  [IPS_ASSURED, 'ASSURED'],
  [IPS_CONFIRMED, 'CONFIRMED'],
  [IPS_SRC_NAT, 'SRC_NAT'],
  [IPS_DST_NAT, 'DST_NAT'],
  [IPS_SRC_NAT_DONE, 'SRC_NAT_DONE'],
  [IPS_DST_NAT_DONE, 'DST_NAT_DONE'],
  [IPS_DYING, 'DYING'],
];

export type CtEventKind = 'NEW' | 'UPDATE' | 'DESTROY';
export type CtEventListener = (kind: CtEventKind, entry: number) => void;

export const NO_ENTRY = -1;
const NOT_LINKED = -2;

export class ConntrackTable {
  readonly max: number;
  // Tuples: per entry and direction, [src, dst, sport << 16 | dport] at (e * 2 + dir) * 3.
  readonly tup: Uint32Array;
  readonly proto: Uint8Array;
  readonly status: Uint16Array;
  /** Protocol state: TCP state number; unused for UDP/ICMP. */
  readonly state: Uint8Array;
  readonly expires: Float64Array;
  /** When the entry was made (UDP uses it to tell a stream from a single exchange). */
  readonly created: Float64Array;
  readonly mark: Uint32Array;
  /** TCP: the sequence number of the last SYN seen in the original direction (retransmit test). */
  readonly lastSeq: Uint32Array;
  /** TCP: last packet class and direction, as ct->proto.tcp.last_index/last_dir. */
  readonly lastIndex: Uint8Array;
  readonly id: Uint32Array;
  /** 1 while the slot holds an entry (confirmed or not). */
  readonly used: Uint8Array;

  private readonly slots: Int32Array; // (entry << 1 | dir) + 1; 0 = empty
  private readonly slotMask: number;
  /**
   * Two lists threaded through one array: for a free slot, the next free slot (the free list, -1
   * ends it); for a used one, the next entry in its by-source chain (-1 ends it, NOT_LINKED when
   * the entry is in none). The by-source chains are the kernel's nf_nat_bysource hash
   * (nf_nat_core.c): entries that went through source NAT, keyed by the original tuple's source
   * address, port and protocol, walked by find_appropriate_src.
   */
  private readonly next: Int32Array;
  private freeHead: number;
  private readonly srcHead: Int32Array;
  private readonly srcMask: number;
  private nextId = 1;
  count = 0;
  /** Entries dropped to make room (early_drop) and packets dropped because the table was full. */
  earlyDrops = 0;
  fullDrops = 0;
  listener: CtEventListener | undefined;

  constructor(max = 65536) {
    this.max = max;
    this.tup = new Uint32Array(max * 6);
    this.proto = new Uint8Array(max);
    this.status = new Uint16Array(max);
    this.state = new Uint8Array(max);
    this.expires = new Float64Array(max);
    this.created = new Float64Array(max);
    this.mark = new Uint32Array(max);
    this.lastSeq = new Uint32Array(max);
    this.lastIndex = new Uint8Array(max);
    this.id = new Uint32Array(max);
    this.used = new Uint8Array(max);
    let size = 16;
    while (size < max * 4) size *= 2; // two tuples per entry, load factor at most 1/2
    this.slots = new Int32Array(size);
    this.slotMask = size - 1;
    this.next = new Int32Array(max);
    for (let i = 0; i < max; i++) this.next[i] = i + 1 < max ? i + 1 : -1;
    this.freeHead = max > 0 ? 0 : -1;
    let buckets = 16;
    while (buckets * 4 < max) buckets *= 2; // chains of 4 at most on average, as the kernel's
    this.srcHead = new Int32Array(buckets).fill(-1);
    this.srcMask = buckets - 1;
  }

  src(e: number, dir: number): number {
    return this.tup[(e * 2 + dir) * 3]!;
  }
  dst(e: number, dir: number): number {
    return this.tup[(e * 2 + dir) * 3 + 1]!;
  }
  sport(e: number, dir: number): number {
    return this.tup[(e * 2 + dir) * 3 + 2]! >>> 16;
  }
  dport(e: number, dir: number): number {
    return this.tup[(e * 2 + dir) * 3 + 2]! & 0xffff;
  }
  readTuple(e: number, dir: number, out: TupleBuf): TupleBuf {
    const i = (e * 2 + dir) * 3;
    const p = this.tup[i + 2]!;
    return out.set(this.tup[i]!, this.tup[i + 1]!, this.proto[e]!, p >>> 16, p & 0xffff);
  }
  setTuple(e: number, dir: number, t: TupleBuf): void {
    const i = (e * 2 + dir) * 3;
    this.tup[i] = t.src;
    this.tup[i + 1] = t.dst;
    this.tup[i + 2] = ((t.sport << 16) | t.dport) >>> 0;
  }

  isConfirmed(e: number): boolean {
    return (this.status[e]! & IPS_CONFIRMED) !== 0;
  }

  /**
   * Finds a confirmed, live entry with this tuple in either direction. Returns (entry << 1 | dir),
   * or NO_ENTRY. An entry found expired is removed first (the kernel's gc would have done it).
   */
  lookup(src: number, dst: number, proto: number, sport: number, dport: number, now: number): number {
    const ports = ((sport << 16) | dport) >>> 0;
    let i = hashTuple(src, dst, proto, sport, dport) & this.slotMask;
    for (;;) {
      const s = this.slots[i]!;
      if (s === 0) return NO_ENTRY;
      const ed = s - 1;
      const e = ed >>> 1;
      const t = ed * 3;
      if (
        this.tup[t] === src &&
        this.tup[t + 1] === dst &&
        this.tup[t + 2] === ports &&
        this.proto[e] === proto
      ) {
        if (this.expires[e]! <= now) {
          this.remove(e);
          return NO_ENTRY;
        }
        return ed;
      }
      i = (i + 1) & this.slotMask;
    }
  }

  /** nf_conntrack_tuple_taken: is this tuple used by a live entry other than `ignore`? */
  tupleTaken(t: TupleBuf, ignore: number, now: number): boolean {
    const ed = this.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now);
    return ed !== NO_ENTRY && ed >>> 1 !== ignore;
  }

  /**
   * Allocates an unconfirmed entry with both tuples. When the table is full, evicts one entry that
   * is not ASSURED from near the new tuple's bucket (early_drop in nf_conntrack_core.c); if none
   * can go, returns NO_ENTRY and counts a drop.
   */
  alloc(orig: TupleBuf, reply: TupleBuf, now: number): number {
    if (this.freeHead < 0 && !this.earlyDrop(orig, now)) {
      this.fullDrops++;
      return NO_ENTRY;
    }
    const e = this.freeHead;
    this.freeHead = this.next[e]!;
    this.next[e] = NOT_LINKED;
    this.used[e] = 1;
    this.proto[e] = orig.proto;
    this.setTuple(e, DIR_ORIGINAL, orig);
    this.setTuple(e, DIR_REPLY, reply);
    this.status[e] = 0;
    this.state[e] = 0;
    this.mark[e] = 0;
    this.lastSeq[e] = 0;
    this.lastIndex[e] = 0;
    this.expires[e] = now;
    this.created[e] = now;
    this.id[e] = this.nextId++;
    this.count++;
    return e;
  }

  /** Inserts both tuples in the hash. Returns false (and frees the entry) when a tuple clashes. */
  confirm(e: number, now: number): boolean {
    for (let dir = 0; dir < 2; dir++) {
      const i = (e * 2 + dir) * 3;
      const p = this.tup[i + 2]!;
      if (
        this.lookup(this.tup[i]!, this.tup[i + 1]!, this.proto[e]!, p >>> 16, p & 0xffff, now) !== NO_ENTRY
      ) {
        this.release(e);
        return false;
      }
    }
    this.insertSlot(e, DIR_ORIGINAL);
    this.insertSlot(e, DIR_REPLY);
    this.status[e]! |= IPS_CONFIRMED;
    this.listener?.('NEW', e);
    return true;
  }

  /** Frees an unconfirmed entry (its packet was dropped before it left the host). */
  release(e: number): void {
    if (!this.used[e]) return;
    if (this.next[e] !== NOT_LINKED) this.unlinkBySource(e);
    this.used[e] = 0;
    this.next[e] = this.freeHead;
    this.freeHead = e;
    this.count--;
  }

  /** Removes a confirmed entry from the hash and frees it. */
  remove(e: number): void {
    if (!this.used[e]) return;
    if (this.isConfirmed(e)) {
      this.listener?.('DESTROY', e);
      this.deleteSlot(e, DIR_ORIGINAL);
      this.deleteSlot(e, DIR_REPLY);
    }
    this.release(e);
  }

  /** Removes every expired entry (the kernel's gc worker); returns how many went. */
  gc(now: number): number {
    let n = 0;
    for (let e = 0; e < this.max; e++) {
      if (this.used[e] && this.isConfirmed(e) && this.expires[e]! <= now) {
        this.remove(e);
        n++;
      }
    }
    return n;
  }

  /** Confirmed live entries, oldest first. */
  entries(now: number): number[] {
    const out: number[] = [];
    for (let e = 0; e < this.max; e++) {
      if (this.used[e] && this.isConfirmed(e) && this.expires[e]! > now) out.push(e);
    }
    return out.sort((a, b) => this.id[a]! - this.id[b]!);
  }

  /**
   * Adds entry `e` to the by-source chain of its original tuple (nf_nat_setup_info does this for
   * every source NAT binding, null bindings included). Idempotent.
   */
  linkBySource(e: number): void {
    if (!this.used[e] || this.next[e] !== NOT_LINKED) return;
    const b = this.srcBucket(e);
    this.next[e] = this.srcHead[b]!;
    this.srcHead[b] = e;
  }

  /** The first entry of the by-source chain that may hold (src, sport, proto), or NO_ENTRY. */
  firstBySource(src: number, sport: number, proto: number): number {
    return this.srcHead[hashTuple(src, 0, proto, sport, 0) & this.srcMask]!;
  }

  /** The entry after `e` in its by-source chain, or NO_ENTRY. Chains mix keys: compare tuples. */
  nextBySource(e: number): number {
    return this.next[e]!;
  }

  private srcBucket(e: number): number {
    const i = e * 6;
    return hashTuple(this.tup[i]!, 0, this.proto[e]!, this.tup[i + 2]! >>> 16, 0) & this.srcMask;
  }

  private unlinkBySource(e: number): void {
    const b = this.srcBucket(e);
    let cur = this.srcHead[b]!;
    if (cur === e) {
      this.srcHead[b] = this.next[e]!;
    } else {
      while (cur >= 0) {
        const n = this.next[cur]!;
        if (n === e) {
          this.next[cur] = this.next[e]!;
          break;
        }
        cur = n;
      }
    }
    this.next[e] = NOT_LINKED;
  }

  private earlyDrop(t: TupleBuf, now: number): boolean {
    let i = hashTuple(t.src, t.dst, t.proto, t.sport, t.dport) & this.slotMask;
    for (let n = 0; n < 64; n++, i = (i + 1) & this.slotMask) {
      const s = this.slots[i]!;
      if (s === 0) continue;
      const e = (s - 1) >>> 1;
      if (this.expires[e]! <= now) {
        // early_drop_list: an expired entry is reaped (nf_ct_gc_expired), not counted as a drop.
        this.remove(e);
        return true;
      }
      if ((this.status[e]! & IPS_ASSURED) === 0) {
        this.remove(e);
        this.earlyDrops++;
        return true;
      }
    }
    return false;
  }

  private insertSlot(e: number, dir: number): void {
    const t = (e * 2 + dir) * 3;
    const p = this.tup[t + 2]!;
    let i = hashTuple(this.tup[t]!, this.tup[t + 1]!, this.proto[e]!, p >>> 16, p & 0xffff) & this.slotMask;
    while (this.slots[i] !== 0) i = (i + 1) & this.slotMask;
    this.slots[i] = ((e << 1) | dir) + 1;
  }

  /** Linear-probing delete with backward shift (no tombstones, so lookups stay short). */
  private deleteSlot(e: number, dir: number): void {
    const want = ((e << 1) | dir) + 1;
    const t = (e * 2 + dir) * 3;
    const p = this.tup[t + 2]!;
    let i = hashTuple(this.tup[t]!, this.tup[t + 1]!, this.proto[e]!, p >>> 16, p & 0xffff) & this.slotMask;
    while (this.slots[i] !== want) {
      if (this.slots[i] === 0) return;
      i = (i + 1) & this.slotMask;
    }
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & this.slotMask;
      const s = this.slots[j]!;
      if (s === 0) break;
      const ed = s - 1;
      const tj = ed * 3;
      const pj = this.tup[tj + 2]!;
      const home =
        hashTuple(this.tup[tj]!, this.tup[tj + 1]!, this.proto[ed >>> 1]!, pj >>> 16, pj & 0xffff) &
        this.slotMask;
      // Move s into the hole if its home is not in (hole, j] cyclically.
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        this.slots[hole] = s;
        hole = j;
      }
    }
    this.slots[hole] = 0;
  }
}
