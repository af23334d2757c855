// -m string (libxt_string.c, revision 1): --algo bm|kmp (required), [!] --string TEXT or
// [!] --hex-string TEXT (with |hex| blocks and \ escapes), --from N, --to N (u16, --to defaults to
// 65535), --icase. The pattern is bytes (at most 128, XT_STRING_MAX_PATTERN_SIZE); it prints as
// "|hex|" when a byte is not printable ASCII or the last one is a backslash, else quoted with \"
// and \\. The kernel refuses an empty pattern, from > to and an unknown algorithm.
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { xtUint } from './xtnum.ts';

export interface StringMatch {
  readonly module: 'string';
  readonly algo: 'bm' | 'kmp';
  /** The pattern's bytes (1-128), as numbers (the model is plain data). */
  readonly pattern: readonly number[];
  /** Search window, offsets from the start of the IP header: [from, to). */
  readonly from: number;
  readonly to: number;
  readonly icase: boolean;
  readonly invert: boolean;
}

const MAX_PATTERN = 128;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const isXdigit = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

/** parse_hex_string() of libxt_string.c, byte for byte. */
function parseHexString(t: Token): Uint8Array {
  const s = utf8(t.text);
  const slen = s.length;
  if (slen === 0) fail(t, '--hex-string must contain at least one character');
  const out: number[] = [];
  let i = 0;
  let hex = false;
  let literal = false;
  const BS = 0x5c;
  const BAR = 0x7c;
  while (i < slen) {
    if (out.length >= MAX_PATTERN) fail(t, `--hex-string is longer than ${MAX_PATTERN} bytes`);
    if (s[i] === BS && !hex) literal = true;
    else if (s[i] === BS) fail(t, 'a \\ literal cannot be inside a |hex| block');
    else if (s[i] === BAR) {
      if (hex) hex = false;
      else {
        hex = true;
        while (s[i + 1] === 0x20) i++;
      }
      if (i + 1 >= slen) break;
      i++;
    }
    if (literal) {
      if (i + 1 >= slen) fail(t, 'a \\ at the end of --hex-string escapes nothing');
      out.push(s[i + 1]!);
      i += 2;
      literal = false;
    } else if (hex) {
      if (i + 1 >= slen) fail(t, 'odd number of hex digits in --hex-string');
      if (i + 2 >= slen) fail(t, 'a |hex| block in --hex-string must end with "|"');
      if (!isXdigit(s[i])) fail(t, `invalid hex character "${String.fromCharCode(s[i]!)}" in --hex-string`);
      if (!isXdigit(s[i + 1]))
        fail(t, `invalid hex character "${String.fromCharCode(s[i + 1]!)}" in --hex-string`);
      out.push(parseInt(String.fromCharCode(s[i]!, s[i + 1]!), 16));
      i += s[i + 2] === 0x20 ? 3 : 2;
    } else {
      out.push(s[i]!);
      i++;
    }
  }
  return Uint8Array.from(out);
}

function parser(tok: Token): ModuleParser {
  let algo: string | undefined;
  let algoTok: Token | undefined;
  let pattern: Uint8Array | undefined;
  let patTok: Token | undefined;
  let patId = '';
  let from: number | undefined;
  let to: number | undefined;
  let icase = false;
  let invert = false;
  return {
    name: 'string',
    tok,
    opts: [
      opt('from', 1, false),
      opt('to', 1, false),
      opt('algo', 1, false),
      opt('string', 1, true),
      opt('hex-string', 1, true),
      opt('icase', 0, false),
    ],
    option(id, args, inv, optTok) {
      const t = args[0]!;
      switch (id) {
        case 'from':
        case 'to': {
          if ((id === 'from' ? from : to) !== undefined) fail(optTok, `"--${id}" can only be used once`);
          const v = Number(xtUint(t, t.text, 0xffffn, `--${id}`));
          if (id === 'from') from = v;
          else to = v;
          break;
        }
        case 'algo':
          if (algo !== undefined) fail(optTok, '"--algo" can only be used once');
          algo = new TextDecoder().decode(utf8(t.text).subarray(0, 15)); // char algo[16]
          algoTok = t;
          break;
        case 'string':
        case 'hex-string': {
          if (patId === id) fail(optTok, `"--${id}" can only be used once`);
          if (patId) fail(optTok, `"--${id}" cannot be used together with "--${patId}"`);
          patId = id;
          patTok = t;
          if (id === 'string') {
            const b = utf8(t.text);
            if (b.length > MAX_PATTERN) fail(t, `--string is longer than ${MAX_PATTERN} bytes`);
            pattern = b;
          } else pattern = parseHexString(t);
          invert = inv;
          break;
        }
        default:
          if (icase) fail(optTok, '"--icase" can only be used once');
          icase = true;
      }
    },
    finish() {
      if (algo === undefined) fail(tok, 'match "string" needs "--algo bm" or "--algo kmp"');
      if (!pattern) fail(tok, 'match "string" needs "--string" or "--hex-string"');
      if (algo === 'fsm')
        fail(algoTok!, '--algo fsm (a pattern of fsm tokens) is not simulated: use bm or kmp');
      if (algo !== 'bm' && algo !== 'kmp')
        fail(algoTok!, `unknown --algo "${algo}" (the kernel has bm, kmp and fsm: ENOENT)`);
      if (pattern!.length === 0) fail(patTok!, 'the pattern is empty (the kernel refuses it: EINVAL)');
      const f = from ?? 0;
      const t = to ?? 0xffff;
      if (f > t) fail(tok, `--from ${f} is after --to ${t} (the kernel refuses it: EINVAL)`);
      return {
        module: 'string',
        algo: algo as 'bm' | 'kmp',
        pattern: Array.from(pattern!),
        from: f,
        to: t,
        icase,
        invert,
      };
    },
  };
}

/** is_hex_string(): a byte that is not printable ASCII, or a final backslash. */
function isHex(p: readonly number[]): boolean {
  for (const c of p) if (c < 0x20 || c > 0x7e) return true;
  return p[p.length - 1] === 0x5c;
}

function patternText(p: readonly number[]): string {
  if (isHex(p)) return `"|${Array.from(p, (c) => c.toString(16).padStart(2, '0')).join('')}|"`;
  let s = '"';
  for (const c of p) s += (c === 0x22 || c === 0x5c ? '\\' : '') + String.fromCharCode(c);
  return s + '"';
}

const hexOpt = (p: readonly number[]): string => (isHex(p) ? 'hex-string' : 'string');

export const string: MatchExt<StringMatch> = {
  name: 'string',
  parser,
  save: (m) =>
    `${m.invert ? ' !' : ''} --${hexOpt(m.pattern)} ${patternText(m.pattern)} --algo ${m.algo}` +
    `${m.from !== 0 ? ` --from ${m.from}` : ''}${m.to !== 0xffff ? ` --to ${m.to}` : ''}${m.icase ? ' --icase' : ''}`,
  print: (m) =>
    ` STRING match ${m.invert ? '!' : ''} ${patternText(m.pattern)} ALGO name ${m.algo}` +
    `${m.from !== 0 ? ` FROM ${m.from}` : ''}${m.to !== 0xffff ? ` TO ${m.to}` : ''}${m.icase ? ' ICASE' : ''}`,
};
