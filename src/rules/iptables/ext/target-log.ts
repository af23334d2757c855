// -j LOG (libxt_LOG.c): --log-prefix, --log-level (number or syslog name; 4, the default, is not
// saved), the flags in LOG_save()'s order. The model keeps the save form's words.
import type { Token } from '../lex.ts';
import { LOG_FLAGS, LOG_LEVELS } from '../names.ts';
import { fail, once, opt, type TargetParser } from '../parse-util.ts';
import { saveString } from './ext.ts';
import type { TargetExt } from './target-ext.ts';

export interface LogTarget {
  readonly kind: 'LOG';
  readonly args: readonly string[];
}

function parser(tok: Token): TargetParser {
  let prefix: string | undefined;
  let level: number | undefined;
  const flags = new Set<string>();
  return {
    name: 'LOG',
    tok,
    opts: [
      opt('log-prefix', 1, false),
      opt('log-level', 1, false),
      ...LOG_FLAGS.map((f) => opt(f.slice(2), 0, false)),
    ],
    option(id, args, _invert, optTok) {
      const t = args[0];
      if (id === 'log-prefix') {
        once(prefix, optTok, 'log-prefix');
        if (new TextEncoder().encode(t!.text).length > 29) fail(t!, 'log prefix is longer than 29 bytes');
        prefix = t!.text;
      } else if (id === 'log-level') {
        once(level, optTok, 'log-level');
        const n = /^\d$/.test(t!.text) ? Number(t!.text) : LOG_LEVELS[t!.text.toLowerCase()];
        if (n === undefined || n > 7)
          fail(t!, `bad log level "${t!.text}" (expected 0-7 or a syslog level name)`);
        level = n;
      } else flags.add(`--${id}`);
    },
    finish() {
      const args: string[] = [];
      if (prefix) args.push('--log-prefix', prefix);
      if (level !== undefined && level !== 4) args.push('--log-level', String(level));
      for (const f of LOG_FLAGS) if (flags.has(f)) args.push(f);
      return { kind: 'LOG', args };
    },
  };
}

const LOG_FLAG_BITS: Readonly<Record<string, number>> = {
  '--log-tcp-sequence': 1,
  '--log-tcp-options': 2,
  '--log-ip-options': 4,
  '--log-uid': 8,
  '--log-macdecode': 0x20,
};

export const LOG: TargetExt<LogTarget> = {
  name: 'LOG',
  parser,
  save: (t) => t.args.map((a) => ` ${saveString(a)}`).join(''),
  print(t) {
    let flags = 0;
    let level = 4;
    let prefix: string | undefined;
    for (let k = 0; k < t.args.length; k++) {
      const a = t.args[k]!;
      if (a === '--log-level') level = Number(t.args[++k]);
      else if (a === '--log-prefix') prefix = t.args[++k];
      else flags |= LOG_FLAG_BITS[a] ?? 0;
    }
    return ` LOG flags ${flags} level ${level}${prefix !== undefined ? ` prefix "${prefix}"` : ''}`;
  },
};
