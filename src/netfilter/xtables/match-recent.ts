// -m recent (xt_recent.c recent_mt, revision 1): named tables of addresses, each with the times
// it was seen, shared by every rule of the engine that names them (the kernel keeps them per
// network namespace; here in the engine instance's XtShared, made when a chain using the name is
// compiled). Per table at most ip_list_tot = 100 addresses, the least recently touched one
// evicted for a new one; per address a ring of nstamps_max_mask + 1 times (ip_pkt_list_tot is 0
// by default: 32, or the next power of two of the largest --hitcount of the table's rules). The
// table's mask is the one of the rule that made it (recent_mt_check copies it once).
// Times are the simulation clock (skb.now, seconds) where the kernel counts jiffies.
import type { Skb } from '../core/skb.ts';
import { formatIpv4 } from '../../wire/addr.ts';
import { needs, type MatchOf, type XtMatch, type XtShared } from './xt-match.ts';

/** ip_list_tot: addresses remembered per table. */
export const RECENT_LIST_TOT = 100;

/** One address of a table (struct recent_entry): its seen-times ring and its LRU neighbours. */
export interface RecentEntry {
  addr: number;
  ttl: number;
  stamps: Float64Array;
  /** One past the last written stamp, 1..nstamps_max_mask + 1 (the kernel's `index`). */
  index: number;
  nstamps: number;
  older: RecentEntry | undefined;
  newer: RecentEntry | undefined;
}

/** One named table (struct recent_table). */
export class RecentTable {
  readonly byAddr = new Map<number, RecentEntry>();
  /** The LRU list: oldest first. */
  oldest: RecentEntry | undefined = undefined;
  newest: RecentEntry | undefined = undefined;
  constructor(
    readonly name: string,
    readonly mask: number,
    public nstampsMaxMask: number,
  ) {}

  get entries(): number {
    return this.byAddr.size;
  }

  /** recent_entry_lookup: the entry of `addr`; with a TTL, only one seen with that TTL (or 0). */
  lookup(addr: number, ttl: number): RecentEntry | undefined {
    const e = this.byAddr.get(addr);
    return e !== undefined && (ttl === 0 || e.ttl === 0 || e.ttl === ttl) ? e : undefined;
  }

  remove(e: RecentEntry): void {
    this.unlink(e);
    this.byAddr.delete(e.addr);
  }

  /** recent_entry_init: a new entry seen now (the oldest one goes when the table is full). */
  init(addr: number, ttl: number, now: number): RecentEntry {
    if (this.byAddr.size >= RECENT_LIST_TOT && this.oldest) this.remove(this.oldest);
    const e: RecentEntry = {
      addr,
      ttl,
      stamps: new Float64Array(this.nstampsMaxMask + 1),
      index: 1,
      nstamps: 1,
      older: undefined,
      newer: undefined,
    };
    e.stamps[0] = now;
    this.byAddr.set(addr, e);
    this.linkNewest(e);
    return e;
  }

  /** recent_entry_update: one more time in the ring; the entry becomes the most recent. */
  update(e: RecentEntry, now: number): void {
    e.index &= this.nstampsMaxMask;
    e.stamps[e.index++] = now;
    if (e.index > e.nstamps) e.nstamps = e.index;
    this.unlink(e);
    this.linkNewest(e);
  }

  /** recent_entry_reap: the oldest entry goes when its last time is before `time`. */
  reap(time: number, working: RecentEntry, update: boolean): void {
    const e = this.oldest;
    if (e === undefined || (e === working && update)) return;
    if (e.stamps[e.index - 1]! < time) this.remove(e);
  }

  flush(): void {
    this.byAddr.clear();
    this.oldest = this.newest = undefined;
  }

  private unlink(e: RecentEntry): void {
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.newest = e.older;
    e.older = e.newer = undefined;
  }

  private linkNewest(e: RecentEntry): void {
    e.older = this.newest;
    e.newer = undefined;
    if (this.newest) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
  }
}

/** roundup_pow_of_two(n) - 1, as recent_mt_check sizes the rings. */
function stampsMask(hitcount: number): number {
  if (!hitcount) return 31;
  let p = 1;
  while (p < hitcount) p *= 2;
  return p - 1;
}

/** The table named `name` of this engine, made (or its rings widened) as recent_mt_check does. */
export function recentTable(shared: XtShared, name: string, mask: number, hitcount: number): RecentTable {
  const key = `recent:${name}`;
  const want = stampsMask(hitcount);
  let t = shared.get(key) as RecentTable | undefined;
  if (t === undefined) {
    t = new RecentTable(name, mask, want);
    shared.set(key, t);
  } else if (want > t.nstampsMaxMask) {
    t.flush();
    t.nstampsMaxMask = want;
  }
  return t;
}

/** The packet's TTL as recent_mt reads it: one more when forwarded ("as seen before forwarding"). */
function packetTtl(skb: Skb): number {
  const ttl = skb.buf[skb.off + 8]!;
  return skb.outIf !== '' && skb.inIf !== '' ? (ttl + 1) & 0xff : ttl;
}

/** The rule's view of its table. */
export interface RecentState {
  readonly table: RecentTable;
}

export const recentMatch: XtMatch<MatchOf<'recent'>, RecentState> = {
  check: (m, caps) => needs(m.module, 'the time (skb.now)', caps.clock),
  newState: (m, shared) => ({ table: recentTable(shared, m.name, m.mask, m.hitcount) }),
  match(m, skb, st) {
    const t = st.table;
    let ret = m.invert;
    const addr = ((m.side === 'dest' ? skb.dst : skb.src) & t.mask) >>> 0;
    const ttl = packetTtl(skb);
    const now = skb.now;
    const e = t.lookup(addr, m.rttl ? ttl : 0);
    if (e === undefined) {
      if (m.command !== 'set') return ret;
      t.init(addr, ttl, now);
      return !ret;
    }
    if (m.command === 'set') ret = !ret;
    else if (m.command === 'remove') {
      t.remove(e);
      return !ret;
    } else {
      const time = now - m.seconds;
      let hits = 0;
      for (let i = 0; i < e.nstamps; i++) {
        if (m.seconds && e.stamps[i]! < time) continue;
        if (!m.hitcount || ++hits >= m.hitcount) {
          ret = !ret;
          break;
        }
      }
      if (m.reap) t.reap(time, e, m.command === 'update' && ret);
    }
    if (m.command === 'set' || (m.command === 'update' && ret)) {
      t.update(e, now);
      e.ttl = ttl;
    }
    return ret;
  },
  describe(m, skb, st) {
    const addr = ((m.side === 'dest' ? skb.dst : skb.src) & (st ? st.table.mask : 0xffffffff)) >>> 0;
    const who = formatIpv4(addr);
    const pre = `recent${m.invert ? ' (inverted)' : ''} --${m.command} --name ${m.name}`;
    const e = st?.table.lookup(addr, m.rttl ? packetTtl(skb) : 0);
    if (m.invert || !e || m.command === 'set' || m.command === 'remove')
      return `${pre}: ${who} is ${e ? '' : 'not '}in the table${m.rttl ? ' with this TTL' : ''}`;
    // The trace runs after the match: count as it did, without changing the table.
    let hits = 0;
    for (let i = 0; i < e.nstamps; i++) if (!m.seconds || e.stamps[i]! >= skb.now - m.seconds) hits++;
    const within = m.seconds ? ` in the last ${m.seconds} s` : '';
    return `${pre}: ${who} seen ${hits} time${hits === 1 ? '' : 's'}${within}, needs ${m.hitcount || 1}`;
  },
};
