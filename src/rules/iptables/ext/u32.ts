// -m u32 (libxt_u32.c): --u32 TESTS (invertible), the test language "location=values" with
// location `n` then `&n`, `<<n`, `>>n`, `@n` and values `a` or `a:b` separated by ",", tests
// joined by "&&" (at most 10 of each); saved and listed in hex ("0x0>>0x16&0x3c@...").
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export type U32Op = '&' | '<<' | '>>' | '@';

export interface U32Test {
  /** The first number, then each later one with the operator before it. */
  readonly first: number;
  readonly ops: readonly { readonly op: U32Op; readonly n: number }[];
  readonly values: readonly { readonly min: number; readonly max: number }[];
}

export interface U32Match {
  readonly module: 'u32';
  readonly invert: boolean;
  readonly tests: readonly U32Test[];
}

const XT_U32_MAXSIZE = 10;

/** libxt_u32.c u32_parse: the same states, limits and messages (with the character position). */
export function parseU32(t: Token): U32Test[] {
  const s = t.text;
  let i = 0;
  const err = (msg: string): never => fail(t, `u32: at char ${i}: ${msg} in "${s}"`);
  const num = (): number => {
    const m = /^[ \t\n\v\f\r]*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s.slice(i));
    if (!m) return err('not a number or out of range');
    const txt = m[1]!;
    const n = /^0[xX]/.test(txt)
      ? parseInt(txt.slice(2), 16)
      : txt.startsWith('0')
        ? parseInt(txt, 8)
        : Number(txt);
    if (n > 0xffffffff) return err('not a number or out of range');
    i += m[0]!.length;
    return n;
  };
  const tests: U32Test[] = [];
  let state = 0;
  let locs: { op: U32Op | ''; n: number }[] = [];
  let values: { min: number; max: number }[] = [];
  const close = (): void => {
    tests.push({
      first: locs[0]!.n,
      ops: locs.slice(1).map((l) => ({ op: l.op as U32Op, n: l.n })),
      values,
    });
  };
  for (;;) {
    while (/\s/.test(s[i] ?? '')) i++;
    if (i >= s.length) {
      if (state === 0) fail(t, `u32: abrupt end of input after location specifier in "${s}"`);
      if (values.length === 0) fail(t, `u32: test ended with no value specified in "${s}"`);
      close();
      if (tests.length > XT_U32_MAXSIZE) err('too many "&&"s');
      return tests;
    }
    if (state === 0) {
      if (s[i] === '=') {
        if (locs.length === 0) err('location spec missing');
        i++;
        state = 1;
        continue;
      }
      let op: U32Op | '' = '';
      if (locs.length !== 0) {
        const c = s[i];
        if (c === '&') op = '&';
        else if (c === '<') {
          i++;
          if (s[i] !== '<') err("a second '<' was expected");
          op = '<<';
        } else if (c === '>') {
          i++;
          if (s[i] !== '>') err("a second '>' was expected");
          op = '>>';
        } else if (c === '@') op = '@';
        else err('operator expected');
        i++;
      }
      locs.push({ op, n: num() });
      if (locs.length > XT_U32_MAXSIZE) err('too many operators');
    } else if (s[i] === '&') {
      i++;
      if (s[i] !== '&') err("a second '&' was expected");
      if (values.length === 0) err('value spec missing');
      close();
      if (tests.length > XT_U32_MAXSIZE) err('too many "&&"s');
      i++;
      state = 0;
      locs = [];
      values = [];
    } else {
      if (values.length > 0) {
        if (s[i] !== ',') err('expected "," or "&&"');
        i++;
      }
      const min = num();
      while (/\s/.test(s[i] ?? '')) i++;
      let max = min;
      if (s[i] === ':') {
        i++;
        max = num();
      }
      values.push({ min, max });
      if (values.length > XT_U32_MAXSIZE) err('too many ","s');
    }
  }
}

const x = (n: number): string => `0x${n.toString(16)}`;

/** u32_dump: the tests in hex, in double quotes. */
export function dumpU32(tests: readonly U32Test[]): string {
  return ` "${tests
    .map(
      (c) =>
        x(c.first) +
        c.ops.map((o) => o.op + x(o.n)).join('') +
        '=' +
        c.values.map((v) => (v.min === v.max ? x(v.min) : `${x(v.min)}:${x(v.max)}`)).join(','),
    )
    .join('&&')}"`;
}

function parser(tok: Token): ModuleParser {
  let m: U32Match | undefined;
  return {
    name: 'u32',
    tok,
    opts: [opt('u32', 1, true)],
    option(_id, args, invert, optTok) {
      if (m) fail(optTok, 'u32: option "--u32" can only be used once');
      m = { module: 'u32', invert, tests: parseU32(args[0]!) };
    },
    finish() {
      if (!m) fail(tok, 'match "u32" needs "--u32"');
      return m!;
    },
  };
}

export const u32: MatchExt<U32Match> = {
  name: 'u32',
  parser,
  save: (m) => `${m.invert ? ' !' : ''} --u32${dumpU32(m.tests)}`,
  print: (m) => ` u32${m.invert ? ' !' : ''}${dumpU32(m.tests)}`,
};
