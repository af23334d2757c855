// -m dscp (libxt_dscp.c): one of --dscp 0-63 or --dscp-class NAME, invertible.
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { DSCP_CLASSES } from '../names.ts';
import { fail, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import { bang, hex2, type MatchExt } from './ext.ts';

/** The upper six bits of the TOS byte. */
export interface DscpMatch {
  readonly module: 'dscp';
  readonly dscp: Inv<number>;
}

function parser(tok: Token): ModuleParser {
  let dscp: Inv<number> | undefined;
  return {
    name: 'dscp',
    tok,
    opts: [opt('dscp', 1, true), opt('dscp-class', 1, true)],
    option(id, args, invert, optTok) {
      if (dscp) fail(optTok, 'match "dscp" takes only one of --dscp, --dscp-class');
      const t = args[0]!;
      if (id === 'dscp') dscp = { value: parseUint(t, t.text, 63, 'DSCP value'), invert };
      else {
        const c = DSCP_CLASSES.find(([n]) => n === t.text.toUpperCase());
        if (!c) fail(t, `unknown DSCP class "${t.text}" (expected CS0-CS7, AF11-AF43, EF or BE)`);
        dscp = { value: c![1], invert };
      }
    },
    finish() {
      if (!dscp) fail(tok, 'match "dscp" needs "--dscp" or "--dscp-class"');
      return { module: 'dscp', dscp: dscp! };
    },
  };
}

export const dscp: MatchExt<DscpMatch> = {
  name: 'dscp',
  parser,
  save: (m) => `${bang(m.dscp.invert)} --dscp ${hex2(m.dscp.value)}`,
  print: (m) => ` DSCP match ${m.dscp.invert ? '!' : ''}${hex2(m.dscp.value)}`,
};
