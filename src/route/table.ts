// A host's IPv4 routing table (its IPv4 FIB, fib.ts): connected routes from interface addresses,
// routes written in `ip route add` syntax (every route type, tables, tos, metrics, `src`, `mtu`,
// `advmss`, multipath `nexthop`s), and lookup as fib_table_lookup answers it: the longest prefix,
// then among that prefix's routes (tos descending, then metric ascending, then the order they were
// added) the first whose tos matches the flow's; a route type other than unicast/local/broadcast
// answers with its error (blackhole EINVAL, unreachable EHOSTUNREACH, prohibit EACCES, throw
// EAGAIN: the next rule). The lookup is an open-addressing hash over (prefix, length) probed from
// the longest length present, so a 100,000-route table answers in well under a microsecond.
// Knows nothing of packets.
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

// Route types (rtm_type, include/uapi/linux/rtnetlink.h).
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;

/** Route type names as iproute2 prints and reads them (rtnl_rtntype_n2a). */
export const RTN_NAMES: Readonly<Record<number, string>> = {
  [RTN_UNICAST]: 'unicast',
  [RTN_LOCAL]: 'local',
  [RTN_BROADCAST]: 'broadcast',
  [RTN_BLACKHOLE]: 'blackhole',
  [RTN_UNREACHABLE]: 'unreachable',
  [RTN_PROHIBIT]: 'prohibit',
  [RTN_THROW]: 'throw',
};

// Routing table ids (rt_class_t).
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

// Route scopes (rt_scope_t).
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

// Errors a lookup answers with (the kernel's negative errnos, as positive numbers here).
export const EINVAL = 22;
export const EACCES = 13;
export const EHOSTUNREACH = 113;
export const ENETUNREACH = 101;
export const EAGAIN = 11;
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EINVAL]: 'EINVAL',
  [EACCES]: 'EACCES',
  [EHOSTUNREACH]: 'EHOSTUNREACH',
  [ENETUNREACH]: 'ENETUNREACH',
};

/** fib_props[type].error: what a route of each type answers (0: a route to use). */
export function routeTypeError(type: number): number {
  switch (type) {
    case RTN_BLACKHOLE:
      return EINVAL;
    case RTN_UNREACHABLE:
      return EHOSTUNREACH;
    case RTN_PROHIBIT:
      return EACCES;
    case RTN_THROW:
      return EAGAIN;
    default:
      return 0;
  }
}

/** One path of a multipath route (`nexthop via A dev D weight W`). */
export interface Nexthop {
  readonly via: number;
  readonly dev: string;
  readonly weight: number;
  /** fib_nh_upper_bound: the hash (31 bits) up to which this path is chosen. */
  readonly upper: number;
}

export interface Route extends FibRoute {
  readonly addr: number;
  readonly mask: number;
  readonly len: number;
  /** 0 for a directly connected destination (and for a multipath route: see nexthops). */
  readonly via: number;
  /** The device ('' for blackhole, unreachable, prohibit and throw routes). */
  readonly dev: string;
  /** Preferred source address (`src`), 0 when none. */
  readonly src: number;
  readonly metric: number;
  /** 'kernel' for connected routes, 'static' for routes from the scenario. */
  readonly origin: 'kernel' | 'static';
  /** RTN_* (absent: unicast). */
  readonly type?: number;
  /** The table the route is in (absent: main). */
  readonly table?: number;
  /** `tos T`: the route is only for flows with this TOS (0 or absent: any). */
  readonly tos?: number;
  /** rtm_scope (absent: link for a route without gateway, else universe). */
  readonly scope?: number;
  /** `proto` as written (absent: boot; connected routes are 'kernel'). */
  readonly proto?: string;
  /** `mtu [lock] N` (absent: the device's). */
  readonly mtu?: number;
  readonly mtuLock?: boolean;
  /** `advmss N`. */
  readonly advmss?: number;
  /** A multipath route's paths, with their weights (absent: one path, via/dev). */
  readonly nexthops?: readonly Nexthop[];
}

export interface ParsedNexthop {
  readonly via: number;
  readonly dev: string | undefined;
  readonly weight: number;
  /** Offset of the `nexthop` word in the text (for errors). */
  readonly at: number;
}

export interface ParsedRoute {
  readonly addr: number;
  readonly mask: number;
  readonly len: number;
  readonly via: number;
  readonly dev: string | undefined;
  readonly src: number;
  readonly metric: number;
  /** RTN_* (RTN_UNICAST when no type word was given). */
  readonly type: number;
  /** Table id (RT_TABLE_MAIN unless `table` says; RT_TABLE_LOCAL for local/broadcast routes). */
  readonly table: number;
  readonly tos: number;
  readonly scope: number | undefined;
  readonly proto: string | undefined;
  readonly mtu: number | undefined;
  readonly mtuLock: boolean;
  readonly advmss: number | undefined;
  readonly nexthops: readonly ParsedNexthop[] | undefined;
  /** Offsets of words a builder checks further (the device, the gateway). */
  readonly devAt: number;
  readonly viaAt: number;
}

type ParseError = { offset: number; token: string; message: string };

const TYPE_WORDS: Readonly<Record<string, number>> = {
  unicast: RTN_UNICAST,
  local: RTN_LOCAL,
  broadcast: RTN_BROADCAST,
  blackhole: RTN_BLACKHOLE,
  unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT,
  throw: RTN_THROW,
};
const NO_NEXTHOP = (type: number): boolean =>
  type === RTN_BLACKHOLE || type === RTN_UNREACHABLE || type === RTN_PROHIBIT || type === RTN_THROW;

const SCOPE_WORDS: Readonly<Record<string, number>> = {
  global: RT_SCOPE_UNIVERSE,
  universe: RT_SCOPE_UNIVERSE,
  site: 200,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
  nowhere: RT_SCOPE_NOWHERE,
};
const SCOPE_NAMES: Readonly<Record<number, string>> = {
  0: 'global',
  200: 'site',
  [RT_SCOPE_LINK]: 'link',
  [RT_SCOPE_HOST]: 'host',
  [RT_SCOPE_NOWHERE]: 'nowhere',
};
const PROTO_WORDS = ['kernel', 'boot', 'static', 'dhcp', 'redirect', 'bird', 'zebra', 'bgp', 'ospf', 'babel'];

/** A table id from `local`, `main`, `default` or a number (1..2^32-1), else undefined. */
export function parseTableId(w: string): number | undefined {
  if (w === 'local') return RT_TABLE_LOCAL;
  if (w === 'main') return RT_TABLE_MAIN;
  if (w === 'default') return RT_TABLE_DEFAULT;
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(w)) {
    const n = Number(w);
    if (n >= 1 && n <= 0xffffffff) return n;
  }
  return undefined;
}

/** A table id as iproute2 names it (rtnl_rttable_n2a). */
export function tableName(id: number): string {
  return id === RT_TABLE_LOCAL
    ? 'local'
    : id === RT_TABLE_MAIN
      ? 'main'
      : id === RT_TABLE_DEFAULT
        ? 'default'
        : String(id);
}

/** A number 0..max in decimal or 0x hex, else undefined. */
function num(w: string | undefined, max: number): number | undefined {
  if (w === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(w)) return undefined;
  const n = Number(w);
  return n <= max ? n : undefined;
}

/**
 * Parses one route in `ip route add` syntax: `default via 192.168.1.1`,
 * `10.0.0.0/8 via 10.1.1.1 dev eth1 metric 10`, `192.0.2.0/24 dev wan src 192.0.2.7`,
 * `unreachable default table 100`, `blackhole 10.0.2.30/32`, `local 0.0.0.0/0 dev lo table 100`,
 * `default nexthop via 10.0.1.1 weight 2 nexthop via 10.0.2.1`, `10.7.0.0/16 via 10.0.2.1 mtu lock 1400`.
 * Errors name the word and what was expected, with its 0-based offset in the text.
 */
export function parseRoute(text: string): Result<ParsedRoute, ParseError> {
  const words: { w: string; at: number }[] = [];
  for (const m of text.matchAll(/\S+/g)) words.push({ w: m[0], at: m.index });
  const fail = (i: number, message: string) => {
    const t = words[i] ?? { w: '', at: text.length };
    return { ok: false as const, error: { offset: t.at, token: t.w, message } };
  };
  if (words.length === 0) return fail(0, 'empty route: expected "default" or a prefix such as 10.0.0.0/8');
  let i = 0;
  let type = RTN_UNICAST;
  const tw = TYPE_WORDS[words[0]!.w];
  if (tw !== undefined && words.length > 1) {
    type = tw;
    i++;
  }
  let addr = 0;
  let len = 0;
  const first = words[i]?.w;
  if (first === undefined) return fail(i, 'expected "default" or a prefix such as 10.0.0.0/8');
  if (first !== 'default' && first !== 'all' && first !== 'any') {
    const p = parsePrefix(first.includes('/') ? first : `${first}/32`);
    if (!p.ok) return fail(i, `bad destination "${first}": ${p.error}`);
    addr = p.value.addr;
    len = maskLength(p.value.mask);
    if (len < 0) return fail(i, `bad destination "${first}": the mask is not a prefix`);
    if ((addr & ~p.value.mask) >>> 0 !== 0)
      return fail(
        i,
        `bad destination "${first}": host bits are set (Linux: "Invalid prefix for given prefix length")`,
      );
  }
  i++;
  let via = 0;
  let viaAt = -1;
  let dev: string | undefined;
  let devAt = -1;
  let src = 0;
  let metric = 0;
  let table: number | undefined;
  let tos = 0;
  let scope: number | undefined;
  let proto: string | undefined;
  let mtu: number | undefined;
  let mtuLock = false;
  let advmss: number | undefined;
  let nexthops: ParsedNexthop[] | undefined;
  const NEEDS = [
    'via',
    'dev',
    'oif',
    'src',
    'metric',
    'preference',
    'priority',
    'proto',
    'protocol',
    'scope',
    'table',
    'tos',
    'dsfield',
    'mtu',
    'advmss',
    'weight',
  ];
  while (i < words.length) {
    const key = words[i]!.w;
    const val = words[i + 1]?.w;
    if (val === undefined && NEEDS.includes(key)) return fail(i, `"${key}" needs a value`);
    if (
      nexthops !== undefined &&
      key !== 'nexthop' &&
      key !== 'via' &&
      key !== 'dev' &&
      key !== 'weight' &&
      key !== 'onlink'
    )
      return fail(i, `"${key}" after "nexthop": route attributes go before the first nexthop`);
    switch (key) {
      case 'via': {
        const a = parseIpv4(val === 'inet' ? (words[i + 2]?.w ?? '') : val!);
        if (val === 'inet') i++;
        if (!a.ok) return fail(i + 1, `bad gateway: ${a.error}`);
        if (nexthops) {
          const nh = nexthops[nexthops.length - 1]!;
          nexthops[nexthops.length - 1] = { ...nh, via: a.value };
        } else {
          via = a.value;
          viaAt = words[i + 1]!.at;
        }
        break;
      }
      case 'dev':
      case 'oif':
        if (nexthops) {
          const nh = nexthops[nexthops.length - 1]!;
          nexthops[nexthops.length - 1] = { ...nh, dev: val! };
        } else {
          dev = val!;
          devAt = words[i + 1]!.at;
        }
        break;
      case 'weight': {
        const w = num(val, 256);
        if (!nexthops) return fail(i, '"weight" belongs to a "nexthop"');
        if (w === undefined || w < 1) return fail(i + 1, `bad weight "${val}": expected 1 to 256`);
        const nh = nexthops[nexthops.length - 1]!;
        nexthops[nexthops.length - 1] = { ...nh, weight: w };
        break;
      }
      case 'nexthop':
        if (NO_NEXTHOP(type)) return fail(i, `a ${RTN_NAMES[type]} route has no nexthop`);
        if (via !== 0 || dev !== undefined)
          return fail(i, '"nexthop" with "via"/"dev" before it: give every path as a nexthop');
        (nexthops ??= []).push({ via: 0, dev: undefined, weight: 1, at: words[i]!.at });
        i += 1;
        continue;
      case 'onlink':
        i += 1;
        continue;
      case 'src': {
        const a = parseIpv4(val!);
        if (!a.ok) return fail(i + 1, `bad preferred source: ${a.error}`);
        src = a.value;
        break;
      }
      case 'metric':
      case 'preference':
      case 'priority': {
        const n = num(val, 0xffffffff);
        if (n === undefined) return fail(i + 1, `bad metric "${val}": expected a number`);
        metric = n;
        break;
      }
      case 'table': {
        const t = parseTableId(val!);
        if (t === undefined)
          return fail(i + 1, `bad table "${val}": expected local, main, default or a number 1..4294967295`);
        table = t;
        break;
      }
      case 'tos':
      case 'dsfield': {
        const n = num(val, 255);
        if (n === undefined) return fail(i + 1, `bad tos "${val}": expected a number 0..255 (0x10)`);
        tos = n;
        break;
      }
      case 'scope': {
        const s = SCOPE_WORDS[val!] ?? num(val, 255);
        if (s === undefined)
          return fail(i + 1, `bad scope "${val}": expected global, link, host or a number`);
        scope = s;
        break;
      }
      case 'proto':
      case 'protocol':
        if (!PROTO_WORDS.includes(val!) && num(val, 255) === undefined)
          return fail(i + 1, `bad proto "${val}": expected ${PROTO_WORDS.join(', ')} or a number`);
        proto = val!;
        break;
      case 'mtu': {
        let v = val!;
        if (v === 'lock') {
          mtuLock = true;
          i++;
          v = words[i + 1]?.w ?? '';
        }
        const n = num(v, 0xffffffff);
        if (n === undefined || n < 68) return fail(i + 1, `bad mtu "${v}": expected a number 68 or more`);
        mtu = n;
        break;
      }
      case 'advmss': {
        const n = num(val, 65535);
        if (n === undefined) return fail(i + 1, `bad advmss "${val}": expected a number`);
        advmss = n;
        break;
      }
      default:
        return fail(
          i,
          `unknown route keyword "${key}" (expected via, dev, src, metric, table, tos, proto, scope, mtu, advmss, nexthop)`,
        );
    }
    i += 2;
  }
  if (NO_NEXTHOP(type)) {
    if (via !== 0)
      return fail(
        words.findIndex((w) => w.w === 'via'),
        `a ${RTN_NAMES[type]} route has no gateway`,
      );
  } else if (nexthops) {
    for (const nh of nexthops) {
      if (nh.via === 0 && nh.dev === undefined) {
        const k = words.findIndex((w) => w.at === nh.at);
        return fail(k, 'a nexthop needs "via GATEWAY" or "dev DEVICE"');
      }
    }
  } else if (via === 0 && dev === undefined) {
    return fail(words.length, 'a route needs "via GATEWAY" or "dev DEVICE"');
  }
  if ((type === RTN_LOCAL || type === RTN_BROADCAST) && dev === undefined)
    return fail(words.length, `a ${RTN_NAMES[type]} route needs "dev DEVICE"`);
  // iproute2 puts local and broadcast routes in the local table unless told.
  const tbl = table ?? (type === RTN_LOCAL || type === RTN_BROADCAST ? RT_TABLE_LOCAL : RT_TABLE_MAIN);
  if (scope === RT_SCOPE_LINK && via !== 0)
    return fail(
      viaAt < 0 ? 0 : words.findIndex((w) => w.at === viaAt),
      'a gateway route cannot have scope link (Linux: "Nexthop has invalid gateway")',
    );
  return {
    ok: true,
    value: {
      addr,
      mask: prefixMask(len),
      len,
      via,
      dev,
      src,
      metric,
      type,
      table: tbl,
      tos,
      scope,
      proto,
      mtu,
      mtuLock,
      advmss,
      nexthops,
      devAt,
      viaAt,
    },
  };
}

/**
 * The upper bounds fib_rebalance gives a multipath route's paths: path k is chosen for a 31-bit
 * hash up to DIV_ROUND_CLOSEST(sum of weights 0..k << 31, total) - 1.
 */
export function nexthopBounds(nhs: readonly { via: number; dev: string; weight: number }[]): Nexthop[] {
  const total = nhs.reduce((s, n) => s + n.weight, 0);
  let w = 0;
  return nhs.map((n) => {
    w += n.weight;
    const upper = Math.floor((w * 2 ** 31 + total / 2) / total) - 1;
    return { via: n.via, dev: n.dev, weight: n.weight, upper };
  });
}

/** The IPv4 FIB: addresses as uint32 numbers. */
export type Fib4 = Fib<number, Route>;

/** A host's FIBs, one per family, by family number; IPv6 is absent until it is simulated. */
export interface Fibs {
  readonly [AF_INET]: Fib4;
  readonly [AF_INET6]?: Fib6;
}

const EMPTY = 0xff;

/** Prefixes a table holds before lookups use lenBits16 (below, probing each length present is as fast). */
const SMALL_TABLE = 64;

/** fib_alias order within one prefix: tos descending, then metric ascending, then insertion. */
const aliasOrder = (a: Route, b: Route): number => (b.tos ?? 0) - (a.tos ?? 0) || a.metric - b.metric;

export class RouteTable implements Fib4 {
  readonly family = AF_INET;
  /** The routes in the order they were added. */
  private all: Route[] = [];
  private sorted: Route[] | undefined = undefined;
  /** Open-addressing index over (prefix, length): keys, lengths (EMPTY when free), bucket ids. */
  private keys = new Int32Array(16);
  private lens = new Uint8Array(16).fill(EMPTY);
  private slots = new Int32Array(16);
  /** Each prefix's routes in fib_alias order (tos descending, metric ascending, then added). */
  private buckets: Route[][] = [];
  private count = 0;
  /** The prefix lengths present, longest first, and their masks. */
  private present = new Int8Array(0);
  private masks = new Int32Array(0);
  private lenCount = new Int32Array(33);
  /**
   * For each /16, the prefix lengths 16..32 present in it (bit len - 16); made once the table
   * holds more than SMALL_TABLE prefixes (256 KB: a host's few routes probe their lengths).
   */
  private lenBits16: Uint32Array | undefined = undefined;
  /** The lengths 0..15 present, longest first, and their masks. */
  private shortLens = new Int8Array(0);
  private shortMasks = new Int32Array(0);

  constructor(readonly id = RT_TABLE_MAIN) {}

  /** The routes, longest prefix first, then in fib_alias order (the order lookup tries them). */
  get routes(): readonly Route[] {
    if (!this.sorted) {
      const idx = new Map(this.all.map((r, i) => [r, i]));
      this.sorted = [...this.all].sort(
        (a, b) => b.len - a.len || aliasOrder(a, b) || idx.get(a)! - idx.get(b)!,
      );
    }
    return this.sorted;
  }

  add(r: Route): void {
    this.all.push(r);
    this.sorted = undefined;
    this.index(r);
  }

  /** Removes the routes for which `drop` says so (e.g. the connected routes of an address). */
  removeWhere(drop: (r: Route) => boolean): void {
    const kept = this.all.filter((r) => !drop(r));
    if (kept.length === this.all.length) return;
    this.all = kept;
    this.sorted = undefined;
    this.reindex(this.keys.length);
  }

  /** The best route to `dst` for any TOS (the first of the longest prefix), or undefined. */
  lookup(dst: number): Route | undefined {
    return this.lookupTos(dst, 0);
  }

  /**
   * fib_table_lookup's choice: the longest prefix holding a route whose tos is 0 or `tos`; its
   * first such route (the caller reads its type for the error). Undefined: no match (-EAGAIN).
   */
  lookupTos(dst: number, tos: number): Route | undefined {
    const lb = this.lenBits16;
    if (lb === undefined) {
      // A small table: every length present, longest first.
      const p = this.present;
      for (let j = 0; j < p.length; j++) {
        const r = this.probe(dst, p[j]!, tos);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    // The lengths 16..32 present in dst's /16 first (a bit each), longest first; then 0..15.
    let bits = lb[dst >>> 16]!;
    while (bits !== 0) {
      const b = 31 - Math.clz32(bits);
      bits &= ~(1 << b);
      const r = this.probe(dst, b + 16, tos);
      if (r !== undefined) return r;
    }
    const short = this.shortLens;
    for (let j = 0; j < short.length; j++) {
      const r = this.probe(dst, short[j]!, tos);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** The first route of prefix (dst, len) for `tos`, or undefined. */
  private probe(dst: number, len: number, tos: number): Route | undefined {
    const keys = this.keys;
    const lens = this.lens;
    const cap = keys.length - 1;
    {
      const key = len === 0 ? 0 : dst & (-1 << (32 - len));
      let h = hash(key, len) & cap;
      for (;;) {
        const l = lens[h]!;
        if (l === EMPTY) break;
        if (l === len && keys[h] === key) {
          const b = this.buckets[this.slots[h]!]!;
          for (let i = 0; i < b.length; i++) {
            const r = b[i]!;
            const t = r.tos ?? 0;
            if (t === 0 || t === tos) return r;
          }
          break;
        }
        h = (h + 1) & cap;
      }
    }
    return undefined;
  }

  /** The routes, in lookup order. */
  list(): readonly Route[] {
    return this.routes;
  }

  /**
   * `ip route show table ID` lines, in the order the kernel dumps its trie: by destination
   * address, a longer prefix before a shorter one with the same address, then the routes of one
   * prefix in lookup order. `withTable`: name the table (as `ip route show table all` does for
   * tables other than main).
   */
  format(withTable = false): string[] {
    const sorted = this.routes
      .map((r, i) => ({ r, i }))
      .sort((a, b) => a.r.addr - b.r.addr || b.r.len - a.r.len || a.i - b.i);
    return sorted.map(({ r }) => formatRoute(r, withTable && (r.table ?? RT_TABLE_MAIN) !== RT_TABLE_MAIN));
  }

  private index(r: Route): void {
    const key = (r.addr & r.mask) | 0;
    const found = this.find(key, r.len);
    if (found >= 0) {
      // fib_insert_alias: after every route that sorts before or equal to it.
      const b = this.buckets[this.slots[found]!]!;
      let k = b.length;
      while (k > 0 && aliasOrder(b[k - 1]!, r) > 0) k--;
      b.splice(k, 0, r);
      return;
    }
    if ((this.count + 1) * 2 > this.keys.length) {
      this.reindex(this.keys.length * 2);
      return;
    }
    this.insertKey(key, r.len, [r]);
    if (this.lenBits16 === undefined && this.count > SMALL_TABLE) this.markAll();
    else this.markLength(r);
    if (this.lenCount[r.len]!++ === 0) this.refreshLengths();
  }

  /** Notes a prefix's length in the /16s it covers (lengths 16..32 only). */
  private markLength(r: Route): void {
    const lb = this.lenBits16;
    if (r.len < 16 || lb === undefined) return;
    lb[r.addr >>> 16] = (lb[r.addr >>> 16]! | (1 << (r.len - 16))) >>> 0;
  }

  /** Makes lenBits16 and notes every prefix's length in it. */
  private markAll(): void {
    this.lenBits16 = new Uint32Array(65536);
    for (const b of this.buckets) this.markLength(b[0]!);
  }

  private find(key: number, len: number): number {
    const cap = this.keys.length - 1;
    let h = hash(key, len) & cap;
    for (;;) {
      const l = this.lens[h]!;
      if (l === EMPTY) return -1;
      if (l === len && this.keys[h] === key) return h;
      h = (h + 1) & cap;
    }
  }

  private insertKey(key: number, len: number, bucket: Route[]): void {
    const cap = this.keys.length - 1;
    let h = hash(key, len) & cap;
    while (this.lens[h] !== EMPTY) h = (h + 1) & cap;
    this.keys[h] = key;
    this.lens[h] = len;
    this.slots[h] = this.buckets.length;
    this.buckets.push(bucket);
    this.count++;
  }

  private reindex(size: number): void {
    const groups = new Map<string, Route[]>();
    for (const r of this.all) {
      const k = `${(r.addr & r.mask) | 0}/${r.len}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(r);
    }
    let cap = Math.max(16, size);
    while (groups.size * 2 > cap) cap *= 2;
    this.keys = new Int32Array(cap);
    this.lens = new Uint8Array(cap).fill(EMPTY);
    this.slots = new Int32Array(cap);
    this.buckets = [];
    this.count = 0;
    this.lenCount.fill(0);
    this.lenBits16 =
      groups.size > SMALL_TABLE ? (this.lenBits16?.fill(0) ?? new Uint32Array(65536)) : undefined;
    for (const g of groups.values()) {
      g.sort(aliasOrder); // stable: equal routes keep the order they were added in
      this.insertKey((g[0]!.addr & g[0]!.mask) | 0, g[0]!.len, g);
      this.lenCount[g[0]!.len]!++;
      this.markLength(g[0]!);
    }
    this.refreshLengths();
  }

  private refreshLengths(): void {
    const ls: number[] = [];
    for (let l = 32; l >= 0; l--) if (this.lenCount[l]! > 0) ls.push(l);
    this.present = Int8Array.from(ls);
    this.masks = Int32Array.from(ls.map((l) => prefixMask(l) | 0));
    this.shortLens = Int8Array.from(ls.filter((l) => l < 16));
    this.shortMasks = Int32Array.from(ls.filter((l) => l < 16).map((l) => prefixMask(l) | 0));
  }
}

function hash(key: number, len: number): number {
  let h = Math.imul(key ^ Math.imul(len, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 13);
}

/** One route as `ip route show` prints it (iproute2 print_route). */
export function formatRoute(r: Route, withTable = false): string {
  const type = r.type ?? RTN_UNICAST;
  const dest =
    r.len === 0
      ? 'default'
      : r.len === 32
        ? formatIpv4(r.addr)
        : formatPrefix({ addr: r.addr, mask: r.mask });
  const parts: string[] = [];
  if (type !== RTN_UNICAST) parts.push(RTN_NAMES[type] ?? String(type));
  parts.push(dest);
  if (r.tos) parts.push(`tos 0x${r.tos.toString(16).padStart(2, '0')}`);
  if (r.via) parts.push(`via ${formatIpv4(r.via)}`);
  if (r.dev && !r.nexthops) parts.push(`dev ${r.dev}`);
  if (withTable) parts.push(`table ${tableName(r.table ?? RT_TABLE_MAIN)}`);
  const proto = r.origin === 'kernel' ? 'kernel' : r.proto;
  if (proto !== undefined && proto !== 'boot') parts.push(`proto ${proto}`);
  const scope = routeScope(r);
  if (scope !== RT_SCOPE_UNIVERSE) parts.push(`scope ${SCOPE_NAMES[scope] ?? scope}`);
  if (r.src) parts.push(`src ${formatIpv4(r.src)}`);
  if (r.metric) parts.push(`metric ${r.metric}`);
  if (r.mtu !== undefined) parts.push(r.mtuLock ? `mtu lock ${r.mtu}` : `mtu ${r.mtu}`);
  if (r.advmss !== undefined) parts.push(`advmss ${r.advmss}`);
  let line = parts.join(' ');
  if (r.nexthops)
    for (const nh of r.nexthops)
      line += ` \n\tnexthop${nh.via ? ` via ${formatIpv4(nh.via)}` : ''} dev ${nh.dev} weight ${nh.weight}`;
  return line;
}

/** The route's scope as iproute2 sets it when none is given. */
export function routeScope(r: Route): number {
  if (r.scope !== undefined) return r.scope;
  const type = r.type ?? RTN_UNICAST;
  if (type === RTN_LOCAL) return RT_SCOPE_HOST;
  if (type === RTN_BROADCAST) return RT_SCOPE_LINK;
  if (type === RTN_UNICAST && r.via === 0 && !r.nexthops) return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}
