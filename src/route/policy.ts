// Policy routing: a host's routing tables (local 255, main 254, default 253, numbered) and its
// rules, looked up as fib_lookup → fib_rules_lookup does for a flow key (the kernel's flowi4:
// destination, source, tos, mark, input and output device, IP protocol, ports). The rules are
// walked in order; a matching rule's action looks up its table (a miss or a `throw` route goes on
// to the next rule, a result whose prefix is not longer than suppress_prefixlength is suppressed),
// jumps (goto), or answers with an error. The answer is written into a RouteResult the caller
// owns (no object per packet): the route, its chosen path (multipath by the kernel's upper bounds
// over a hash of the flow, fib_multipath_hash_policy 0: addresses, 1: addresses, protocol and
// ports), the table and the rule that decided, or an errno (ENETUNREACH when nothing matched).
import { FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_TO_TBL, RuleList, ruleActionError } from './rule.ts';
import {
  EAGAIN,
  ENETUNREACH,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RTN_UNICAST,
  RouteTable,
  routeTypeError,
  type Route,
} from './table.ts';

/** The flow a lookup is for (flowi4). Devices by name; '' for none. */
export interface FlowKey {
  dst: number;
  src: number;
  tos: number;
  mark: number;
  /** 'lo' for a locally generated packet (LOOPBACK_IFINDEX), the input device when forwarding. */
  iif: string;
  /** The socket's bound device (SO_BINDTODEVICE), '' for none. */
  oif: string;
  proto: number;
  sport: number;
  dport: number;
}

export const newFlowKey = (): FlowKey => ({
  dst: 0,
  src: 0,
  tos: 0,
  mark: 0,
  iif: '',
  oif: '',
  proto: 0,
  sport: 0,
  dport: 0,
});

/** What a lookup answered (one per caller, reused). */
export class RouteResult {
  /** 0, or the errno the lookup answered (ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL). */
  err = 0;
  /** The route found (undefined when a rule answered, or nothing matched). */
  route: Route | undefined = undefined;
  /** The chosen path: gateway (0: on link) and device. */
  via = 0;
  dev = '';
  /** The table the route came from, and the priority of the rule that decided (-1: none). */
  table = 0;
  rulePref = -1;
  /** The source address an output lookup chose (or kept), 0 when none. */
  src = 0;
}

/** How many rule jumps one lookup may take (goto only points forward, so this is a safety net). */
const MAX_STEPS = 100_000;

export class PolicyRouting {
  readonly rules = new RuleList();
  readonly tables = new Map<number, RouteTable>();
  readonly main: RouteTable;
  readonly local: RouteTable;
  /** net.ipv4.fib_multipath_hash_policy (0: L3, 1: L4). */
  hashPolicy = 0;
  /** Device groups for suppress_ifgroup (absent: every device is in group 0). */
  devGroup: ((dev: string) => number) | undefined = undefined;

  constructor() {
    this.main = this.table(RT_TABLE_MAIN);
    this.local = this.table(RT_TABLE_LOCAL);
    this.table(RT_TABLE_DEFAULT);
  }

  /** The table with this id, created empty when absent (as `ip route add ... table N` does). */
  table(id: number): RouteTable {
    let t = this.tables.get(id);
    if (!t) {
      t = new RouteTable(id);
      this.tables.set(id, t);
    }
    return t;
  }

  /** Adds a route to its table. */
  add(r: Route): void {
    this.table(r.table ?? RT_TABLE_MAIN).add(r);
  }

  /** Removes the routes for which `drop` says so, in every table. */
  removeWhere(drop: (r: Route) => boolean): void {
    for (const t of this.tables.values()) t.removeWhere(drop);
  }

  /** fib_lookup: writes the answer into `out` and returns its errno (0: a route). */
  lookup(k: FlowKey, out: RouteResult): number {
    out.err = 0;
    out.route = undefined;
    out.via = 0;
    out.dev = '';
    out.table = 0;
    out.rulePref = -1;
    const rules = this.rules.rules;
    const targets = this.rules.targets;
    let steps = 0;
    for (let i = 0; i < rules.length && steps < MAX_STEPS; i++, steps++) {
      const r = rules[i]!;
      if (!this.match(r, k)) continue;
      if (r.action === FR_ACT_GOTO) {
        // The target rule is then judged like any other (fib_rules_lookup's `goto jumped`).
        const t = targets[i]!;
        if (t < 0) continue;
        i = t - 1;
        continue;
      }
      if (r.action === FR_ACT_NOP) continue;
      if (r.action !== FR_ACT_TO_TBL) {
        out.err = ruleActionError(r.action);
        out.rulePref = r.pref;
        return out.err;
      }
      const t = this.tables.get(r.table);
      if (!t) continue;
      const route = t.lookupTos(k.dst, k.tos);
      if (!route) continue;
      const err = routeTypeError(route.type ?? RTN_UNICAST);
      if (err === EAGAIN) continue; // throw: the next rule
      if (err !== 0) {
        out.err = err;
        out.route = route;
        out.table = r.table;
        out.rulePref = r.pref;
        return err;
      }
      if (!this.pickPath(route, k, out)) continue;
      // fib4_rule_suppress: a result no longer than suppress_prefixlength, or through a device
      // of the suppressed group, is not taken: the walk goes on.
      if (r.suppressPrefixlen >= 0 && route.len <= r.suppressPrefixlen) continue;
      if (r.suppressIfgroup >= 0 && out.dev !== '' && (this.devGroup?.(out.dev) ?? 0) === r.suppressIfgroup)
        continue;
      out.route = route;
      out.table = r.table;
      out.rulePref = r.pref;
      return 0;
    }
    out.err = ENETUNREACH;
    return ENETUNREACH;
  }

  /**
   * The path of the route: its only one, or a multipath route's by fib_select_multipath (the first
   * whose upper bound is not below the flow's 31-bit hash). With an output device in the key, only
   * a path through it is taken (fib_table_lookup's nexthop oif check). False: no path fits.
   */
  private pickPath(route: Route, k: FlowKey, out: RouteResult): boolean {
    const nhs = route.nexthops;
    if (!nhs) {
      if (k.oif !== '' && route.dev !== '' && route.dev !== k.oif && route.dev !== 'lo') return false;
      out.via = route.via;
      out.dev = route.dev;
      return true;
    }
    if (k.oif !== '') {
      for (const nh of nhs)
        if (nh.dev === k.oif) {
          out.via = nh.via;
          out.dev = nh.dev;
          return true;
        }
      return false;
    }
    const h = this.multipathHash(k);
    let nh = nhs[nhs.length - 1]!;
    for (const n of nhs)
      if (h <= n.upper) {
        nh = n;
        break;
      }
    out.via = nh.via;
    out.dev = nh.dev;
    return true;
  }

  /**
   * fib_multipath_hash's inputs (policy 0: source and destination; 1: with protocol and ports),
   * mixed to 31 bits. The kernel hashes them with siphash under a seed chosen at random at boot,
   * so which path a given flow takes differs from one kernel to the next; this hash spreads flows
   * the same way (by weight) but is not the kernel's.
   */
  multipathHash(k: FlowKey): number {
    let h = mix(0x2545f491, k.src);
    h = mix(h, k.dst);
    if (this.hashPolicy === 1) {
      h = mix(h, k.proto);
      h = mix(h, ((k.sport & 0xffff) << 16) | (k.dport & 0xffff));
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return (h >>> 1) & 0x7fffffff;
  }

  /** fib_rule_match and fib4_rule_match, then `not`. */
  private match(r: RuleList['rules'][number], k: FlowKey): boolean {
    let ok =
      (r.iif === '' || r.iif === k.iif) &&
      (r.oif === '' || r.oif === k.oif) &&
      ((r.mark ^ k.mark) & r.markMask) === 0 &&
      (r.srcLen === 0 || ((k.src ^ r.src) & (-1 << (32 - r.srcLen))) === 0) &&
      (r.dstLen === 0 || ((k.dst ^ r.dst) & (-1 << (32 - r.dstLen))) === 0) &&
      (r.tos === 0 || r.tos === k.tos) &&
      (r.ipproto === 0 || r.ipproto === k.proto);
    if (ok && r.sport) ok = k.sport >= r.sport[0] && k.sport <= r.sport[1];
    if (ok && r.dport) ok = k.dport >= r.dport[0] && k.dport <= r.dport[1];
    return r.invert ? !ok : ok;
  }

  /** `ip route show table all` lines: tables by id, main's routes without `table main`. */
  formatAll(): string[] {
    const out: string[] = [];
    for (const id of [...this.tables.keys()].sort((a, b) => a - b))
      out.push(...this.tables.get(id)!.format(true));
    return out;
  }
}

function mix(h: number, v: number): number {
  h ^= Math.imul(v | 0, 0xcc9e2d51);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
