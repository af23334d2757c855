// -m comment (xt_comment.c): always matches; the text is only printed.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const commentMatch: XtMatch<MatchOf<'comment'>> = { match: () => true };
