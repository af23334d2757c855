// -m quota (libxt_quota.c): [!] --quota BYTES (u64). The -L form shows the quota given, not what
// is left (the kernel keeps the remaining bytes in its private part), and no "!".
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { U64_MAX, xtUint } from './xtnum.ts';

export interface QuotaMatch {
  readonly module: 'quota';
  /** Bytes (u64, in decimal: the model is plain data). */
  readonly quota: string;
  /** XT_QUOTA_INVERT: match once the quota is used up. */
  readonly invert: boolean;
}

function parser(tok: Token): ModuleParser {
  let quota: bigint | undefined;
  let invert = false;
  return {
    name: 'quota',
    tok,
    opts: [opt('quota', 1, true)],
    option(_id, args, inv, optTok) {
      if (quota !== undefined) fail(optTok, '"--quota" can only be used once');
      const t = args[0]!;
      quota = xtUint(t, t.text, U64_MAX, '--quota');
      invert = inv;
    },
    finish() {
      if (quota === undefined) fail(tok, 'match "quota" needs "--quota"');
      return { module: 'quota', quota: `${quota!}`, invert };
    },
  };
}

export const quota: MatchExt<QuotaMatch> = {
  name: 'quota',
  parser,
  save: (m) => `${m.invert ? ' !' : ''} --quota ${m.quota}`,
  print: (m) => ` quota: ${m.quota} bytes`,
};
