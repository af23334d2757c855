// -m connlimit: not evaluated yet.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const connlimitMatch: XtMatch<MatchOf<'connlimit'>> = {
  check: () => 'match "connlimit" is not simulated yet',
  match: () => false,
};
