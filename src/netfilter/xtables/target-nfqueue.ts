// NFQUEUE (xt_NFQUEUE.c, nf_queue.c): the packet goes to a userspace listener on the queue. natbox
// has the listeners a scenario gives (`queues:`, XtEnv.queueVerdict), each answering one verdict
// for every packet: accept (nf_reinject: the hook goes on with its next table, the packet leaves
// this table accepted) or drop. With nobody on the queue nf_queue finds no instance: with
// --queue-bypass nf_hook_slow goes on with the hook's next table (the packet leaves this table
// accepted), without it the packet is dropped (kfree_skb_reason(NETFILTER_DROP)). --queue-balance
// spreads by nfqueue_hash (a seed random at boot) or, with --queue-cpu-fanout, by CPU: natbox
// takes the first queue of the range (CPU 0).
import { T_ACCEPT, T_DROP } from '../core/table.ts';
import { NF_ACCEPT, NF_DROP } from '../core/verdict.ts';
import type { TargetOf, XtTarget } from './xt-target.ts';

export const nfqueueTarget: XtTarget<TargetOf<'NFQUEUE'>> = {
  run: (t, skb) => {
    const v = skb.env?.queueVerdict?.(t.queue) ?? -1;
    if (v === NF_ACCEPT) return T_ACCEPT;
    if (v === NF_DROP) return T_DROP;
    return t.bypass ? T_ACCEPT : T_DROP;
  },
  note: 'NFQUEUE: no queue listener unless the scenario gives one in queues: (--queue-bypass: the packet leaves the table accepted; else dropped)',
};
