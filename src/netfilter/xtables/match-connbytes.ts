// -m connbytes: not evaluated yet.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const connbytesMatch: XtMatch<MatchOf<'connbytes'>> = {
  check: () => 'match "connbytes" is not simulated yet',
  match: () => false,
};
