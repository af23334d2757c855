// `ip route get` asked of a host: its routing policy and tables (route/policy.ts, the output
// route's source choice of route/output.ts, or an input route for `iif`), the answer with the
// rule and table that decided, and iproute2's text of it (rt_fill_info's fields in its order):
// `10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 \n    cache expires 599sec mtu 1400 `.
// Pure: the CLI (`natbox route get`) and the conformance suite (the reference's `route_after`)
// both ask it. Captured forms: iproute2 6.1.0 on Linux 6.18 (test/cli/route-get.test.ts).
import { formatIpv4 } from '../wire/addr.ts';
import { ROUTE_TOS_MASK, RouteResult, newFlowKey } from '../route/policy.ts';
import { outputRoute } from '../route/output.ts';
import { RTN_BROADCAST, RTN_LOCAL, tableName, type Route } from '../route/table.ts';
import type { Host } from './host.ts';

/** The selectors of `ip route get` (0 / '' where not given). */
export interface RouteGetQuery {
  readonly dst: number;
  readonly from?: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly mark?: number;
  readonly tos?: number;
  readonly proto?: number;
  readonly sport?: number;
  readonly dport?: number;
}

export type RouteGetAnswer =
  | {
      readonly ok: true;
      readonly result: RouteResult;
      /** iproute2's two lines, each ending in a space as it prints them. */
      readonly text: string;
    }
  /** An errno (EHOSTUNREACH 113, ENETUNREACH 101, EACCES 13, EINVAL 22...): `RTNETLINK answers: ...`. */
  | { readonly ok: false; readonly errno: number; readonly result: RouteResult };

/** The kernel's answer to `ip route get` in `host` at time `now` (the learned PMTUs expire). */
export function routeGet(host: Host, q: RouteGetQuery, now: number): RouteGetAnswer {
  const k = newFlowKey();
  k.dst = q.dst;
  k.src = q.from ?? 0;
  k.iif = 'lo';
  if (q.oif) k.oif = q.oif;
  if (q.mark) k.mark = q.mark;
  if (q.tos) k.tos = q.tos & ROUTE_TOS_MASK; // inet_rtm_getroute: the DSCP, compared masked
  if (q.proto) k.proto = q.proto;
  if (q.sport) k.sport = q.sport;
  if (q.dport) k.dport = q.dport;
  const res = new RouteResult();
  let err: number;
  if (q.iif) {
    // An input route (ip_route_input): the packet came in on iif from `from`.
    k.iif = q.iif;
    err = host.routeLookup(k, res);
    if (err === 0 && host.sysctl('net.ipv4.ip_forward', 0) !== 1 && !isLocal(res.route)) err = 113; // EHOSTUNREACH
    res.src = k.src;
  } else {
    err = outputRoute(host.routeView, k, res, false);
  }
  if (err !== 0) return { ok: false, errno: err, result: res };
  return { ok: true, result: res, text: routeGetText(host, q, res, now) };
}

function routeGetText(host: Host, q: RouteGetQuery, res: RouteResult, now: number): string {
  const r = res.route;
  const type = r?.type;
  const from = q.from ?? 0;
  const parts: string[] = [];
  if (type === RTN_LOCAL) parts.push('local');
  else if (type === RTN_BROADCAST) parts.push('broadcast');
  parts.push(formatIpv4(q.dst));
  if (from) parts.push(`from ${formatIpv4(from)}`);
  if (res.via) parts.push(`via ${formatIpv4(res.via)}`);
  parts.push(`dev ${type === RTN_LOCAL ? 'lo' : res.dev}`);
  // The kernel names the table when it is not main (fib_rule_tests.sh greps for `table 100`); the
  // local table only once there are rules of one's own (until then local and main are merged).
  const custom = host.policy.rules.rules.length !== 3;
  if (res.table !== 0 && res.table !== 254 && (res.table !== 255 || custom))
    parts.push(`table ${tableName(res.table, host.policy.tableNames)}`);
  if (!from) parts.push(`src ${formatIpv4(res.src)}`);
  if (q.mark) parts.push(`mark ${q.mark}`);
  if (q.iif) parts.push(`iif ${q.iif}`);
  else parts.push('uid 0');
  const cache = ['cache'];
  if (type === RTN_LOCAL) cache.push('<local>');
  else if (type === RTN_BROADCAST) cache.push('<local,brd>');
  // A learned path MTU (route/pmtu.ts) shows with its expiry and stands for the route's metric.
  const learned = isLocal(r) || q.iif ? '' : host.frag.pmtu.cacheText(q.dst, now);
  if (learned !== '') cache.push(learned);
  else if (r?.mtu !== undefined) cache.push(r.mtuLock ? `mtu lock ${r.mtu}` : `mtu ${r.mtu}`);
  if (r?.advmss !== undefined) cache.push(`advmss ${r.advmss}`);
  return `${parts.join(' ')} \n    ${cache.join(' ')} \n`;
}

const isLocal = (r: Route | undefined): boolean => r?.type === RTN_LOCAL || r?.type === RTN_BROADCAST;
