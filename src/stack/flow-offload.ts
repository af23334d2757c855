// A host's nftables flowtables on its devices: the ingress hook each flowtable registers on its
// devices (nf_flow_offload_ip_hook, netfilter/nftables/flowtable.ts decides and rewrites) and
// the way out it gives an offloaded packet (FLOW_OFFLOAD_XMIT_NEIGH: neigh_xmit on the flow's
// out device and gateway). Such a packet passes no prerouting, forward or postrouting hook: the
// trace says so with a `route` step whose decision is `flowtable`.
import { formatIpv4 } from '../wire/addr.ts';
import type { Netfilter } from '../netfilter/core/engine.ts';
import { flowStateIf, flowStateOf, flowtableDefs, type FlowState } from '../netfilter/nftables/flowtable.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import type { Fib4 } from '../route/table.ts';
import type { Iface } from './iface.ts';
import type { Step } from './steps.ts';

/** What the flowtable path needs of its host. */
export interface FlowOffloadHost {
  readonly name: string;
  readonly tracing: boolean;
  readonly env: { now(): number };
  readonly ifaces: ReadonlyMap<string, Iface>;
  readonly routes: Fib4;
  readonly neigh: { output(r: { readonly via: number; readonly dev: string }, ip: Uint8Array): void };
  trace(s: Step): void;
}

/**
 * The engine `nf` of `host` runs `rs`: its flowtables (and the sysctls, names without
 * `net.netfilter.`) are given to the flowtable state kept with the conntrack table. Returns that
 * state when some flowtable hooks a device (the host then calls flowIngress), else undefined.
 */
export function configureFlowtables(
  host: FlowOffloadHost,
  nf: Netfilter,
  rs: NftRuleset | undefined,
  sysctls: ReadonlyMap<string, number>,
): FlowState | undefined {
  const defs = flowtableDefs(rs);
  if (defs.length === 0 && flowStateIf(nf.conntrack) === undefined) return undefined;
  const st = flowStateOf(nf.conntrack);
  st.configure(
    defs,
    sysctls,
    nf.timeouts,
    {
      mtu: (dev) => host.ifaces.get(dev)?.mtu ?? 1500,
      gateway: (dst, dev) => {
        // nf_route with flowi4_oif: the route's gateway when it leaves by that device; else the
        // destination is taken as on link (ip_route_output_key_hash_rcu with an oif).
        const r = host.routes.lookup(dst);
        return r !== undefined && r.dev === dev ? r.via : 0;
      },
    },
    host.env.now(),
  );
  return st.devices.size > 0 ? st : undefined;
}

/** The out device and gateway of the packet being offloaded (one at a time). */
const out = { dev: '', via: 0 };

/**
 * nf_flow_offload_ip_hook at `dev`'s ingress for an IPv4 frame: true when the flowtable took the
 * packet (rewritten and sent on), false for the classic path.
 */
export function flowIngress(
  host: FlowOffloadHost,
  st: FlowState,
  dev: Iface,
  frame: Uint8Array,
  l3: number,
): boolean {
  if (!st.devices.has(dev.name)) return false;
  const now = host.env.now();
  const ed = st.lookup(dev.name, frame, l3, frame.length - l3, now);
  if (ed < 0) return false;
  const ip = frame.slice(l3, l3 + ((frame[l3 + 2]! << 8) | frame[l3 + 3]!));
  st.forward(ip, 0, ed, out);
  if (host.tracing) {
    const dst = (((ip[16]! << 24) | (ip[17]! << 16) | (ip[18]! << 8) | ip[19]!) >>> 0) as number;
    host.trace({
      kind: 'route',
      host: host.name,
      dst: formatIpv4(dst),
      decision: 'flowtable',
      flowtable: st.flowtableOf(ed >>> 1),
      ...(out.via ? { via: formatIpv4(out.via) } : {}),
      dev: out.dev,
    });
  }
  host.neigh.output({ via: out.via, dev: out.dev }, ip);
  return true;
}
