// -j NETMAP (libipt_NETMAP.c): --to address/mask, the network part that replaces the packet's.
import type { Prefix } from '../../../wire/addr.ts';
import { formatPrefix } from '../../../wire/addr.ts';
import type { Token } from '../lex.ts';
import { fail, opt, parseAddress, type TargetParser } from '../parse-util.ts';
import { at, type TargetExt } from './target-ext.ts';

/** NETMAP --to: keep the host bits, replace the network part (prefix). */
export interface NetmapTarget {
  readonly kind: 'NETMAP';
  readonly to: Prefix;
}

function parser(tok: Token): TargetParser {
  let to: Prefix | undefined;
  return {
    name: 'NETMAP',
    tok,
    opts: [opt('to', 1, false)],
    option(_id, args, _invert, optTok) {
      if (to) fail(optTok, 'NETMAP: "--to" can be given only once');
      const t = args[0]!;
      to = parseAddress(t, t.text, '--to');
    },
    finish() {
      if (!to) fail(tok, 'target NETMAP needs "--to address/mask"');
      return { kind: 'NETMAP', to: to! };
    },
  };
}

export const NETMAP: TargetExt<NetmapTarget> = {
  name: 'NETMAP',
  placement: at(['nat']),
  parser,
  save: (t) => ` --to ${formatPrefix(t.to)}`,
  print: (t) => ` to:${formatPrefix(t.to)}`,
};
