// -m policy (xt_policy.c policy_mt): the simulator has no IPsec, so no packet has a security path
// (--dir in) or an xfrm bundle on its route (--dir out): match_policy_in/out answer "no policy"
// (-1) and the match is true exactly for --pol none, never for --pol ipsec.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const policyMatch: XtMatch<MatchOf<'policy'>> = {
  match: (m) => m.pol === 'none',
  describe: (m) =>
    `-m policy --dir ${m.dir} --pol ipsec: natbox simulates no IPsec, so no packet was ${m.dir === 'in' ? 'decapsulated by' : 'routed into'} an IPsec policy`,
};
