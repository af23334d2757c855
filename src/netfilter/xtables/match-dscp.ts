// -m dscp (xt_dscp.c dscp_mt): the upper six bits of the TOS byte.
import { inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const dscpMatch: XtMatch<MatchOf<'dscp'>> = {
  match: (m, skb) => inv(skb.buf[skb.off + 1]! >> 2 === m.dscp.value, m.dscp.invert),
};
