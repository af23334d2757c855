// -m physdev (xt_physdev.c physdev_mt): the bridge ports of a bridged packet.
import { ifaceMatches, inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const physdevMatch: XtMatch<MatchOf<'physdev'>> = {
  match(m, skb) {
    if (skb.physIn === '' && skb.physOut === '') {
      // Not bridged: a match only when every option used is inverted.
      if (m.isBridged && !m.isBridged.invert) return false;
      if (m.isIn && !m.isIn.invert) return false;
      if (m.isOut && !m.isOut.invert) return false;
      if (m.physIn && !m.physIn.invert) return false;
      if (m.physOut && !m.physOut.invert) return false;
      return true;
    }
    const outdev = skb.physOut;
    const indev = skb.physIn;
    if (m.isBridged && !inv(outdev !== '', m.isBridged.invert)) return false;
    if (m.isIn && !inv(indev !== '', m.isIn.invert)) return false;
    if (m.isOut && !inv(outdev !== '', m.isOut.invert)) return false;
    if (m.physIn && indev !== '' && !inv(ifaceMatches(indev, m.physIn.value), m.physIn.invert)) return false;
    if (!m.physOut || outdev === '') return true;
    return inv(ifaceMatches(outdev, m.physOut.value), m.physOut.invert);
  },
};
