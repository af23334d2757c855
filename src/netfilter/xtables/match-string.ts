// -m string (xt_string.c string_mt): skb_find_text() over the packet from offset `from` to `to`
// (offsets from the start of the IP header, where skb->data is at the IP hooks; the window ends
// at the packet's end), with the kernel's textsearch algorithms: ts_bm.c (Boyer-Moore, its own
// bad- and good-shift tables) and ts_kmp.c (Knuth-Morris-Pratt), both with TS_IGNORECASE as the
// kernel's toupper() (ISO 8859-1, lib/ctype.c). The tables are made per rule when the chain is
// compiled; a packet allocates nothing.
import type { Skb } from '../core/skb.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

/** The kernel's toupper()/tolower() (lib/ctype.c: Latin-1 letters too; 0xDF and 0xFF are lower). */
const UPPER = new Uint8Array(256);
const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const lower = (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
  const upper = (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
  UPPER[c] = lower ? c - 32 : c;
  LOWER[c] = upper ? c + 32 : c;
}
const IDENT = Uint8Array.from({ length: 256 }, (_, c) => c);

/** One rule's prepared search (ts_config's private part). */
export interface StringState {
  /** The pattern, upper-cased with --icase. */
  readonly pat: Uint8Array;
  /** What a text byte is compared as: toupper with --icase, else itself. */
  readonly fold: Uint8Array;
  /** bm: bad_shift[256], good_shift[patlen]; kmp: prefix_tbl[patlen]. */
  readonly bad: Int32Array;
  readonly good: Int32Array;
  readonly prefix: Int32Array;
}

/** subpattern() of ts_bm.c. */
function subpattern(p: Uint8Array, i: number, j: number, g: number): boolean {
  let x = i + g - 1;
  let y = j + g - 1;
  while (p[x--] === p[y--]) {
    if (y < 0) return true;
    if (--g === 0) return p[i - 1] !== p[j - 1];
  }
  return false;
}

export function prepareString(m: MatchOf<'string'>): StringState {
  const len = m.pattern.length;
  const pat = Uint8Array.from(m.pattern, (c) => (m.icase ? UPPER[c]! : c));
  const bad = new Int32Array(256);
  const good = new Int32Array(len);
  const prefix = new Int32Array(len);
  if (m.algo === 'bm') {
    bad.fill(len);
    for (let i = 0; i < len - 1; i++) {
      bad[pat[i]!] = len - 1 - i;
      if (m.icase) bad[LOWER[pat[i]!]!] = len - 1 - i;
    }
    good[0] = 1;
    for (let i = 1; i < len; i++) good[i] = len;
    for (let i = len - 1, g = 1; i > 0; g++, i--) {
      for (let j = i - 1; j >= 1 - g; j--)
        if (subpattern(pat, i, j, g)) {
          good[g] = len - j - i;
          break;
        }
    }
  } else {
    for (let k = 0, q = 1; q < len; q++) {
      while (k > 0 && pat[k] !== pat[q]) k = prefix[k - 1]!;
      if (pat[k] === pat[q]) k++;
      prefix[q] = k;
    }
  }
  return { pat, fold: m.icase ? UPPER : IDENT, bad, good, prefix };
}

/** bm_find() over text[start, end): the offset of the first match from `start`, or -1. */
function bmFind(st: StringState, t: Uint8Array, start: number, end: number): number {
  const { pat, fold, bad, good } = st;
  const plen = pat.length;
  const n = end - start;
  let shift = plen - 1;
  while (shift < n) {
    let i = 0;
    for (; i < plen; i++) if (fold[t[start + shift - i]!] !== pat[plen - 1 - i]) break;
    if (i === plen) return shift - (plen - 1);
    const bs = bad[t[start + shift - i]!]!;
    shift = Math.max(shift - i + bs, shift + good[i]!);
  }
  return -1;
}

/** kmp_find() over text[start, end). */
function kmpFind(st: StringState, t: Uint8Array, start: number, end: number): number {
  const { pat, fold, prefix } = st;
  const plen = pat.length;
  let q = 0;
  for (let i = start; i < end; i++) {
    const c = fold[t[i]!]!;
    while (q > 0 && pat[q] !== c) q = prefix[q - 1]!;
    if (pat[q] === c) q++;
    if (q === plen) return i + 1 - plen - start;
  }
  return -1;
}

/** skb_find_text(skb, from, to): the window is [from, min(to, len)) of the IP packet. */
export function findText(m: MatchOf<'string'>, st: StringState, skb: Skb): number {
  const end = skb.off + Math.min(m.to, skb.len);
  const start = skb.off + m.from;
  if (start >= end) return -1;
  return m.algo === 'bm' ? bmFind(st, skb.buf, start, end) : kmpFind(st, skb.buf, start, end);
}

export const stringMatch: XtMatch<MatchOf<'string'>, StringState> = {
  newState: prepareString,
  match: (m, skb, st) => findText(m, st, skb) >= 0 !== m.invert,
  describe: (m, skb) =>
    `-m string: the pattern (${m.pattern.length} bytes, ${m.algo}${m.icase ? ', icase' : ''}) ${
      m.invert ? 'is' : 'is not'
    } in bytes ${m.from}-${Math.min(m.to, skb.len)} of the packet`,
};
