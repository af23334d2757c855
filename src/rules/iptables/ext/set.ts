// -m set (libxt_set.c, revision 4 as iptables-save prints it): --match-set NAME src|dst[,...],
// invertible; the sets themselves come from an `ipset save` file (rules/ipset.ts).
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

/** ipset: `--match-set NAME src,dst`. */
export interface SetMatch {
  readonly module: 'set';
  readonly set: string;
  readonly dirs: readonly ('src' | 'dst')[];
  readonly invert: boolean;
}

function parser(tok: Token): ModuleParser {
  let set: { name: string; dirs: ('src' | 'dst')[]; invert: boolean } | undefined;
  return {
    name: 'set',
    tok,
    opts: [opt('match-set', 2, true), opt('set', 2, true, 'match-set')],
    option(_id, args, invert, optTok) {
      if (set) fail(optTok, 'match "set" takes one "--match-set" (use another "-m set" for a second set)');
      const [nameTok, flagsTok] = args as [Token, Token];
      if (nameTok.text.length > 31) fail(nameTok, `set name "${nameTok.text}" is longer than 31 characters`);
      const dirs = flagsTok.text.split(',');
      if (dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst')) {
        fail(flagsTok, `bad set flags "${flagsTok.text}" (expected a comma list of src and dst, at most 6)`);
      }
      set = { name: nameTok.text, dirs: dirs as ('src' | 'dst')[], invert };
    },
    finish() {
      if (!set) fail(tok, 'match "set" needs "--match-set NAME src|dst"');
      return { module: 'set', set: set!.name, dirs: set!.dirs, invert: set!.invert };
    },
  };
}

export const set: MatchExt<SetMatch> = {
  name: 'set',
  parser,
  save: (m) => `${bang(m.invert)} --match-set ${m.set} ${m.dirs.join(',')}`,
  print: (m) => `${bang(m.invert)} match-set ${m.set} ${m.dirs.join(',')}`,
};
