// -m ttl (xt_hl.c ttl_mt): the IP header's TTL compared with a number.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const ttlMatch: XtMatch<MatchOf<'ttl'>> = {
  match(m, skb) {
    const ttl = skb.buf[skb.off + 8]!;
    switch (m.op) {
      case 'eq':
        return ttl === m.ttl;
      case 'ne':
        return ttl !== m.ttl;
      case 'lt':
        return ttl < m.ttl;
      default:
        return ttl > m.ttl;
    }
  },
};
