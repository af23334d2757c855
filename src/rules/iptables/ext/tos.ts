// -m tos (libxt_tos.c): --tos value[/mask] or a symbolic name (mask 0x3f), invertible.
import type { Token } from '../lex.ts';
import type { Inv, ValueMask } from '../model.ts';
import { TOS_NAMES } from '../names.ts';
import { fail, once, opt, parseValueMask, type ModuleParser } from '../parse-util.ts';
import { bang, hex2, type MatchExt } from './ext.ts';

/** (tos & mask) == value on the IP header's TOS byte. */
export interface TosMatch {
  readonly module: 'tos';
  readonly tos: Inv<ValueMask>;
}

function parser(tok: Token): ModuleParser {
  let tos: Inv<ValueMask> | undefined;
  return {
    name: 'tos',
    tok,
    opts: [opt('tos', 1, true)],
    option(_id, args, invert, optTok) {
      once(tos, optTok, 'tos');
      const t = args[0]!;
      const named = TOS_NAMES.find(([n]) => n.toLowerCase() === t.text.toLowerCase());
      tos = {
        value: named ? { value: named[1], mask: 0x3f } : parseValueMask(t, 'TOS value', 0xff, 0xff),
        invert,
      };
    },
    finish() {
      if (!tos) fail(tok, 'match "tos" needs "--tos"');
      return { module: 'tos', tos: tos! };
    },
  };
}

export const tos: MatchExt<TosMatch> = {
  name: 'tos',
  parser,
  save: (m) => `${bang(m.tos.invert)} --tos ${hex2(m.tos.value.value)}/${hex2(m.tos.value.mask)}`,
  print: (m) => ` tos match${m.tos.invert ? '!' : ''}${hex2(m.tos.value.value)}/${hex2(m.tos.value.mask)}`,
};
