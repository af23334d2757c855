// TCPMSS (xt_TCPMSS.c): the MSS option lowered or added; tcpmss.ts holds the transcription.
import { T_DROP } from '../core/table.ts';
import { tcpmssTarget as tcpmss } from './tcpmss.ts';
import { XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

export const tcpmssTarget: XtTarget<TargetOf<'TCPMSS'>> = {
  run: (t, skb) => (tcpmss(skb, t.mss) ? XT_CONTINUE : T_DROP),
};
