// The flow key of ip_route_input for a received packet (ip_route_input_slow's fl4: daddr, saddr,
// tos, mark, iif, protocol and the ports fib_multipath_hash reads), shared by the IPv4 input
// (ip_rcv_finish) and br_netfilter's route lookup of a bridged packet DNAT changed
// (br_nf_pre_routing_finish).
import { ROUTE_TOS_MASK, type FlowKey } from '../route/policy.ts';
import type { Skb } from '../netfilter/core/skb.ts';

/** Fills `k` for `skb` received on `iif`, to `dst`, with the header's TOS byte `tosByte`. */
export function inputFlowKey(k: FlowKey, skb: Skb, dst: number, tosByte: number, iif: string): FlowKey {
  k.dst = dst;
  k.src = skb.src;
  k.tos = tosByte & ROUTE_TOS_MASK;
  k.mark = skb.mark;
  k.iif = iif;
  k.oif = '';
  k.proto = skb.proto;
  // TCP, UDP, SCTP, UDP-Lite: the protocols whose ports the multipath hash takes.
  const ports = skb.proto === 6 || skb.proto === 17 || skb.proto === 132 || skb.proto === 136;
  k.sport = ports ? skb.sport : 0;
  k.dport = ports ? skb.dport : 0;
  return k;
}
