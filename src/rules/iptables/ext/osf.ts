// -m osf (libxt_osf.c): [!] --genre NAME (passive OS fingerprinting of TCP SYNs), --ttl 0-2,
// --log 0-2; the kernel (xt_osf.c) wants -p tcp and allows it in PREROUTING, INPUT and FORWARD.
// The genre is printed as it was given (iptables does not quote it).
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { IPPROTO_TCP } from '../../../wire/ipv4.ts';
import { fail, onlyInHooks, opt, protoIs, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { parseU32 } from './misc-util.ts';

export interface OsfMatch {
  readonly module: 'osf';
  readonly genre: Inv<string>;
  readonly ttl?: number;
  readonly log?: number;
}

/** MAXGENRELEN: longer genres are cut. */
const MAXGENRELEN = 32;

function parser(tok: Token): ModuleParser {
  let genre: Inv<string> | undefined;
  let ttl: number | undefined;
  let log: number | undefined;
  return {
    name: 'osf',
    tok,
    opts: [opt('genre', 1, true), opt('ttl', 1, false), opt('log', 1, false)],
    option(id, args, invert, optTok) {
      const once = (v: unknown): void => {
        if (v !== undefined) fail(optTok, `osf: option "--${id}" can only be used once`);
      };
      if (id === 'genre') {
        once(genre);
        genre = { value: args[0]!.text.slice(0, MAXGENRELEN - 1), invert };
      } else if (id === 'ttl') {
        once(ttl);
        ttl = parseU32(args[0]!, 'osf', 'ttl', 0, 2);
      } else {
        once(log);
        log = parseU32(args[0]!, 'osf', 'log', 0, 2);
      }
    },
    finish(ctx) {
      if (!genre) fail(tok, 'osf: option "--genre" must be specified');
      if (!protoIs(ctx, IPPROTO_TCP))
        fail(tok, 'match "osf" needs "-p tcp" (the kernel refuses it otherwise)');
      onlyInHooks(ctx, tok, 'match "osf"', ['PREROUTING', 'INPUT', 'FORWARD']);
      return {
        module: 'osf',
        genre: genre!,
        ...(ttl !== undefined ? { ttl } : {}),
        ...(log !== undefined ? { log } : {}),
      };
    },
  };
}

export const osf: MatchExt<OsfMatch> = {
  name: 'osf',
  parser,
  save: (m) =>
    `${m.genre.invert ? ' !' : ''} --genre ${m.genre.value}` +
    (m.ttl !== undefined ? ` --ttl ${m.ttl}` : '') +
    (m.log !== undefined ? ` --log ${m.log}` : ''),
  print: (m) => ` OS fingerprint match ${m.genre.invert ? '! ' : ''}${m.genre.value}`,
};
