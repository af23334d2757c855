// -m length (libxt_length.c): --length n, min:max, :max or min: (0-65535), invertible.
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { fail, once, opt, parseNumRange, type ModuleParser } from '../parse-util.ts';
import { bang, numRange, type MatchExt } from './ext.ts';

/** IP total length range. */
export interface LengthMatch {
  readonly module: 'length';
  readonly length: Inv<PortRange>;
}

function parser(tok: Token): ModuleParser {
  let length: Inv<PortRange> | undefined;
  return {
    name: 'length',
    tok,
    opts: [opt('length', 1, true)],
    option(_id, args, invert, optTok) {
      once(length, optTok, 'length');
      length = { value: parseNumRange(args[0]!, 65535, 'length'), invert };
    },
    finish() {
      if (!length) fail(tok, 'match "length" needs "--length"');
      return { module: 'length', length: length! };
    },
  };
}

export const length: MatchExt<LengthMatch> = {
  name: 'length',
  parser,
  save: (m) => `${bang(m.length.invert)} --length ${numRange(m.length.value)}`,
  print: (m) => ` length ${m.length.invert ? '!' : ''}${numRange(m.length.value)}`,
};
