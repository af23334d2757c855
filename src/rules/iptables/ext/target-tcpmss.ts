// -j TCPMSS (libxt_TCPMSS.c): --set-mss N or --clamp-mss-to-pmtu, with -p tcp.
import type { Token } from '../lex.ts';
import { IPPROTO_TCP } from '../names.ts';
import { fail, opt, parseUint, protoIs, type TargetParser } from '../parse-util.ts';
import type { TargetExt } from './target-ext.ts';

/** TCPMSS: --set-mss N, or --clamp-mss-to-pmtu (mss 0xffff in the kernel's struct). */
export interface TcpmssTarget {
  readonly kind: 'TCPMSS';
  readonly mss: number | 'clamp';
}

function parser(tok: Token): TargetParser {
  let mss: number | 'clamp' | undefined;
  return {
    name: 'TCPMSS',
    tok,
    opts: [opt('set-mss', 1, false), opt('clamp-mss-to-pmtu', 0, false)],
    option(id, args, _invert, optTok) {
      if (mss !== undefined) fail(optTok, 'TCPMSS takes only one of --set-mss, --clamp-mss-to-pmtu');
      mss = id === 'set-mss' ? parseUint(args[0]!, args[0]!.text, 65535 - 40, 'MSS') : 'clamp';
    },
    finish(ctx) {
      if (mss === undefined) fail(tok, 'target TCPMSS needs --set-mss or --clamp-mss-to-pmtu');
      if (!protoIs(ctx, IPPROTO_TCP)) fail(tok, 'target TCPMSS needs "-p tcp"');
      return { kind: 'TCPMSS', mss: mss! };
    },
  };
}

export const TCPMSS: TargetExt<TcpmssTarget> = {
  name: 'TCPMSS',
  placement: (t) =>
    t.mss === 'clamp'
      ? { hooks: ['FORWARD', 'OUTPUT', 'POSTROUTING'], what: 'TCPMSS --clamp-mss-to-pmtu' }
      : undefined,
  parser,
  save: (t) => (t.mss === 'clamp' ? ' --clamp-mss-to-pmtu' : ` --set-mss ${t.mss}`),
  print: (t) => (t.mss === 'clamp' ? ' TCPMSS clamp to PMTU' : ` TCPMSS set ${t.mss}`),
};
