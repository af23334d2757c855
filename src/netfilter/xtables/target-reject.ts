// REJECT (ipt_REJECT.c): a drop that makes the host answer (the stack sends --reject-with).
import { T_REJECT } from '../core/table.ts';
import type { TargetOf, XtTarget } from './xt-target.ts';

export const rejectTarget: XtTarget<TargetOf<'REJECT'>> = {
  run(t, skb) {
    skb.rejectWith = t.with;
    return T_REJECT;
  },
};
