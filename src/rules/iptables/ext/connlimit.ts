// -m connlimit (libxt_connlimit.c, revision 1): --connlimit-upto N | --connlimit-above N (a "!"
// turns one into the other), --connlimit-mask LEN (or a dotted mask), --connlimit-saddr |
// --connlimit-daddr. The save form always names the mask and the address
// (`--connlimit-above 3 --connlimit-mask 32 --connlimit-saddr`), the -L form is `#conn src/32 > 3`.
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { strtoumax, xtUint } from './xtnum.ts';

export interface ConnlimitMatch {
  readonly module: 'connlimit';
  /** The limit (u32). */
  readonly limit: number;
  /** XT_CONNLIMIT_INVERT: match while the count is at most `limit` (--connlimit-upto). */
  readonly upto: boolean;
  /** The prefix length the address is masked to (0-32); a non-contiguous mask is 32, as in iptables. */
  readonly mask: number;
  /** XT_CONNLIMIT_DADDR: group by destination address instead of source. */
  readonly daddr: boolean;
}

/** glibc's inet_aton (getaddrinfo AI_NUMERICHOST): a, a.b, a.b.c or a.b.c.d, each part base 0. */
export function inetAton(text: string): number | undefined {
  if (!/^[0-9]/.test(text)) return undefined;
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const vals: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]/.test(p)) return undefined;
    const r = strtoumax(p);
    if (!r || r.end !== p.length || r.over || r.value > 0xffffffffn) return undefined;
    vals.push(Number(r.value));
  }
  const last = vals.pop()!;
  if (vals.some((v) => v > 255)) return undefined;
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][vals.length]!;
  if (last > lastMax) return undefined;
  let a = 0;
  vals.forEach((v, i) => (a |= v << (24 - 8 * i)));
  return ((a | last) >>> 0) as number;
}

/** XTTYPE_PLENMASK: a prefix length 0-32 (base 0), else a dotted mask (non-contiguous: 32). */
function parseMask(t: Token): number {
  const text = t.text;
  const r = /^[ \t\n\v\f\r]*-/.test(text) ? undefined : strtoumax(text);
  if (r && !r.over && r.end === text.length && r.value <= 32n) return Number(r.value);
  const m = inetAton(text);
  if (m === undefined)
    return fail(t, `bad --connlimit-mask "${text}": neither a valid network mask nor a prefix length (0-32)`);
  const len = Math.clz32(~m >>> 0) === 32 ? 32 : Math.clz32(~m >>> 0);
  // A contiguous mask has its ones first: ~m then has no bit above bit (31 - len).
  return len === 32 || (m << len) >>> 0 === 0 ? len : 32;
}

function parser(tok: Token): ModuleParser {
  let limit: number | undefined;
  let upto = false;
  let mask: number | undefined;
  let daddr: boolean | undefined;
  let limitId = '';
  let addrId = '';
  return {
    name: 'connlimit',
    tok,
    opts: [
      opt('connlimit-upto', 1, true),
      opt('connlimit-above', 1, true),
      opt('connlimit-mask', 1, false),
      opt('connlimit-saddr', 0, false),
      opt('connlimit-daddr', 0, false),
    ],
    option(id, args, invert, optTok) {
      switch (id) {
        case 'connlimit-upto':
        case 'connlimit-above': {
          if (limitId === id) fail(optTok, `"--${id}" can only be used once`);
          if (limitId) fail(optTok, `"--${id}" cannot be used together with "--${limitId}"`);
          limitId = id;
          const t = args[0]!;
          limit = Number(xtUint(t, t.text, 0xffffffffn, `--${id}`));
          upto = (id === 'connlimit-upto') !== invert;
          break;
        }
        case 'connlimit-mask':
          if (mask !== undefined) fail(optTok, '"--connlimit-mask" can only be used once');
          mask = parseMask(args[0]!);
          break;
        default:
          if (addrId === id) fail(optTok, `"--${id}" can only be used once`);
          if (addrId) fail(optTok, `"--${id}" cannot be used together with "--${addrId}"`);
          addrId = id;
          daddr = id === 'connlimit-daddr';
      }
    },
    finish() {
      if (limit === undefined) fail(tok, 'match "connlimit" needs "--connlimit-above" or "--connlimit-upto"');
      return { module: 'connlimit', limit: limit!, upto, mask: mask ?? 32, daddr: daddr ?? false };
    },
  };
}

export const connlimit: MatchExt<ConnlimitMatch> = {
  name: 'connlimit',
  parser,
  save: (m) =>
    ` --connlimit-${m.upto ? 'upto' : 'above'} ${m.limit} --connlimit-mask ${m.mask} --connlimit-${m.daddr ? 'daddr' : 'saddr'}`,
  print: (m) => ` #conn ${m.daddr ? 'dst' : 'src'}/${m.mask} ${m.upto ? '<=' : '>'} ${m.limit}`,
};
