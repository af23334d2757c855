// -j TCPOPTSTRIP (libxt_TCPOPTSTRIP.c): --strip-options a comma list of names (wscale, mss,
// sack-permitted, sack, timestamp, md5) or numbers 2-255; saved as numbers in ascending order.
// mangle table and -p tcp only (xt_TCPOPTSTRIP.c).
import type { Token } from '../lex.ts';
import { IPPROTO_TCP } from '../names.ts';
import { fail, opt, parseUint, protoIs, type TargetParser } from '../parse-util.ts';
import { at, type TargetExt } from './target-ext.ts';

export interface TcpoptstripTarget {
  readonly kind: 'TCPOPTSTRIP';
  /** The option kinds to strip, ascending. */
  readonly options: readonly number[];
}

const NAMES: ReadonlyArray<readonly [string, number]> = [
  ['wscale', 3],
  ['mss', 2],
  ['sack-permitted', 4],
  ['sack', 5],
  ['timestamp', 8],
  ['md5', 19],
];

function parser(tok: Token): TargetParser {
  const set = new Set<number>();
  return {
    name: 'TCPOPTSTRIP',
    tok,
    opts: [opt('strip-options', 1, false)],
    option(_id, args) {
      const t = args[0]!;
      for (const part of t.text.split(',')) {
        const named = NAMES.find(([n]) => n === part);
        const n = named
          ? named[1]
          : /^(0[xX][0-9a-fA-F]+|\d+)$/.test(part)
            ? parseUint(t, part, 255, 'TCP option')
            : -1;
        if (n < 0)
          fail(t, `bad TCP option value "${part}" (expected ${NAMES.map(([x]) => x).join(', ')} or 2-255)`);
        if (n < 2) fail(t, 'TCP option value may not be 0 or 1');
        if (set.has(n)) fail(t, `option "${part}" already specified`);
        set.add(n);
      }
    },
    finish(ctx) {
      if (!protoIs(ctx, IPPROTO_TCP)) fail(tok, 'target TCPOPTSTRIP needs "-p tcp"');
      return { kind: 'TCPOPTSTRIP', options: [...set].sort((a, b) => a - b) };
    },
  };
}

export const TCPOPTSTRIP: TargetExt<TcpoptstripTarget> = {
  name: 'TCPOPTSTRIP',
  placement: at(['mangle']),
  parser,
  save: (t) => (t.options.length ? ` --strip-options ${t.options.join(',')}` : ''),
  print: (t) => (t.options.length ? ` TCPOPTSTRIP options ${t.options.join(',')}` : ''),
};
