// -m connbytes (libxt_connbytes.c): [!] --connbytes FROM[:TO] (u64; TO defaults to 2^64-1),
// --connbytes-dir original|reply|both and --connbytes-mode packets|bytes|avgpkt, all three
// required. As in struct xt_connbytes_info, a "!" swaps FROM and TO: the match is inverted when
// from > to (so `! --connbytes N` with N = 2^64-1 is not inverted at all, as in the kernel).
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { strtoumax, U64_MAX } from './xtnum.ts';

export type ConnbytesDir = 'original' | 'reply' | 'both';
export type ConnbytesMode = 'packets' | 'bytes' | 'avgpkt';

export interface ConnbytesMatch {
  readonly module: 'connbytes';
  /**
   * count.from and count.to as the kernel holds them (u64, in decimal: the model is plain data):
   * from > to means inverted.
   */
  readonly from: string;
  readonly to: string;
  readonly dir: ConnbytesDir;
  readonly mode: ConnbytesMode;
}

/** XTTYPE_UINT64RC (xtopt_parse_mint): `a`, `a:b`, `:b`, `a:`, `:` or '' (missing parts default). */
function parseRange(t: Token): [bigint, bigint | undefined] {
  const text = t.text;
  const vals: bigint[] = [];
  let i = 0;
  for (;;) {
    if (vals.length === 2) fail(t, `too many parts in --connbytes "${text}" (expected FROM[:TO])`);
    let end = i;
    let value: bigint;
    if (i >= text.length || text[i] === ':') {
      value = vals.length === 1 ? U64_MAX : 0n;
    } else {
      const rest = text.slice(i);
      const r = /^[ \t\n\v\f\r]*-/.test(rest) ? undefined : strtoumax(rest);
      if (!r || r.over)
        fail(t, `bad --connbytes value near "${rest}" (expected a number 0-18446744073709551615)`);
      end = i + r!.end;
      if (end < text.length && text[end] !== ':')
        fail(t, `unexpected characters in --connbytes near "${text.slice(end)}"`);
      value = r!.value;
    }
    vals.push(value);
    if (end >= text.length) break;
    i = end + 1;
  }
  if (vals.length === 2 && vals[0]! > vals[1]!)
    fail(t, `${vals[0]} should be less than ${vals[1]} in --connbytes`);
  return [vals[0]!, vals[1]];
}

function parser(tok: Token): ModuleParser {
  let range: [bigint, bigint] | undefined;
  let dir: ConnbytesDir | undefined;
  let mode: ConnbytesMode | undefined;
  return {
    name: 'connbytes',
    tok,
    opts: [opt('connbytes', 1, true), opt('connbytes-dir', 1, false), opt('connbytes-mode', 1, false)],
    option(id, args, invert, optTok) {
      const t = args[0]!;
      switch (id) {
        case 'connbytes': {
          if (range) fail(optTok, '"--connbytes" can only be used once');
          const [from, to] = parseRange(t);
          range = invert ? [to ?? U64_MAX, from] : [from, to ?? U64_MAX];
          break;
        }
        case 'connbytes-dir':
          if (dir) fail(optTok, '"--connbytes-dir" can only be used once');
          if (t.text !== 'original' && t.text !== 'reply' && t.text !== 'both')
            fail(t, `unknown --connbytes-dir "${t.text}" (expected original, reply or both)`);
          dir = t.text as ConnbytesDir;
          break;
        default:
          if (mode) fail(optTok, '"--connbytes-mode" can only be used once');
          if (t.text !== 'packets' && t.text !== 'bytes' && t.text !== 'avgpkt')
            fail(t, `unknown --connbytes-mode "${t.text}" (expected packets, bytes or avgpkt)`);
          mode = t.text as ConnbytesMode;
      }
    },
    finish() {
      if (!range) fail(tok, 'match "connbytes" needs "--connbytes"');
      if (!dir) fail(tok, 'match "connbytes" needs "--connbytes-dir"');
      if (!mode) fail(tok, 'match "connbytes" needs "--connbytes-mode"');
      return { module: 'connbytes', from: `${range![0]}`, to: `${range![1]}`, dir: dir!, mode: mode! };
    },
  };
}

/** print_from_to() of libxt_connbytes.c. */
function fromTo(m: ConnbytesMatch, prefix: string): string {
  const inv = BigInt(m.from) > BigInt(m.to);
  const from = inv ? m.to : m.from;
  const to = BigInt(inv ? m.from : m.to);
  return `${inv ? ' !' : ''} ${prefix}connbytes ${from}${to !== 0n && to < U64_MAX ? `:${to}` : ''}`;
}

export const connbytes: MatchExt<ConnbytesMatch> = {
  name: 'connbytes',
  parser,
  save: (m) => `${fromTo(m, '--')} --connbytes-mode ${m.mode} --connbytes-dir ${m.dir}`,
  print: (m) => `${fromTo(m, '')} connbytes mode ${m.mode} connbytes direction ${m.dir}`,
};
