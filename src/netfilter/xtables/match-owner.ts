// -m owner (xt_owner.c owner_mt): the sending socket's uid/gid; with no socket, a match only when
// every option used is inverted.
import { inRange, inv, needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const ownerMatch: XtMatch<MatchOf<'owner'>> = {
  check: (m, caps) => needs(m.module, "the sending socket's uid/gid (skb.uid, skb.gid)", caps.owner),
  match(m, skb) {
    if (skb.uid < 0) {
      if (m.socketExists && !m.socketExists.invert) return false;
      if (m.uid && !m.uid.invert) return false;
      if (m.gid && !m.gid.invert) return false;
      return true;
    }
    if (m.socketExists?.invert) return false;
    if (m.uid && !inv(inRange(skb.uid, m.uid.value), m.uid.invert)) return false;
    if (m.gid && !inv(inRange(skb.gid, m.gid.value), m.gid.invert)) return false;
    return true;
  },
};
