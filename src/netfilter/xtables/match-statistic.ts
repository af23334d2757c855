// -m statistic (xt_statistic.c statistic_mt): random with a probability (the simulation's RNG), or
// every n-th packet. The nth counter is per rule and per engine (the kernel's `master->count`):
// made when the engine compiles the chain. It starts at `every - 1 - packet` (libxt_statistic's
// final check writes u.nth.count = every - packet, with every already decreased) and the packet
// that brings it back to 0 matches, so --packet 0 is the first packet, 1 the second, ...
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

/** One rule's nth counter (the kernel keeps it from 0 to every - 1; a match when it wraps to 0). */
export interface NthState {
  count: number;
}

export const statisticMatch: XtMatch<MatchOf<'statistic'>, NthState> = {
  check: (m, caps) =>
    m.mode === 'random' ? needs(m.module, "the simulation's RNG (skb.env)", caps.env) : undefined,
  newState: (m) => ({ count: m.mode === 'nth' ? m.every - 1 - m.packet : 0 }),
  match(m, skb, st) {
    let ret = m.invert;
    if (m.mode === 'random') {
      if ((skb.env!.random32() & 0x7fffffff) < m.probability) ret = !ret;
      return ret;
    }
    const every = m.every - 1; // the kernel keeps every - 1
    st.count = st.count === every ? 0 : st.count + 1;
    if (st.count === 0) ret = !ret;
    return ret;
  },
};
