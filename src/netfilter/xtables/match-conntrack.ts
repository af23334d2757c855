// -m conntrack (xt_conntrack.c conntrack_mt, revision 3): the state, and the entry's tuples,
// status, expiry and direction.
import type { Inv } from '../../rules/iptables/model.ts';
import type { Prefix } from '../../wire/addr.ts';
import { IPS_CONFIRMED, IPS_DST_NAT, IPS_SRC_NAT } from '../conntrack/table.ts';
import { TupleBuf } from '../conntrack/tuple.ts';
import { ctStateName, inRange, inv, needs, portOk, type MatchOf, type XtMatch } from './xt-match.ts';

const tupleBuf = new TupleBuf();

const pfx = (a: number, p: Inv<Prefix> | undefined): boolean =>
  p === undefined || inv((a & p.value.mask) >>> 0 === p.value.addr, p.invert);

const CT_ONLY_STATE = new Set(['module', 'ctstate']);

export const conntrackMatch: XtMatch<MatchOf<'conntrack'>> = {
  check(m, caps) {
    if (Object.keys(m).every((k) => CT_ONLY_STATE.has(k))) return undefined;
    if (m.ctexpire && !caps.clock) return needs(m.module, 'the time (skb.now)', caps.clock);
    return needs(m.module, 'the conntrack entry (skb.env)', caps.env);
  },
  match(m, skb) {
    const e = skb.ct;
    const env = skb.env;
    if (m.ctstate) {
      const list = m.ctstate.value;
      let hit = list.includes(ctStateName(skb));
      if (!hit && e >= 0 && env) {
        const st = env.conntrack.status[e]!;
        hit =
          (list.includes('SNAT') && (st & IPS_SRC_NAT) !== 0) ||
          (list.includes('DNAT') && (st & IPS_DST_NAT) !== 0);
      }
      if (!inv(hit, m.ctstate.invert)) return false;
    }
    if (e < 0 || !env) return m.ctstate !== undefined;
    const ct = env.conntrack;
    if (m.ctdir && (skb.ctDir === 0) !== (m.ctdir === 'ORIGINAL')) return false;
    const orig = ct.readTuple(e, 0, tupleBuf);
    if (!pfx(orig.src, m.ctorigsrc) || !pfx(orig.dst, m.ctorigdst)) return false;
    if (m.ctproto && !inv(orig.proto === m.ctproto.value, m.ctproto.invert)) return false;
    if (!portOk(orig.sport, m.ctorigsrcport) || !portOk(orig.dport, m.ctorigdstport)) return false;
    const repl = ct.readTuple(e, 1, tupleBuf);
    if (!pfx(repl.src, m.ctreplsrc) || !pfx(repl.dst, m.ctrepldst)) return false;
    if (!portOk(repl.sport, m.ctreplsrcport) || !portOk(repl.dport, m.ctrepldstport)) return false;
    if (m.ctstatus && !inv((m.ctstatus.value & ct.status[e]!) !== 0, m.ctstatus.invert)) return false;
    if (m.ctexpire) {
      // nf_ct_expires(ct) / HZ: 0 for an entry not confirmed yet (its ct->timeout is relative).
      const left =
        (ct.status[e]! & IPS_CONFIRMED) === 0 ? 0 : Math.max(0, Math.floor(ct.expires[e]! - skb.now));
      if (!inv(inRange(left, m.ctexpire.value), m.ctexpire.invert)) return false;
    }
    return true;
  },
  describe: (_m, skb) => `-m conntrack: ctstate ${ctStateName(skb)}`,
};
