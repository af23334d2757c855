// -m state (xt_state.c): the packet's conntrack state among the listed ones.
import { ctStateName, inv, type MatchOf, type XtMatch } from './xt-match.ts';

export const stateMatch: XtMatch<MatchOf<'state'>> = {
  match: (m, skb) => inv(m.state.value.includes(ctStateName(skb)), m.state.invert),
  describe: (_m, skb) => `-m state: ctstate ${ctStateName(skb)}`,
};
