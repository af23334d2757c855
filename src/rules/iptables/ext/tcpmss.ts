// -m tcpmss (libxt_tcpmss.c): --mss value[:value], invertible, mandatory; -p tcp required.
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { fail, once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, numRange, type MatchExt } from './ext.ts';
import { needProto, parseMint } from './hdr-util.ts';

export interface TcpmssMatch {
  readonly module: 'tcpmss';
  readonly mss: Inv<PortRange>;
}

function parser(tok: Token): ModuleParser {
  let mss: Inv<PortRange> | undefined;
  return {
    name: 'tcpmss',
    tok,
    opts: [opt('mss', 1, true)],
    option(_id, args, invert, optTok) {
      once(mss, optTok, 'mss');
      const r = parseMint(args[0]!, 0xffff, '--mss');
      if (r.max < r.min) fail(args[0]!, `tcpmss: invalid range "${args[0]!.text}" (min > max)`);
      mss = { value: r, invert };
    },
    finish(ctx) {
      if (!mss) fail(tok, 'match "tcpmss" needs "--mss"');
      needProto(ctx, tok, 'tcpmss', 6, 'tcp');
      return { module: 'tcpmss', mss: mss! };
    },
  };
}

export const tcpmss: MatchExt<TcpmssMatch> = {
  name: 'tcpmss',
  parser,
  save: (m) => `${bang(m.mss.invert)} --mss ${numRange(m.mss.value)}`,
  print: (m) => ` tcpmss match ${m.mss.invert ? '!' : ''}${numRange(m.mss.value)}`,
};
