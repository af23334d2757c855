// -m helper (libxt_helper.c): [!] --helper NAME. The kernel's struct xt_helper_info keeps 30
// bytes, so a longer name is cut to its first 29 bytes (as iptables stores it).
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import { saveString, type MatchExt } from './ext.ts';

export interface HelperMatch {
  readonly module: 'helper';
  /** The helper name ('' matches any helper). */
  readonly name: string;
  readonly invert: boolean;
}

/** The first `max` bytes of `s` in UTF-8 (strncpy into a fixed buffer). */
export function cutBytes(s: string, max: number): string {
  const b = new TextEncoder().encode(s);
  return b.length <= max ? s : new TextDecoder().decode(b.subarray(0, max));
}

function parser(tok: Token): ModuleParser {
  let name: string | undefined;
  let invert = false;
  return {
    name: 'helper',
    tok,
    opts: [opt('helper', 1, true)],
    option(_id, args, inv, optTok) {
      if (name !== undefined) fail(optTok, '"--helper" can only be used once');
      name = cutBytes(args[0]!.text, 29);
      invert = inv;
    },
    finish() {
      if (name === undefined) fail(tok, 'match "helper" needs "--helper"');
      return { module: 'helper', name: name!, invert };
    },
  };
}

export const helper: MatchExt<HelperMatch> = {
  name: 'helper',
  parser,
  save: (m) => `${m.invert ? ' !' : ''} --helper ${saveString(m.name)}`,
  print: (m) => ` helper match ${m.invert ? '! ' : ''}"${m.name}"`,
};
