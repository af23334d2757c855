// -m pkttype (xt_pkttype.c pkttype_mt): the link-layer class of the packet (skb->pkt_type).
import type { PktTypeName } from '../../rules/iptables/model.ts';
import { PACKET_BROADCAST, PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST } from '../core/skb.ts';
import { inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

function pktTypeName(t: number): PktTypeName | 'outgoing' {
  switch (t) {
    case PACKET_HOST:
      return 'unicast';
    case PACKET_BROADCAST:
      return 'broadcast';
    case PACKET_MULTICAST:
      return 'multicast';
    case PACKET_OTHERHOST:
      return 'otherhost';
    default:
      return 'outgoing';
  }
}

export const pkttypeMatch: XtMatch<MatchOf<'pkttype'>> = {
  check: (m, caps) => needs(m.module, 'the Ethernet header (skb.srcMac, skb.pktType)', caps.linkLayer),
  match: (m, skb) => inv(pktTypeName(skb.pktType) === m.pktType.value, m.pktType.invert),
};
