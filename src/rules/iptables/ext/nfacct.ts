// -m nfacct (libxt_nfacct.c): --nfacct-name NAME, an nfacct object's counters. iptables 1.8.9
// prints the name after two blanks (" %snfacct-name " then xtables_save_string's own blank).
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import { saveString, type MatchExt } from './ext.ts';

export interface NfacctMatch {
  readonly module: 'nfacct';
  readonly name: string;
}

/** NFACCT_NAME_MAX: longer names are cut. */
const NAME_MAX = 32;

function parser(tok: Token): ModuleParser {
  let name: string | undefined;
  return {
    name: 'nfacct',
    tok,
    opts: [opt('nfacct-name', 1, false)],
    option(_id, args, _invert, optTok) {
      if (name !== undefined) fail(optTok, 'nfacct: option "--nfacct-name" can only be used once');
      const t = args[0]!;
      if (t.text.length < 1) fail(t, 'nfacct: "--nfacct-name" must have a minimum length of 1 characters');
      if (t.text.includes('\n')) fail(t, 'Newlines not allowed in --nfacct-name');
      name = t.text.slice(0, NAME_MAX - 1);
    },
    finish() {
      if (name === undefined) fail(tok, 'nfacct: option "--nfacct-name" must be specified');
      return { module: 'nfacct', name: name! };
    },
  };
}

export const nfacct: MatchExt<NfacctMatch> = {
  name: 'nfacct',
  parser,
  save: (m) => ` --nfacct-name  ${saveString(m.name)}`,
  print: (m) => ` nfacct-name  ${saveString(m.name)}`,
};
