// -m mark (libxt_mark.c) and -m connmark (libxt_connmark.c): --mark value[/mask], invertible;
// (mark & mask) == value on skb->mark or on the conntrack entry's mark.
import type { Token } from '../lex.ts';
import type { Inv, ValueMask } from '../model.ts';
import { fail, once, opt, parseValueMask, type ModuleParser } from '../parse-util.ts';
import { bang, hex, type MatchExt } from './ext.ts';

export interface MarkMatch {
  readonly module: 'mark';
  readonly mark: Inv<ValueMask>;
}
export interface ConnmarkMatch {
  readonly module: 'connmark';
  readonly mark: Inv<ValueMask>;
}

function parser(name: 'mark' | 'connmark', tok: Token): ModuleParser {
  let mark: Inv<ValueMask> | undefined;
  return {
    name,
    tok,
    opts: [opt('mark', 1, true)],
    option(_id, args, invert, optTok) {
      once(mark, optTok, 'mark');
      mark = { value: parseValueMask(args[0]!, 'mark'), invert };
    },
    finish() {
      if (!mark) fail(tok, `match "${name}" needs "--mark"`);
      return { module: name, mark: mark! };
    },
  };
}

const valueMask = ({ value, mask }: ValueMask): string =>
  `${hex(value)}${mask !== 0xffffffff ? `/${hex(mask)}` : ''}`;

export const mark: MatchExt<MarkMatch> = {
  name: 'mark',
  parser: (tok) => parser('mark', tok),
  save: (m) => `${bang(m.mark.invert)} --mark ${valueMask(m.mark.value)}`,
  print: (m) => ` mark match${bang(m.mark.invert)} ${valueMask(m.mark.value)}`,
};

export const connmark: MatchExt<ConnmarkMatch> = {
  name: 'connmark',
  parser: (tok) => parser('connmark', tok),
  save: (m) => `${bang(m.mark.invert)} --mark ${valueMask(m.mark.value)}`,
  print: (m) => ` connmark match ${m.mark.invert ? '!' : ''} ${valueMask(m.mark.value)}`,
};
