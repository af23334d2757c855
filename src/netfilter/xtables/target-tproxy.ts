// TPROXY (xt_TPROXY.c tproxy_tg4_v1, its checkentry tproxy_tg4_check): the packet is handed to a
// transparent socket (core/tproxy.ts), its mark set as --tproxy-mark value/mask says, and
// accepted; with no transparent socket to take it, dropped. Only in mangle PREROUTING (and user
// chains called from there); "-p tcp" or "-p udp" is the front end's check.
import { T_ACCEPT, T_DROP } from '../core/table.ts';
import { tproxyAssign } from '../core/tproxy.ts';
import { onlyChains, onlyTables, type TargetOf, type XtTarget } from './xt-target.ts';

export const tproxyTarget: XtTarget<TargetOf<'TPROXY'>> = {
  check: (_t, table, chain) =>
    onlyTables('TPROXY', table, 'mangle') ?? onlyChains('TPROXY', chain, 'PREROUTING'),
  run(t, skb) {
    if (!tproxyAssign(skb, t.addr, t.port)) return T_DROP;
    skb.mark = ((skb.mark & ~t.markMask) ^ t.markValue) >>> 0;
    return T_ACCEPT;
  },
};
