// br_netfilter (net/bridge/br_netfilter_hooks.c, bridge-nf-call-iptables=1): bridged IPv4 frames
// pass the IPv4 hooks PREROUTING, FORWARD and POSTROUTING with -i/-o the bridge and --physdev the
// port. The bridge itself (ports, FDB, STP) is bridge.ts; the IPv4 paths are ip4.ts.
import { formatIpv4 } from '../wire/addr.ts';
import { ETH_HEADER_LEN } from '../wire/ethernet.ts';
import { RouteResult, newFlowKey, type FlowKey } from '../route/policy.ts';
import { isLocalType } from '../route/errors.ts';
import { inputFlowKey } from './route-key.ts';
import { type Netfilter, NF_ACCEPT } from '../netfilter/core/engine.ts';
import type { Skb } from '../netfilter/core/skb.ts';
import type { Bridge } from './bridge.ts';
import type { Iface } from './iface.ts';
import type { Ip4 } from './ip4.ts';
import type { Neighbours } from './neigh.ts';
import type { Step } from './steps.ts';

/** What bridge netfilter needs of its host. */
export interface BridgeNfHost {
  readonly name: string;
  readonly tracing: boolean;
  readonly env: { now(): number };
  readonly nf: Netfilter | undefined;
  readonly bridges: ReadonlyMap<string, Bridge>;
  readonly neigh: Neighbours;
  readonly ip4: Ip4;
  trace(s: Step): void;
  isLocal(addr: number): boolean;
  /** fib_lookup with the policy rules (the host's routeLookup). */
  routeLookup(k: FlowKey, out: RouteResult): number;
  sysctl(name: string, def: number): number;
}

export class BridgeNetfilter {
  /** The DNAT'ed frame's ip_route_input (one at a time: no per-packet object). */
  private readonly key: FlowKey = newFlowKey();
  private readonly res = new RouteResult();

  constructor(private readonly host: BridgeNfHost) {}

  /**
   * A bridged IPv4 frame (not broadcast) through PREROUTING; then FORWARD and POSTROUTING and out
   * of its port. A frame to the bridge's own MAC, or one DNAT gave another destination, goes up
   * after PREROUTING, unless DNAT sent it back out of the same bridge: then it is bridged to the
   * new destination with its TTL untouched (br_nf_pre_routing_finish's "bridged_dnat"). That route lookup (ip_route_input) and the one
   * ip_rcv_finish makes for a frame that goes up (ip_sabotage_in skips the second PREROUTING; the
   * fake rtable is no valid dst) are policy lookups with the mark PREROUTING set: an `ip rule
   * fwmark` sees a MARK of the bridge's PREROUTING.
   */
  input(br: Iface, port: Iface, frame: Uint8Array, toBridge: boolean): void {
    const host = this.host;
    const ip4 = host.ip4;
    const nf = host.nf!;
    let ip = frame.subarray(ETH_HEADER_LEN);
    if (!ip4.validIp(ip, port.name)) return;
    const skb = ip4.skb.load(ip, 0, br.name, '');
    skb.physIn = port.name;
    if (ip4.linkLayer) ip4.setLinkLayer(skb, frame, br);
    const dstBefore = skb.dst;
    if (nf.prerouting(skb, host.env.now()) !== NF_ACCEPT) return ip4.nfDrop(skb, port.name, frame);
    frame = refit(frame, skb);
    ip = skb.buf;
    let dstMac: Uint8Array | undefined;
    // br_nf_ipv4_daddr_was_changed decides, not the destination MAC: a frame bridged through whose
    // destination DNAT changed is routed like one to the bridge (ip_route_input); if the route does
    // not lead back out of the bridge, its destination MAC becomes the bridge's (ether_addr_copy,
    // PACKET_HOST) and it goes up.
    const dnat = skb.dst !== dstBefore;
    if (toBridge || dnat) {
      const r = this.res;
      if (!dnat || !this.dnatBridged(br, skb) || host.isLocal(skb.dst)) {
        if (!toBridge) frame.set(br.mac, 0);
        if (host.tracing) host.trace({ kind: 'packet', host: host.name, ifname: br.name, dir: 'in', frame });
        return ip4.input(br, ip, skb, frame, port.name);
      }
      if (host.tracing)
        host.trace({
          kind: 'route',
          host: host.name,
          dst: formatIpv4(skb.dst),
          decision: 'bridge',
          dev: br.name,
        });
      const nexthop = r.via || skb.dst;
      dstMac = host.neigh.get(br.name, nexthop);
      if (!dstMac) {
        // Resolve the new destination first; the frame waits and then leaves by the neighbour
        // output path below.
        const keep = frame.slice();
        const ctState = [skb.ct, skb.ctDir, skb.ctinfo, skb.mark, skb.priority] as const;
        return host.neigh.resolve(br.name, nexthop, () => {
          const mac = host.neigh.get(br.name, nexthop);
          if (!mac) return;
          this.viaNeighbour(br, keep, mac);
          const s2 = ip4.skb.load(keep.subarray(ETH_HEADER_LEN), 0, br.name, '');
          [s2.ct, s2.ctDir, s2.ctinfo, s2.mark, s2.priority] = ctState;
          s2.physIn = port.name;
          this.outHooks(br, s2, keep, port.name);
        });
      }
      if (!host.neigh.isReachable(br.name, nexthop)) this.viaNeighbour(br, frame, dstMac);
      frame.set(dstMac, 0);
    }
    this.outHooks(br, skb, frame, port.name);
  }

  /**
   * br_nf_pre_routing_finish after DNAT: ip_route_input(skb, daddr, saddr, tos, br) (the policy
   * rules with skb->mark and iif the bridge) found a route out of the bridge itself. Anything else
   * (another device, a local or error route) goes up, where ip4.input makes the same lookup. With
   * forwarding off on the bridge, ip_route_input_slow takes even a unicast route out of it to
   * no_route (`!IN_DEV_FORWARD(in_dev)`: err = -EHOSTUNREACH): it returns no error but a dst on
   * lo whose input is ip_error, so the frame is not bridged back (skb_dst(skb)->dev != dev) but
   * goes up, and ip_error drops it in silence (no ICMP while the device does not forward). The
   * -EHOSTUNREACH branch that would bridge it without ip_forwarding ("Bridged-and-DNAT'ed traffic
   * doesn't require ip_forwarding") is not reached on Linux 6.18.
   */
  private dnatBridged(br: Iface, skb: Skb): boolean {
    const k = inputFlowKey(this.key, skb, skb.dst, skb.buf[skb.off + 1]!, br.name);
    const res = this.res;
    return (
      this.host.routeLookup(k, res) === 0 &&
      !isLocalType(res.route) &&
      res.dev === br.name &&
      this.host.sysctl('net.ipv4.ip_forward', 0) === 1
    );
  }

  /**
   * br_nf_pre_routing_finish_bridge: unless the neighbour is NUD_CONNECTED with a cached header,
   * the frame goes through neigh->output on the bridge device, which writes a whole new Ethernet
   * header (the bridge's own MAC as source): tcpdump sees it "out" on the bridge then. The
   * original source MAC is put back before it leaves by the port (..._finish_bridge_slow).
   */
  private viaNeighbour(br: Iface, frame: Uint8Array, dstMac: Uint8Array): void {
    frame.set(dstMac, 0);
    if (!this.host.tracing) return;
    const seen = frame.slice();
    seen.set(br.mac, 6);
    this.host.trace({ kind: 'packet', host: this.host.name, ifname: br.name, dir: 'out', frame: seen });
  }

  /** FORWARD and POSTROUTING for a bridged frame, then out of its port. */
  private outHooks(br: Iface, skb: Skb, frame: Uint8Array, inPort: string): void {
    const host = this.host;
    const nf = host.nf!;
    const bridge = host.bridges.get(br.name)!;
    const out = bridge.portFor(frame);
    skb.outIf = br.name;
    skb.physOut = out ?? '';
    const now = host.env.now();
    if (nf.forward(skb, now) !== NF_ACCEPT) return host.ip4.nfDrop(skb, inPort, frame);
    if (nf.postrouting(skb, now) !== NF_ACCEPT) return host.ip4.nfDrop(skb, inPort, frame);
    bridge.forward(refit(frame, skb), inPort);
  }
}

/**
 * TCPMSS may have moved a bridged packet to a larger buffer (an MSS option added): the frame
 * follows it, and the packet is again a view of the frame.
 */
function refit(frame: Uint8Array, skb: Skb): Uint8Array {
  if (skb.buf.buffer === frame.buffer) return frame;
  const f = new Uint8Array(ETH_HEADER_LEN + skb.len);
  f.set(frame.subarray(0, ETH_HEADER_LEN));
  f.set(skb.buf.subarray(0, skb.len), ETH_HEADER_LEN);
  skb.buf = f.subarray(ETH_HEADER_LEN);
  return f;
}
