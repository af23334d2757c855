// -m multiport (xt_multiport.c ports_match_v1): up to 15 ports or ranges, source, destination or either.
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { inRange, inv, portsWord, protoWord, type MatchOf, type XtMatch } from './xt-match.ts';

export const multiportMatch: XtMatch<MatchOf<'multiport'>> = {
  match(m, skb) {
    if ((skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) || skb.fragment) return false;
    const rs = m.ports.value;
    let hit = false;
    for (let k = 0; k < rs.length; k++) {
      const r = rs[k]!;
      if ((m.kind !== 'dports' && inRange(skb.sport, r)) || (m.kind !== 'sports' && inRange(skb.dport, r))) {
        hit = true;
        break;
      }
    }
    return inv(hit, m.ports.invert);
  },
  describe: (_m, skb) => `-m multiport: ${protoWord(skb.proto)}${portsWord(skb)}`,
};
