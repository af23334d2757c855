// -m comment (libxt_comment.c): --comment TEXT, at most 255 bytes; matches every packet.
import type { Token } from '../lex.ts';
import { fail, once, opt, type ModuleParser } from '../parse-util.ts';
import { saveString, type MatchExt } from './ext.ts';

export interface CommentMatch {
  readonly module: 'comment';
  readonly comment: string;
}

function parser(tok: Token): ModuleParser {
  let comment: string | undefined;
  return {
    name: 'comment',
    tok,
    opts: [opt('comment', 1, false)],
    option(_id, args, _invert, optTok) {
      once(comment, optTok, 'comment');
      const t = args[0]!;
      if (new TextEncoder().encode(t.text).length > 255) fail(t, 'comment is longer than 255 bytes');
      comment = t.text;
    },
    finish() {
      if (comment === undefined) fail(tok, 'match "comment" needs "--comment"');
      return { module: 'comment', comment: comment! };
    },
  };
}

export const comment: MatchExt<CommentMatch> = {
  name: 'comment',
  parser,
  save: (m) => ` --comment ${saveString(m.comment)}`,
  print: (m) => ` /* ${m.comment} */`,
};
