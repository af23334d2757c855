// -m hashlimit: read and printed; its evaluation comes in the next step.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const hashlimitMatch: XtMatch<MatchOf<'hashlimit'>> = {
  check: () => 'match "hashlimit" is not evaluated yet: not simulated',
  match: () => false,
};
