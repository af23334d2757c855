// The conntrack table: entries in typed arrays (no object per connection) and an open-addressing
// hash over both directions' tuples, as the kernel's nf_conntrack_hash holds both
// tuplehash[ORIGINAL] and tuplehash[REPLY]. Entries are created unconfirmed (not in the hash) and
// inserted by confirm(), as __nf_conntrack_confirm does when the first packet leaves the host.
// Expiry is driven by the `now` callers pass in (seconds); nothing here reads a clock.
//
// Layout (IPv4: 63 bytes per entry at 1,000,000 entries; the kernel's struct nf_conn is ~256):
// - `rec`, 8 words (32 bytes) per IPv4 entry: everything a packet of an established connection
//   reads or writes, so that a lookup touches the slot array and one record:
//     [0..2] original tuple: src, dst, sport << 16 | dport
//     [3..5] reply tuple, the same
//     [6]    meta: status bits 0-15, protocol 16-23, TCP state 24-27, last index 28-31
//     [7]    expiry, in ticks (below)
//   The record's shape is the table's CtLayout, chosen per family: a tuple is (source address,
//   destination address, ports) with family-sized addresses, so an IPv6 record is 20 words
//   ([0..8] original: 4 + 4 address words and the ports, [9..17] reply, [18] meta, [19] expiry)
//   and an IPv6 table is the same code over another layout. With TCP window tracking on (the
//   engine's default) an IPv4 record is 16 words (CT_LAYOUT_IPV4_WINDOW): these 8, then the
//   entry's window words (tcp-window.ts), so that an established TCP packet's record and window
//   state share 64 bytes (95 bytes per entry at 1,000,000; 63 with tracking off). Code that
//   indexes `rec` multiplies by the table's `rw`. The scalar lookups (lookup,
//   lookupTick, lookupBatch, firstBySource) and REC_* are the IPv4 layout's; the methods that
//   take a TupleBuf serve every layout.
// - `aux`, one word: TCP keeps the last original-direction SYN's sequence number there, UDP its
//   creation tick (ct->proto.tcp / ct->proto.udp.stream_ts share a union in the kernel, too).
// - `mark`, `id` (creation order, for listing), `masq` (one byte: the MASQUERADE interface),
//   `next` (free list and by-source chains).
// - `slots`: 3 slots per entry (load factor 2/3 when full), each (entry << 1 | dir) + 1 in the low
//   bits and a fingerprint of the tuple's hash in the high bits, so that a probe past another
//   tuple rarely reads its record.
//
// Time: ticks are milliseconds since `base` (0 until a rebase), rounded down, in a Uint32 (the
// kernel keeps ct->timeout as u32 jiffies; this is HZ=1000). A tick past 2^31 (24.8 days after the
// base) or before the base moves the base and shifts every stored time (rare, O(max)); timeouts
// are capped so that an expiry fits in 32 bits (at least 24.8 days; the kernel's (s32) jiffies
// arithmetic has the same bound). Times passed to one table are expected not to go backwards.
import { AF_INET, AF_INET6, addrWords, type Family } from '../../wire/addr.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { IPPROTO_SCTP } from '../../wire/sctp.ts';
import { IPPROTO_DCCP } from '../../wire/dccp.ts';
import { DIR_ORIGINAL, DIR_REPLY, hashTuple, hashTupleWide, type TupleBuf } from './tuple.ts';
import { zoneIdOf } from './zone.ts';

/**
 * An entry's timeout policy as the table keeps it (timeouts.ts TimeoutPolicy, which imports this
 * file): `over` gives the policy's timeouts over the engine's.
 */
export interface EntryTimeoutPolicy {
  over(base: unknown): unknown;
}

/**
 * The tracker's allow_clash (nf_conntrack_l4proto): UDP, UDP-Lite, ICMP, ICMPv6 and the generic
 * tracker may resolve an insertion clash; TCP, SCTP and DCCP may not.
 */
export function allowClash(proto: number): boolean {
  return proto !== IPPROTO_TCP && proto !== IPPROTO_SCTP && proto !== IPPROTO_DCCP;
}

// Status bits (include/uapi/linux/netfilter/nf_conntrack_common.h, enum ip_conntrack_status), as
// literals (so that a const enum elsewhere can be checked against them: first-packet.ts).
export const IPS_EXPECTED = 1; // 1 << 0
export const IPS_SEEN_REPLY = 2; // 1 << 1
export const IPS_ASSURED = 4; // 1 << 2
export const IPS_CONFIRMED = 8; // 1 << 3
export const IPS_SRC_NAT = 16; // 1 << 4
export const IPS_DST_NAT = 32; // 1 << 5
export const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
export const IPS_SEQ_ADJUST = 64; // 1 << 6
export const IPS_SRC_NAT_DONE = 128; // 1 << 7
export const IPS_DST_NAT_DONE = 256; // 1 << 8
export const IPS_DYING = 512; // 1 << 9
export const IPS_FIXED_TIMEOUT = 1024; // 1 << 10
/** IPS_NAT_CLASH (the kernel's IPS_UNTRACKED_BIT, reused): an entry nf_ct_resolve_clash_harder added. */
export const IPS_NAT_CLASH = 4096; // 1 << 12
/** The connection is in a flowtable (nft_flow_offload.c sets it; conntrack -L prints [OFFLOAD]). */
export const IPS_OFFLOAD = 16384; // 1 << 14

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
  [IPS_FIXED_TIMEOUT, 'FIXED_TIMEOUT'],
  [IPS_NAT_CLASH, 'NAT_CLASH'],
];

/** TCP window tracking's state of a table (tcp-window.ts's TcpWindows: seen[] of each entry). */
export interface CtTcpWindows {
  /** Entry e's window words are w[e * stride + off .. + 8]. */
  readonly w: Uint32Array;
  readonly stride: number;
  readonly off: number;
}

export type CtEventKind = 'NEW' | 'UPDATE' | 'DESTROY';

/** What conntrack/helper.ts keeps per entry once a helper is in use (CT --helper): CtHelpers. */
export interface CtHelperExt {
  /** Entry `e` is freed: its helper state and its expectations go with it. */
  free(e: number): void;
  /** The helper attached to `e` ('' none): `helper=` in `conntrack -L`. */
  helperName(e: number): string;
  /** The helper of e's master ('' when e was not expected): -m helper. */
  masterHelper(e: number): string;
  /** nft's `ct helper set`: helper index `h` on unconfirmed entry `e` of protocol `l4proto`. */
  assign(e: number, h: number, l4proto: number): void;
  /** nf_ct_seq_offset: the shift seqadj applies to direction `dir` at sequence `seq` (0: none). */
  seqOffset(e: number, dir: number, seq: number): number;
}
export type CtEventListener = (kind: CtEventKind, entry: number) => void;

export const NO_ENTRY = -1;

/**
 * The shape of a conntrack record for one address family: each tuple is its source address, its
 * destination address (addrWords each) and one word of ports (sport << 16 | dport), the original
 * tuple first, then the reply tuple, the meta word and the expiry.
 */
export interface CtLayout {
  readonly family: Family;
  /** Words per address: 1 (IPv4), 4 (IPv6). */
  readonly addrWords: number;
  /** Words per tuple: 2 * addrWords + 1 (IPv4 3, IPv6 9). */
  readonly tupleWords: number;
  /** Words per record: 2 * tupleWords + 2 (IPv4 8, IPv6 20). */
  readonly recWords: number;
  /** Offset of the meta word (status, protocol, TCP state, last index). */
  readonly meta: number;
  /** Offset of the expiry (ticks). */
  readonly expires: number;
}

export function ctLayout(family: Family): CtLayout {
  const addr = addrWords(family);
  const tuple = 2 * addr + 1;
  return {
    family,
    addrWords: addr,
    tupleWords: tuple,
    recWords: 2 * tuple + 2,
    meta: 2 * tuple,
    expires: 2 * tuple + 1,
  };
}

/** Today's compact IPv4 record: 8 words. */
export const CT_LAYOUT_IPV4: CtLayout = ctLayout(AF_INET);
/**
 * The IPv4 record with TCP window tracking on: the 8 words of CT_LAYOUT_IPV4, then the entry's
 * window words (tcp-window.ts: seen[dir].{td_end, td_maxend, td_maxwin, td_maxack}, words 8-15),
 * 64 bytes: an established TCP packet reads its record and its window words from one line
 * (lineAlignedWords places the records on line boundaries) instead of two or three (issue 15).
 * Tables without window tracking keep the 32-byte record (two to a line).
 */
export const CT_LAYOUT_IPV4_WINDOW: CtLayout = { ...ctLayout(AF_INET), recWords: 16 };
/** The IPv6 record: 20 words (nothing IPv6 is tracked yet; the shape is ready). */
export const CT_LAYOUT_IPV6: CtLayout = ctLayout(AF_INET6);

/** Records arrays this large (bytes) are placed by lineAlignedWords' guess: see there. */
const LINE_ALIGN_MIN = 128 * 1024;

/**
 * A zeroed array of n words for the records, whose first word is meant to start a 64-byte cache
 * line so that a 64-byte record (CT_LAYOUT_IPV4_WINDOW) is one line, not two, and a 32-byte one
 * is half of one (issue 15). JavaScript does not tell where a buffer lies; V8 takes an
 * ArrayBuffer's memory from calloc, and glibc serves one of 128 KiB or more (its mmap threshold)
 * from its own mapping, 16 bytes past the page boundary (the chunk header): measured at 65,536
 * and 1,000,000 entries (a 4 MB and a 64 MB record array, both 16 mod 64). The array starts 48
 * bytes into a buffer 64 bytes longer, on the line boundary there. Elsewhere (a smaller array, an
 * allocator that places it differently) the guess is as good as none: only speed depends on it.
 */
function lineAlignedWords(n: number): Uint32Array {
  if (n * 4 < LINE_ALIGN_MIN) return new Uint32Array(n);
  return new Uint32Array(new ArrayBuffer(n * 4 + 64), 48, n);
}

/**
 * The offsets inside an IPv4 record (both IPv4 layouts). There is no constant for the words per
 * record (it was REC_WORDS, 8): CT_LAYOUT_IPV4_WINDOW's are 16, so code that indexes `rec` uses
 * the table's `rw` (entry e's record is rec[e * rw ..]).
 */
export const REC_META = 6;
export const REC_EXPIRES = 7;

/** Ticks per second, and the tick after which the base moves. */
export const TICKS_PER_SECOND = 1000;
const TICK_REBASE = 0x80000000;
const TICK_MAX = 0xffffffff;
/** How far before `now` a rebase puts the base (so that every kept time stays meaningful). */
const REBASE_BACK = 0x40000000;

/** Read/write access to one per-entry field by index, for code outside the packet path. */
export interface CtFieldView {
  [e: number]: number;
  readonly length: number;
}

function fieldView(
  length: number,
  get: (e: number) => number,
  set: (e: number, v: number) => void,
): CtFieldView {
  const index = (p: string | symbol): number => (typeof p === 'string' ? Number(p) : NaN);
  return new Proxy({ length } as CtFieldView, {
    get(target, p) {
      const e = index(p);
      return Number.isInteger(e) && e >= 0 && e < length ? get(e) : Reflect.get(target, p);
    },
    set(target, p, v: number) {
      const e = index(p);
      if (!Number.isInteger(e) || e < 0 || e >= length) return false;
      set(e, v);
      return true;
    },
  });
}

/**
 * struct ip_conntrack_stat as `conntrack -S` prints it (ctnetlink's CTA_STATS_*), in its order.
 * Linux 6.18 no longer counts `insert` (it prints 0, measured); `found` counts the tuples NAT found
 * taken (nf_conntrack_tuple_taken), `drop` with insert_failed each clash confirm could not resolve.
 */
export interface ConntrackStats {
  found: number;
  invalid: number;
  insert: number;
  insert_failed: number;
  drop: number;
  early_drop: number;
  error: number;
  search_restart: number;
  clash_resolve: number;
  chaintoolong: number;
}

export const newConntrackStats = (): ConntrackStats => ({
  found: 0,
  invalid: 0,
  insert: 0,
  insert_failed: 0,
  drop: 0,
  early_drop: 0,
  error: 0,
  search_restart: 0,
  clash_resolve: 0,
  chaintoolong: 0,
});
/**
 * The numbers the packet path reads, as literals in the emitted code (a const enum): a
 * module-level constant, or an imported one, is a load from the module's context and a check at
 * each use in V8's optimised code. The exported constants with these names have the same values
 * (checked below).
 */
const enum L {
  NO_ENTRY = -1,
  NOT_LINKED = -2,
  /** lookupTick's found(): the slot is another zone's entry. */
  OTHER_ZONE = -3,
  /** Failed lookups remembered for confirm() (a power of two). */
  MISS_MEMO = 4,
  /** A free entry's `next` is FREE_BASE - (next free entry): always below NOT_LINKED. */
  FREE_BASE = -4,
  REC_META = 6,
  REC_EXPIRES = 7,
  META_STATUS = 0xffff,
  META_PROTO_SHIFT = 16,
  META_STATE_SHIFT = 24,
  META_LAST_SHIFT = 28,
  CONFIRMED = 8,
  UDP = 17,
  DIR_ORIGINAL = 0,
  DIR_REPLY = 1,
}
const sameValues: [
  typeof NO_ENTRY,
  typeof REC_META,
  typeof REC_EXPIRES,
  typeof IPS_CONFIRMED,
  typeof IPPROTO_UDP,
  typeof DIR_ORIGINAL,
  typeof DIR_REPLY,
] = [L.NO_ENTRY, L.REC_META, L.REC_EXPIRES, L.CONFIRMED, L.UDP, L.DIR_ORIGINAL, L.DIR_REPLY];
void sameValues;

export class ConntrackTable {
  readonly max: number;
  /** The record's shape: the family's (IPv4 unless the constructor says otherwise). */
  readonly layout: CtLayout;
  /** Per entry layout.recWords words: both tuples, meta, expiry (see the file comment). */
  readonly rec: Uint32Array;
  /**
   * `rec` read as signed words: the lookups compare addresses as int32 (`| 0`), which V8 keeps in
   * registers and passes between functions unboxed; an address past 2^31 as a uint32 number is a
   * heap number at every call that is not inlined (an allocation per lookup).
   */
  private readonly reci: Int32Array;
  /** TCP: the sequence number of the last original-direction SYN; UDP: the creation tick. */
  readonly aux: Uint32Array;
  readonly mark: Uint32Array;
  readonly id: Uint32Array;
  /**
   * nf_conn_nat's masq_index: 1 + the number its owner (the engine) gave the interface MASQUERADE
   * bound the entry through; 0 when MASQUERADE did not bind it. Cleared by alloc().
   */
  readonly masq: Uint8Array;
  /**
   * nf_conn_acct, while accounting is on (enableAcct: nf_conntrack_acct, which a -m connbytes
   * rule turns on): per entry 4 doubles, [e*4 + dir*2] packets and [e*4 + dir*2 + 1] bytes of
   * each direction (exact to 2^53), counted by account() as nf_ct_refresh_acct does.
   */
  acct: Float64Array | undefined = undefined;
  /**
   * nf_conn_labels, while labels are in use (enableLabels: a -m connlabel rule, nf_connlabels_get):
   * per entry 4 words, the 128 label bits (bit b is word e*4 + (b >> 5), bit b & 31).
   */
  labels: Uint32Array | undefined = undefined;
  /**
   * nf_conntrack_zone, once an entry is in a zone other than 0 (setZone; a CT --zone rule or nft's
   * `ct zone set`): per entry its zone key (zone.ts: each direction's zone id, the one its tuple is
   * hashed and compared with). Until then every entry is in zone 0 and lookups read nothing more.
   */
  zones: Uint32Array | undefined = undefined;
  /**
   * TCP window tracking (tcp-window.ts: ct->proto.tcp.seen[] and the sysctls that judge it), when
   * the engine tracks windows (its default, as Linux); undefined: every segment is in window.
   */
  tcpWin: CtTcpWindows | undefined = undefined;
  /** The helpers' per-entry state and expectations (conntrack/helper.ts), once a helper is used. */
  helperExt: CtHelperExt | undefined = undefined;

  // Views by entry index for code off the packet path (and other modules' existing users). Each
  // access goes through a Proxy: slow, but exact. The packet path uses the methods below.
  /** Status bits (IPS_*). */
  readonly status: CtFieldView;
  /** Protocol state: TCP state number; unused for UDP/ICMP. */
  readonly state: CtFieldView;
  readonly proto: CtFieldView;
  /** Absolute expiry, seconds (the callers' clock), to the millisecond. */
  readonly expires: CtFieldView;
  /** 1 while the slot holds an entry (confirmed or not). */
  readonly used: CtFieldView;

  /** Words per record (layout.recWords): entry e's record is rec[e * rw ..]. */
  readonly rw: number;
  // The layout's other numbers, as fields of the table (read on every access to a record).
  private readonly tw: number;
  private readonly aw: number;
  private readonly mo: number;
  private readonly xo: number;
  /** A TupleBuf as the record holds a tuple (addresses, then ports): wide layouts' lookups. */
  private readonly key: Uint32Array;

  private readonly slots: Uint32Array; // fingerprint << idxBits | ((entry << 1 | dir) + 1); 0 = empty
  private readonly nslots: number;
  /** nslots / 2^32: a hash times this, truncated, is its home slot (Lemire's reduction). */
  private readonly scale: number;
  private readonly idxBits: number;
  private readonly idxMask: number;
  private readonly fpMask: number;
  /**
   * Two lists threaded through one array: for a free entry, L.FREE_BASE - the next free entry (the
   * free list); for a used one, the next entry in its by-source chain (-1 ends it, L.NOT_LINKED when
   * the entry is in none). The by-source chains are the kernel's nf_nat_bysource hash
   * (nf_nat_core.c): entries that went through source NAT, keyed by the original tuple's source
   * address, port and protocol, walked by find_appropriate_src.
   */
  private readonly next: Int32Array;
  private freeHead: number;
  /**
   * Entries from here on were never taken: free, their `next` still 0, the tail of the free list
   * in order (fresh, fresh + 1, ...) without being written (so the constructor has no loop over
   * them). A free list entry whose `next` names `fresh` leads into that tail.
   */
  private fresh = 0;
  private readonly srcHead: Int32Array;
  private readonly srcMask: number;
  private nextId = 1;
  /**
   * Changes to what a lookup can find (a slot inserted or deleted, a tuple rewritten): a lookup
   * made while it holds one value gives the same answer at any later time it holds that value
   * (for the same tick).
   */
  version = 0;
  /** Slot deletions so far (confirm's probes check that none happened between them). */
  private removals = 0;
  /** The time of tick 0, seconds. */
  private base = 0;
  count = 0;
  /**
   * The counters `conntrack -S` prints (struct ip_conntrack_stat, one CPU), counted where
   * nf_conntrack_core.c counts them: `early_drop` for each entry evicted to make room, `drop` for
   * each packet that found the table full with nothing to evict. The engine shares this object.
   */
  readonly stats: ConntrackStats = newConntrackStats();
  listener: CtEventListener | undefined;

  constructor(max = 65536, layout: CtLayout = CT_LAYOUT_IPV4) {
    if (!(max >= 0 && max <= 1 << 28)) throw new RangeError(`conntrack max ${max} out of range`);
    this.max = max;
    this.layout = layout;
    this.rw = layout.recWords;
    this.tw = layout.tupleWords;
    this.aw = layout.addrWords;
    this.mo = layout.meta;
    this.xo = layout.expires;
    this.key = new Uint32Array(layout.tupleWords);
    this.rec = lineAlignedWords(max * layout.recWords);
    this.reci = new Int32Array(this.rec.buffer, this.rec.byteOffset, this.rec.length);
    this.aux = new Uint32Array(max);
    this.mark = new Uint32Array(max);
    this.id = new Uint32Array(max);
    this.masq = new Uint8Array(max);
    // Two tuples per entry in 3 slots per entry: at most 2/3 full, never full.
    this.nslots = Math.max(16, max * 3);
    this.slots = new Uint32Array(this.nslots);
    this.scale = this.nslots / 0x100000000;
    this.idxBits = 32 - Math.clz32(max * 2);
    this.idxMask = this.idxBits >= 31 ? 0x7fffffff : (1 << this.idxBits) - 1;
    this.fpMask = (0xffffffff >>> this.idxBits) >>> 0;
    // Every entry free, in order: freeHead is `fresh` (0), whose successors are implicit (claim).
    this.next = new Int32Array(max);
    this.freeHead = max > 0 ? 0 : -1;
    let buckets = 16;
    // A chain per entry at most, a power of two: find_appropriate_src reads about one other entry
    // per new connection in a full table of 2^k entries (each a cache miss), where chains of 2 read
    // two; other sizes get the power of two below (1,000,000: 2^19, chains of up to 2), which keeps
    // the table at or under 64 bytes a connection (the bench's bytes row).
    while (buckets * 2 <= max) buckets *= 2;
    this.srcHead = new Int32Array(buckets).fill(-1);
    this.srcMask = buckets - 1;

    this.status = fieldView(
      max,
      (e) => this.statusOf(e),
      (e, v) => this.setStatus(e, v),
    );
    this.state = fieldView(
      max,
      (e) => this.tcpState(e),
      (e, v) => this.setTcpState(e, v),
    );
    this.proto = fieldView(
      max,
      (e) => this.protoOf(e),
      (e, v) => {
        const m = e * this.rw + this.mo;
        this.rec[m] = (this.rec[m]! & ~(0xff << L.META_PROTO_SHIFT)) | ((v & 0xff) << L.META_PROTO_SHIFT);
      },
    );
    this.expires = fieldView(
      max,
      (e) => this.expiresAt(e),
      (e, v) => this.setExpiresAt(e, v),
    );
    this.used = fieldView(
      max,
      (e) => (this.isUsed(e) ? 1 : 0),
      () => {
        throw new TypeError('conntrack: `used` is read-only');
      },
    );
  }

  /**
   * Per entry: the timeout policy attached to it (the nf_conn_timeout extension, nft's `ct timeout
   * set`), made when the first policy is attached; conntrack-in reads its timeouts from it.
   */
  timeoutPolicy: (EntryTimeoutPolicy | undefined)[] | undefined = undefined;

  /** Attaches timeout policy `p` to entry `e` (nf_ct_timeout_ext_add). */
  setTimeoutPolicy(e: number, p: EntryTimeoutPolicy): void {
    (this.timeoutPolicy ??= [])[e] = p;
    this.exts = true;
  }

  /** Turns accounting on (entries made from now on count; nf_ct_set_acct). Idempotent. */
  enableAcct(): void {
    this.acct ??= new Float64Array(this.max * 4);
    this.exts = true;
  }

  /** Turns connection labels on (nf_connlabels_get). Idempotent. */
  enableLabels(): void {
    this.labels ??= new Uint32Array(this.max * 4);
    this.exts = true;
  }

  /** nf_ct_acct_update: one packet of `bytes` (skb->len) in direction `dir` of entry `e`. */
  account(e: number, dir: number, bytes: number): void {
    const a = this.acct;
    if (a === undefined) return;
    const i = e * 4 + dir * 2;
    a[i]!++;
    a[i + 1]! += bytes;
  }

  /**
   * Puts unconfirmed entry `e` in the zone with key `key` (zone.ts; nf_ct_zone_add in
   * init_conntrack). Its tuples are hashed with their zone ids when confirm() inserts them.
   */
  setZone(e: number, key: number): void {
    if (this.isConfirmed(e)) throw new Error('conntrack: the zone of a confirmed entry cannot change');
    if (key !== 0) {
      this.zones ??= new Uint32Array(this.max);
      this.exts = true;
    }
    if (this.zones) this.zones[e] = key >>> 0;
  }

  /** The helper of e's master connection ('' none): -m helper (xt_helper.c). */
  masterHelper(e: number): string {
    return this.helperExt === undefined ? '' : this.helperExt.masterHelper(e);
  }

  /** The helper attached to `e` ('' none): nft's `ct helper`. */
  helperName(e: number): string {
    return this.helperExt === undefined ? '' : this.helperExt.helperName(e);
  }

  /** nft's `ct helper set` (nft_ct_helper_obj_eval): see CtHelperExt.assign. */
  assignHelper(e: number, h: number, l4proto: number): void {
    this.helperExt?.assign(e, h, l4proto);
  }

  /** The zone key of entry `e` (0: the default zone). */
  zoneOf(e: number): number {
    return this.zones === undefined ? 0 : this.zones[e]!;
  }

  /** The zone id slot (entry << 1 | dir) is hashed and compared with: nf_ct_zone_id(zone, dir). */
  private slotZone(ed: number): number {
    return this.zones === undefined ? 0 : zoneIdOf(this.zones[ed >>> 1]!, ed & 1);
  }

  // ---- time --------------------------------------------------------------------------------

  /** `now` (seconds) as a tick of this table; moves the base when `now` is out of range. */
  tick(now: number): number {
    // Every packet of one hook traversal (and usually many in a row) has the same `now`: the last
    // conversion is kept, so the float arithmetic runs once per distinct time.
    if (now === this.lastNow) return this.lastTick;
    const t = Math.floor((now - this.base) * TICKS_PER_SECOND + 1e-6);
    if (t >= 0 && t < TICK_REBASE) {
      this.lastNow = now;
      this.lastTick = t;
      return t;
    }
    return this.rebase(now);
  }
  /** The last `now` tick() converted (NaN: none since the base moved), and its tick. */
  private lastNow = NaN;
  private lastTick = 0;

  /** A timeout in seconds, in ticks (capped so that now + timeout fits in 32 bits). */
  static ticks(seconds: number): number {
    // Truncation is floor for 0 <= t < 2^31 (no call to Math.floor on the packet path).
    const t = seconds * TICKS_PER_SECOND + 1e-6;
    return t < 1 ? 0 : t < TICK_REBASE ? t | 0 : TICK_REBASE - 1;
  }

  /** Ticks back to seconds on the callers' clock. */
  seconds(tick: number): number {
    return this.base + tick / TICKS_PER_SECOND;
  }

  private rebase(now: number): number {
    // A whole number of ticks, so that every kept time moves by exactly what the base moves.
    const shift = Math.floor((now - this.base) * TICKS_PER_SECOND + 1e-6) - REBASE_BACK;
    this.base += shift / TICKS_PER_SECOND;
    this.lastNow = NaN;
    const r = this.rec;
    for (let e = 0; e < this.max; e++) {
      if (!this.isUsed(e)) continue;
      const x = e * this.rw + this.xo;
      r[x] = clampTick(r[x]! - shift);
      if (this.protoOf(e) === L.UDP) this.aux[e] = clampTick(this.aux[e]! - shift);
    }
    return Math.floor((now - this.base) * TICKS_PER_SECOND + 1e-6);
  }

  /** Expiry of `e`, seconds. */
  expiresAt(e: number): number {
    return this.seconds(this.rec[e * this.rw + this.xo]!);
  }

  setExpiresAt(e: number, seconds: number): void {
    this.rec[e * this.rw + this.xo] = this.tick(seconds);
  }

  /** nf_ct_refresh: expire `timeout` ticks after `nowTick`. */
  refresh(e: number, nowTick: number, timeoutTicks: number): void {
    // Below 2^32 without a clamp: a tick is below 2^31 (tick() rebases) and so is a timeout (ticks()).
    this.rec[e * this.rw + this.xo] = nowTick + timeoutTicks;
  }

  /** nf_ct_is_expired at `now` (seconds). */
  isExpired(e: number, now: number): boolean {
    return this.rec[e * this.rw + this.xo]! <= this.tick(now);
  }

  /** Whole seconds left, as the kernel prints (ct->timeout - now) / HZ. */
  secondsLeft(e: number, now: number): number {
    const left = this.rec[e * this.rw + this.xo]! - this.tick(now);
    return left <= 0 ? 0 : Math.floor(left / TICKS_PER_SECOND);
  }

  /** Seconds left, not rounded (to the tick): what natbox verify compares the kernel's column with. */
  timeLeft(e: number, now: number): number {
    const left = this.rec[e * this.rw + this.xo]! - this.tick(now);
    return left <= 0 ? 0 : left / TICKS_PER_SECOND;
  }

  // ---- fields ------------------------------------------------------------------------------

  isUsed(e: number): boolean {
    return e < this.fresh && this.next[e]! > L.FREE_BASE + 1;
  }
  statusOf(e: number): number {
    return this.rec[e * this.rw + this.mo]! & L.META_STATUS;
  }
  setStatus(e: number, s: number): void {
    const m = e * this.rw + this.mo;
    this.rec[m] = (this.rec[m]! & ~L.META_STATUS) | (s & L.META_STATUS);
  }
  orStatus(e: number, bits: number): void {
    this.rec[e * this.rw + this.mo]! |= bits & L.META_STATUS;
  }
  protoOf(e: number): number {
    return (this.rec[e * this.rw + this.mo]! >>> L.META_PROTO_SHIFT) & 0xff;
  }
  /** TCP state number (TCP_CONNTRACK_*). */
  tcpState(e: number): number {
    return (this.rec[e * this.rw + this.mo]! >>> L.META_STATE_SHIFT) & 0xf;
  }
  setTcpState(e: number, s: number): void {
    const m = e * this.rw + this.mo;
    this.rec[m] = (this.rec[m]! & ~(0xf << L.META_STATE_SHIFT)) | ((s & 0xf) << L.META_STATE_SHIFT);
  }
  /** TCP: last packet class and direction (class | dir << 4), as ct->proto.tcp.last_index/last_dir. */
  lastIndex(e: number): number {
    const v = this.rec[e * this.rw + this.mo]! >>> L.META_LAST_SHIFT;
    return (v & 7) | ((v >>> 3) << 4);
  }
  setLastIndex(e: number, v: number): void {
    const m = e * this.rw + this.mo;
    const packed = (v & 7) | (((v >>> 4) & 1) << 3);
    this.rec[m] = (this.rec[m]! & 0x0fffffff) | (packed << L.META_LAST_SHIFT);
  }
  /** TCP: the sequence number of the last SYN seen in the original direction. */
  lastSeq(e: number): number {
    return this.aux[e]!;
  }
  /** UDP: when the entry was made, seconds. */
  createdAt(e: number): number {
    return this.seconds(this.aux[e]!);
  }

  /** The source address of e's tuple in direction dir (IPv4; in a wide layout its first word). */
  src(e: number, dir: number): number {
    return this.rec[e * this.rw + dir * this.tw]!;
  }
  /** The destination address (IPv4; in a wide layout its first word). */
  dst(e: number, dir: number): number {
    return this.rec[e * this.rw + dir * this.tw + this.aw]!;
  }
  sport(e: number, dir: number): number {
    return this.rec[e * this.rw + dir * this.tw + 2 * this.aw]! >>> 16;
  }
  dport(e: number, dir: number): number {
    return this.rec[e * this.rw + dir * this.tw + 2 * this.aw]! & 0xffff;
  }
  readTuple(e: number, dir: number, out: TupleBuf): TupleBuf {
    const rec = this.rec;
    const i = e * this.rw + dir * this.tw;
    const aw = this.aw;
    const p = rec[i + 2 * aw]!;
    if (aw === 1) return out.set(rec[i]!, rec[i + 1]!, this.protoOf(e), p >>> 16, p & 0xffff);
    return out.setWide(this.layout.family, rec, i, rec, i + aw, this.protoOf(e), p >>> 16, p & 0xffff);
  }
  setTuple(e: number, dir: number, t: TupleBuf): void {
    this.version++;
    this.writeTuple(e * this.rw + dir * this.tw, t);
  }
  /** Writes tuple `t` at rec[i] in the table's layout. */
  private writeTuple(i: number, t: TupleBuf): void {
    const rec = this.rec;
    const aw = this.aw;
    if (aw === 1) {
      rec[i] = t.src;
      rec[i + 1] = t.dst;
    } else {
      const a = t.addr;
      for (let k = 0; k < aw; k++) {
        rec[i + k] = a[k]!;
        rec[i + aw + k] = a[4 + k]!;
      }
    }
    rec[i + 2 * aw] = ((t.sport << 16) | t.dport) >>> 0;
  }
  /**
   * Does e's original tuple have the source of `t` (address, port and protocol)? same_src() of
   * find_appropriate_src, in any layout.
   */
  sameSource(e: number, t: TupleBuf): boolean {
    const rec = this.rec;
    const i = e * this.rw;
    const aw = this.aw;
    if (rec[i + 2 * aw]! >>> 16 !== t.sport || this.protoOf(e) !== t.proto) return false;
    if (aw === 1) return rec[i] === t.src;
    const a = t.addr;
    for (let k = 0; k < aw; k++) if (rec[i + k] !== a[k]) return false;
    return true;
  }

  isConfirmed(e: number): boolean {
    return (this.rec[e * this.rw + this.mo]! & L.CONFIRMED) !== 0;
  }

  // ---- hash --------------------------------------------------------------------------------

  /**
   * Finds a confirmed, live entry with this tuple in either direction. Returns (entry << 1 | dir),
   * or L.NO_ENTRY. An entry found expired is removed first (the kernel's gc would have done it).
   */
  lookup(src: number, dst: number, proto: number, sport: number, dport: number, now: number): number {
    return this.lookupTick(src, dst, proto, sport, dport, this.tick(now));
  }

  /**
   * lookup() of a tuple in any layout (the table's family): (entry << 1 | dir), or L.NO_ENTRY.
   */
  lookupTuple(t: TupleBuf, now: number): number {
    return this.lookupTupleTick(t, this.tick(now));
  }

  /** lookupTuple() with the time already in ticks. */
  lookupTupleTick(t: TupleBuf, nowTick: number): number {
    if (this.aw === 1) return this.lookupTick(t.src | 0, t.dst | 0, t.proto, t.sport, t.dport, nowTick);
    const key = this.keyOf(t);
    const proto = t.proto;
    const h = hashTupleWide(key, 0, this.aw, proto);
    const slots = this.slots;
    const n = this.nslots;
    const fp = h & this.fpMask;
    let i = this.home(h);
    for (;;) {
      const s = slots[i]!;
      if (s === 0) return L.NO_ENTRY;
      const ed = this.slotHoldsWide(s, fp, key, 0, proto);
      if (ed >= 0 && (this.zones === undefined || this.slotZone(ed) === 0)) {
        if (this.rec[(ed >>> 1) * this.rw + this.xo]! <= nowTick) {
          this.remove(ed >>> 1);
          return L.NO_ENTRY;
        }
        return ed;
      }
      if (++i === n) i = 0;
    }
  }

  /**
   * A lookup in a zone (resolve_normal_ct): tuple `t` in the zone with key `zone` (zone.ts). A
   * slot matches when its tuple is `t` and its own zone id is the zone's id for the slot's
   * direction (nf_ct_key_equal, nf_ct_zone_equal). The bucket of the original direction's zone id
   * is searched, then the reply direction's when it differs, as resolve_normal_ct and
   * nf_conntrack_find_get (Linux 6.18) both do. Zone 0 is lookupTupleTick.
   */
  lookupZoneTick(t: TupleBuf, zone: number, nowTick: number): number {
    if (zone === 0) return this.lookupTupleTick(t, nowTick);
    const key = this.keyOf(t);
    const zo = zone & 0xffff;
    const zr = zone >>> 16;
    const ed = this.probeZone(key, t.proto, zo, zone, nowTick, -1);
    if (ed !== L.NO_ENTRY || zr === zo) return ed;
    return this.probeZone(this.keyOf(t), t.proto, zr, zone, nowTick, -1);
  }

  /**
   * The bucket of tuple `key` hashed with zone id `kz`: the live slot whose tuple it is, whose zone
   * id is `kz` and matches zone key `zone` in its direction, that is not entry `ignore`; L.NO_ENTRY
   * when none (a matching expired entry is removed, as lookupTick does).
   */
  private probeZone(
    key: Uint32Array,
    proto: number,
    kz: number,
    zone: number,
    nowTick: number,
    ignore: number,
  ): number {
    const h = hashTupleWide(key, 0, this.aw, proto | (kz << 8));
    const slots = this.slots;
    const n = this.nslots;
    const fp = h & this.fpMask;
    let i = this.home(h);
    for (;;) {
      const s = slots[i]!;
      if (s === 0) return L.NO_ENTRY;
      const ed = this.slotHoldsWide(s, fp, key, 0, proto);
      if (ed >= 0 && ed >>> 1 !== ignore) {
        const z = this.slotZone(ed);
        if (z === kz && z === zoneIdOf(zone, ed & 1)) {
          if (this.rec[(ed >>> 1) * this.rw + this.xo]! <= nowTick) {
            this.remove(ed >>> 1);
            return L.NO_ENTRY;
          }
          return ed;
        }
      }
      if (++i === n) i = 0;
    }
  }

  /** `t` as a record holds it (addresses, then ports), in `key`: wide layouts only. */
  private keyOf(t: TupleBuf): Uint32Array {
    const key = this.key;
    const aw = this.aw;
    const a = t.addr;
    for (let k = 0; k < aw; k++) {
      key[k] = a[k]!;
      key[aw + k] = a[4 + k]!;
    }
    key[2 * aw] = ((t.sport << 16) | t.dport) >>> 0;
    return key;
  }

  /** The hash of tuple `t` in the table's layout (the one its record's tuple hashes to). */
  private hashOfTuple(t: TupleBuf): number {
    return this.aw === 1
      ? hashTuple(t.src, t.dst, t.proto, t.sport, t.dport)
      : hashTupleWide(this.keyOf(t), 0, this.aw, t.proto);
  }

  /** slotHolds for any layout: the tuple is `tw` words at k[ko] (addresses, then ports). */
  private slotHoldsWide(s: number, fp: number, k: ArrayLike<number>, ko: number, proto: number): number {
    if (s >>> this.idxBits !== fp) return -1;
    const ed = (s & this.idxMask) - 1;
    const base = (ed >>> 1) * this.rw;
    const t = base + (ed & 1) * this.tw;
    const rec = this.rec;
    if (((rec[base + this.mo]! >>> L.META_PROTO_SHIFT) & 0xff) !== proto) return -1;
    for (let j = 0; j < this.tw; j++) if (rec[t + j] !== k[ko + j]) return -1;
    return ed;
  }

  /**
   * lookup() with the time already in ticks (IPv4 layout). The addresses may come as uint32 or
   * int32 (`| 0`: the form hot callers pass, never boxed); they are compared as int32.
   */
  lookupTick(
    src0: number,
    dst0: number,
    proto: number,
    sport: number,
    dport: number,
    nowTick: number,
  ): number {
    const src = src0 | 0;
    const dst = dst0 | 0;
    const ports = (sport << 16) | dport;
    // hashTuple (tuple.ts) written out: a call per lookup when V8 does not inline it, which it
    // does not once this function is inlined into its callers.
    let hh = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
    hh = Math.imul(hh ^ (hh >>> 13) ^ dst, 0xc2b2ae35);
    hh = Math.imul(hh ^ (hh >>> 16) ^ ports, 0x85ebca6b);
    hh = Math.imul(hh ^ (hh >>> 13) ^ proto, 0xc2b2ae35);
    const h = (hh ^ (hh >>> 16)) >>> 0;
    const slots = this.slots;
    const n = this.nslots;
    const fp = h & this.fpMask;
    const idxBits = this.idxBits;
    let i = (h * this.scale) >>> 0;
    for (;;) {
      const s = slots[i]!;
      if (s === 0) {
        this.rememberMiss(h, i, src, dst, ports, proto);
        return L.NO_ENTRY;
      }
      // slotHolds' first test here: most probes end at it.
      if (s >>> idxBits === fp) {
        const ed = this.slotHolds(s, fp, src, dst, ports, proto);
        if (ed >= 0) {
          const r = this.found(ed, nowTick);
          if (r !== L.OTHER_ZONE) return r;
        }
      }
      if (++i === n) i = 0;
    }
  }

  /**
   * lookupTick's slot `ed` that holds the tuple: `ed` when it is zone 0's and live, NO_ENTRY once
   * an expired one is removed, OTHER_ZONE (the probe goes on) when it is another zone's entry
   * with this tuple (not this packet's, which is zone 0's). Apart, so that lookupTick stays
   * small enough for V8 to inline into its callers.
   */
  private found(ed: number, nowTick: number): number {
    if (this.zones !== undefined && this.slotZone(ed) !== 0) return L.OTHER_ZONE;
    if (this.rec[(ed >>> 1) * this.rw + L.REC_EXPIRES]! <= nowTick) {
      this.remove(ed >>> 1);
      return L.NO_ENTRY;
    }
    return ed;
  }

  /**
   * The (entry << 1 | dir) slot word `s` points at, when its fingerprint is `fp` and that
   * direction's tuple is (src, dst, ports, proto), the first three as int32; -1 otherwise. One
   * test for every probe.
   */
  private slotHolds(s: number, fp: number, src: number, dst: number, ports: number, proto: number): number {
    if (s >>> this.idxBits !== fp) return -1;
    const ed = (s & this.idxMask) - 1;
    const base = (ed >>> 1) * this.rw;
    const t = base + (ed & 1) * 3;
    const rec = this.reci;
    return rec[t] === src &&
      rec[t + 1] === dst &&
      rec[t + 2] === ports &&
      ((rec[base + L.REC_META]! >>> L.META_PROTO_SHIFT) & 0xff) === proto
      ? ed
      : -1;
  }

  /**
   * lookupTick for tuples `from` .. n - 1 at once, without its side effects (an expired entry is not removed,
   * a miss is not remembered): out[k] = (entry << 1 | dir) of the live confirmed entry with tuple
   * k, or L.NO_ENTRY when there is none (or it expired, or proto[k] is 0: skipped). The home slots
   * of all the tuples are read first and the records after, so that the cache misses of
   * different tuples overlap instead of coming one after another. `slot` is scratch (n words).
   */
  lookupBatch(
    from: number,
    src: Uint32Array,
    dst: Uint32Array,
    ports: Uint32Array,
    proto: Uint8Array,
    n: number,
    nowTick: number,
    slot: Uint32Array,
    out: Int32Array,
  ): void {
    const slots = this.slots;
    const rec = this.rec;
    const scale = this.scale;
    // Pass 1: every tuple's hash and home slot word (independent loads).
    for (let k = from; k < n; k++) {
      const p = proto[k]!;
      if (p === 0) continue;
      const pp = ports[k]!;
      const h = hashTuple(src[k]!, dst[k]!, p, pp >>> 16, pp & 0xffff);
      const i = (h * scale) >>> 0;
      out[k] = h;
      slot[k] = slots[i]!;
    }
    // Pass 2: the probes, each starting from the word read above.
    const nslots = this.nslots;
    const fpMask = this.fpMask;
    const zones = this.zones;
    for (let k = from; k < n; k++) {
      const p = proto[k]!;
      if (p === 0) {
        out[k] = L.NO_ENTRY;
        continue;
      }
      const h = out[k]! >>> 0;
      const fp = h & fpMask;
      const s0 = src[k]! | 0;
      const d0 = dst[k]! | 0;
      const pp = ports[k]! | 0;
      let i = (h * scale) >>> 0;
      let s = slot[k]!;
      let found = L.NO_ENTRY;
      for (;;) {
        if (s === 0) break;
        const ed = this.slotHolds(s, fp, s0, d0, pp, p);
        if (ed >= 0 && (zones === undefined || zoneIdOf(zones[ed >>> 1]!, ed & 1) === 0)) {
          if (rec[(ed >>> 1) * this.rw + L.REC_EXPIRES]! > nowTick) found = ed;
          break;
        }
        if (++i === nslots) i = 0;
        s = slots[i]!;
      }
      out[k] = found;
    }
  }

  /**
   * The last L.MISS_MEMO failed lookups: for each, the hash, the empty slot that ended the probe and
   * the tuple (src, dst, ports, proto). Valid while no slot changes (any insert or delete clears
   * them), so a new connection's confirm() finds where its tuples go without probing again: the
   * original tuple's lookup in conntrackIn and the reply tuple's clash check in NAT already did.
   * All six as int32 (the hash too: compared as `h | 0`).
   */
  private readonly missMemo = new Int32Array(L.MISS_MEMO * 6);
  private missCount = 0;
  private missNext = 0;
  /**
   * Bumped (wrapping) whenever the remembered misses are forgotten: a caller that noted
   * newestMiss() and this number can tell later whether that miss still holds (confirmAfter).
   */
  missEpoch = 0;

  private rememberMiss(
    h: number,
    slot: number,
    src: number,
    dst: number,
    ports: number,
    proto: number,
  ): void {
    const m = this.missMemo;
    // The mask (missNext is below L.MISS_MEMO already) bounds k for V8: no overflow checks below.
    const k = (this.missNext & (L.MISS_MEMO - 1)) * 6;
    m[k] = h | 0;
    m[k + 1] = slot;
    m[k + 2] = src;
    m[k + 3] = dst;
    m[k + 4] = ports;
    m[k + 5] = proto;
    this.missNext = (this.missNext + 1) & (L.MISS_MEMO - 1);
    if (this.missCount < L.MISS_MEMO) this.missCount++;
  }

  /** The remembered end of a failed probe for this tuple, or -1. */
  private recalledMiss(h: number, src: number, dst: number, ports: number, proto: number): number {
    const m = this.missMemo;
    const hi = h | 0;
    for (let j = 0; j < this.missCount; j++) {
      const k = j * 6;
      if (m[k] === hi && m[k + 2] === src && m[k + 3] === dst && m[k + 4] === ports && m[k + 5] === proto)
        return m[k + 1]!;
    }
    return -1;
  }

  /** The remembered failed lookup of entry e's tuple in direction dir (its index in missMemo), or -1. */
  private missOf(e: number, dir: number): number {
    // Newest first: a new connection's reply tuple was the last lookup, its original a few before.
    for (let j = 1; j <= this.missCount; j++) {
      const k = ((this.missNext - j) & (L.MISS_MEMO - 1)) * 6;
      if (this.missHolds(k, e, dir)) return k;
    }
    return -1;
  }

  /** A slot changed: every remembered probe may end elsewhere now. */
  private forgetMisses(): void {
    this.missCount = 0;
    this.missNext = 0;
    this.missEpoch = (this.missEpoch + 1) | 0;
  }

  /**
   * Where the last failed lookup was remembered (for confirmAfter, with missEpoch), or -1 when no
   * miss is remembered: right after a lookupTick that returned L.NO_ENTRY, that lookup's tuple.
   */
  newestMiss(): number {
    return this.missCount === 0 ? -1 : ((this.missNext - 1) & (L.MISS_MEMO - 1)) * 6;
  }

  /**
   * missHolds(k0, e, DIR_ORIGINAL) && missHolds(k1, e, DIR_REPLY), reading e's record once: whether
   * remembered misses k0 and k1 are of e's original and reply tuples.
   */
  private missesHold(k0: number, k1: number, e: number): boolean {
    const rec = this.reci;
    const b = e * this.rw;
    const m = this.missMemo;
    const proto = (rec[b + L.REC_META]! >>> L.META_PROTO_SHIFT) & 0xff;
    return (
      m[k0 + 2] === rec[b] &&
      m[k0 + 3] === rec[b + 1] &&
      m[k0 + 4] === rec[b + 2] &&
      m[k0 + 5] === proto &&
      m[k1 + 2] === rec[b + 3] &&
      m[k1 + 3] === rec[b + 4] &&
      m[k1 + 4] === rec[b + 5] &&
      m[k1 + 5] === proto
    );
  }

  /** Whether remembered miss `k` (an offset in missMemo) is of entry e's tuple in direction dir. */
  private missHolds(k: number, e: number, dir: number): boolean {
    const rec = this.reci;
    const b = e * this.rw;
    const t = b + dir * 3;
    const m = this.missMemo;
    return (
      m[k + 2] === rec[t] &&
      m[k + 3] === rec[t + 1] &&
      m[k + 4] === rec[t + 2] &&
      m[k + 5] === ((rec[b + L.REC_META]! >>> L.META_PROTO_SHIFT) & 0xff)
    );
  }

  /**
   * Reads the home slot of tuple `t` and nothing else: a lookup of `t` soon after finds it in the
   * cache. Lets a caller start that cache miss early, so it overlaps another one.
   */
  touch(t: TupleBuf): void {
    this.touched = this.slots[this.home(this.hashOfTuple(t))]!;
  }
  /** touch()'s last read (kept so that the read is not optimised away). */
  private touched = 0;

  /** nf_conntrack_tuple_taken: is this tuple used by a live entry other than `ignore`? */
  tupleTaken(t: TupleBuf, ignore: number, now: number): boolean {
    if (this.tupleHolder(t, ignore, now) === L.NO_ENTRY) return false;
    this.stats.found++; // nf_conntrack_tuple_taken: NF_CT_STAT_INC_ATOMIC(net, found)
    return true;
  }

  /**
   * tupleTaken of entry e's own reply tuple as the record holds it, for an entry of zone 0 in the
   * IPv4 layout (the caller checks both: NatCore.setup's null binding): the same lookup and
   * `found` count, read from the record's words instead of a TupleBuf.
   */
  replyTupleTaken(e: number, now: number): boolean {
    const i = e * this.rw + 3;
    const rec = this.reci;
    const p = rec[i + 2]!;
    const proto = (rec[e * this.rw + L.REC_META]! >>> L.META_PROTO_SHIFT) & 0xff;
    return this.taken4(rec[i]!, rec[i + 1]!, proto, p >>> 16, p & 0xffff, e, now);
  }

  /**
   * tupleTaken of the IPv4 tuple (src, dst, proto, sport, dport) for entry `ignore` of zone 0 in
   * the IPv4 layout (the caller checks both): the same lookup and `found` count, without a
   * TupleBuf. Addresses as int32 or uint32.
   */
  taken4(
    src: number,
    dst: number,
    proto: number,
    sport: number,
    dport: number,
    ignore: number,
    now: number,
  ): boolean {
    const ed = this.lookupTick(src, dst, proto, sport, dport, this.tick(now));
    if (ed === L.NO_ENTRY || ed >>> 1 === ignore) return false;
    this.stats.found++; // nf_conntrack_tuple_taken: NF_CT_STAT_INC_ATOMIC(net, found)
    return true;
  }

  /** touch() of an IPv4 tuple given as numbers (IPv4 layout). */
  touch4(src: number, dst: number, proto: number, sport: number, dport: number): void {
    this.touched = this.slots[this.home(hashTuple(src | 0, dst | 0, proto, sport, dport))]!;
  }

  /** setTuple of e's reply tuple from numbers (IPv4 layout; addresses as int32 or uint32). */
  setReply4(e: number, src: number, dst: number, sport: number, dport: number): void {
    this.version++;
    const i = e * this.rw + 3;
    const rec = this.reci;
    rec[i] = src;
    rec[i + 1] = dst;
    rec[i + 2] = (sport << 16) | dport;
  }

  /**
   * The live entry other than `ignore` holding tuple `t` (entry << 1 | direction), or L.NO_ENTRY,
   * looked up in `ignore`'s zone as nf_conntrack_find_get does: nothing is counted.
   */
  tupleHolder(t: TupleBuf, ignore: number, now: number): number {
    // The bucket of the reply direction's zone id, in the zone of the connection being mapped.
    const zone = ignore >= 0 ? this.zoneOf(ignore) : 0;
    const ed =
      zone === 0
        ? this.lookupTuple(t, now)
        : this.probeZone(this.keyOf(t), t.proto, zone >>> 16, zone, this.tick(now), ignore);
    return ed === L.NO_ENTRY || ed >>> 1 === ignore ? L.NO_ENTRY : ed;
  }

  /**
   * Allocates an unconfirmed entry with both tuples. When the table is full, evicts one entry that
   * is not ASSURED from near the new tuple's bucket (early_drop in nf_conntrack_core.c); if none
   * can go, returns L.NO_ENTRY and counts a drop.
   */
  alloc(orig: TupleBuf, reply: TupleBuf, now: number): number {
    if (orig.family !== this.layout.family || reply.family !== this.layout.family)
      throw new TypeError(`conntrack: a family ${orig.family} tuple in a family ${this.layout.family} table`);
    const nowTick = this.tick(now);
    if (this.freeHead < 0 && !this.earlyDrop(this.home(this.hashOfTuple(orig)), nowTick)) {
      this.stats.drop++;
      return L.NO_ENTRY;
    }
    const e = this.claim(orig.proto, nowTick);
    const b = e * this.rw;
    this.writeTuple(b, orig);
    this.writeTuple(b + this.tw, reply);
    return e;
  }

  /**
   * alloc() of the IPv4 tuple (src, dst, proto, sport, dport) of a protocol whose inverse swaps
   * the ends (not ICMP), given as numbers (addresses as int32 or uint32), with that inverse as the
   * reply tuple: the same entry, eviction and `drop` count, no TupleBufs. IPv4 layout only. The time in ticks (tick()).
   */
  alloc4(src: number, dst: number, proto: number, sport: number, dport: number, nowTick: number): number {
    if (this.freeHead < 0 && !this.roomFor4(src, dst, proto, sport, dport, nowTick)) return L.NO_ENTRY;
    const e = this.claim(proto, nowTick);
    const b = e * this.rw;
    const rec = this.reci;
    rec[b] = src;
    rec[b + 1] = dst;
    rec[b + 2] = (sport << 16) | dport;
    rec[b + 3] = dst;
    rec[b + 4] = src;
    rec[b + 5] = (dport << 16) | sport;
    return e;
  }

  /**
   * alloc4 found the table full: early_drop near the tuple's bucket, or (false) the `drop` count.
   * Apart, so that alloc4 stays small enough for V8 to inline.
   */
  private roomFor4(
    src: number,
    dst: number,
    proto: number,
    sport: number,
    dport: number,
    nowTick: number,
  ): boolean {
    if (this.earlyDrop(this.home(hashTuple(src | 0, dst | 0, proto, sport, dport)), nowTick)) return true;
    this.stats.drop++;
    return false;
  }

  /** The free entry alloc() takes, with everything but its tuples set for a new connection. */
  private claim(proto: number, nowTick: number): number {
    const e = this.freeHead;
    if (e === this.fresh) {
      // The first of the never-taken tail: its successor is the next entry, if any.
      this.fresh = e + 1;
      this.freeHead = e + 1 < this.max ? e + 1 : -1;
    } else this.freeHead = L.FREE_BASE - this.next[e]!;
    this.next[e] = L.NOT_LINKED;
    const b = e * this.rw;
    const rec = this.rec;
    rec[b + this.mo] = (proto & 0xff) << L.META_PROTO_SHIFT;
    rec[b + this.xo] = nowTick;
    // UDP: the creation time (stream detection); TCP: no SYN seen yet.
    this.aux[e] = proto === L.UDP ? nowTick : 0;
    this.mark[e] = 0;
    this.masq[e] = 0;
    if (this.exts) this.clearExts(e);
    this.id[e] = this.nextId++;
    this.count++;
    return e;
  }

  /** claim()'s part for the extensions in use (accounting, labels, zones, timeout policies). */
  private clearExts(e: number): void {
    // `!== undefined`, not truthiness: one compare each instead of V8's generic ToBoolean.
    if (this.acct !== undefined) this.acct.fill(0, e * 4, e * 4 + 4);
    if (this.labels !== undefined) this.labels.fill(0, e * 4, e * 4 + 4);
    if (this.zones !== undefined) this.zones[e] = 0;
    if (this.timeoutPolicy !== undefined) this.timeoutPolicy[e] = undefined;
  }

  /**
   * Whether an extension array exists (acct, labels, zones, timeoutPolicy; each made by the method
   * that turns it on): claim() clears an entry's slots in them (clearExts) only then.
   */
  private exts = false;

  /**
   * After a confirm() that returned true: the entry the packet belongs to, `e` itself or, when
   * nf_ct_resolve_clash merged it into the entry that won (nf_ct_set), that one.
   */
  confirmedAs = L.NO_ENTRY;
  /** The entry (entry << 1 | dir) whose live tuple made probeFree return -1. */
  private clashWith = L.NO_ENTRY;

  /**
   * Inserts both tuples in the hash (__nf_conntrack_confirm). When a tuple is taken,
   * nf_ct_resolve_clash: returns false (the entry freed, `drop` counted) unless it resolved the
   * clash (`clash_resolve` counted; confirmedAs says which entry the packet now belongs to).
   */
  confirm(e: number, now: number): boolean {
    const nowTick = this.tick(now);
    // A new connection whose two tuples were both looked up in vain since the last slot change
    // (conntrack-in's lookup, the NAT clash check): their hashes and the free slots that ended
    // those probes are remembered, and probeFree would return the same (nothing to hash again).
    if (this.missCount !== 0 && this.aw === 1 && this.zoneOf(e) === 0) {
      const k0 = this.missOf(e, L.DIR_ORIGINAL);
      const k1 = k0 < 0 ? -1 : this.missOf(e, L.DIR_REPLY);
      if (k1 >= 0) {
        const m = this.missMemo;
        this.insertSlots(e, m[k0 + 1]!, m[k0]! >>> 0, m[k1 + 1]!, m[k1]! >>> 0);
        this.confirmedAs = e;
        return true;
      }
    }
    // One probe per tuple: it looks for a clash and finds the free slot the tuple goes into.
    const h0 = this.hashOf(e, L.DIR_ORIGINAL);
    const h1 = this.hashOf(e, L.DIR_REPLY);
    let p0: number;
    let p1: number;
    for (;;) {
      p0 = this.probeFree(e, L.DIR_ORIGINAL, h0, nowTick);
      const removals = this.removals;
      p1 = p0 < 0 ? -1 : this.probeFree(e, L.DIR_REPLY, h1, nowTick);
      // An expired entry the reply's probe removed may have opened a slot before p0: probe again.
      if (p1 < 0 || this.removals === removals) break;
    }
    if (p0 < 0 || p1 < 0) return this.resolveClash(e, this.clashWith >>> 1, h1, nowTick);
    this.insertSlots(e, p0, h0, p1, h1);
    this.confirmedAs = e;
    return true;
  }

  /**
   * confirm() of a new connection whose caller noted where the failed lookup of its original
   * tuple was remembered (`k0` = newestMiss() right after it, while missEpoch was `epoch`), and
   * whose reply tuple was the last failed lookup since (the fused first-packet path: conntrack's
   * lookup at PREROUTING, the NAT clash check at POSTROUTING): the same insertion as confirm()'s
   * from the memo, without searching it. Anything else (a slot changed since, another lookup
   * last, zones, a wide layout) is confirm() itself.
   */
  confirmAfter(e: number, k0: number, epoch: number, now: number): boolean {
    if (k0 >= 0 && epoch === this.missEpoch && this.aw === 1 && this.zones === undefined) {
      const k1 = this.newestMiss();
      if (k1 >= 0 && k1 !== k0 && this.missesHold(k0, k1, e)) {
        this.tick(now); // as confirm()
        const m = this.missMemo;
        this.insertSlots(e, m[k0 + 1]!, m[k0]! >>> 0, m[k1 + 1]!, m[k1]! >>> 0);
        this.confirmedAs = e;
        return true;
      }
    }
    return this.confirm(e, now);
  }

  /** __nf_conntrack_hash_insert: both tuples into their probes' free slots, and CONFIRMED. */
  private insertSlots(e: number, p0: number, h0: number, p1: number, h1: number): void {
    // If the original takes the slot the reply's probe ended at, the reply goes to the next free.
    this.forgetMisses();
    if (p0 >= 0) this.slots[p0] = (((h0 & this.fpMask) << this.idxBits) | ((e << 1) + 1)) >>> 0;
    let i = p1;
    while (this.slots[i] !== 0) if (++i === this.nslots) i = 0;
    this.slots[i] = (((h1 & this.fpMask) << this.idxBits) | ((e << 1) + 2)) >>> 0;
    this.rec[e * this.rw + this.mo]! |= L.CONFIRMED;
    this.version++;
    if (p0 >= 0) this.listener?.('NEW', e);
  }

  /**
   * nf_ct_resolve_clash: `loser` clashed with `winner` (the first clash found, the original
   * tuple's bucket before the reply's). Protocols with allow_clash (UDP, ICMP, ICMPv6 and those
   * without a tracker of their own: not TCP, SCTP, DCCP) try __nf_ct_resolve_clash, then
   * nf_ct_resolve_clash_harder; what stays unresolved is dropped (`drop`; the caller counts
   * insert_failed).
   */
  private resolveClash(loser: number, winner: number, h1: number, nowTick: number): boolean {
    if (allowClash(this.protoOf(loser))) {
      if (this.mergeClash(loser, winner)) return true;
      // nf_ct_resolve_clash_harder: the reply tuple must not clash, unless both tuples are equal.
      const pr = this.probeFree(loser, L.DIR_REPLY, h1, nowTick);
      if (pr < 0) {
        if (this.mergeClash(loser, this.clashWith >>> 1)) return true;
      } else {
        // Inserted in the reply direction only (a fake original: lookups find the winner, and
        // `conntrack -L` does not list it), gone 1 s from now or at its first reply.
        this.rec[loser * this.rw + this.xo] = clampTick(nowTick + TICKS_PER_SECOND);
        this.orStatus(loser, IPS_FIXED_TIMEOUT | IPS_NAT_CLASH);
        this.insertSlots(loser, -1, 0, pr, h1);
        this.stats.clash_resolve++;
        this.confirmedAs = loser;
        return true;
      }
    }
    this.stats.drop++;
    this.release(loser);
    return false;
  }

  /**
   * __nf_ct_resolve_clash: the packet joins `winner` (its unconfirmed entry freed) when the two
   * are one flow (nf_ct_can_merge): the same tuples and zone (nf_ct_match), or the same tuples the
   * other way round with the zone ids swapped too (nf_ct_match_reverse: both ends sent a first
   * packet at once). Kernel commit "netfilter: conntrack: add clash resolution for reverse
   * collisions" (Linux 6.12) replaced the older test (a winner without NAT bindings merged
   * whatever its tuples): a clash between two different flows is never merged. A dying winner
   * (natbox removes entries at once, so only an entry being destroyed) is not merged either.
   */
  private mergeClash(loser: number, winner: number): boolean {
    if (this.statusOf(winner) & IPS_DYING) return false;
    if (!this.sameFlow(loser, winner) && !this.reverseFlow(loser, winner)) return false;
    this.release(loser);
    this.stats.clash_resolve++;
    this.confirmedAs = winner;
    return true;
  }

  /** nf_ct_match: both tuples equal, and the zone in both directions. */
  private sameFlow(a: number, b: number): boolean {
    const n = 2 * this.tw;
    const ra = a * this.rw;
    const rb = b * this.rw;
    for (let i = 0; i < n; i++) if (this.rec[ra + i] !== this.rec[rb + i]) return false;
    return this.protoOf(a) === this.protoOf(b) && this.zoneOf(a) === this.zoneOf(b);
  }

  /**
   * nf_ct_match_reverse: a's original tuple is b's reply tuple and a's reply b's original, and the
   * zone id of each direction of one is that of the other direction of the other.
   */
  private reverseFlow(a: number, b: number): boolean {
    const tw = this.tw;
    const ra = a * this.rw;
    const rb = b * this.rw;
    for (let i = 0; i < tw; i++) {
      if (this.rec[ra + i] !== this.rec[rb + tw + i]) return false;
      if (this.rec[ra + tw + i] !== this.rec[rb + i]) return false;
    }
    const za = this.zoneOf(a);
    const zb = this.zoneOf(b);
    return (
      this.protoOf(a) === this.protoOf(b) &&
      zoneIdOf(za, L.DIR_ORIGINAL) === zoneIdOf(zb, L.DIR_REPLY) &&
      zoneIdOf(za, L.DIR_REPLY) === zoneIdOf(zb, L.DIR_ORIGINAL)
    );
  }

  /** Frees an unconfirmed entry (its packet was dropped before it left the host). */
  release(e: number): void {
    if (!this.isUsed(e)) return;
    this.helperExt?.free(e);
    if (this.next[e] !== L.NOT_LINKED) this.unlinkBySource(e);
    this.next[e] = L.FREE_BASE - this.freeHead;
    this.freeHead = e;
    this.count--;
  }

  /** Removes a confirmed entry from the hash and frees it. */
  remove(e: number): void {
    if (!this.isUsed(e)) return;
    if (this.isConfirmed(e)) {
      this.listener?.('DESTROY', e);
      this.deleteSlot(e, L.DIR_ORIGINAL);
      this.deleteSlot(e, L.DIR_REPLY);
    }
    this.release(e);
  }

  /** Removes every expired entry (the kernel's gc worker); returns how many went. */
  gc(now: number): number {
    const nowTick = this.tick(now);
    let n = 0;
    for (let e = 0; e < this.max; e++) {
      if (this.isUsed(e) && this.isConfirmed(e) && this.rec[e * this.rw + this.xo]! <= nowTick) {
        this.remove(e);
        n++;
      }
    }
    return n;
  }

  /** Confirmed live entries, oldest first. */
  entries(now: number): number[] {
    const nowTick = this.tick(now);
    const out: number[] = [];
    for (let e = 0; e < this.max; e++) {
      // An entry nf_ct_resolve_clash_harder added has no original tuple in the hash: not listed.
      if (
        this.isUsed(e) &&
        (this.statusOf(e) & (L.CONFIRMED | IPS_NAT_CLASH)) === L.CONFIRMED &&
        this.rec[e * this.rw + this.xo]! > nowTick
      )
        out.push(e);
    }
    return out.sort((a, b) => this.id[a]! - this.id[b]!);
  }

  /**
   * Adds entry `e` to the by-source chain of its original tuple (nf_nat_setup_info does this for
   * every source NAT binding, null bindings included). Idempotent.
   */
  linkBySource(e: number): void {
    if (!this.isUsed(e) || this.next[e] !== L.NOT_LINKED) return;
    this.linkInBucket(e, this.srcBucket(e));
  }

  /**
   * linkBySource(e) for a caller that has e's by-source bucket already (bySourceBucket of its
   * original tuple's source: NatCore.setupSrcOne, which walked that chain).
   */
  linkBySourceIn(e: number, b: number): void {
    if (!this.isUsed(e) || this.next[e] !== L.NOT_LINKED) return;
    this.linkInBucket(e, b);
  }

  private linkInBucket(e: number, b: number): void {
    this.next[e] = this.srcHead[b]!;
    this.srcHead[b] = e;
  }

  /** hash_by_src of (src, sport, proto), IPv4: the by-source chain's number (bySourceHead). */
  bySourceBucket(src: number, sport: number, proto: number): number {
    return hashTuple(src, 0, proto, sport, 0) & this.srcMask;
  }

  /** The first entry of by-source chain `b` (bySourceBucket), or L.NO_ENTRY. */
  bySourceHead(b: number): number {
    return this.srcHead[b]!;
  }

  /** The first entry of the by-source chain that may hold (src, sport, proto), or L.NO_ENTRY (IPv4). */
  firstBySource(src: number, sport: number, proto: number): number {
    return this.srcHead[this.bySourceBucket(src, sport, proto)]!;
  }

  /** The first entry of the by-source chain that may hold the source of `t`, in any layout. */
  firstBySourceOf(t: TupleBuf): number {
    if (this.aw === 1) return this.firstBySource(t.src, t.sport, t.proto);
    return this.srcHead[this.srcHash(t.addr, 0, t.proto, t.sport) & this.srcMask]!;
  }

  /** hash_by_src in a wide layout: the source address's words, the protocol and the port. */
  private srcHash(a: ArrayLike<number>, off: number, proto: number, sport: number): number {
    const k = this.key;
    const aw = this.aw;
    for (let j = 0; j < aw; j++) {
      k[j] = a[off + j]!;
      k[aw + j] = 0;
    }
    k[2 * aw] = (sport << 16) >>> 0;
    return hashTupleWide(k, 0, aw, proto);
  }

  /** The entry after `e` in its by-source chain, or L.NO_ENTRY. Chains mix keys: compare tuples. */
  nextBySource(e: number): number {
    return this.next[e]!;
  }

  private srcBucket(e: number): number {
    const i = e * this.rw;
    const aw = this.aw;
    const sport = this.rec[i + 2 * aw]! >>> 16;
    if (aw !== 1) return this.srcHash(this.rec, i, this.protoOf(e), sport) & this.srcMask;
    return hashTuple(this.rec[i]!, 0, this.protoOf(e), sport, 0) & this.srcMask;
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
    this.next[e] = L.NOT_LINKED;
  }

  private home(h: number): number {
    return (h * this.scale) >>> 0;
  }

  /** The hash of entry e's tuple in direction dir. */
  private hashOf(e: number, dir: number): number {
    const t = e * this.rw + dir * this.tw;
    // The tuple's zone id is hashed with the protocol (hash_conntrack_raw's zoneid): 0 adds nothing.
    const kp =
      this.zones === undefined ? this.protoOf(e) : this.protoOf(e) | (this.slotZone((e << 1) | dir) << 8);
    if (this.aw !== 1) return hashTupleWide(this.rec, t, this.aw, kp);
    const p = this.rec[t + 2]!;
    return hashTuple(this.rec[t]!, this.rec[t + 1]!, kp, p >>> 16, p & 0xffff);
  }

  /** early_drop from the new tuple's home slot `home`. */
  private earlyDrop(home: number, nowTick: number): boolean {
    let i = home;
    for (let n = 0; n < 64; n++) {
      const s = this.slots[i]!;
      if (++i === this.nslots) i = 0;
      if (s === 0) continue;
      const e = ((s & this.idxMask) - 1) >>> 1;
      if (this.rec[e * this.rw + this.xo]! <= nowTick) {
        // early_drop_list: an expired entry is reaped (nf_ct_gc_expired), not counted as a drop.
        this.remove(e);
        return true;
      }
      if ((this.statusOf(e) & IPS_ASSURED) === 0) {
        this.remove(e);
        this.stats.early_drop++;
        return true;
      }
    }
    return false;
  }

  /**
   * lookupTick for entry e's tuple in direction dir (hash h), returning where that tuple would be
   * inserted (the free slot ending its probe), or -1 when a live entry has it. A matching
   * expired entry is removed (which may move slots), and the probe starts over.
   */
  private probeFree(e: number, dir: number, h: number, nowTick: number): number {
    if (this.aw !== 1) return this.probeFreeWide(e, dir, h, nowTick);
    const rec = this.reci;
    const slots = this.slots;
    const n = this.nslots;
    const t0 = e * this.rw + dir * 3;
    const src = rec[t0]!;
    const dst = rec[t0 + 1]!;
    const ports = rec[t0 + 2]!;
    const proto = this.protoOf(e);
    const fp = h & this.fpMask;
    const zone = this.zoneOf(e);
    // A lookup of this tuple failed since the last slot change: its probe ended here, and this
    // probe would walk the same slots to the same end (no entry, live or expired, has the tuple).
    // Remembered lookups are zone 0's.
    const known = zone === 0 ? this.recalledMiss(h, src, dst, ports, proto) : -1;
    if (known >= 0) return known;
    const kz = zoneIdOf(zone, dir);
    restart: for (;;) {
      let i = this.home(h);
      for (;;) {
        const s = slots[i]!;
        if (s === 0) return i;
        const ed = this.slotHolds(s, fp, src, dst, ports, proto);
        // __nf_conntrack_confirm: nf_ct_key_equal in this tuple's bucket (its zone id's).
        if (ed >= 0 && this.zoneClash(ed, kz, zone)) {
          if (this.rec[(ed >>> 1) * this.rw + L.REC_EXPIRES]! > nowTick) {
            this.clashWith = ed;
            return -1;
          }
          this.remove(ed >>> 1);
          continue restart;
        }
        if (++i === n) i = 0;
      }
    }
  }

  /** probeFree in a wide layout (no memo of failed lookups: those are the IPv4 lookups'). */
  private probeFreeWide(e: number, dir: number, h: number, nowTick: number): number {
    const rec = this.rec;
    const slots = this.slots;
    const n = this.nslots;
    const t0 = e * this.rw + dir * this.tw;
    const proto = this.protoOf(e);
    const fp = h & this.fpMask;
    const zone = this.zoneOf(e);
    const kz = zoneIdOf(zone, dir);
    restart: for (;;) {
      let i = this.home(h);
      for (;;) {
        const s = slots[i]!;
        if (s === 0) return i;
        const ed = this.slotHoldsWide(s, fp, rec, t0, proto);
        if (ed >= 0 && this.zoneClash(ed, kz, zone)) {
          if (rec[(ed >>> 1) * this.rw + this.xo]! > nowTick) {
            this.clashWith = ed;
            return -1;
          }
          this.remove(ed >>> 1);
          continue restart;
        }
        if (++i === n) i = 0;
      }
    }
  }

  /** Is slot `ed` (same tuple) in bucket zone id `kz`, and equal to zone key `zone` in its direction? */
  private zoneClash(ed: number, kz: number, zone: number): boolean {
    if (this.zones === undefined) return true;
    const z = this.slotZone(ed);
    return z === kz && z === zoneIdOf(zone, ed & 1);
  }

  /** Linear-probing delete with backward shift (no tombstones, so lookups stay short). */
  private deleteSlot(e: number, dir: number): void {
    this.removals++;
    this.version++;
    this.forgetMisses();
    const want = ((e << 1) | dir) + 1;
    const n = this.nslots;
    let i = this.home(this.hashOf(e, dir));
    while ((this.slots[i]! & this.idxMask) !== want) {
      if (this.slots[i] === 0) return;
      if (++i === n) i = 0;
    }
    let hole = i;
    let j = i;
    for (;;) {
      if (++j === n) j = 0;
      const s = this.slots[j]!;
      if (s === 0) break;
      const ed = (s & this.idxMask) - 1;
      const home = this.home(this.hashOf(ed >>> 1, ed & 1));
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

function clampTick(t: number): number {
  return t <= 0 ? 0 : t >= TICK_MAX ? TICK_MAX : t;
}
