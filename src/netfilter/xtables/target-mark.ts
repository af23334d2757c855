// MARK (xt_mark.c mark_tg) and CONNMARK (xt_connmark.c connmark_tg_shift without the shift):
// skb->mark and the conntrack entry's mark, x = (x & ~mask) ^ value.
import { XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

export const markTarget: XtTarget<TargetOf<'MARK'>> = {
  run(t, skb) {
    skb.mark = ((skb.mark & ~t.mask) ^ t.value) >>> 0;
    return XT_CONTINUE;
  },
};

export const connmarkTarget: XtTarget<TargetOf<'CONNMARK'>> = {
  run(t, skb) {
    if (skb.ct < 0 || !skb.env) return XT_CONTINUE;
    const marks = skb.env.conntrack.mark;
    const e = skb.ct;
    if (t.op === 'set') marks[e] = ((marks[e]! & ~t.mask) ^ t.value) >>> 0;
    else if (t.op === 'save') marks[e] = ((marks[e]! & ~t.ctmask) ^ (skb.mark & t.nfmask)) >>> 0;
    else skb.mark = ((skb.mark & ~t.nfmask) ^ (marks[e]! & t.ctmask)) >>> 0;
    return XT_CONTINUE;
  },
};
