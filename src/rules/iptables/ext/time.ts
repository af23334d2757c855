// -m time (libxt_time.c of iptables 1.8.9, xt_time.h): --datestart/--datestop
// (YYYY[-MM[-DD[Thh[:mm[:ss]]]]], UTC), --timestart/--timestop (hh:mm[:ss]), [!] --monthdays,
// [!] --weekdays (names by their first two letters, or 1-7), --contiguous, --kerneltz (its old
// name --localtz) and --utc. The model holds the kernel's xt_time_info: the defaults are printed
// back as iptables does (`--datestop 2038-01-19T03:14:07` always).
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import { cStrtoul, u32 } from './cstr.ts';
import type { MatchExt } from './ext.ts';

export interface TimeMatch {
  readonly module: 'time';
  /** Seconds since 1970 UTC (u32), 0: no lower bound. */
  readonly dateStart: number;
  /** Seconds since 1970 UTC (u32), INT_MAX (the default) is printed too. */
  readonly dateStop: number;
  /** Seconds in the day, 0..86399. */
  readonly daytimeStart: number;
  readonly daytimeStop: number;
  /** Bit n: day n of the month (bit 0 can be set by --monthdays 0). */
  readonly monthdays: number;
  /** Bit n: weekday n, 1 Monday .. 7 Sunday (a u8, as the kernel stores it). */
  readonly weekdays: number;
  /** XT_TIME_LOCAL_TZ: the kernel's timezone (sys_tz) instead of UTC. */
  readonly kernelTz: boolean;
  /** XT_TIME_CONTIGUOUS: a daytime range across midnight is one interval (weekday of its start). */
  readonly contiguous: boolean;
}

export const XT_TIME_ALL_MONTHDAYS = 0xfffffffe;
export const XT_TIME_ALL_WEEKDAYS = 0xfe;
export const XT_TIME_MAX_DAYTIME = 24 * 60 * 60 - 1;
const INT_MAX = 0x7fffffff;

const WEEK_DAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** time_parse_date: each part with strtoul, the checks libxt_time makes, mktime in UTC. */
function parseDate(tok: Token): number {
  const s = tok.text;
  const bad = (): never =>
    fail(tok, `Invalid date "${s}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`);
  const parts = [1970, 1, 1, 0, 0, 0];
  const seps = ['-', '-', 'T', ':', ':', ''];
  const max = [2038, 12, 31, 23, 59, 59];
  let at = 0;
  for (let k = 0; k < 6; k++) {
    const r = cStrtoul(s, at, 10);
    const c = s[r.end] ?? '';
    if ((c !== seps[k] && c !== '') || r.value > max[k]! || (k === 0 && r.value < 1970)) bad();
    parts[k] = r.value;
    if (c === '') break;
    at = r.end + 1;
  }
  const t = Date.UTC(parts[0]!, parts[1]! - 1, parts[2]!, parts[3]!, parts[4]!, parts[5]!) / 1000;
  if (t < 0) fail(tok, `mktime returned an error for date "${s}"`);
  return t >>> 0;
}

/** time_parse_minutes: hh:mm[:ss]; the error quotes the part that failed, as iptables does. */
function parseDaytime(tok: Token): number {
  const s = tok.text;
  const bad = (from: number): never =>
    fail(
      tok,
      `invalid time "${s.slice(from)}" specified, should be hh:mm[:ss] format and within the boundaries`,
    );
  const h = cStrtoul(s, 0, 10);
  if (s[h.end] !== ':' || h.value > 23) bad(0);
  const mAt = h.end + 1;
  const m = cStrtoul(s, mAt, 10);
  const mc = s[m.end] ?? '';
  if ((mc !== ':' && mc !== '') || m.value > 59) bad(mAt);
  let sec = 0;
  if (mc === ':') {
    const sAt = m.end + 1;
    const r = cStrtoul(s, sAt, 10);
    if (r.end !== s.length || r.value > 59) bad(sAt);
    sec = r.value;
  }
  return 3600 * h.value + 60 * m.value + sec;
}

/** my_strseg: the comma-separated parts, each cut to `width` characters; none after a trailing comma. */
function segments(s: string, width: number): string[] {
  const out: string[] = [];
  let rest: string | undefined = s;
  while (rest !== undefined && rest !== '') {
    const k: number = rest.indexOf(',');
    out.push((k < 0 ? rest : rest.slice(0, k)).slice(0, width));
    rest = k < 0 ? undefined : rest.slice(k + 1);
  }
  return out;
}

/** 1 << n as C computes it for an unsigned int n on x86 (the count taken modulo 32). */
const bit = (n: number): number => (1 << (u32(n) & 31)) >>> 0;

function parseMonthdays(tok: Token): number {
  let ret = 0;
  for (const day of segments(tok.text, 2)) {
    const r = cStrtoul(day, 0, 0);
    if (r.end !== day.length || r.value > 31) fail(tok, `${day} is not a valid day for --monthdays`);
    ret = (ret | bit(r.value)) >>> 0;
  }
  return ret;
}

function parseWeekdays(tok: Token): number {
  let ret = 0;
  for (const day of segments(tok.text, 3)) {
    const r = cStrtoul(day, 0, 0);
    if (r.end === day.length) {
      if (u32(r.value) === 0) fail(tok, 'No, the week does NOT begin with Sunday.');
      ret |= bit(r.value);
      continue;
    }
    let valid = false;
    for (let i = 1; i < WEEK_DAYS.length; i++) {
      if (day.slice(0, 2) === WEEK_DAYS[i]!.slice(0, 2)) {
        ret |= 1 << i;
        valid = true;
      }
    }
    if (!valid) fail(tok, `${day} is not a valid day specifier`);
  }
  return ret & 0xff;
}

function parser(tok: Token): ModuleParser {
  const seen = new Set<string>();
  let dateStart = 0;
  let dateStop = INT_MAX;
  let daytimeStart = 0;
  let daytimeStop = XT_TIME_MAX_DAYTIME;
  let monthdays = XT_TIME_ALL_MONTHDAYS;
  let weekdays = XT_TIME_ALL_WEEKDAYS;
  let kernelTz = false;
  let contiguous = false;
  return {
    name: 'time',
    tok,
    opts: [
      opt('datestart', 1, false),
      opt('datestop', 1, false),
      opt('timestart', 1, false),
      opt('timestop', 1, false),
      opt('contiguous', 0, false),
      opt('weekdays', 1, true),
      opt('monthdays', 1, true),
      opt('localtz', 0, false),
      opt('utc', 0, false),
      opt('kerneltz', 0, false),
    ],
    option(id, args, invert, optTok) {
      if (seen.has(id)) fail(optTok, `time: option "--${id}" can only be used once`);
      const clash =
        id === 'utc' ? ['localtz', 'kerneltz'] : id === 'localtz' || id === 'kerneltz' ? ['utc'] : [];
      for (const c of clash) {
        if (seen.has(c)) fail(optTok, `time: option "--${id}" cannot be used together with "--${c}"`);
      }
      seen.add(id);
      const a = args[0]!;
      switch (id) {
        case 'datestart':
          dateStart = parseDate(a);
          break;
        case 'datestop':
          dateStop = parseDate(a);
          break;
        case 'timestart':
          daytimeStart = parseDaytime(a);
          break;
        case 'timestop':
          daytimeStop = parseDaytime(a);
          break;
        case 'contiguous':
          contiguous = true;
          break;
        case 'localtz':
        case 'kerneltz':
          kernelTz = true;
          break;
        case 'monthdays':
          monthdays = parseMonthdays(a);
          if (invert) monthdays = (monthdays ^ XT_TIME_ALL_MONTHDAYS) >>> 0;
          break;
        case 'weekdays':
          weekdays = parseWeekdays(a);
          if (invert) weekdays ^= XT_TIME_ALL_WEEKDAYS;
          break;
      }
    },
    finish() {
      if (contiguous && daytimeStart < daytimeStop) {
        fail(tok, 'time: --contiguous only makes sense when stoptime is smaller than starttime');
      }
      return {
        module: 'time',
        dateStart,
        dateStop,
        daytimeStart,
        daytimeStop,
        monthdays,
        weekdays,
        kernelTz,
        contiguous,
      };
    },
  };
}

const p2 = (n: number): string => String(n).padStart(2, '0');

function daytime(t: number): string {
  return `${p2(Math.floor(t / 3600))}:${p2(Math.floor(t / 60) % 60)}:${p2(t % 60)}`;
}

/** time_print_date: nothing for 0, else gmtime with "T" (save) or " " (list) between. */
function date(t: number, sep: 'T' | ' '): string {
  if (t === 0) return '';
  const d = new Date(t * 1000);
  return (
    `${String(d.getUTCFullYear()).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}` +
    `${sep}${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`
  );
}

const SUFFIX = ['th', 'st', 'nd', 'rd'];
function monthdayList(mask: number, human: boolean): string {
  const out: string[] = [];
  for (let i = 1; i <= 31; i++) {
    if (mask & (1 << i)) out.push(human ? `${i}${SUFFIX[i % 10] ?? 'th'}` : `${i}`);
  }
  return ` ${out.join(',')}`;
}

function weekdayList(mask: number): string {
  const out: string[] = [];
  for (let i = 1; i <= 7; i++) if (mask & (1 << i)) out.push(WEEK_DAYS[i]!);
  return ` ${out.join(',')}`;
}

const hasDaytime = (m: TimeMatch): boolean => m.daytimeStart !== 0 || m.daytimeStop !== XT_TIME_MAX_DAYTIME;

export const time: MatchExt<TimeMatch> = {
  name: 'time',
  parser,
  save(m) {
    let s = '';
    if (hasDaytime(m)) s += ` --timestart ${daytime(m.daytimeStart)} --timestop ${daytime(m.daytimeStop)}`;
    if (m.monthdays !== XT_TIME_ALL_MONTHDAYS) s += ` --monthdays${monthdayList(m.monthdays, false)}`;
    if (m.weekdays !== XT_TIME_ALL_WEEKDAYS) s += ` --weekdays${weekdayList(m.weekdays)}`;
    if (m.dateStart !== 0) s += ` --datestart ${date(m.dateStart, 'T')}`;
    if (m.dateStop !== 0) s += ` --datestop ${date(m.dateStop, 'T')}`;
    if (m.kernelTz) s += ' --kerneltz';
    if (m.contiguous) s += ' --contiguous';
    return s;
  },
  print(m) {
    let s = ' TIME';
    if (hasDaytime(m)) s += ` from ${daytime(m.daytimeStart)} to ${daytime(m.daytimeStop)}`;
    if (m.weekdays !== XT_TIME_ALL_WEEKDAYS) s += ` on${weekdayList(m.weekdays)}`;
    if (m.monthdays !== XT_TIME_ALL_MONTHDAYS) s += ` on${monthdayList(m.monthdays, true)}`;
    if (m.dateStart !== 0) s += ` starting from ${date(m.dateStart, ' ')}`;
    if (m.dateStop !== INT_MAX) s += ` until date${m.dateStop !== 0 ? ` ${date(m.dateStop, ' ')}` : ''}`;
    if (!m.kernelTz) s += ' UTC';
    if (m.contiguous) s += ' contiguous';
    return s;
  },
};
