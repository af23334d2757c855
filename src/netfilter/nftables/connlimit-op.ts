// `ct count [over] N` (nft_connlimit.c nft_connlimit_do_eval with nf_conncount.c's list): the
// connections this expression has seen, the packet's own included, against N. Each expression has
// one list of original tuples (priv->list), walked and trimmed as -m connlimit's per-address lists
// are (xtables/match-connlimit.ts ConnlimitState, reused: a tuple whose entry is gone, or whose TCP
// state is TIME_WAIT or CLOSE, leaves; the packet's own tuple is never added twice). In a set
// element (`add @s { ip saddr ct count over 2 }`, the meter form) each element has its own list,
// cloned empty when the element is made (nft_connlimit_clone): here a list per element slot,
// emptied when a new element takes the slot. The rule breaks (NFT_BREAK) when
// `(count > N) ^ over` (NFT_CONNLIMIT_F_INV): `ct count 2` goes on at 2 or fewer, `ct count over 2`
// above 2.
import { ConnlimitState } from '../xtables/match-connlimit.ts';
import { DIR_ORIGINAL } from '../conntrack/tuple.ts';
import type { Skb } from '../core/skb.ts';

const R_GO = 0;
const R_BREAK = 1;

/** The count of list `key` after the packet's connection is added to it (nf_conncount_add). */
export function connlimitCount(st: ConnlimitState, key: number, skb: Skb): number {
  const t = st.t;
  // nf_ct_get: the entry's original tuple; none (not tracked, untracked): the packet's own
  // (nf_ct_get_tuplepr).
  if (skb.ct >= 0 && skb.env) skb.env.conntrack.readTuple(skb.ct, DIR_ORIGINAL, t);
  else t.set(skb.src, skb.dst, skb.proto, skb.sport, skb.dport);
  return (st.last = st.countAdd(key, t, skb));
}

/** The verdict code of `ct count [over] limit` for the packet, on list `key` of `st`. */
export function connlimitEval(
  st: ConnlimitState,
  key: number,
  limit: number,
  over: boolean,
  skb: Skb,
): number {
  return connlimitCount(st, key, skb) > limit !== over ? R_BREAK : R_GO;
}

/** One expression's lists (the mask is unused: keys are 0 for a rule, the slot in a set). */
export function newConnlimitState(): ConnlimitState {
  return new ConnlimitState(32);
}
