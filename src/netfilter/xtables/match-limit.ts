// -m limit (xt_limit.c limit_mt): a token bucket of `burst` packets refilled at one per `avg`.
// The bucket is per rule and per engine (the kernel's `priv`, allocated in limit_mt_check): it is
// made when the engine compiles the chain, never shared through the ruleset's objects.
import { XT_LIMIT_SCALE } from '../../rules/iptables/model.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

/** One rule's bucket: credit in seconds, and when it was last refilled. */
export interface LimitState {
  credit: number;
  prev: number;
  /** No packet seen yet: the first one fills the bucket to its cap at its own time. */
  fresh: boolean;
}

export const limitMatch: XtMatch<MatchOf<'limit'>, LimitState> = {
  check: (m, caps) => needs(m.module, 'the time (skb.now)', caps.clock),
  newState: () => ({ credit: 0, prev: 0, fresh: true }),
  match(m, skb, st) {
    const now = skb.now;
    const cost = m.avg / XT_LIMIT_SCALE; // seconds per packet
    const cap = cost * m.burst;
    if (st.fresh) {
      st.fresh = false;
      st.credit = cap;
      st.prev = now;
    }
    st.credit = Math.min(cap, st.credit + Math.max(0, now - st.prev));
    st.prev = now;
    if (st.credit >= cost) {
      st.credit -= cost;
      return true;
    }
    return false;
  },
};
