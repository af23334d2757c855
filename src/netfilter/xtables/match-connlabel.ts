// -m connlabel: not evaluated yet.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const connlabelMatch: XtMatch<MatchOf<'connlabel'>> = {
  check: () => 'match "connlabel" is not simulated yet',
  match: () => false,
};
