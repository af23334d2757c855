// ip_route_output_key for a host's own packets: the policy lookup (policy.ts), then the source
// address when the socket is not bound (the route's `src`, else inet_select_addr on the chosen
// path's device: the primary address on the gateway's subnet, else the device's first), and for
// a connecting socket (ip_route_connect) a second lookup with that source, so that `from` rules
// see it. With an output device in the key and no route, the destination is taken as on that
// link (the kernel's "assume on-link" for a bound device). Knows nothing of packets.
import { prefixMask } from '../wire/addr.ts';
import type { FlowKey, RouteResult } from './policy.ts';
import { RTN_LOCAL, RTN_UNICAST } from './table.ts';

/** What the output lookup needs of its host. */
export interface OutputHost {
  lookup(k: FlowKey, out: RouteResult): number;
  /** The device's addresses in order (the first of each subnet is its primary). */
  addrs(dev: string): readonly { addr: number; len: number }[];
}

/**
 * The route for `k` (its source filled in `out.src`), or the errno. `connect`: look up again with
 * the chosen source, as ip_route_connect does for TCP and connected UDP sockets.
 */
export function outputRoute(h: OutputHost, k: FlowKey, out: RouteResult, connect: boolean): number {
  const err = routeOnce(h, k, out);
  if (err !== 0 || !connect || k.src !== 0) return err;
  const src = out.src;
  k.src = src;
  const err2 = routeOnce(h, k, out);
  k.src = 0;
  if (err2 === 0) out.src = src;
  return err2;
}

function routeOnce(h: OutputHost, k: FlowKey, out: RouteResult): number {
  const err = h.lookup(k, out);
  if (err !== 0) {
    if (k.oif === '') return err;
    out.err = 0;
    out.route = undefined;
    out.via = 0;
    out.dev = k.oif;
    out.src = k.src || selectAddr(h, k.oif, 0);
    return 0;
  }
  const r = out.route!;
  const type = r.type ?? RTN_UNICAST;
  if (type === RTN_LOCAL) {
    out.src = k.src || r.src || k.dst;
    out.dev = 'lo';
    return 0;
  }
  out.src = k.src || r.src || selectAddr(h, out.dev, out.via);
  return 0;
}

/** inet_select_addr: the device's primary address on `near`'s subnet, else its first address. */
export function selectAddr(h: OutputHost, dev: string, near: number): number {
  const addrs = h.addrs(dev);
  if (near !== 0) for (const a of addrs) if (((a.addr ^ near) & prefixMask(a.len)) === 0) return a.addr;
  return addrs[0]?.addr ?? 0;
}
