// nft's words (after scanner.l): quoted strings, `$variables`, `@sets`, punctuation and
// operators, newlines (they end a command as `;` does), `#` comments and `\` line continuation.
// A word is a run of letters, digits and `_ - . : / [ ] * %` so that addresses (10.0.0.0/8,
// 2001:db8::1, 00:11:22:33:44:55), ranges (1000-2000), rates (10/second) and times (1h30m) stay
// one word; the parser splits them where their type says.
import type { Pos } from '../diagnostics.ts';
import type { SourceLine } from '../iptables/lex.ts';

export type NftTokKind = 'word' | 'string' | 'var' | 'at' | 'punct' | 'nl' | 'handle' | 'junk' | 'eof';

export interface NftTok extends Pos {
  readonly kind: NftTokKind;
  readonly text: string;
}

export type NftLexResult =
  | { readonly ok: true; readonly tokens: NftTok[] }
  | { readonly ok: false; readonly at: Pos; readonly token: string; readonly message: string };

/** The longest input natbox reads in one go (characters), an explicit error past it. */
export const NFT_MAX_INPUT = 64 * 1024 * 1024;

/** Characters of a word (`[A-Za-z0-9_\-.:/[\]%]`) and of a `$var`/`@set` name, by char code. */
const WORD = new Uint8Array(128);
const NAME = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./') {
  WORD[c.charCodeAt(0)] = 1;
  NAME[c.charCodeAt(0)] = 1;
}
for (const c of ':[]%') WORD[c.charCodeAt(0)] = 1;
NAME[','.charCodeAt(0)] = 1;
const isWord = (code: number): boolean => code < 128 && WORD[code] === 1;
const PUNCT2 = ['<<', '>>', '==', '!=', '<=', '>='];
const PUNCT1 = '{}();,=&|^<>!*+';

/** One token (one object shape for all of them). */
const tok = (kind: NftTokKind, text: string, file: string, line: number, column: number): NftTok => ({
  kind,
  text,
  file,
  line,
  column,
});

/**
 * The words of `lines`. A character nft's scanner has no rule for is a `junk` token, and the
 * scanner stops there: as in nft, the parser reports it when it gets to it, so an earlier syntax
 * error is the one reported. A quoted string runs to the next `"`, on a later line if need be
 * (nft's `\"[^"]*\"`); a `"` with no other after it is junk. With `wholeFile`, `lines` are a
 * file's text split at every newline, so a last line that is not empty has no newline after it: no
 * newline token there, and the end of the file is at the end of that line (nft: `table t {` with
 * no newline is refused at 1:10, "unexpected end of file").
 */
export function lexNft(lines: readonly SourceLine[], wholeFile = false): NftLexResult {
  const tokens: NftTok[] = [];
  let total = 0;
  /** A quoted string still open at the end of a line: where it began and its text so far. */
  let open: { at: NftTok; text: string } | undefined;
  let junk = false;
  // nft's scanner counts a line at each newline token and `\`-newline only (scanner.l's
  // reset_pos), not at the newlines inside a quoted string: its column runs on past them (update_pos
  // adds each token's length) and every later line is numbered that many lines lower. natbox gives
  // its tokens nft's places: `shift` newlines swallowed so far, `carry` the column of the first
  // character of a line that continues a quoted string (0: none).
  let shift = 0;
  let carry = 0;
  let lastCol = 1;
  for (const [n, src] of lines.entries()) {
    if (junk) break;
    total += src.text.length + 1;
    if (total > NFT_MAX_INPUT)
      return {
        ok: false,
        at: { file: src.file, line: src.line, column: src.column },
        token: '',
        message: `input too large (more than ${NFT_MAX_INPUT} characters)`,
      };
    const t = src.text;
    const file = src.file;
    if (open) shift++;
    const line = src.line - shift;
    const col = carry || src.column;
    lastCol = col;
    carry = 0;
    let i = 0;
    if (open) {
      // The rest of a quoted string begun on an earlier line (closingQuote found its end).
      const end = t.indexOf('"');
      if (end < 0) {
        open.text += '\n' + t;
        carry = col + t.length + 1;
        continue;
      }
      tokens.push({ ...open.at, text: `${open.text}\n${t.slice(0, end)}` });
      open = undefined;
      i = end + 1;
    }
    let continued = false;
    while (i < t.length) {
      const code = t.charCodeAt(i);
      if (code === 32 || code === 9 || code === 13) {
        i++;
        continue;
      }
      const c = t[i]!;
      if (c === '#') {
        // `nft -a list ruleset`'s `# handle N` is kept (the parser takes the handle from it).
        const m = /^#\s*handle\s+(\d+)\s*$/.exec(t.slice(i));
        if (m) tokens.push(tok('handle', m[1]!, file, line, col + i));
        break;
      }
      if (c === '\\' && t.slice(i + 1).trim() === '') {
        continued = true;
        break;
      }
      if (c === '"') {
        const end = t.indexOf('"', i + 1);
        if (end < 0) {
          const rest = closingQuote(lines, n + 1);
          if (rest === undefined) {
            tokens.push(tok('junk', c, file, line, col + i));
            junk = true;
            break;
          }
          open = { at: tok('string', '', file, line, col + i), text: t.slice(i + 1) };
          carry = col + t.length + 1;
          break;
        }
        tokens.push(tok('string', t.slice(i + 1, end), file, line, col + i));
        i = end + 1;
        continue;
      }
      if (c === '$' || c === '@') {
        let j = i + 1;
        let commas: boolean | undefined;
        for (; j < t.length; j++) {
          const d = t.charCodeAt(j);
          if (d >= 128 || NAME[d] !== 1) break;
          // `@nh,96,32` keeps its commas; `$var,` and `@set,` do not.
          if (d === 44) {
            commas ??= c === '@' && /^(ll|nh|th|ih)\b/.test(t.slice(i + 1));
            if (!commas) break;
          }
        }
        if (j === i + 1) {
          tokens.push(tok('junk', c, file, line, col + i));
          junk = true;
          break;
        }
        tokens.push(tok(c === '$' ? 'var' : 'at', t.slice(i + 1, j), file, line, col + i));
        i = j;
        continue;
      }
      if (i + 1 < t.length) {
        const two = t.slice(i, i + 2);
        if (PUNCT2.includes(two)) {
          tokens.push(tok('punct', two, file, line, col + i));
          i += 2;
          continue;
        }
      }
      // `-` starts a word (-100, a range's tail) unless alone; `.` alone is concatenation.
      if (isWord(code)) {
        let j = i + 1;
        while (j < t.length && isWord(t.charCodeAt(j))) j++;
        // Where nft's scanner ends a number or an address and starts a word with no space
        // between (`10.0.0.0/24iif`, `22accept`), natbox's word ends too.
        for (let k = i, cut = numberEnd(t, i, j); k < j; cut = numberEnd(t, k, j)) {
          const end = cut ?? j;
          tokens.push(tok('word', t.slice(k, end), file, line, col + k));
          k = end;
        }
        i = j;
        continue;
      }
      if (PUNCT1.includes(c)) {
        tokens.push(tok('punct', c, file, line, col + i));
        i++;
        continue;
      }
      tokens.push(tok('junk', c, file, line, col + i));
      junk = true;
      break;
    }
    if (junk) break;
    const unterminated = wholeFile && n === lines.length - 1;
    if (!continued && !open && !unterminated) tokens.push(tok('nl', '\n', file, line, col + t.length));
  }
  // The end of the file is where nft puts it: the start of the line after the last newline. A text
  // split at its newlines ends in an empty line (that place); one whose caller left that out ends
  // at the last line, and its end is the start of the next.
  const last = lines[lines.length - 1];
  const endsHere = last !== undefined && (last.text === '' || wholeFile);
  tokens.push({
    kind: 'eof',
    text: '',
    file: last?.file ?? '<input>',
    line: last ? (endsHere ? last.line : last.line + 1) - shift : 1,
    column: endsHere ? lastCol + last.text.length : 1,
  });
  return { ok: true, tokens };
}

const DIGIT = /[0-9]/;
const LETTER = /[A-Za-z_]/;
/** nft's scanner.l patterns that start with a digit: numberstring, `8021q`/`8021ad` (and
 * timestring, ip4addr below). */
const NUMBERISH = [/0[xX][0-9a-fA-F]+/y, /[0-9]+/y, /8021(q|ad)/y];
const IP4 = /([0-9]{1,3}\.){3}[0-9]{1,3}/y;
/** A run of hex digits and colons (a MAC, IPv6 address or classid when it holds a colon). */
const HEXCOLON = /[0-9a-fA-F:]+/y;
const STRING = /[A-Za-z_.][A-Za-z0-9/\-_.]*/y;

/**
 * The longest match of scanner.l's timestring, `([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?`,
 * at `at` (flex takes the longest: `3ms` is all of it, where a regex would stop at `3m`).
 */
function timeLen(t: string, at: number): number {
  let ends = [at];
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const next = [...ends];
    for (const p of ends) {
      let q = p;
      while (q < t.length && DIGIT.test(t[q]!)) q++;
      if (q > p && t.startsWith(unit, q)) next.push(q + unit.length);
    }
    ends = next;
  }
  return Math.max(...ends) - at;
}

/**
 * The length of a MAC or IPv6 address or a classid at `at` (scanner.l's macaddr, ip6addr, classid,
 * roughly: a run of hex digits and colons with `::`, five colons or more, or one colon between
 * two short hex numbers before a separator); 0 when there is none.
 */
function addressLen(t: string, at: number, to: number): number {
  const n = matchLen(HEXCOLON, t, at);
  const run = t.slice(at, at + n);
  const colons = run.split(':').length - 1;
  if (colons === 0) return 0;
  if (run.includes('::') || colons >= 5) return n;
  const after = at + n < to ? t[at + n]! : ' ';
  return colons === 1 && /^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}$/.test(run) && /[\s:\-},]/.test(after) ? n : 0;
}

/** The length of what `re` matches at `at` in `t` (0: nothing). */
function matchLen(re: RegExp, t: string, at: number): number {
  re.lastIndex = at;
  return re.exec(t)?.[0].length ?? 0;
}

/**
 * Where, in the word t[from, to), nft's scanner (flex, longest match) ends a token and begins
 * another with no space between, in a way natbox's parser would not take apart: a token that
 * begins with a digit — a number, a time (`1h30m`) or an IPv4 address — right before a letter,
 * `_` or `.` (`24iif` is `24` and `iif`, `1mbytes` is `1m` and `bytes`, `10.0/24` is `10` and
 * `.0/24`), and a `string` before a colon (`vi:counter`: `vi`, `:`, `counter`). Undefined when
 * there is no such place. Hex with colons (MAC and IPv6 addresses, classids) runs on.
 */
function numberEnd(t: string, from: number, to: number): number | undefined {
  let i = from;
  while (i < to) {
    const c = t[i]!;
    const hex = addressLen(t, i, to);
    const colon = hex > 0;
    if (DIGIT.test(c)) {
      let n = matchLen(IP4, t, i);
      for (const re of NUMBERISH) n = Math.max(n, matchLen(re, t, i));
      n = Math.max(n, timeLen(t, i));
      if (colon && hex >= n) {
        i += hex;
        continue;
      }
      i += n;
      // A letter, `_` or `.` after it begins nft's next token (a keyword or `string`: `.0/24`).
      if (i < to && i > from && (LETTER.test(t[i]!) || t[i] === '.')) return i;
      // So does a colon before a letter or at the word's end: a map element's `25:accept`,
      // `1.2.3.4:drop`, `25: accept` are the key, nft's COLON and the data.
      if (i < to && i > from && t[i] === ':' && (i + 1 === to || LETTER.test(t[i + 1]!))) return i;
      continue;
    }
    if (LETTER.test(c) || c === '.') {
      const str = matchLen(STRING, t, i);
      if (colon && hex > str) {
        i += hex;
        continue;
      }
      i += str;
      // A `string` ends at a colon, nft's COLON token (`oif vi:counter` is `vi`, `:`, `counter`).
      if (i < to && t[i] === ':' && i > from) return i;
      continue;
    }
    // That colon alone (not the start of an address such as `::1`).
    if (colon) {
      i += hex;
      continue;
    }
    if (c === ':' && i === from && to > from + 1 && LETTER.test(t[i + 1]!)) return i + 1;
    i++;
  }
  return undefined;
}

/** Whether a `"` is on line `from` or a later one (an open quoted string's end). */
function closingQuote(lines: readonly SourceLine[], from: number): number | undefined {
  for (let k = from; k < lines.length; k++) if (lines[k]!.text.includes('"')) return k;
  return undefined;
}
