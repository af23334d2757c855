// -m set (libxt_set.c, revision 4 as iptables-save prints it): --match-set NAME src|dst[,...],
// invertible; the sets themselves come from an `ipset save` file (rules/ipset.ts). Revision 3/4's
// options (set_parse_v3): --return-nomatch (not invertible), `! --update-counters`,
// `! --update-subcounters` (without "!" they change nothing), `[!] --packets-eq N`,
// `--packets-lt N`, `--packets-gt N` and the same for bytes (one of each, lt/gt not invertible;
// N as strtoumax base 0, up to 2^64-1), printed in that fixed order (set_print_v3_matchinfo).
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

/** ipset: `--match-set NAME src,dst`. */
export interface SetMatch {
  readonly module: 'set';
  readonly set: string;
  readonly dirs: readonly ('src' | 'dst')[];
  readonly invert: boolean;
  /** --return-nomatch (IPSET_FLAG_RETURN_NOMATCH). */
  readonly returnNomatch?: boolean;
  /** `! --update-counters` / `! --update-subcounters` (IPSET_FLAG_SKIP_*_UPDATE). */
  readonly skipCounters?: boolean;
  readonly skipSubcounters?: boolean;
  /** --packets-* / --bytes-*: the element counters' test (`ne` is `! --X-eq`). */
  readonly packets?: SetCounterTest;
  readonly bytes?: SetCounterTest;
}

export interface SetCounterTest {
  readonly op: 'eq' | 'ne' | 'lt' | 'gt';
  /** 0 .. 2^64-1. */
  readonly value: bigint;
}

const U64_MAX = (1n << 64n) - 1n;

/** xtables_strtoul(s, NULL, &v, 0, UINT64_MAX) as parse_counter calls it; undefined when refused. */
function counterValue(text: string): bigint | undefined {
  const m = /^\s*(?:\+)?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const t = m[1]!;
  const v = /^0[xX]/.test(t)
    ? BigInt(t)
    : t.length > 1 && t.startsWith('0')
      ? BigInt(`0o${t.slice(1)}`)
      : BigInt(t);
  return v <= U64_MAX ? v : undefined;
}

const counterText = (name: string, c: SetCounterTest | undefined, sep: string): string =>
  c === undefined
    ? ''
    : c.op === 'ne'
      ? ` ! ${sep}${name}-eq ${c.value}`
      : ` ${sep}${name}-${c.op} ${c.value}`;

/** set_print_v3_matchinfo's options after the set (sep `--` for save, `` for -L). */
const extraText = (m: SetMatch, sep: string): string =>
  (m.returnNomatch ? ` ${sep}return-nomatch` : '') +
  (m.skipCounters ? ` ! ${sep}update-counters` : '') +
  (m.skipSubcounters ? ` ! ${sep}update-subcounters` : '') +
  counterText('packets', m.packets, sep) +
  counterText('bytes', m.bytes, sep);

function parser(tok: Token): ModuleParser {
  let set: { name: string; dirs: ('src' | 'dst')[]; invert: boolean } | undefined;
  let returnNomatch = false;
  let skipCounters = false;
  let skipSubcounters = false;
  let packets: SetCounterTest | undefined;
  let bytes: SetCounterTest | undefined;
  const counter = (
    which: 'packets' | 'bytes',
    op: 'eq' | 'lt' | 'gt',
    arg: Token,
    invert: boolean,
    optTok: Token,
  ): SetCounterTest => {
    if ((which === 'packets' ? packets : bytes) !== undefined)
      fail(optTok, `only one of the --${which}-[eq|lt|gt] is allowed`);
    if (invert && op !== 'eq') fail(optTok, `--${which}-${op} option cannot be inverted`);
    const value = counterValue(arg.text);
    if (value === undefined) fail(arg, `Cannot parse ${arg.text} as a counter value`);
    return { op: invert ? 'ne' : op, value: value! };
  };
  return {
    name: 'set',
    tok,
    opts: [
      opt('match-set', 2, true),
      opt('set', 2, true, 'match-set'),
      opt('return-nomatch', 0, true),
      opt('update-counters', 0, true),
      opt('update-subcounters', 0, true),
      opt('packets-eq', 1, true),
      opt('packets-lt', 1, true),
      opt('packets-gt', 1, true),
      opt('bytes-eq', 1, true),
      opt('bytes-lt', 1, true),
      opt('bytes-gt', 1, true),
    ],
    option(id, args, invert, optTok) {
      if (id === 'return-nomatch') {
        if (invert) fail(optTok, '--return-nomatch flag cannot be inverted');
        returnNomatch = true;
        return;
      }
      if (id === 'update-counters') {
        if (invert) skipCounters = true;
        return;
      }
      if (id === 'update-subcounters') {
        if (invert) skipSubcounters = true;
        return;
      }
      const cm = /^(packets|bytes)-(eq|lt|gt)$/.exec(id);
      if (cm) {
        const which = cm[1] as 'packets' | 'bytes';
        const t = counter(which, cm[2] as 'eq' | 'lt' | 'gt', args[0]!, invert, optTok);
        if (which === 'packets') packets = t;
        else bytes = t;
        return;
      }
      if (set) fail(optTok, 'match "set" takes one "--match-set" (use another "-m set" for a second set)');
      const [nameTok, flagsTok] = args as [Token, Token];
      if (nameTok.text.length > 31) fail(nameTok, `set name "${nameTok.text}" is longer than 31 characters`);
      const dirs = flagsTok.text.split(',');
      if (dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst')) {
        fail(flagsTok, `bad set flags "${flagsTok.text}" (expected a comma list of src and dst, at most 6)`);
      }
      set = { name: nameTok.text, dirs: dirs as ('src' | 'dst')[], invert };
    },
    finish() {
      if (!set) fail(tok, 'match "set" needs "--match-set NAME src|dst"');
      return {
        module: 'set',
        set: set!.name,
        dirs: set!.dirs,
        invert: set!.invert,
        ...(returnNomatch ? { returnNomatch } : {}),
        ...(skipCounters ? { skipCounters } : {}),
        ...(skipSubcounters ? { skipSubcounters } : {}),
        ...(packets ? { packets } : {}),
        ...(bytes ? { bytes } : {}),
      };
    },
  };
}

export const set: MatchExt<SetMatch> = {
  name: 'set',
  parser,
  save: (m) => `${bang(m.invert)} --match-set ${m.set} ${m.dirs.join(',')}${extraText(m, '--')}`,
  print: (m) => `${bang(m.invert)} match-set ${m.set} ${m.dirs.join(',')}${extraText(m, '')}`,
};
