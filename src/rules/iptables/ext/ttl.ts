// -m ttl (libxt_ttl.c): one of --ttl-eq (invertible: ! --ttl-eq is "ne"), --ttl-lt, --ttl-gt.
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export interface TtlMatch {
  readonly module: 'ttl';
  readonly op: 'eq' | 'ne' | 'lt' | 'gt';
  readonly ttl: number;
}

function parser(tok: Token): ModuleParser {
  let op: 'eq' | 'ne' | 'lt' | 'gt' | undefined;
  let ttl = 0;
  return {
    name: 'ttl',
    tok,
    opts: [opt('ttl-eq', 1, true), opt('ttl-lt', 1, false), opt('ttl-gt', 1, false)],
    option(id, args, invert, optTok) {
      if (op) fail(optTok, 'match "ttl" takes only one of --ttl-eq, --ttl-lt, --ttl-gt');
      ttl = parseUint(args[0]!, args[0]!.text, 255, 'TTL');
      op = id === 'ttl-eq' ? (invert ? 'ne' : 'eq') : id === 'ttl-lt' ? 'lt' : 'gt';
    },
    finish() {
      if (!op) fail(tok, 'match "ttl" needs --ttl-eq, --ttl-lt or --ttl-gt');
      return { module: 'ttl', op: op!, ttl };
    },
  };
}

const OP_WORD = { eq: '==', ne: '!=', lt: '<', gt: '>' } as const;

export const ttl: MatchExt<TtlMatch> = {
  name: 'ttl',
  parser,
  save: (m) => `${m.op === 'ne' ? ' !' : ''} --ttl-${m.op === 'ne' ? 'eq' : m.op} ${m.ttl}`,
  print: (m) => ` TTL match TTL ${OP_WORD[m.op]} ${m.ttl}`,
};
