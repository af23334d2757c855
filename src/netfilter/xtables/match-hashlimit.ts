// -m hashlimit (xt_hashlimit.c hashlimit_mt_common, revision 3): a token bucket per key of
// --hashlimit-mode (source and/or destination address under their masks, ports), in a table
// named by --hashlimit-name and shared by every rule of the engine that names it (the kernel keeps
// tables per network namespace; here in the engine instance's XtShared). As in the kernel the
// table takes its configuration (rate, burst, mode, masks, expiry, sizes) from the rule that made
// it; each rule keeps its own --hashlimit-above/-upto and --hashlimit-rate-match.
//
// Time is the simulation clock (skb.now, seconds). Packet mode: the bucket holds up to `burst`
// packets' worth of seconds and refills one second per second (rateinfo_recalc); byte mode: up
// to one second of credit, a packet costs (len / 16 + 1) chunks, and an empty bucket is refilled
// whole at most `burst` times (credit_cap, never given back: the kernel's own behaviour);
// rate-match: the packets (or bytes) of each --hashlimit-rate-interval are counted, and the
// previous window's rate decides. An entry idle for --hashlimit-htable-expire ms is removed by
// the next garbage collection (every --hashlimit-htable-gcinterval ms from the table's first
// packet); a new entry starts with a full bucket.
import { HASHLIMIT_SCALE } from '../../rules/iptables/model.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { formatIpv4 } from '../../wire/addr.ts';
import type { Skb } from '../core/skb.ts';
import { needs, type MatchOf, type XtMatch, type XtShared } from './xt-match.ts';

type HashlimitMatch = MatchOf<'hashlimit'>;

/** One key's bucket (struct dsthash_ent). */
export interface HlEntry {
  expires: number;
  prev: number;
  /** Packet mode: seconds of credit; byte mode: credits (BYTE_UNIT per second). */
  credit: number;
  /** Byte mode: refills left (credit_cap). */
  creditCap: number;
  /** Rate-match: this window's count, whether the previous window was over the rate. */
  currentRate: number;
  prevWindow: boolean;
}

/** CREDITS_PER_JIFFY_BYTES * HZ: one second of credit in byte mode (2^24 * 250). */
const BYTE_UNIT = 4194304000;
/** The kernel's default table size with more than 1 GiB of memory (htable_create). */
const DEFAULT_SIZE = 8192;

/** One named table (struct xt_hashlimit_htable): its configuration and its entries by key. */
export class HashlimitTable {
  /** Entries by (src << 16 | sport), then (dst << 16 | dport), each key part masked by the mode. */
  readonly entries = new Map<number, Map<number, HlEntry>>();
  count = 0;
  /** The time of the table's first packet: garbage collection runs every gcInterval from it. */
  t0 = -1;
  readonly max: number;
  readonly srcMask: number;
  readonly dstMask: number;
  /** Packet mode: seconds per packet; byte mode: credits per 16-byte chunk (user2credits_byte). */
  readonly cost: number;
  /** Rate-match: packets (or bytes) per second, and the burst allowed in one window. */
  readonly rate: number;
  readonly rateBurst: number;
  constructor(readonly cfg: HashlimitMatch) {
    const size = cfg.size || DEFAULT_SIZE;
    this.max = cfg.max === 0 ? 8 * size : Math.max(cfg.max, size);
    this.srcMask = cfg.srcip ? maskOf(cfg.srcmask) : 0;
    this.dstMask = cfg.dstip ? maskOf(cfg.dstmask) : 0;
    if (cfg.bytes) this.cost = Number((BigInt(cfg.avg) * BigInt(BYTE_UNIT)) >> 32n);
    else this.cost = cfg.avg / HASHLIMIT_SCALE;
    if (cfg.bytes) {
      // user2rate_bytes, on the u32 of avg.
      const r = cfg.avg ? Math.floor(0xffffffff / cfg.avg) : 0xffffffff;
      this.rate = (r - 1) * 16;
      this.rateBurst = cfg.burst ? cfg.burst * this.rate : this.rate;
    } else {
      this.rate = cfg.avg ? Math.floor(HASHLIMIT_SCALE / cfg.avg) : 0;
      this.rateBurst = cfg.burst + this.rate;
    }
  }

  /** Whether the garbage collector has removed an entry that expires at `expires` by `now`. */
  collected(expires: number, now: number): boolean {
    const gc = this.cfg.gcInterval / 1000;
    const tick = this.t0 + Math.max(0, Math.ceil((expires - this.t0) / gc)) * gc;
    return tick <= now;
  }

  /** htable_selective_cleanup(select_gc) as of `now`. */
  sweep(now: number): void {
    for (const [k, inner] of this.entries) {
      for (const [k2, e] of inner) {
        if (this.collected(e.expires, now)) {
          inner.delete(k2);
          this.count--;
        }
      }
      if (inner.size === 0) this.entries.delete(k);
    }
  }
}

const maskOf = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/** The table named like `m`, made from `m` when it is the first rule to name it (htable_find_get). */
export function hashlimitTable(shared: XtShared, m: HashlimitMatch): HashlimitTable {
  const key = `hashlimit:${m.name}`;
  let t = shared.get(key) as HashlimitTable | undefined;
  if (t === undefined) shared.set(key, (t = new HashlimitTable(m)));
  return t;
}

/** The rule's view of its table. */
export interface HashlimitState {
  readonly table: HashlimitTable;
}

const hasPorts = (skb: Skb): boolean => skb.proto === IPPROTO_TCP || skb.proto === IPPROTO_UDP;

/** hashlimit_init_dst: the two halves of the packet's key. */
function keyHi(t: HashlimitTable, skb: Skb): number {
  const c = t.cfg;
  const sport = c.srcport && hasPorts(skb) ? skb.sport : 0;
  return ((skb.src & t.srcMask) >>> 0) * 65536 + sport;
}
function keyLo(t: HashlimitTable, skb: Skb): number {
  const c = t.cfg;
  const dport = c.dstport && hasPorts(skb) ? skb.dport : 0;
  return ((skb.dst & t.dstMask) >>> 0) * 65536 + dport;
}

function newEntry(t: HashlimitTable, now: number): HlEntry {
  const c = t.cfg;
  return {
    expires: now + c.expire / 1000,
    prev: now,
    credit: c.bytes ? BYTE_UNIT : t.cost * c.burst,
    creditCap: c.bytes ? c.burst : 0,
    currentRate: 0,
    prevWindow: false,
  };
}

/** rateinfo_recalc. */
function recalc(t: HashlimitTable, e: HlEntry, now: number): void {
  const c = t.cfg;
  const delta = now - e.prev;
  if (delta <= 0) return;
  if (c.rateMatch) {
    const interval = c.interval;
    if (delta < interval) return;
    e.prev = now;
    e.prevWindow = e.currentRate * interval > delta * t.rate;
    e.currentRate = 0;
    return;
  }
  e.prev = now;
  if (c.bytes) e.credit = Math.min(BYTE_UNIT, e.credit + delta * BYTE_UNIT);
  else e.credit = Math.min(t.cost * c.burst, e.credit + delta);
}

/** Looks up (or makes) the packet's entry; undefined when the table is full (the kernel drops). */
function entryFor(t: HashlimitTable, skb: Skb, now: number): HlEntry | undefined {
  if (t.t0 < 0) t.t0 = now;
  const hi = keyHi(t, skb);
  const lo = keyLo(t, skb);
  let inner = t.entries.get(hi);
  let e = inner?.get(lo);
  if (e !== undefined && t.collected(e.expires, now)) {
    inner!.delete(lo);
    t.count--;
    e = undefined;
  }
  if (e !== undefined) {
    e.expires = now + t.cfg.expire / 1000;
    recalc(t, e, now);
    return e;
  }
  if (t.count >= t.max) {
    t.sweep(now);
    if (t.count >= t.max) return undefined;
    inner = t.entries.get(hi);
  }
  e = newEntry(t, now);
  if (inner === undefined) t.entries.set(hi, (inner = new Map()));
  inner.set(lo, e);
  t.count++;
  return e;
}

export const hashlimitMatch: XtMatch<HashlimitMatch, HashlimitState> = {
  check: (m, caps) => needs(m.module, 'the time (skb.now)', caps.clock),
  newState: (m, shared) => ({ table: hashlimitTable(shared, m) }),
  match(m, skb, st) {
    const t = st.table;
    const now = skb.now;
    const e = entryFor(t, skb, now);
    // A full table (hashlimit_mt_common: dsthash_alloc_init fails, "max count of N reached"):
    // the kernel drops the packet (hotdrop), whatever the rule says.
    if (e === undefined) {
      skb.hotdrop = true;
      return false;
    }
    const c = t.cfg;
    if (m.rateMatch) {
      e.currentRate += c.bytes ? skb.len : 1;
      return !e.prevWindow && e.currentRate <= t.rateBurst ? !m.above : m.above;
    }
    let cost: number;
    if (c.bytes) {
      // hashlimit_byte_cost: an empty bucket takes one of its refills first.
      cost = Math.min(BYTE_UNIT, ((skb.len >>> 4) + 1) * t.cost);
      if (e.credit < cost && e.creditCap > 0) {
        e.creditCap--;
        e.credit = BYTE_UNIT;
      }
    } else cost = t.cost;
    if (e.credit >= cost) {
      e.credit -= cost;
      return !m.above;
    }
    return m.above;
  },
  describe(m, skb, st) {
    const t = st?.table;
    const key: string[] = [];
    if (t?.cfg.srcip) key.push(`src ${formatIpv4((skb.src & t.srcMask) >>> 0)}`);
    if (t?.cfg.srcport && hasPorts(skb)) key.push(`sport ${skb.sport}`);
    if (t?.cfg.dstip) key.push(`dst ${formatIpv4((skb.dst & t.dstMask) >>> 0)}`);
    if (t?.cfg.dstport && hasPorts(skb)) key.push(`dport ${skb.dport}`);
    const which = key.length ? ` for ${key.join(', ')}` : ' (one bucket for all packets)';
    return m.above
      ? `hashlimit --hashlimit-above --hashlimit-name ${m.name}${which}: within the rate`
      : `hashlimit --hashlimit-upto --hashlimit-name ${m.name}${which}: over the rate (bucket empty)`;
  },
};
