// -m pkttype (libxt_pkttype.c): --pkt-type unicast|broadcast|multicast|otherhost, invertible.
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { PKT_TYPES } from '../names.ts';
import { fail, once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export type PktTypeName = 'unicast' | 'broadcast' | 'multicast' | 'otherhost';

export interface PkttypeMatch {
  readonly module: 'pkttype';
  readonly pktType: Inv<PktTypeName>;
}

function parser(tok: Token): ModuleParser {
  let pktType: Inv<PktTypeName> | undefined;
  return {
    name: 'pkttype',
    tok,
    opts: [opt('pkt-type', 1, true)],
    option(_id, args, invert, optTok) {
      once(pktType, optTok, 'pkt-type');
      const t = args[0]!;
      const e = PKT_TYPES.find(([n]) => n === t.text.toLowerCase());
      if (!e) fail(t, `bad packet type "${t.text}" (expected unicast, broadcast, multicast or otherhost)`);
      pktType = { value: e![1], invert };
    },
    finish() {
      if (!pktType) fail(tok, 'match "pkttype" needs "--pkt-type"');
      return { module: 'pkttype', pktType: pktType! };
    },
  };
}

export const pkttype: MatchExt<PkttypeMatch> = {
  name: 'pkttype',
  parser,
  save: (m) => `${bang(m.pktType.invert)} --pkt-type ${m.pktType.value}`,
  print: (m) => ` PKTTYPE ${m.pktType.invert ? '!=' : '='} ${m.pktType.value}`,
};
