// -m rpfilter (libxt_rpfilter.c): the reverse-path test, --loose, --validmark, --accept-local,
// --invert (each once); only in the raw and mangle tables' PREROUTING (xt_rpfilter's checkentry
// and hooks).
import type { Token } from '../lex.ts';
import { fail, onlyInHooks, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export interface RpfilterMatch {
  readonly module: 'rpfilter';
  readonly loose: boolean;
  readonly validmark: boolean;
  readonly acceptLocal: boolean;
  readonly invert: boolean;
}

const NAMES = ['loose', 'validmark', 'accept-local', 'invert'] as const;

function parser(tok: Token): ModuleParser {
  const seen = new Set<string>();
  return {
    name: 'rpfilter',
    tok,
    opts: NAMES.map((n) => opt(n, 0, false)),
    option(id, _args, _invert, optTok) {
      if (seen.has(id)) fail(optTok, `rpfilter: option "--${id}" can only be used once`);
      seen.add(id);
    },
    finish(ctx) {
      if (ctx.table !== 'raw' && ctx.table !== 'mangle')
        fail(tok, `match "rpfilter" is only valid in the raw and mangle tables, not "${ctx.table}"`);
      onlyInHooks(ctx, tok, 'match "rpfilter"', ['PREROUTING']);
      return {
        module: 'rpfilter',
        loose: seen.has('loose'),
        validmark: seen.has('validmark'),
        acceptLocal: seen.has('accept-local'),
        invert: seen.has('invert'),
      };
    },
  };
}

function flags(p: string, m: RpfilterMatch): string {
  return (
    (m.loose ? ` ${p}loose` : '') +
    (m.validmark ? ` ${p}validmark` : '') +
    (m.acceptLocal ? ` ${p}accept-local` : '') +
    (m.invert ? ` ${p}invert` : '')
  );
}

export const rpfilter: MatchExt<RpfilterMatch> = {
  name: 'rpfilter',
  parser,
  save: (m) => flags('--', m),
  print: (m) => ` rpfilter${flags('', m)}`,
};
