// -m rateest (libxt_rateest.c of iptables 1.8.9, an old-style parser): an estimator's rate
// (--rateest NAME, made by -j RATEEST) against a fixed rate (absolute mode), or two estimators
// against each other (--rateest1/--rateest2, relative mode), optionally their excess over given
// rates (--rateest-delta); --rateest-bps[12] / --rateest-pps[12] take the rate as an optional
// next word; [!] --rateest-eq/-lt/-gt (the last one given wins). Rates are kept in bytes/s as
// the kernel does: `1000` (bits/s without a unit) saves as 1000bit, 12345 as 12344bit.
import type { Token } from '../lex.ts';
import { fail, optArgOpt, opt, type ModuleParser } from '../parse-util.ts';
import { cStrtoul } from './cstr.ts';
import type { MatchExt } from './ext.ts';

export type RateestMode = 'eq' | 'lt' | 'gt';

export interface RateestMatch {
  readonly module: 'rateest';
  readonly name1: string;
  readonly name2: string;
  /** XT_RATEEST_MATCH_REL (else ABS): --rateest2 was given. */
  readonly rel: boolean;
  readonly delta: boolean;
  readonly bps: boolean;
  readonly pps: boolean;
  /** Bytes per second. */
  readonly bps1: number;
  readonly bps2: number;
  readonly pps1: number;
  readonly pps2: number;
  readonly mode: RateestMode;
  readonly invert: boolean;
}

/** IFNAMSIZ: estimator names are cut to 15 characters (strncpy). */
const NAME_MAX = 16;

const SUFFIXES: readonly (readonly [string, number])[] = [
  ['bit', 1],
  ['Kibit', 1024],
  ['kbit', 1000],
  ['Mibit', 1024 * 1024],
  ['mbit', 1000000],
  ['Gibit', 1024 * 1024 * 1024],
  ['gbit', 1000000000],
  ['Tibit', 1024 * 1024 * 1024 * 1024],
  ['tbit', 1000000000000],
  ['Bps', 8],
  ['KiBps', 8 * 1024],
  ['KBps', 8000],
  ['MiBps', 8 * 1024 * 1024],
  ['MBps', 8000000],
  ['GiBps', 8 * 1024 * 1024 * 1024],
  ['GBps', 8000000000],
  ['TiBps', 8 * 1024 * 1024 * 1024 * 1024],
  ['TBps', 8000000000000],
];

const STRTOD = /^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

/** rateest_get_rate: strtod, then no unit (bits/s) or a unit (strcasecmp); bytes/s as a u32. */
function parseRate(t: Token): number {
  const m = STRTOD.exec(t.text);
  const bad = (): never => fail(t, `rateest: could not parse rate \`${t.text}'`);
  if (!m) return bad();
  const v = Number(m[0].trim());
  const unit = t.text.slice(m[0].length);
  let scale = 1;
  if (unit !== '') {
    const s = SUFFIXES.find(([n]) => n.toLowerCase() === unit.toLowerCase());
    if (!s) return bad();
    scale = s[1];
  }
  const bytes = Math.trunc((v * scale) / 8);
  if (bytes < 0 || bytes > 0xffffffff)
    fail(t, `rateest: rate \`${t.text}' is out of range (0-4294967295 bytes/s)`);
  return bytes;
}

function parsePps(t: Token): number {
  const r = t.text.trimStart().startsWith('-') ? undefined : cStrtoul(t.text, 0, 0);
  if (!r || r.end === 0 || r.end !== t.text.length || r.value > 0xffffffff) {
    fail(t, `rateest: could not parse pps \`${t.text}'`);
  }
  return r!.value;
}

function parser(tok: Token): ModuleParser {
  let name1: string | undefined;
  let name2 = '';
  let rel = false;
  let delta = false;
  let bps = false;
  let pps = false;
  let bps1 = 0;
  let bps2 = 0;
  let pps1 = 0;
  let pps2 = 0;
  let mode: RateestMode | undefined;
  let invert = false;
  return {
    name: 'rateest',
    tok,
    opts: [
      opt('rateest1', 1, false),
      opt('rateest', 1, false, 'rateest1'),
      opt('rateest2', 1, false),
      optArgOpt('rateest-bps1', false),
      optArgOpt('rateest-pps1', false),
      optArgOpt('rateest-bps2', false),
      optArgOpt('rateest-pps2', false),
      optArgOpt('rateest-bps', false, 'rateest-bps2'),
      optArgOpt('rateest-pps', false, 'rateest-pps2'),
      opt('rateest-delta', 0, false),
      opt('rateest-lt', 0, true),
      opt('rateest-gt', 0, true),
      opt('rateest-eq', 0, true),
    ],
    option(id, args, inv) {
      const a = args[0];
      switch (id) {
        case 'rateest1':
          name1 = a!.text.slice(0, NAME_MAX - 1);
          break;
        case 'rateest2':
          name2 = a!.text.slice(0, NAME_MAX - 1);
          rel = true;
          break;
        case 'rateest-bps1':
          bps = true;
          if (a) bps1 = parseRate(a);
          break;
        case 'rateest-bps2':
          bps = true;
          if (a) bps2 = parseRate(a);
          break;
        case 'rateest-pps1':
          pps = true;
          if (a) pps1 = parsePps(a);
          break;
        case 'rateest-pps2':
          pps = true;
          if (a) pps2 = parsePps(a);
          break;
        case 'rateest-delta':
          delta = true;
          break;
        default:
          mode = id.slice('rateest-'.length) as RateestMode;
          if (inv) invert = true;
      }
    },
    finish() {
      // xt_rateest_mt_checkentry refuses these (EINVAL / ENOENT).
      if (!bps && !pps)
        fail(tok, 'match "rateest" needs --rateest-bps or --rateest-pps (the kernel refuses it)');
      if (!mode)
        fail(tok, 'match "rateest" needs --rateest-lt, --rateest-gt or --rateest-eq (the kernel refuses it)');
      if (name1 === undefined)
        fail(tok, 'match "rateest" needs --rateest NAME (the kernel finds no estimator)');
      return {
        module: 'rateest',
        name1: name1!,
        name2,
        rel,
        delta,
        bps,
        pps,
        bps1,
        bps2,
        pps1,
        pps2,
        mode: mode!,
        invert,
      };
    },
  };
}

/** printf("%.0f"): round half to even at exact ties, as glibc does. */
function f0(x: number): string {
  const fl = Math.floor(x);
  const d = x - fl;
  const r = d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  return String(r);
}

/** rateest_print_rate: bytes/s as bits with a unit, or the bytes (numeric). */
function rate(r: number, numeric: boolean): string {
  const tmp = r * 8;
  if (numeric) return ` ${r}`;
  if (tmp >= 1000.0 * 1000000.0) return ` ${f0(tmp / 1000000.0)}Mbit`;
  if (tmp >= 1000.0 * 1000.0) return ` ${f0(tmp / 1000.0)}Kbit`;
  return ` ${f0(tmp)}bit`;
}

const modeText = (m: RateestMatch, prefix: string): string => `${m.invert ? ' !' : ''} ${prefix}${m.mode}`;

const ABS_OR_DELTA = (m: RateestMatch): boolean => !m.rel || m.delta;

function saveRate(m: RateestMatch, name: string, r1: number, r2: number, numeric: boolean): string {
  let s = '';
  if (m.delta) s += ` --rateest-${name}1${rate(r1, numeric)}${modeText(m, '--rateest-')} --rateest-${name}2`;
  else s += `${modeText(m, '--rateest-')} --rateest-${name}`;
  if (ABS_OR_DELTA(m)) s += rate(r2, numeric);
  return s;
}

export const rateest: MatchExt<RateestMatch> = {
  name: 'rateest',
  parser,
  save(m) {
    let s = m.delta ? ' --rateest-delta' : '';
    const rates =
      (m.bps ? saveRate(m, 'bps', m.bps1, m.bps2, false) : '') +
      (m.pps ? saveRate(m, 'pps', m.pps1, m.pps2, true) : '');
    if (m.rel) s += ` --rateest1 ${m.name1}${rates} --rateest2 ${m.name2}`;
    else s += ` --rateest ${m.name1}${rates}`;
    return s;
  },
  print(m) {
    let s = ` rateest match ${m.name1}`;
    if (m.delta) s += ' delta';
    if (m.bps) {
      s += ' bps';
      if (m.delta) s += rate(m.bps1, true);
      if (!m.rel) s += rate(m.bps2, true) + modeText(m, '');
    }
    if (m.pps) {
      s += ' pps';
      if (m.delta) s += ` ${m.pps1}`;
      if (!m.rel) s += `${modeText(m, '')} ${m.pps2}`;
    }
    if (m.rel) {
      s += `${modeText(m, '')} ${m.name2}`;
      if (m.bps) s += ` bps${m.delta ? rate(m.bps2, true) : ''}`;
      if (m.pps) s += ` pps${m.delta ? ` ${m.pps2}` : ''}`;
    }
    return s;
  },
};
