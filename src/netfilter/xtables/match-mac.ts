// -m mac (xt_mac.c mac_mt): the frame's source MAC. No Ethernet header (locally generated): no
// match, whatever the "!".
import { inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const macMatch: XtMatch<MatchOf<'mac'>> = {
  check: (m, caps) => needs(m.module, 'the Ethernet header (skb.srcMac, skb.pktType)', caps.linkLayer),
  match: (m, skb) => skb.srcMac !== '' && inv(skb.srcMac === m.mac.value, m.mac.invert),
};
