// TEE (xt_TEE.c): a copy of the packet to --gateway, out of --oif when that device exists
// (nf_dup_ipv4: core/dup.ts); the original goes on (XT_CONTINUE). Valid in every table and chain.
import type { TargetOf, XtTarget } from './xt-target.ts';
import { XT_CONTINUE } from './xt-target.ts';

export const teeTarget: XtTarget<TargetOf<'TEE'>> = {
  run(t, skb, hook, _now, ctx) {
    ctx.env.dup?.(skb, t.gateway, t.oif, hook);
    return XT_CONTINUE;
  },
};
