// Any module the front end read but natbox does not evaluate: refused by check, never evaluated.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const otherMatch: XtMatch<MatchOf<'other'>> = {
  check: (m) => `unsupported match "${m.name}"`,
  match: () => false, // refused by check; never reached
  describe: (m) => `-m ${m.name} did not match`,
};
