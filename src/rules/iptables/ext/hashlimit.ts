// -m hashlimit (libxt_hashlimit.c revision 3, as iptables 1.8.9 loads it): --hashlimit-upto or
// --hashlimit-above (the old --hashlimit is -upto) with a packet rate N[/second|minute|hour|day]
// or a byte rate N[k|m]b/s, --hashlimit-burst, --hashlimit-mode srcip,srcport,dstip,dstport,
// --hashlimit-srcmask/-dstmask, --hashlimit-name (required), the --hashlimit-htable-* sizes and
// times, --hashlimit-rate-match and --hashlimit-rate-interval. The model keeps struct
// hashlimit_cfg3 as the kernel gets it (the save and -L forms are computed from it, as
// libxt_hashlimit does); the kernel's refusals (hashlimit_mt_check_common) are made here too.
import type { Token } from '../lex.ts';
import { HASHLIMIT_SCALE } from '../model.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

/** struct hashlimit_cfg3 and the name (struct xt_hashlimit_mtinfo3). */
export interface HashlimitMatch {
  readonly module: 'hashlimit';
  /** XT_HASHLIMIT_INVERT: --hashlimit-above (matches when over the rate). */
  readonly above: boolean;
  /** XT_HASHLIMIT_BYTES: `avg` is the cost of 16 bytes (bytes_to_cost), `burst` a count of refills. */
  readonly bytes: boolean;
  /** XT_HASHLIMIT_RATE_MATCH. */
  readonly rateMatch: boolean;
  readonly srcip: boolean;
  readonly srcport: boolean;
  readonly dstip: boolean;
  readonly dstport: boolean;
  /** Packet mode: the period per packet in 1/1000000 s (HASHLIMIT_SCALE); byte mode: see `bytes`. */
  readonly avg: number;
  readonly burst: number;
  /** --hashlimit-htable-size, -max (0: the kernel's default), -gcinterval and -expire in ms. */
  readonly size: number;
  readonly max: number;
  readonly gcInterval: number;
  readonly expire: number;
  readonly srcmask: number;
  readonly dstmask: number;
  /** --hashlimit-rate-interval in seconds (0 when not given and not rate-match). */
  readonly interval: number;
  readonly name: string;
}

const BURST_MAX = 1000000; // XT_HASHLIMIT_BURST_MAX
const GCINTERVAL = 1000; // XT_HASHLIMIT_GCINTERVAL, ms
const BYTE_EXPIRE = 15; // XT_HASHLIMIT_BYTE_EXPIRE, s
const BYTE_EXPIRE_BURST = 60;
const BYTE_SHIFT = 4n; // XT_HASHLIMIT_BYTE_SHIFT
const U32 = 0xffffffffn;
const U64 = (1n << 64n) - 1n;
/** HASHLIMIT_MAX_SIZE: the kernel clamps --hashlimit-htable-size and -max to it. */
const MAX_SIZE = 1048576;
/** NAME_MAX - 1: libxtables keeps that much of a longer --hashlimit-name. */
const NAME_LEN = 254;
/** CONFIG_HZ of the reference kernel: the overflow check of hashlimit_mt_check_common uses it. */
const HZ = 250n;

/** cost_to_bytes() of libxt_hashlimit. */
export function costToBytes(cost: bigint): bigint {
  const r = cost ? U32 / cost : U32;
  return ((r - 1n) << BYTE_SHIFT) & U64;
}

/** bytes_to_cost() (its shift result is kept in a uint32_t). */
function bytesToCost(bytes: bigint): bigint {
  const r = (bytes >> BYTE_SHIFT) & U32;
  return r + 1n > U32 ? 0n : U32 / (r + 1n);
}

const factor = (c: string | undefined): bigint => (c === 'm' ? 1048576n : c === 'k' ? 1024n : 1n);

/** atoll(): leading blanks, a sign, decimal digits; 0 when none. */
function atoll(s: string): bigint {
  const m = /^\s*([+-]?)(\d*)/.exec(s)!;
  if (!m[2]) return 0n;
  const v = BigInt(m[2]);
  return m[1] === '-' ? -v : v;
}

interface Rate {
  avg: bigint;
  bytes: boolean;
  /** The udata `mult`: seconds of the unit (15 for bytes). */
  mult: number;
}

/** parse_bytes() then parse_rate() of libxt_hashlimit (revision 2 and 3). */
function parseRate(t: Token, opt: string): Rate {
  const text = t.text;
  const bad = (): never =>
    fail(t, `bad value for "--${opt}" option: "${text}" (expected N/sec|min|hour|day or N[k|m]b/s)`);
  const b = text.indexOf('b/s');
  if (b > 0) {
    const r = atoll(text);
    if (r > 0n) {
      const tmp = r * factor(text[b - 1]);
      if (tmp > U64) fail(t, `rate value too large "${tmp}" (max ${U64})`);
      const avg = bytesToCost(tmp);
      if (avg === 0n) fail(t, `rate too high "${text}"`);
      return { avg, bytes: true, mult: BYTE_EXPIRE };
    }
  }
  let mult = 1;
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const u = text.slice(slash + 1).toLowerCase();
    if (u === '') bad();
    const hit = (
      [
        ['second', 1],
        ['minute', 60],
        ['hour', 3600],
        ['day', 86400],
      ] as const
    ).find(([n]) => n.startsWith(u));
    if (!hit) bad();
    mult = hit![1];
  }
  const r = atoll(text);
  if (r === 0n) bad();
  // atoll's negative number becomes a huge uint64_t: the period is then 0.
  const avg = r < 0n ? 0n : (BigInt(HASHLIMIT_SCALE) * BigInt(mult)) / r;
  if (avg === 0n) fail(t, `rate too fast "${text}"`);
  return { avg, bytes: false, mult };
}

/** parse_burst(): strtoull base 0 with an optional k/m factor (the rest of the text is ignored). */
function parseBurst(t: Token): bigint {
  const text = t.text;
  const m = /^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)(.*)$/.exec(text);
  const range = `bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX})`;
  if (!m) return fail(t, range);
  const digits = m[1]!;
  const v = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  if (v < 1n || v > U64 || (m[2] === '' && v > BigInt(BURST_MAX))) fail(t, range);
  const r = v * factor(m[2]![0]);
  if (r > U64) fail(t, `bad value for option "--hashlimit-burst", value "${text}" too large`);
  return r;
}

/** XTTYPE_UINT32: strtoul base 0, 0-4294967295. */
function parseU32(t: Token, opt: string): number {
  const text = t.text;
  let n = NaN;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9]\d*$/.test(text)) n = Number(text);
  if (!(n <= 0xffffffff)) fail(t, `bad value for option "--${opt}" "${text}" (expected 0-4294967295)`);
  return n;
}

/** user2credits() of xt_hashlimit.c (revision 3, HZ 250): u64 arithmetic, wrapping. */
function user2credits(user: bigint): bigint {
  const cpjMax = U64 / (HZ * 86400n);
  let cpj = 1n;
  while (cpj * 2n <= cpjMax) cpj *= 2n;
  return (user * ((HZ * cpj) / BigInt(HASHLIMIT_SCALE))) & U64;
}

function parser(tok: Token): ModuleParser {
  const seen = new Map<string, Token>();
  let rate: Rate | undefined;
  let rateOpt = '';
  let above = false;
  let burst: bigint | undefined;
  let burstTok: Token | undefined;
  let mode = { srcip: false, srcport: false, dstip: false, dstport: false };
  let size = 0;
  let max = 0;
  let gcInterval = GCINTERVAL;
  let expire: number | undefined;
  let expireTok: Token | undefined;
  let srcmask = 32;
  let dstmask = 32;
  let srcmaskTok: Token | undefined;
  let dstmaskTok: Token | undefined;
  let rateMatch = false;
  let interval = 0;
  let name: string | undefined;
  let nameTok: Token | undefined;
  return {
    name: 'hashlimit',
    tok,
    opts: [
      opt('hashlimit-upto', 1, true),
      opt('hashlimit-above', 1, true),
      opt('hashlimit', 1, true, 'hashlimit-upto'),
      opt('hashlimit-srcmask', 1, false),
      opt('hashlimit-dstmask', 1, false),
      opt('hashlimit-burst', 1, false),
      opt('hashlimit-htable-size', 1, false),
      opt('hashlimit-htable-max', 1, false),
      opt('hashlimit-htable-gcinterval', 1, false),
      opt('hashlimit-htable-expire', 1, false),
      opt('hashlimit-mode', 1, false),
      opt('hashlimit-name', 1, false),
      opt('hashlimit-rate-match', 0, false),
      opt('hashlimit-rate-interval', 1, false),
    ],
    option(id, args, inv, optTok) {
      if (seen.has(id)) fail(optTok, `option "--${id}" can only be used once`);
      const t = args[0]!;
      if (id === 'hashlimit-upto' || id === 'hashlimit-above') {
        const other = id === 'hashlimit-upto' ? 'hashlimit-above' : 'hashlimit-upto';
        if (seen.has(other)) fail(optTok, `option "--${other}" cannot be used together with "--${id}"`);
        rate = parseRate(t, id);
        rateOpt = id;
        // "!" turns one into the other (XT_HASHLIMIT_INVERT).
        above = (id === 'hashlimit-above') !== inv;
      }
      seen.set(id, optTok);
      switch (id) {
        case 'hashlimit-srcmask':
        case 'hashlimit-dstmask': {
          // XTTYPE_PLEN takes 0-128; the kernel refuses more than 32 for IPv4.
          const n = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
          if (!(n <= 128)) fail(t, `bad prefix length "${t.text}" for --${id} (expected 0-32)`);
          if (id === 'hashlimit-srcmask') [srcmask, srcmaskTok] = [n, t];
          else [dstmask, dstmaskTok] = [n, t];
          break;
        }
        case 'hashlimit-burst':
          burst = parseBurst(t);
          burstTok = t;
          break;
        case 'hashlimit-htable-size':
          size = Math.min(parseU32(t, id), MAX_SIZE);
          break;
        case 'hashlimit-htable-max':
          max = Math.min(parseU32(t, id), MAX_SIZE);
          break;
        case 'hashlimit-htable-gcinterval':
          gcInterval = parseU32(t, id);
          if (gcInterval === 0) fail(t, '--hashlimit-htable-gcinterval 0: the kernel refuses it');
          break;
        case 'hashlimit-htable-expire':
          expire = parseU32(t, id);
          expireTok = t;
          if (expire === 0) fail(t, '--hashlimit-htable-expire 0: the kernel refuses it');
          break;
        case 'hashlimit-mode':
          mode = { srcip: false, srcport: false, dstip: false, dstport: false };
          for (const w of t.text.split(/[,|]/)) {
            if (w === '') continue;
            if (w !== 'srcip' && w !== 'srcport' && w !== 'dstip' && w !== 'dstport')
              fail(
                t,
                `bad value for "--hashlimit-mode" option: "${t.text}" (expected srcip,srcport,dstip,dstport)`,
              );
            mode[w as keyof typeof mode] = true;
          }
          break;
        case 'hashlimit-name':
          if (t.text === '') fail(t, '--hashlimit-name must have at least 1 character');
          name = t.text.slice(0, NAME_LEN);
          nameTok = t;
          if (name === '.' || name === '..' || name.includes('/'))
            fail(t, `bad --hashlimit-name "${name}" (the kernel refuses ".", ".." and names with "/")`);
          break;
        case 'hashlimit-rate-match':
          rateMatch = true;
          break;
        case 'hashlimit-rate-interval': {
          const n = Number(atoll(t.text));
          if (n <= 0 || n > 0x7fffffff)
            fail(t, `bad value for "--hashlimit-rate-interval" option: "${t.text}"`);
          interval = n;
          break;
        }
      }
    },
    finish() {
      if (name === undefined) fail(tok, 'match "hashlimit" needs "--hashlimit-name"');
      if (!rate) fail(tok, 'match "hashlimit" needs "--hashlimit-upto" or "--hashlimit-above"');
      const r = rate!;
      let avg = r.avg;
      let exp = expire ?? r.mult * 1000;
      let b: bigint = burst ?? 5n;
      if (r.bytes) {
        let count = 0n;
        if (burst !== undefined) {
          const unit = costToBytes(avg);
          if (unit === 0n)
            fail(burstTok!, `--hashlimit-burst with the rate "${rateOpt}" of 0b/s: iptables crashes on it`);
          if (burst < unit) fail(burstTok!, `burst cannot be smaller than ${unit}b`);
          count = (burst & U32) / unit; // uint32_t burst = cfg.burst
          if (burst % unit) count++;
          if (expire === undefined) exp = BYTE_EXPIRE_BURST * 1000;
        }
        b = count & U32;
      } else if (b > BigInt(BURST_MAX)) {
        fail(burstTok!, `bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX})`);
      }
      if (rateMatch) {
        if (!r.bytes) avg /= BigInt(r.mult);
        if (interval === 0) interval = r.bytes ? 1 : r.mult;
      }
      // hashlimit_mt_check_common (xt_hashlimit.c).
      if (srcmask > 32) fail(srcmaskTok!, `--hashlimit-srcmask ${srcmask}: the kernel allows 0-32 for IPv4`);
      if (dstmask > 32) fail(dstmaskTok!, `--hashlimit-dstmask ${dstmask}: the kernel allows 0-32 for IPv4`);
      if (rateMatch) {
        if (avg === 0n || avg > U32)
          fail(tok, 'hashlimit: invalid rate for --hashlimit-rate-match (the kernel refuses it)');
      } else if (r.bytes) {
        if ((avg * HZ * 16777216n) >> 32n === 0n)
          fail(tok, 'hashlimit: rate too high (the kernel refuses it)');
      } else if (b === 0n || user2credits((avg * b) & U64) < user2credits(avg)) {
        fail(
          burstTok ?? tok,
          `hashlimit: the rate times the burst overflows the kernel's credits (it answers "Numerical result out of range"): try a lower burst`,
        );
      }
      void expireTok;
      void nameTok;
      return {
        module: 'hashlimit',
        above,
        bytes: r.bytes,
        rateMatch,
        ...mode,
        avg: Number(avg),
        burst: Number(b),
        size,
        max,
        gcInterval,
        expire: exp,
        srcmask,
        dstmask,
        interval,
        name: name!,
      };
    },
  };
}

const RATES: readonly [string, number][] = [
  ['day', HASHLIMIT_SCALE * 86400],
  ['hour', HASHLIMIT_SCALE * 3600],
  ['min', HASHLIMIT_SCALE * 60],
  ['sec', HASHLIMIT_SCALE],
];

/** print_rate(): the text and the quantum (the unit in ms). */
function printRate(period: number): [string, number] {
  if (period === 0) return [' inf', 0];
  let i = 1;
  for (; i < RATES.length; i++) {
    const mult = RATES[i]![1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = RATES[i - 1]!;
  return [` ${Math.floor(mult / period)}/${name}`, (mult / HASHLIMIT_SCALE) * 1000];
}

const UNITS: readonly [string, bigint][] = [
  ['m', 1048576n],
  ['k', 1024n],
  ['', 1n],
];

/** print_bytes(): the text and the quantum. */
function printBytes(avg: number, burst: number, prefix: string): [string, number] {
  const cost = BigInt(avg);
  let r = costToBytes(cost);
  let i = 0;
  for (; i < UNITS.length - 1; i++) {
    const th = UNITS[i]![1];
    if (r >= th && bytesToCost(r & ~(th - 1n)) === cost) break;
  }
  let s = ` ${r / UNITS[i]![1]}${UNITS[i]![0]}b/s`;
  if (burst === 0) return [s, BYTE_EXPIRE * 1000];
  r = (r * BigInt(burst)) & U64;
  for (i = 0; i < UNITS.length - 1; i++) if (r >= UNITS[i]![1]) break;
  s += ` ${prefix}burst ${r / UNITS[i]![1]}${UNITS[i]![0]}b`;
  return [s, BYTE_EXPIRE_BURST * 1000];
}

function modeWords(m: HashlimitMatch, sep: string): string {
  const w: string[] = [];
  if (m.srcip) w.push('srcip');
  if (m.srcport) w.push('srcport');
  if (m.dstip) w.push('dstip');
  if (m.dstport) w.push('dstport');
  return w.join(sep);
}

const hasMode = (m: HashlimitMatch): boolean => m.srcip || m.srcport || m.dstip || m.dstport;

/** hashlimit_mt_save (revision 3). */
function save(m: HashlimitMatch): string {
  let s = m.above ? ' --hashlimit-above' : ' --hashlimit-upto';
  let quantum: number;
  if (m.bytes) {
    const [t, q] = printBytes(m.avg, m.burst, '--hashlimit-');
    s += t;
    quantum = q;
  } else {
    const [t, q] = printRate(m.avg);
    s += `${t} --hashlimit-burst ${m.burst}`;
    quantum = q;
  }
  if (hasMode(m)) s += ` --hashlimit-mode ${modeWords(m, ',')}`;
  s += ` --hashlimit-name ${m.name}`;
  if (m.size) s += ` --hashlimit-htable-size ${m.size}`;
  if (m.max) s += ` --hashlimit-htable-max ${m.max}`;
  if (m.gcInterval !== GCINTERVAL) s += ` --hashlimit-htable-gcinterval ${m.gcInterval}`;
  if (m.expire !== quantum) s += ` --hashlimit-htable-expire ${m.expire}`;
  if (m.srcmask !== 32) s += ` --hashlimit-srcmask ${m.srcmask}`;
  if (m.dstmask !== 32) s += ` --hashlimit-dstmask ${m.dstmask}`;
  if (m.rateMatch) {
    s += ' --hashlimit-rate-match';
    if (m.interval !== 1) s += ` --hashlimit-rate-interval ${m.interval}`;
  }
  return s;
}

/** hashlimit_mt_print (revision 3): the period times the interval, unlike save. */
function print(m: HashlimitMatch): string {
  let s = m.above ? ' limit: above' : ' limit: up to';
  let quantum: number;
  if (m.bytes) {
    const [t, q] = printBytes(m.avg, m.burst, '');
    s += t;
    quantum = q;
  } else {
    const [t, q] = printRate(m.interval ? m.avg * m.interval : m.avg);
    s += `${t} burst ${m.burst}`;
    quantum = q;
  }
  if (hasMode(m)) s += ` mode ${modeWords(m, '-')}`;
  if (m.size) s += ` htable-size ${m.size}`;
  if (m.max) s += ` htable-max ${m.max}`;
  if (m.gcInterval !== GCINTERVAL) s += ` htable-gcinterval ${m.gcInterval}`;
  if (m.expire !== quantum) s += ` htable-expire ${m.expire}`;
  if (m.srcmask !== 32) s += ` srcmask ${m.srcmask}`;
  if (m.dstmask !== 32) s += ` dstmask ${m.dstmask}`;
  if (m.rateMatch) {
    s += ' rate-match';
    if (m.interval !== 1) s += ` rate-interval ${m.interval}`;
  }
  return s;
}

export const hashlimit: MatchExt<HashlimitMatch> = { name: 'hashlimit', parser, save, print };
