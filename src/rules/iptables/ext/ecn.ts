// -m ecn (libxt_ecn.c): --ecn-tcp-ece, --ecn-tcp-cwr (TCP header flags; -p tcp required by
// ecn_mt_check) and --ecn-ip-ect 0-3 (the IP header's ECN field), each invertible, at least one.
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { fail, once, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export interface EcnMatch {
  readonly module: 'ecn';
  readonly ece?: Inv<true>;
  readonly cwr?: Inv<true>;
  readonly ect?: Inv<number>;
}

function parser(tok: Token): ModuleParser {
  let ece: Inv<true> | undefined;
  let cwr: Inv<true> | undefined;
  let ect: Inv<number> | undefined;
  return {
    name: 'ecn',
    tok,
    opts: [opt('ecn-tcp-cwr', 0, true), opt('ecn-tcp-ece', 0, true), opt('ecn-ip-ect', 1, true)],
    option(id, args, invert, optTok) {
      if (id === 'ecn-tcp-cwr') {
        once(cwr, optTok, id);
        cwr = { value: true, invert };
      } else if (id === 'ecn-tcp-ece') {
        once(ece, optTok, id);
        ece = { value: true, invert };
      } else {
        once(ect, optTok, id);
        ect = { value: parseUint(args[0]!, args[0]!.text, 3, 'ECN codepoint (--ecn-ip-ect)'), invert };
      }
    },
    finish(ctx) {
      if (!ece && !cwr && !ect)
        fail(tok, 'match "ecn" needs an option (--ecn-tcp-cwr, --ecn-tcp-ece or --ecn-ip-ect)');
      if ((ece || cwr) && (ctx.protocol?.value !== 6 || ctx.protocol.invert))
        fail(
          tok,
          'match "ecn" with --ecn-tcp-ece or --ecn-tcp-cwr is only valid with "-p tcp" (the kernel refuses it otherwise)',
        );
      const m: { -readonly [K in keyof EcnMatch]: EcnMatch[K] } = { module: 'ecn' };
      if (ece) m.ece = ece;
      if (cwr) m.cwr = cwr;
      if (ect) m.ect = ect;
      return m;
    },
  };
}

export const ecn: MatchExt<EcnMatch> = {
  name: 'ecn',
  parser,
  save(m) {
    let s = '';
    if (m.ece) s += `${m.ece.invert ? ' !' : ''} --ecn-tcp-ece`;
    if (m.cwr) s += `${m.cwr.invert ? ' !' : ''} --ecn-tcp-cwr`;
    if (m.ect) s += `${m.ect.invert ? ' !' : ''} --ecn-ip-ect ${m.ect.value}`;
    return s;
  },
  print(m) {
    let s = ' ECN match';
    if (m.ece) s += ` ${m.ece.invert ? '!' : ''}ECE`;
    if (m.cwr) s += ` ${m.cwr.invert ? '!' : ''}CWR`;
    if (m.ect) s += ` ${m.ect.invert ? '!' : ''}ECT=${m.ect.value}`;
    return s;
  },
};
