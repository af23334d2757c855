// SYNPROXY (ipt_SYNPROXY.c: synproxy_tg4, synproxy_tg4_check): a TCP SYN answered with a syncookie,
// a client's ACK with a valid one relayed to the server as our own SYN; both are taken (NF_STOLEN),
// an ACK with a bad cookie dropped, anything else left to the next rule. The work, and the hook
// that follows the connection afterwards, is the engine's (core/synproxy.ts), reached through
// the table's env as the kernel's nf_synproxy_core.
import { T_DROP } from '../core/table.ts';
import { onlyChains, type TargetOf, type XtTarget } from './xt-target.ts';

export const synproxyTarget: XtTarget<TargetOf<'SYNPROXY'>> = {
  // xt_target.hooks: LOCAL_IN and FORWARD; -p tcp is the front end's check (finish()).
  check: (_t, _table, chain) => onlyChains('SYNPROXY', chain, 'INPUT', 'FORWARD'),
  run: (t, skb, _hook, now, ctx) => (ctx.env.synproxy === undefined ? T_DROP : ctx.env.synproxy(skb, t, now)),
};
