// -m quota (xt_quota.c quota_mt): each packet that still fits takes its length (skb->len, the IP
// total length) from the rule's quota and matches; the first one that does not fit empties the
// quota, and from then on nothing matches ("!" reverses both). The remaining bytes are the
// kernel's xt_quota_priv: per rule and per engine, made when the chain is compiled.
import type { MatchOf, XtMatch } from './xt-match.ts';

/** One rule's remaining bytes (a double: exact below 2^53, any real quota). */
export interface QuotaState {
  left: number;
}

export const quotaMatch: XtMatch<MatchOf<'quota'>, QuotaState> = {
  newState: (m) => ({ left: Number(m.quota) }),
  match(m, skb, st) {
    if (st.left >= skb.len) {
      st.left -= skb.len;
      return !m.invert;
    }
    st.left = 0;
    return m.invert;
  },
  describe: (m, skb) =>
    m.invert
      ? `-m quota: the packet (${skb.len} bytes) still fits in the quota`
      : `-m quota: the quota of ${m.quota} bytes is used up (packet of ${skb.len} bytes)`,
};
