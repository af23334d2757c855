// A host's IPv4 routing table (its IPv4 FIB, fib.ts): connected routes from interface addresses,
// routes written in `ip route` syntax, and lookup by longest prefix then lowest metric
// (fib_table_lookup's answer for the main table). Knows nothing of packets.
import {
  AF_INET,
  AF_INET6,
  formatIpv4,
  formatPrefix,
  maskLength,
  parseIpv4,
  parsePrefix,
  prefixMask,
  type Result,
} from '../wire/addr.ts';
import type { Fib, Fib6, FibRoute } from './fib.ts';

export interface Route extends FibRoute {
  readonly addr: number;
  readonly mask: number;
  readonly len: number;
  /** 0 for a directly connected destination. */
  readonly via: number;
  readonly dev: string;
  /** Preferred source address (`src`), 0 when none. */
  readonly src: number;
  readonly metric: number;
  /** 'kernel' for connected routes, 'static' for routes from the scenario. */
  readonly origin: 'kernel' | 'static';
}

export interface ParsedRoute {
  readonly addr: number;
  readonly mask: number;
  readonly len: number;
  readonly via: number;
  readonly dev: string | undefined;
  readonly src: number;
  readonly metric: number;
}

/**
 * Parses one route in `ip route add` syntax: `default via 192.168.1.1`,
 * `10.0.0.0/8 via 10.1.1.1 dev eth1 metric 10`, `192.0.2.0/24 dev wan src 192.0.2.7`.
 * Errors name the word and what was expected, with its 0-based offset in the text.
 */
export function parseRoute(
  text: string,
): Result<ParsedRoute, { offset: number; token: string; message: string }> {
  const words: { w: string; at: number }[] = [];
  for (const m of text.matchAll(/\S+/g)) words.push({ w: m[0], at: m.index });
  const fail = (i: number, message: string) => {
    const t = words[i] ?? { w: '', at: text.length };
    return { ok: false as const, error: { offset: t.at, token: t.w, message } };
  };
  if (words.length === 0) return fail(0, 'empty route: expected "default" or a prefix such as 10.0.0.0/8');
  let i = 0;
  let addr = 0;
  let len = 0;
  const first = words[0]!.w;
  if (first !== 'default') {
    const p = parsePrefix(first.includes('/') ? first : `${first}/32`);
    if (!p.ok) return fail(0, `bad destination "${first}": ${p.error}`);
    addr = p.value.addr;
    len = maskLength(p.value.mask);
    if (len < 0) return fail(0, `bad destination "${first}": the mask is not a prefix`);
  }
  i++;
  let via = 0;
  let dev: string | undefined;
  let src = 0;
  let metric = 0;
  while (i < words.length) {
    const key = words[i]!.w;
    const val = words[i + 1]?.w;
    if (val === undefined && ['via', 'dev', 'src', 'metric', 'proto', 'scope'].includes(key)) {
      return fail(i, `"${key}" needs a value`);
    }
    switch (key) {
      case 'via': {
        const a = parseIpv4(val!);
        if (!a.ok) return fail(i + 1, `bad gateway: ${a.error}`);
        via = a.value;
        break;
      }
      case 'dev':
        dev = val!;
        break;
      case 'src': {
        const a = parseIpv4(val!);
        if (!a.ok) return fail(i + 1, `bad preferred source: ${a.error}`);
        src = a.value;
        break;
      }
      case 'metric':
        if (!/^\d+$/.test(val!)) return fail(i + 1, `bad metric "${val}": expected a number`);
        metric = Number(val);
        break;
      case 'proto':
      case 'scope':
        break; // accepted and ignored: they do not change the lookup
      default:
        return fail(i, `unknown route keyword "${key}" (expected via, dev, src, metric)`);
    }
    i += 2;
  }
  if (via === 0 && dev === undefined)
    return fail(words.length, 'a route needs "via GATEWAY" or "dev DEVICE"');
  return { ok: true, value: { addr, mask: prefixMask(len), len, via, dev, src, metric } };
}

/** The IPv4 FIB: addresses as uint32 numbers. */
export type Fib4 = Fib<number, Route>;

/** A host's FIBs, one per family, by family number; IPv6 is absent until it is simulated. */
export interface Fibs {
  readonly [AF_INET]: Fib4;
  readonly [AF_INET6]?: Fib6;
}

export class RouteTable implements Fib4 {
  readonly family = AF_INET;
  readonly routes: Route[] = [];

  add(r: Route): void {
    this.routes.push(r);
    // Longest prefix first, then lowest metric: lookup takes the first match.
    this.routes.sort((a, b) => b.len - a.len || a.metric - b.metric);
  }

  /** Removes the routes for which `drop` says so (e.g. the connected routes of an address). */
  removeWhere(drop: (r: Route) => boolean): void {
    for (let i = this.routes.length - 1; i >= 0; i--) if (drop(this.routes[i]!)) this.routes.splice(i, 1);
  }

  /** The best route to `dst`, or undefined (the kernel's "Network is unreachable"). */
  lookup(dst: number): Route | undefined {
    for (const r of this.routes) if ((dst & r.mask) >>> 0 === r.addr) return r;
    return undefined;
  }

  /** The routes, in lookup order. */
  list(): readonly Route[] {
    return this.routes;
  }

  /** `ip route` lines, as the tool lists the main table. */
  format(): string[] {
    return this.routes.map((r) => {
      const dest =
        r.len === 0
          ? 'default'
          : r.len === 32
            ? formatIpv4(r.addr)
            : formatPrefix({ addr: r.addr, mask: r.mask });
      const parts = [dest];
      if (r.via) parts.push(`via ${formatIpv4(r.via)}`);
      parts.push(`dev ${r.dev}`);
      if (r.origin === 'kernel') parts.push('proto kernel scope link');
      if (r.src) parts.push(`src ${formatIpv4(r.src)}`);
      if (r.metric) parts.push(`metric ${r.metric}`);
      return parts.join(' ');
    });
  }
}
