// NFQUEUE (xt_NFQUEUE.c, nf_queue.c): the packet goes to a userspace listener on the queue. natbox
// has no listeners, so nf_queue finds no instance: with --queue-bypass nf_hook_slow goes on with
// the hook's next table (the packet leaves this table accepted), without it the packet is
// dropped (kfree_skb_reason(NETFILTER_DROP), as the kernel with nobody on the queue).
import { T_ACCEPT, T_DROP } from '../core/table.ts';
import type { TargetOf, XtTarget } from './xt-target.ts';

export const nfqueueTarget: XtTarget<TargetOf<'NFQUEUE'>> = {
  run: (t) => (t.bypass ? T_ACCEPT : T_DROP),
  note: 'NFQUEUE: no queue listener (--queue-bypass: the packet leaves the table accepted; else dropped)',
};
