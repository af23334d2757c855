// -m connbytes (xt_connbytes.c connbytes_mt): the entry's packet or byte counters (nf_conn_acct)
// of one direction or both, or the average packet size (bytes / packets, 0 with no packet),
// compared with [from, to]; from > to is the inverted form (what < to || what > from). No entry,
// or an entry made before accounting was on, does not match (whatever the "!"). The counters
// include the packet being matched: nf_conntrack_in counts it (nf_ct_refresh_acct) before any
// rule sees it. A ruleset with -m connbytes turns accounting on (connbytes_mt_check), as
// ctExtensions (check.ts) tells the engine when it is built.
import type { Skb } from '../core/skb.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

type M = MatchOf<'connbytes'>;

/** The bounds as doubles (the counters are doubles, exact to 2^53). */
export interface ConnbytesState {
  readonly from: number;
  readonly to: number;
  readonly inverted: boolean;
  /** 0 packets, 1 bytes, 2 avgpkt; 0 original, 1 reply, 2 both. */
  readonly mode: number;
  readonly dir: number;
}

/** The counter the rule compares, or -1 when there is none (no entry, no accounting). */
function what(st: ConnbytesState, skb: Skb): number {
  const a = skb.env?.conntrack.acct;
  if (skb.ct < 0 || a === undefined) return -1;
  const i = skb.ct * 4;
  const op = a[i]!;
  const ob = a[i + 1]!;
  const rp = a[i + 2]!;
  const rb = a[i + 3]!;
  if (st.mode === 2) {
    const p = st.dir === 0 ? op : st.dir === 1 ? rp : op + rp;
    const b = st.dir === 0 ? ob : st.dir === 1 ? rb : ob + rb;
    return p === 0 ? 0 : Math.floor(b / p);
  }
  const off = st.mode; // packets at +0, bytes at +1
  return st.dir === 0 ? a[i + off]! : st.dir === 1 ? a[i + 2 + off]! : a[i + off]! + a[i + 2 + off]!;
}

export const connbytesMatch: XtMatch<M, ConnbytesState> = {
  check: (m, caps) => needs(m.module, 'the conntrack entry (skb.env)', caps.env),
  newState: (m) => ({
    from: Number(m.from),
    to: Number(m.to),
    inverted: BigInt(m.from) > BigInt(m.to),
    mode: m.mode === 'packets' ? 0 : m.mode === 'bytes' ? 1 : 2,
    dir: m.dir === 'original' ? 0 : m.dir === 'reply' ? 1 : 2,
  }),
  match(_m, skb, st) {
    const w = what(st, skb);
    if (w < 0) return false;
    return st.inverted ? w < st.to || w > st.from : w <= st.to && w >= st.from;
  },
  describe(m, skb, st) {
    if (!st) return '-m connbytes did not match';
    const w = what(st, skb);
    if (w < 0) return '-m connbytes: no conntrack entry with counters';
    const range = st.inverted ? `not ${m.to}-${m.from}` : `${m.from}-${m.to}`;
    return `-m connbytes: ${m.mode} (${m.dir}) is ${w}, not in ${range}`;
  },
};
