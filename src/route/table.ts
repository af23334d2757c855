// A host's IPv4 routing table (its IPv4 FIB, fib.ts): connected routes from interface addresses,
// routes written in `ip route add` syntax (every route type, tables, tos, metrics, `src`, `mtu`,
// `advmss`, multipath `nexthop`s), and lookup as fib_table_lookup answers it: the longest prefix,
// then among that prefix's routes (tos descending, then metric ascending, then the order they were
// added) the first whose tos matches the flow's; a route type other than unicast/local/broadcast
// answers with its error (blackhole EINVAL, unreachable EHOSTUNREACH, prohibit EACCES, throw
// EAGAIN: the next rule). The lookup is a binary search over the disjoint address intervals the
// prefixes cut (each answered by its longest prefix's route, typed arrays behind a /16 index),
// built again after a change, so a 100,000-route table answers in about 100 ns.
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

/**
 * A host's table names (its `rt_tables:`, as /etc/iproute2/rt_tables lines `200 wan2` declare
 * them): name to id, besides the reserved local, main and default.
 */
export type TableNames = ReadonlyMap<string, number>;

/**
 * A table id from `local`, `main`, `default`, a name of `names` or a number (1..2^32-1), else
 * undefined (iproute2's rtnl_rttable_a2n).
 */
export function parseTableId(w: string, names?: TableNames): number | undefined {
  const named = names?.get(w);
  if (named !== undefined) return named;
  if (w === 'local') return RT_TABLE_LOCAL;
  if (w === 'main') return RT_TABLE_MAIN;
  if (w === 'default') return RT_TABLE_DEFAULT;
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(w)) {
    const n = Number(w);
    if (n >= 1 && n <= 0xffffffff) return n;
  }
  return undefined;
}

/**
 * A table id as iproute2 names it (rtnl_rttable_n2a): reserved names, then the host's names (the
 * last declared for an id, as iproute2's hash chain answers), else the number.
 */
export function tableName(id: number, names?: TableNames): string {
  if (
    names !== undefined &&
    names.size !== 0 &&
    id !== RT_TABLE_LOCAL &&
    id !== RT_TABLE_MAIN &&
    id !== RT_TABLE_DEFAULT
  ) {
    let found: string | undefined;
    for (const [n, v] of names) if (v === id) found = n;
    if (found !== undefined) return found;
  }
  return id === RT_TABLE_LOCAL
    ? 'local'
    : id === RT_TABLE_MAIN
      ? 'main'
      : id === RT_TABLE_DEFAULT
        ? 'default'
        : String(id);
}

/** The error for a table word that names no table. */
export function badTable(w: string, names?: TableNames): string {
  const known = names && names.size !== 0 ? `, ${[...names.keys()].join(', ')} (rt_tables)` : '';
  return `bad table "${w}": expected local, main, default${known} or a number 1..4294967295 (a name must be declared in the host's rt_tables)`;
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
export function parseRoute(text: string, names?: TableNames): Result<ParsedRoute, ParseError> {
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
        const t = parseTableId(val!, names);
        if (t === undefined) return fail(i + 1, badTable(val!, names));
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

/** fib_alias order within one prefix: tos descending, then metric ascending, then insertion. */
const aliasOrder = (a: Route, b: Route): number => (b.tos ?? 0) - (a.tos ?? 0) || a.metric - b.metric;

/** Above this many intervals a view gets a /16 index in front of its binary search. */
const ROOT_MIN = 32;

/**
 * A table as a flow with one TOS sees it: the address space cut into disjoint intervals, each
 * answered by the route of the longest prefix covering it that holds a route for the TOS. Built
 * from the routes when first needed after a change; a lookup is a binary search over typed arrays
 * (behind a /16 index for a large table), with no object made.
 */
class View {
  /** Interval starts, ascending (the first is 0). */
  readonly starts: Uint32Array;
  /** Each interval's answer: an index into `answers` (0: no route). */
  readonly vals: Int32Array;
  readonly answers: (Route | undefined)[];
  /** For each /16 h, the interval holding h << 16 (65537 entries), or undefined for a small view. */
  readonly root: Int32Array | undefined;

  constructor(groups: readonly Route[][], tos: number) {
    // Each prefix's first route for this TOS (fib_table_lookup skips aliases of another tos).
    const answers: (Route | undefined)[] = [undefined];
    for (const g of groups)
      for (const r of g) {
        const t = r.tos ?? 0;
        if (t === 0 || t === tos) {
          answers.push(r);
          break;
        }
      }
    // Enclosing prefixes before the prefixes inside them: start ascending, then length ascending.
    const order = Array.from({ length: answers.length - 1 }, (_, i) => i + 1);
    const startOf = (r: Route): number => (r.addr & r.mask) >>> 0;
    order.sort((a, b) => startOf(answers[a]!) - startOf(answers[b]!) || answers[a]!.len - answers[b]!.len);
    const starts: number[] = [];
    const vals: number[] = [];
    const emit = (s: number, v: number): void => {
      const n = starts.length;
      if (n > 0 && starts[n - 1] === s) {
        vals[n - 1] = v;
        if (n > 1 && vals[n - 2] === v) {
          starts.pop();
          vals.pop();
        }
      } else if (n === 0 || vals[n - 1] !== v) {
        starts.push(s);
        vals.push(v);
      }
    };
    // Walk the prefixes with a stack of the ones still open (their ends and answers).
    const ends: number[] = [];
    const open: number[] = [];
    const close = (): void => {
      const e = ends.pop()!;
      open.pop();
      if (e < 0xffffffff) emit(e + 1, open.length > 0 ? open[open.length - 1]! : 0);
    };
    emit(0, 0);
    for (const i of order) {
      const r = answers[i]!;
      const s = startOf(r);
      while (ends.length > 0 && ends[ends.length - 1]! < s) close();
      emit(s, i);
      ends.push(s + (r.len === 32 ? 0 : 2 ** (32 - r.len) - 1));
      open.push(i);
    }
    while (ends.length > 0) close();
    this.starts = Uint32Array.from(starts);
    this.vals = Int32Array.from(vals);
    this.answers = answers;
    if (starts.length > ROOT_MIN) {
      const root = new Int32Array(65537);
      let k = 0;
      for (let h = 0; h < 65536; h++) {
        const a = h * 65536;
        while (k + 1 < starts.length && starts[k + 1]! <= a) k++;
        root[h] = k;
      }
      root[65536] = starts.length - 1;
      this.root = root;
    } else this.root = undefined;
  }

  /** The answer for `dst` (a uint32 or its int32 form). */
  find(dst: number): Route | undefined {
    const d = dst >>> 0;
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    const root = this.root;
    if (root !== undefined) {
      const h = d >>> 16;
      lo = root[h]!;
      hi = root[h + 1]!;
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= d) lo = mid;
      else hi = mid - 1;
    }
    return this.answers[this.vals[lo]!];
  }
}

export class RouteTable implements Fib4 {
  readonly family = AF_INET;
  /** The routes in the order they were added. */
  private all: Route[] = [];
  private sorted: Route[] | undefined = undefined;
  /** The view of flows with TOS 0 (and of every TOS no route names), built when first needed. */
  private view0: View | undefined = undefined;
  /** The views of the TOS values routes name (built when first needed), and those values. */
  private views = new Map<number, View>();
  private tosValues = new Set<number>();
  /** Each prefix's routes in fib_alias order (built with the first view after a change). */
  private groups: Route[][] | undefined = undefined;

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
    if (r.tos) this.tosValues.add(r.tos);
    this.changed();
  }

  /** Removes the routes for which `drop` says so (e.g. the connected routes of an address). */
  removeWhere(drop: (r: Route) => boolean): void {
    const kept = this.all.filter((r) => !drop(r));
    if (kept.length === this.all.length) return;
    this.all = kept;
    this.tosValues.clear();
    for (const r of kept) if (r.tos) this.tosValues.add(r.tos);
    this.changed();
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
    if (tos !== 0 && this.tosValues.size !== 0 && this.tosValues.has(tos)) {
      let v = this.views.get(tos);
      if (v === undefined) this.views.set(tos, (v = new View(this.prefixGroups(), tos)));
      return v.find(dst);
    }
    let v = this.view0;
    if (v === undefined) v = this.view0 = new View(this.prefixGroups(), 0);
    return v.find(dst);
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
  format(withTable = false, names?: TableNames): string[] {
    const sorted = this.routes
      .map((r, i) => ({ r, i }))
      .sort((a, b) => a.r.addr - b.r.addr || b.r.len - a.r.len || a.i - b.i);
    return sorted.map(({ r }) =>
      formatRoute(r, withTable && (r.table ?? RT_TABLE_MAIN) !== RT_TABLE_MAIN, names),
    );
  }

  private changed(): void {
    this.sorted = undefined;
    this.groups = undefined;
    this.view0 = undefined;
    if (this.views.size !== 0) this.views.clear();
  }

  /** The routes grouped by prefix, each group in fib_alias order (stable: then as added). */
  private prefixGroups(): Route[][] {
    if (this.groups) return this.groups;
    const byPrefix = new Map<number, Route[]>();
    for (const r of this.all) {
      const k = r.len * 2 ** 32 + ((r.addr & r.mask) >>> 0);
      const g = byPrefix.get(k);
      if (g) g.push(r);
      else byPrefix.set(k, [r]);
    }
    const groups = [...byPrefix.values()];
    for (const g of groups) if (g.length > 1) g.sort(aliasOrder);
    return (this.groups = groups);
  }
}

/** One route as `ip route show` prints it (iproute2 print_route). */
export function formatRoute(r: Route, withTable = false, names?: TableNames): string {
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
  if (withTable) parts.push(`table ${tableName(r.table ?? RT_TABLE_MAIN, names)}`);
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
