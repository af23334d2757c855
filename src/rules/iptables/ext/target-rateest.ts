// -j RATEEST (libxt_RATEEST.c): a named rate estimator, --rateest-interval and
// --rateest-ewmalog as times (s, ms, us), turned into the kernel's interval and ewma_log
// exponents as RATEEST_final_check does, and printed back from them.
import type { Token } from '../lex.ts';
import { fail, opt, type TargetParser } from '../parse-util.ts';
import type { TargetExt } from './target-ext.ts';

export interface RateestTarget {
  readonly kind: 'RATEEST';
  readonly name: string;
  /** The interval is 2^(interval+2) / 4 s (-2..3). */
  readonly interval: number;
  readonly ewmaLog: number;
}

const US = 1000000;

/** RATEEST_get_time: a number (strtod) with an optional unit, in microseconds (truncated). */
function parseTime(t: Token, what: string): number {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)$/.exec(t.text);
  if (!m) fail(t, `RATEEST: bad ${what} value "${t.text}"`);
  let v = Number(m![1]);
  const unit = m![2]!.toLowerCase();
  if (unit === 's' || unit === 'sec' || unit === 'secs') v *= US;
  else if (unit === 'ms' || unit === 'msec' || unit === 'msecs') v *= US / 1000;
  else if (unit === 'us' || unit === 'usec' || unit === 'usecs' || unit === '') v *= 1;
  else fail(t, `RATEEST: bad ${what} value "${t.text}" (units: s, ms, us)`);
  if (v < 0 || v > 0xffffffff) fail(t, `RATEEST: ${what} value "${t.text}" is out of range`);
  return Math.trunc(v);
}

function parser(tok: Token): TargetParser {
  let name: string | undefined;
  let interval: number | undefined;
  let ewma: number | undefined;
  return {
    name: 'RATEEST',
    tok,
    opts: [
      opt('rateest-name', 1, false),
      opt('rateest-interval', 1, false),
      opt('rateest-ewmalog', 1, false),
    ],
    option(id, args) {
      const t = args[0]!;
      if (id === 'rateest-name') {
        if (t.text.length > 15) fail(t, 'RATEEST --rateest-name is longer than 15 characters');
        name = t.text;
      } else if (id === 'rateest-interval') interval = parseTime(t, 'interval');
      else ewma = parseTime(t, 'ewmalog');
    },
    finish() {
      if (name === undefined) fail(tok, 'RATEEST: option "--rateest-name" must be specified');
      if (interval === undefined) fail(tok, 'RATEEST: option "--rateest-interval" must be specified');
      if (ewma === undefined) fail(tok, 'RATEEST: option "--rateest-ewmalog" must be specified');
      let i = 0;
      for (; i <= 5; i++) if (interval! <= 2 ** i * (US / 4)) break;
      if (i > 5) fail(tok, 'RATEEST: interval value is too large');
      let e = 1;
      for (; e < 32; e++) {
        const w = 1.0 - 1.0 / 2 ** e;
        if (interval! / -Math.log(w) > ewma!) break;
      }
      e--;
      if (e === 0 || e >= 31) fail(tok, 'RATEEST: ewmalog value is out of range');
      return { kind: 'RATEEST', name: name!, interval: i - 2, ewmaLog: e };
    },
  };
}

/** RATEEST_print_time. */
function time(us: number): string {
  if (us >= US) return ` ${(us / US).toFixed(1)}s`;
  if (us >= US / 1000) return ` ${(us / 1000).toFixed(1)}ms`;
  return ` ${us}us`;
}

function text(t: RateestTarget, p: string): string {
  const interval = Math.floor((US * 2 ** (t.interval + 2)) / 4);
  const ewma = (interval * 2 ** t.ewmaLog) >>> 0;
  return ` ${p}name ${t.name} ${p}interval${time(interval)} ${p}ewmalog${time(ewma)}`;
}

export const RATEEST: TargetExt<RateestTarget> = {
  name: 'RATEEST',
  parser,
  save: (t) => text(t, '--rateest-'),
  print: (t) => text(t, ''),
};
