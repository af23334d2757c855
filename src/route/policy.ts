// Policy routing: a host's routing tables (local 255, main 254, default 253, numbered) and its
// rules, looked up as fib_lookup → fib_rules_lookup does for a flow key (the kernel's flowi4:
// destination, source, tos, mark, input and output device, IP protocol, ports). The rules are
// walked in order; a matching rule's action looks up its table (a miss or a `throw` route goes on
// to the next rule, a result whose prefix is not longer than suppress_prefixlength is suppressed),
// jumps (goto), or answers with an error. The answer is written into a RouteResult the caller
// owns (no object per packet): the route, its chosen path (multipath by the kernel's upper bounds
// over the kernel's hash of the flow, mphash.ts: fib_multipath_hash_policy 0 and 2: addresses, 1:
// addresses, protocol and ports, 3: fib_multipath_hash_fields; fib_multipath_hash_seed), the table
// and the rule that decided,
// or an errno (ENETUNREACH when nothing matched).
import {
  FIB_MULTIPATH_HASH_FIELD_DEFAULT_MASK,
  UNSEEDED_STANDIN,
  fibMultipathCustomHash,
  fibMultipathHash,
} from './mphash.ts';
import { FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_TO_TBL, RuleList, ruleActionError } from './rule.ts';
import {
  EAGAIN,
  ENETUNREACH,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RTN_LOCAL,
  RTN_UNICAST,
  RouteTable,
  routeTypeError,
  type Route,
  type TableNames,
} from './table.ts';

/**
 * The TOS bits a route lookup compares (INET_DSCP_LEGACY_TOS_MASK, 0x1c): fib_dscp_masked_match
 * (an `ip rule ... tos` selector, a route's `tos`) takes the DSCP without its three high bits, and
 * a flow's DSCP never has the ECN bits (ip4h_dscp, inet_sk_dscp). A key's `tos` is its packet's or
 * socket's TOS byte & this mask, so 0x12 (DSCP 4 with ECT(0)) selects `tos 0x10` as on Linux.
 */
export const ROUTE_TOS_MASK = 0x1c;

/** The flow a lookup is for (flowi4). Devices by name; '' for none. */
export interface FlowKey {
  dst: number;
  src: number;
  /** The TOS byte & ROUTE_TOS_MASK. */
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

/**
 * A multipath choice the kernel makes at random: fib_multipath_hash policy 1 for a forwarded packet
 * carrying its sender's socket hash (skb->l4_hash: a TCP socket's or a connected UDP socket's random
 * sk_txhash, which a veth or bridge keeps), recorded for natbox verify (PolicyRouting.pickLog).
 */
export interface PathPick {
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  /** The route's paths' devices, and the one natbox took. */
  readonly devs: readonly string[];
  readonly dev: string;
}

/** The key of a forwarded packet's flow in PolicyRouting.forcedPaths. */
export const pathPickKey = (src: number, sport: number, dst: number, dport: number, proto: number): string =>
  `${src >>> 0}:${sport}>${dst >>> 0}:${dport}/${proto}`;

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

/**
 * fib_info_nh_uses_dev: whether the route a lookup found leaves by `dev`, by any of its paths when
 * it is a multipath route (the reverse-path checks: fib_validate_source, rpfilter).
 */
export function resultUsesDev(res: RouteResult, dev: string): boolean {
  if (res.dev === dev) return true;
  const nhs = res.route?.nexthops;
  if (nhs === undefined) return false;
  for (const n of nhs) if (n.dev === dev) return true;
  return false;
}

/** How many rule jumps one lookup may take (goto only points forward, so this is a safety net). */
const MAX_STEPS = 100_000;

// A compiled rule's int32s: selector flags (RF_F_*), then the values.
const RF_MARK = 1;
const RF_MARK_MASK = 2;
const RF_SRC = 3;
const RF_SRC_MASK = 4;
const RF_DST = 5;
const RF_DST_MASK = 6;
const RF_TOS = 7;
const RF_PROTO = 8;
const RF_SPORT_LO = 9;
const RF_SPORT_HI = 10;
const RF_DPORT_LO = 11;
const RF_DPORT_HI = 12;
const RF_ACTION = 13;
const RF_SUPPRESS_LEN = 14;
const RF_SUPPRESS_GROUP = 15;
const RF_SIZE = 16;
const RF_F_IIF = 1;
const RF_F_OIF = 2;
const RF_F_MARK = 4;
const RF_F_SRC = 8;
const RF_F_DST = 16;
const RF_F_TOS = 32;
const RF_F_PROTO = 64;
const RF_F_SPORT = 128;
const RF_F_DPORT = 256;
const RF_F_INVERT = 512;

export class PolicyRouting {
  readonly rules = new RuleList();
  readonly tables = new Map<number, RouteTable>();
  readonly main: RouteTable;
  readonly local: RouteTable;
  /** net.ipv4.fib_multipath_hash_policy (0: L3, 1: L4, 2: L3 or inner L3, 3: custom). */
  hashPolicy = 0;
  /** net.ipv4.fib_multipath_hash_fields (policy 3's FIB_MULTIPATH_HASH_FIELD_* mask). */
  hashFields = FIB_MULTIPATH_HASH_FIELD_DEFAULT_MASK;
  /** net.ipv4.fib_multipath_hash_seed (0: the kernel's random boot seed, not knowable). */
  hashSeed = 0;
  /** The host's table names (`rt_tables:`), for printing and for commands that name tables. */
  tableNames: TableNames = new Map();
  /**
   * net->ipv4.fib_has_custom_local_routes: set for good once a `local` route is added by hand
   * (inet_rtm_newroute), not for the kernel's own local routes (fib_magic).
   */
  customLocalRoutes = false;
  /** Device groups for suppress_ifgroup (absent: every device is in group 0). */
  devGroup: ((dev: string) => number) | undefined = undefined;
  /**
   * A path's nh_saddr (fib_info_update_nhc_saddr: inet_select_addr on its device towards its
   * gateway), for fib_select_multipath's preference of the path that holds an output lookup's
   * source (absent: no preference).
   */
  nhSaddr: ((dev: string, via: number) => number) | undefined = undefined;
  /**
   * natbox verify: the policy-1 choices the kernel makes at random (PathPick), one per flow key,
   * recorded when set; and the paths to take for some of them (key → device: the kernel's own
   * choice in a run, so that natbox can be compared with it). Both absent otherwise (no cost).
   */
  pickLog: PathPick[] | undefined = undefined;
  forcedPaths: ReadonlyMap<string, string> | undefined = undefined;
  /**
   * The packet fib_multipath_hash hashes when it is not the flow's own (set around one lookup):
   * an ICMP error the host sends hashes the packet it is about (icmp_route_lookup passes skb_in),
   * a forwarded ICMP error under policy 0 the header it quotes (ip_multipath_l3_keys). Hashed as a
   * forwarded packet's keys. Undefined: the flow's.
   */
  hashFrom: FlowKey | undefined = undefined;
  private picked: Set<string> | undefined = undefined;

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
    if (r.type === RTN_LOCAL && r.origin === 'static') this.customLocalRoutes = true;
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
    if (this.cVersion !== this.rules.version || this.cTableCount !== this.tables.size) this.compile();
    const rules = this.rules.rules;
    const targets = this.rules.targets;
    const f = this.cInt;
    const n = rules.length;
    let steps = 0;
    for (let i = 0; i < n && steps < MAX_STEPS; i++, steps++) {
      const o = i * RF_SIZE;
      const flags = f[o]!;
      if (flags !== 0 && !this.matchFlat(i, o, flags, k)) continue;
      const action = f[o + RF_ACTION]!;
      if (action === FR_ACT_GOTO) {
        // The target rule is then judged like any other (fib_rules_lookup's `goto jumped`).
        const t = targets[i]!;
        if (t < 0) continue;
        i = t - 1;
        continue;
      }
      if (action === FR_ACT_NOP) continue;
      const r = rules[i]!;
      if (action !== FR_ACT_TO_TBL) {
        out.err = ruleActionError(action);
        out.rulePref = r.pref;
        return out.err;
      }
      const t = this.cTables[i];
      if (t === undefined) continue;
      const route = t.lookupTos(k.dst, k.tos);
      if (route === undefined) continue;
      const type = route.type;
      const err = type === undefined || type === RTN_UNICAST ? 0 : routeTypeError(type);
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
      const spl = f[o + RF_SUPPRESS_LEN]!;
      const sig = f[o + RF_SUPPRESS_GROUP]!;
      if (
        (spl >= 0 && route.len <= spl) ||
        (sig >= 0 && out.dev !== '' && (this.devGroup?.(out.dev) ?? 0) === sig)
      ) {
        out.via = 0;
        out.dev = '';
        continue;
      }
      out.route = route;
      out.table = r.table;
      out.rulePref = r.pref;
      return 0;
    }
    out.err = ENETUNREACH;
    return ENETUNREACH;
  }

  // The rules in flat form for lookup (rebuilt when the rules or the set of tables change): per
  // rule RF_SIZE int32s (selector flags, 0 when the rule matches every flow; then the values), its
  // devices, and its table.
  private cVersion = -1;
  private cTableCount = -1;
  private cInt = new Int32Array(0);
  private cIif: string[] = [];
  private cOif: string[] = [];
  private cTables: (RouteTable | undefined)[] = [];

  private compile(): void {
    const rules = this.rules.rules;
    const f = new Int32Array(rules.length * RF_SIZE);
    this.cIif = [];
    this.cOif = [];
    this.cTables = [];
    rules.forEach((r, i) => {
      const o = i * RF_SIZE;
      let flags = 0;
      if (r.iif !== '') flags |= RF_F_IIF;
      if (r.oif !== '') flags |= RF_F_OIF;
      if (r.markMask !== 0) flags |= RF_F_MARK;
      if (r.srcLen !== 0) flags |= RF_F_SRC;
      if (r.dstLen !== 0) flags |= RF_F_DST;
      if (r.tos !== 0) flags |= RF_F_TOS;
      if (r.ipproto !== 0) flags |= RF_F_PROTO;
      if (r.sport) flags |= RF_F_SPORT;
      if (r.dport) flags |= RF_F_DPORT;
      if (r.invert) flags |= RF_F_INVERT;
      f[o] = flags;
      f[o + RF_MARK] = r.mark;
      f[o + RF_MARK_MASK] = r.markMask;
      f[o + RF_SRC] = r.src;
      f[o + RF_SRC_MASK] = r.srcLen === 0 ? 0 : -1 << (32 - r.srcLen);
      f[o + RF_DST] = r.dst;
      f[o + RF_DST_MASK] = r.dstLen === 0 ? 0 : -1 << (32 - r.dstLen);
      f[o + RF_TOS] = r.tos;
      f[o + RF_PROTO] = r.ipproto;
      f[o + RF_SPORT_LO] = r.sport?.[0] ?? 0;
      f[o + RF_SPORT_HI] = r.sport?.[1] ?? 0;
      f[o + RF_DPORT_LO] = r.dport?.[0] ?? 0;
      f[o + RF_DPORT_HI] = r.dport?.[1] ?? 0;
      f[o + RF_ACTION] = r.action;
      f[o + RF_SUPPRESS_LEN] = r.suppressPrefixlen;
      f[o + RF_SUPPRESS_GROUP] = r.suppressIfgroup;
      this.cIif.push(r.iif);
      this.cOif.push(r.oif);
      this.cTables.push(r.action === FR_ACT_TO_TBL ? this.tables.get(r.table) : undefined);
    });
    this.cInt = f;
    this.cVersion = this.rules.version;
    this.cTableCount = this.tables.size;
  }

  /** fib_rule_match and fib4_rule_match over the flat rule at `o`, then `not`. */
  private matchFlat(i: number, o: number, flags: number, k: FlowKey): boolean {
    const f = this.cInt;
    const ok =
      ((flags & RF_F_IIF) === 0 || this.cIif[i] === k.iif) &&
      ((flags & RF_F_OIF) === 0 || this.cOif[i] === k.oif) &&
      ((f[o + RF_MARK]! ^ k.mark) & f[o + RF_MARK_MASK]!) === 0 &&
      ((k.src ^ f[o + RF_SRC]!) & f[o + RF_SRC_MASK]!) === 0 &&
      ((k.dst ^ f[o + RF_DST]!) & f[o + RF_DST_MASK]!) === 0 &&
      ((flags & RF_F_TOS) === 0 || f[o + RF_TOS] === k.tos) &&
      ((flags & RF_F_PROTO) === 0 || f[o + RF_PROTO] === k.proto) &&
      ((flags & RF_F_SPORT) === 0 || (k.sport >= f[o + RF_SPORT_LO]! && k.sport <= f[o + RF_SPORT_HI]!)) &&
      ((flags & RF_F_DPORT) === 0 || (k.dport >= f[o + RF_DPORT_LO]! && k.dport <= f[o + RF_DPORT_HI]!));
    return (flags & RF_F_INVERT) !== 0 ? !ok : ok;
  }

  /**
   * The path of the route: its only one, or a multipath route's by fib_select_multipath. With an
   * output device in the key, only a path through it is taken (fib_table_lookup's nexthop oif
   * check). False: no path fits.
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
    if (
      (this.pickLog !== undefined || this.forcedPaths !== undefined) &&
      this.hashPolicy === 1 &&
      k.iif !== 'lo' &&
      k.iif !== '' &&
      (k.proto === 6 || k.proto === 17)
    ) {
      const key = pathPickKey(k.src, k.sport, k.dst, k.dport, k.proto);
      const forced = this.forcedPaths?.get(key);
      const nh = forced === undefined ? undefined : nhs.find((n) => n.dev === forced);
      if (nh === undefined) this.selectMultipath(nhs, k, out);
      else {
        out.via = nh.via;
        out.dev = nh.dev;
      }
      if (this.pickLog !== undefined && !(this.picked ??= new Set()).has(key)) {
        this.picked.add(key);
        this.pickLog.push({
          src: k.src,
          dst: k.dst,
          proto: k.proto,
          sport: k.sport,
          dport: k.dport,
          devs: nhs.map((n) => n.dev),
          dev: out.dev,
        });
      }
      return true;
    }
    this.selectMultipath(nhs, k, out);
    return true;
  }

  /** fib_select_multipath over the route's paths for the flow `k`; the path goes into `out`. */
  private selectMultipath(nhs: NonNullable<Route['nexthops']>, k: FlowKey, out: RouteResult): void {
    const h = this.multipathHash(k);
    // fib_select_multipath (Linux 6.15+ "prefer saddr", as scored by "restore ECMP balance from
    // loopback", which 6.18 stable has: multipath-prefer-saddr.yaml): each path scores 2 when the
    // output lookup has a source (fib_select_path passes the flow; an input lookup does not) that
    // is the path's nh_saddr, and 1 when the hash falls within its upper bound; the first path
    // with the best score wins. Without a source: the first path whose upper bound is not below
    // the hash.
    const saddr = k.iif === 'lo' && this.nhSaddr !== undefined ? k.src : 0;
    let nh = nhs[0]!;
    let best = -1;
    for (const n of nhs) {
      let score = h <= n.upper ? 1 : 0;
      if (saddr !== 0 && this.nhSaddr!(n.dev, n.via) === saddr) score += 2;
      if (score > best) {
        nh = n;
        if (score === 3 || (saddr === 0 && score === 1)) break;
        best = score;
      }
    }
    out.via = nh.via;
    out.dev = nh.dev;
  }

  /**
   * fib_multipath_hash for the flow: the kernel's siphash over its flow keys under
   * net.ipv4.fib_multipath_hash_seed (mphash.ts), or, when that is 0, under a stand-in for the
   * kernel's random boot seed. Policy 0: source and destination; 1: with protocol and ports; 2:
   * the inner addresses of an encapsulated packet, which natbox does not have, so the addresses
   * as 0; 3: the fields of fib_multipath_hash_fields, a forwarded packet's (a key with an input
   * device: the kernel has its skb) hash mixed with the inner fields' by jhash_2words. A 31-bit
   * hash.
   */
  multipathHash(flow: FlowKey): number {
    const seed = this.hashSeed !== 0 ? this.hashSeed : UNSEEDED_STANDIN;
    const k = this.hashFrom ?? flow;
    switch (this.hashPolicy) {
      case 1:
        return fibMultipathHash(seed, k.src, k.dst, k.proto, k.sport, k.dport);
      case 3:
        return fibMultipathCustomHash(
          seed,
          this.hashFields,
          this.hashFrom !== undefined || (k.iif !== 'lo' && k.iif !== ''),
          k.src,
          k.dst,
          k.proto,
          k.sport,
          k.dport,
        );
      default:
        return fibMultipathHash(seed, k.src, k.dst, 0, 0, 0);
    }
  }

  /** `ip route show table all` lines: tables by id, main's routes without `table main`. */
  formatAll(): string[] {
    const out: string[] = [];
    for (const id of [...this.tables.keys()].sort((a, b) => a - b))
      out.push(...this.tables.get(id)!.format(true, this.tableNames));
    return out;
  }
}
