// One forwarding information base per address family, behind one interface: what a host asks its
// routing (the best route to an address), adds to it, lists and prints. RouteTable is the IPv4
// FIB (addresses as uint32 numbers, the packet path's form); an IPv6 FIB would implement the same
// interface over 4-word addresses, and a host would hold one FIB per family (Fibs) and pick the
// packet's. Knows nothing of packets.
import type { Family, Words6 } from '../wire/addr.ts';

/** What every family's route has: the prefix length, the device, the metric, where it came from. */
export interface FibRoute {
  readonly len: number;
  readonly dev: string;
  readonly metric: number;
  /** 'kernel' for connected routes, 'static' for routes from the scenario. */
  readonly origin: 'kernel' | 'static';
}

/**
 * A family's FIB: `A` is its address in the packet path's form (IPv4: a uint32; IPv6: 4 words),
 * `R` its route.
 */
export interface Fib<A, R extends FibRoute> {
  readonly family: Family;
  /** Adds a route (longest prefix first, then lowest metric, is what lookup finds). */
  add(r: R): void;
  /** Removes the routes for which `drop` says so (e.g. the connected routes of an address). */
  removeWhere(drop: (r: R) => boolean): void;
  /** The best route to `dst` (fib_table_lookup), or undefined: "Network is unreachable". */
  lookup(dst: A): R | undefined;
  /** The routes, in lookup order. */
  list(): readonly R[];
  /** `ip route` lines (`ip -6 route` for IPv6), as the tool lists the main table. */
  format(): string[];
}

/** An IPv6 route (no IPv6 FIB is built yet: the shape an IPv6 table implements Fib with). */
export interface Route6 extends FibRoute {
  readonly addr: Words6;
  /** All zeros for a directly connected destination. */
  readonly via: Words6;
  /** Preferred source address, all zeros when none. */
  readonly src: Words6;
}

/** An IPv6 FIB: addresses as 4 words, most significant first. */
export type Fib6 = Fib<Words6, Route6>;
