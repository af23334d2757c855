// -m limit (libxt_limit.c): --limit RATE[/second|minute|hour|day], --limit-burst N. The model
// keeps the period per packet in 1/10000 s (XT_LIMIT_SCALE), as struct xt_rateinfo does.
import type { Token } from '../lex.ts';
import { XT_LIMIT_SCALE } from '../model.ts';
import { fail, once, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

/** Token bucket: `avg` is the period per packet in 1/10000 s (XT_LIMIT_SCALE), `burst` packets. */
export interface LimitMatch {
  readonly module: 'limit';
  readonly avg: number;
  readonly burst: number;
}

/** parse_rate() of libxt_limit.c: `N[/second|minute|hour|day]` (any prefix of the unit). */
function parseRate(t: Token): number {
  const m = /^(\d*)[^/]*(?:\/(.*))?$/.exec(t.text);
  const unit = m?.[2];
  let mult = 1;
  if (unit !== undefined) {
    const u = unit.toLowerCase();
    const units: [string, number][] = [
      ['second', 1],
      ['minute', 60],
      ['hour', 3600],
      ['day', 86400],
    ];
    const hit = u === '' ? undefined : units.find(([n]) => n.startsWith(u));
    if (!hit) fail(t, `bad rate "${t.text}" (expected N/second, N/minute, N/hour or N/day)`);
    mult = hit![1];
  }
  const r = Number(m?.[1] || 0);
  if (!r) fail(t, `bad rate "${t.text}" (expected N/second, N/minute, N/hour or N/day)`);
  const v = Math.floor((XT_LIMIT_SCALE * mult) / r);
  if (v === 0) fail(t, `rate too fast "${t.text}" (at most 10000/second)`);
  return v;
}

/** print_rate() of libxt_limit.c: the largest unit whose count is still exact enough. */
export function limitRate(period: number): string {
  const rates: [string, number][] = [
    ['day', XT_LIMIT_SCALE * 86400],
    ['hour', XT_LIMIT_SCALE * 3600],
    ['min', XT_LIMIT_SCALE * 60],
    ['sec', XT_LIMIT_SCALE],
  ];
  if (period === 0) return 'inf';
  let i = 1;
  for (; i < rates.length; i++) {
    const mult = rates[i]![1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = rates[i - 1]!;
  return `${Math.floor(mult / period)}/${name}`;
}

function parser(tok: Token): ModuleParser {
  let avg: number | undefined;
  let burst: number | undefined;
  return {
    name: 'limit',
    tok,
    opts: [opt('limit', 1, false), opt('limit-burst', 1, false)],
    option(id, args, _invert, optTok) {
      if (id === 'limit') {
        once(avg, optTok, 'limit');
        avg = parseRate(args[0]!);
      } else {
        once(burst, optTok, 'limit-burst');
        burst = parseUint(args[0]!, args[0]!.text, 10000, 'burst');
      }
    },
    finish() {
      // The defaults: 3/hour, burst 5 (XT_LIMIT_AVG, XT_LIMIT_BURST).
      return { module: 'limit', avg: avg ?? (XT_LIMIT_SCALE * 3600) / 3, burst: burst ?? 5 };
    },
  };
}

export const limit: MatchExt<LimitMatch> = {
  name: 'limit',
  parser,
  save: (m) => ` --limit ${limitRate(m.avg)}${m.burst !== 5 ? ` --limit-burst ${m.burst}` : ''}`,
  print: (m) => ` limit: avg ${limitRate(m.avg)} burst ${m.burst}`,
};
