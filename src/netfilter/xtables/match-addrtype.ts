// -m addrtype (xt_addrtype.c addrtype_mt_v1): the route type of the source or destination address.
import { RTN_BROADCAST, RTN_MULTICAST, RTN_UNICAST, type Skb } from '../core/skb.ts';
import { inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

/** ip_hdr address classes first, then the host's local table (__inet_dev_addr_type, fib_frontend.c). */
function addrType(skb: Skb, addr: number, dev: string | undefined): number {
  if (addr >>> 24 === 0 || addr === 0xffffffff) return RTN_BROADCAST;
  if (addr >>> 28 === 0xe) return RTN_MULTICAST;
  return skb.env ? skb.env.addrType(addr, dev) : RTN_UNICAST;
}

export const addrtypeMatch: XtMatch<MatchOf<'addrtype'>> = {
  check: (m, caps) => needs(m.module, "the host's local addresses (skb.env)", caps.env),
  match(m, skb) {
    const dev = m.limitIfaceIn ? skb.inIf : m.limitIfaceOut ? skb.outIf : undefined;
    if (m.srcType && !inv((m.srcType.value & (1 << addrType(skb, skb.src, dev))) !== 0, m.srcType.invert))
      return false;
    if (m.dstType && !inv((m.dstType.value & (1 << addrType(skb, skb.dst, dev))) !== 0, m.dstType.invert))
      return false;
    return true;
  },
};
