// The path MTU a host learned per destination (the kernel's next-hop exceptions, fib_nh_exception,
// made by __ip_rt_update_pmtu in net/ipv4/route.c when an ICMP "fragmentation needed" reaches a
// socket), and the MTU a route gives: ipv4_mtu (local output: a learned PMTU not yet expired, else
// the route's `mtu` metric, else the device's MTU) and ip_dst_mtu_maybe_forward (forwarding: the
// route's metric or the device's MTU; a learned PMTU only when the metric is locked or
// ip_forward_use_pmtu is set). Knows nothing of packets.
import type { Route } from './table.ts';

/** net.ipv4.route.mtu_expires: seconds a learned PMTU lasts (ip_rt_mtu_expires, 10 minutes). */
export const IP_RT_MTU_EXPIRES = 600;
/** net.ipv4.route.min_pmtu: a smaller MTU is raised to it and locked (ip_rt_min_pmtu, 512 + 20 + 20). */
export const IP_RT_MIN_PMTU = 552;
/** IP_MAX_MTU. */
export const IP_MAX_MTU = 0xfff0;

/** A learned PMTU (fnhe_pmtu, fnhe_expires, fnhe_mtu_locked). */
export interface PmtuEntry {
  readonly mtu: number;
  readonly expires: number;
  readonly locked: boolean;
}

/**
 * The route's own `mtu` attribute (RTAX_MTU) and whether it is locked (`mtu lock N`); 0 when the
 * route has none. The routing table's Route carries `mtu`/`mtuLock` when the scenario writes them.
 */
export function routeMtu(r: Route): { mtu: number; locked: boolean } {
  const x = r as Route & { readonly mtu?: number; readonly mtuLock?: boolean; readonly lockMtu?: boolean };
  return { mtu: x.mtu ?? 0, locked: x.mtuLock ?? x.lockMtu ?? false };
}

/** The route's `advmss` attribute (RTAX_ADVMSS), 0 when it has none. */
export function routeAdvmss(r: Route): number {
  return (r as Route & { readonly advmss?: number }).advmss ?? 0;
}

/** One host's learned path MTUs, by destination address. */
export class PmtuCache {
  private readonly byDst = new Map<number, PmtuEntry>();
  /** The most destinations remembered (an explicit bound; the oldest is forgotten first). */
  static readonly MAX = 4096;

  constructor(
    private readonly expiresAfter = IP_RT_MTU_EXPIRES,
    private readonly minPmtu = IP_RT_MIN_PMTU,
  ) {}

  /** The learned, unexpired entry for `dst`. */
  get(dst: number, now: number): PmtuEntry | undefined {
    const e = this.byDst.get(dst);
    if (!e) return undefined;
    if (now >= e.expires) {
      this.byDst.delete(dst);
      return undefined;
    }
    return e;
  }

  /**
   * __ip_rt_update_pmtu: an ICMP fragmentation needed said `mtu` for `dst`, whose MTU is now
   * `oldMtu` (ipv4_mtu). A larger MTU than the current one is ignored; one below min_pmtu is raised
   * to it (or to the current MTU when that is smaller) and locked; the entry expires after
   * mtu_expires seconds. A route whose MTU is locked learns nothing. Returns whether it changed.
   */
  update(dst: number, mtu: number, oldMtu: number, routeLocked: boolean, now: number): boolean {
    if (routeLocked) return false;
    if (oldMtu < mtu) return false;
    let lock = false;
    if (mtu < this.minPmtu) {
      lock = true;
      mtu = Math.min(oldMtu, this.minPmtu);
    }
    const cur = this.get(dst, now);
    if (cur && cur.mtu === mtu && !lock && now < cur.expires - this.expiresAfter / 2) return false;
    if (!cur && this.byDst.size >= PmtuCache.MAX) {
      const oldest = this.byDst.keys().next();
      if (!oldest.done) this.byDst.delete(oldest.value);
    }
    this.byDst.delete(dst);
    this.byDst.set(dst, { mtu, expires: now + this.expiresAfter, locked: lock });
    return true;
  }

  /** Forgets everything (`ip route flush cache`). */
  flush(): void {
    this.byDst.clear();
  }

  /**
   * ipv4_mtu: the MTU a locally sent packet to `dst` by route `r` leaves with: the learned PMTU,
   * else the route's metric, else `devMtu`.
   */
  outputMtu(r: Route, dst: number, devMtu: number, now: number): number {
    const e = this.get(dst, now);
    if (e) return Math.min(e.mtu, IP_MAX_MTU);
    const m = routeMtu(r).mtu;
    return Math.min(m || devMtu, IP_MAX_MTU);
  }

  /**
   * ip_dst_mtu_maybe_forward(forwarding = true): a locked route metric (or ip_forward_use_pmtu)
   * lets a learned PMTU count; else the route's metric, else the device's MTU.
   */
  forwardMtu(r: Route, dst: number, devMtu: number, usePmtu: boolean, now: number): number {
    const rm = routeMtu(r);
    if (usePmtu || rm.locked) {
      const e = this.get(dst, now);
      if (e) return Math.min(e.mtu, IP_MAX_MTU);
    }
    return Math.min(rm.mtu || devMtu, IP_MAX_MTU);
  }

  /**
   * What `ip route get DST` adds for a learned PMTU, with its leading space:
   * ` cache expires 599sec mtu 1400` (`mtu lock 552` when locked); '' when there is none.
   */
  routeGetSuffix(dst: number, now: number): string {
    const t = this.cacheText(dst, now);
    return t === '' ? '' : ` cache ${t}`;
  }

  /** The learned PMTU's words on `ip route get`'s cache line: `expires 599sec mtu 1400`, or ''. */
  cacheText(dst: number, now: number): string {
    const e = this.get(dst, now);
    if (!e) return '';
    const left = Math.max(0, Math.floor(e.expires - now - 1e-9));
    return `expires ${left}sec mtu ${e.locked ? 'lock ' : ''}${e.mtu}`;
  }
}
