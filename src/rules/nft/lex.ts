// nft's words (after scanner.l): quoted strings, `$variables`, `@sets`, punctuation and
// operators, newlines (they end a command as `;` does), `#` comments and `\` line continuation.
// A word is a run of letters, digits and `_ - . : / [ ] * %` so that addresses (10.0.0.0/8,
// 2001:db8::1, 00:11:22:33:44:55), ranges (1000-2000), rates (10/second) and times (1h30m) stay
// one word; the parser splits them where their type says.
import type { Pos } from '../diagnostics.ts';
import type { SourceLine } from '../iptables/lex.ts';

export type NftTokKind = 'word' | 'string' | 'var' | 'at' | 'punct' | 'nl' | 'handle' | 'eof';

export interface NftTok extends Pos {
  readonly kind: NftTokKind;
  readonly text: string;
}

export type NftLexResult =
  | { readonly ok: true; readonly tokens: NftTok[] }
  | { readonly ok: false; readonly at: Pos; readonly token: string; readonly message: string };

/** The longest input natbox reads in one go (characters), an explicit error past it. */
export const NFT_MAX_INPUT = 64 * 1024 * 1024;

const WORD = /[A-Za-z0-9_\-.:/[\]%]/;
const PUNCT2 = ['<<', '>>', '==', '!=', '<=', '>='];
const PUNCT1 = '{}();,=&|^<>!*+';

export function lexNft(lines: readonly SourceLine[]): NftLexResult {
  const tokens: NftTok[] = [];
  let total = 0;
  for (const src of lines) {
    total += src.text.length + 1;
    if (total > NFT_MAX_INPUT)
      return {
        ok: false,
        at: { file: src.file, line: src.line, column: src.column },
        token: '',
        message: `input too large (more than ${NFT_MAX_INPUT} characters)`,
      };
    const t = src.text;
    let i = 0;
    const at = (k: number): Pos => ({ file: src.file, line: src.line, column: src.column + k });
    let continued = false;
    while (i < t.length) {
      const c = t[i]!;
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
        continue;
      }
      if (c === '#') {
        // `nft -a list ruleset`'s `# handle N` is kept (the parser takes the handle from it).
        const m = /^#\s*handle\s+(\d+)\s*$/.exec(t.slice(i));
        if (m) tokens.push({ kind: 'handle', text: m[1]!, ...at(i) });
        break;
      }
      if (c === '\\' && t.slice(i + 1).trim() === '') {
        continued = true;
        break;
      }
      if (c === '"') {
        const end = t.indexOf('"', i + 1);
        if (end < 0)
          return { ok: false, at: at(i), token: t.slice(i), message: 'syntax error, unterminated string' };
        tokens.push({ kind: 'string', text: t.slice(i + 1, end), ...at(i) });
        i = end + 1;
        continue;
      }
      if (c === '$' || c === '@') {
        let j = i + 1;
        while (j < t.length && /[A-Za-z0-9_\-.,/]/.test(t[j]!)) {
          // `@nh,96,32` keeps its commas; `$var,` and `@set,` do not.
          if (t[j] === ',' && !(c === '@' && /^(ll|nh|th|ih)\b/.test(t.slice(i + 1)))) break;
          j++;
        }
        if (j === i + 1) return { ok: false, at: at(i), token: c, message: `syntax error, unexpected junk` };
        tokens.push({ kind: c === '$' ? 'var' : 'at', text: t.slice(i + 1, j), ...at(i) });
        i = j;
        continue;
      }
      const two = t.slice(i, i + 2);
      if (PUNCT2.includes(two)) {
        tokens.push({ kind: 'punct', text: two, ...at(i) });
        i += 2;
        continue;
      }
      // `-` starts a word (-100, a range's tail) unless alone; `.` alone is concatenation.
      if (WORD.test(c)) {
        let j = i;
        while (j < t.length && WORD.test(t[j]!)) j++;
        tokens.push({ kind: 'word', text: t.slice(i, j), ...at(i) });
        i = j;
        continue;
      }
      if (PUNCT1.includes(c)) {
        tokens.push({ kind: 'punct', text: c, ...at(i) });
        i++;
        continue;
      }
      return { ok: false, at: at(i), token: c, message: 'syntax error, unexpected junk' };
    }
    if (!continued) tokens.push({ kind: 'nl', text: '\n', ...at(t.length) });
  }
  const last = lines[lines.length - 1];
  tokens.push({
    kind: 'eof',
    text: '',
    file: last?.file ?? '<input>',
    line: last ? last.line + 1 : 1,
    column: 1,
  });
  return { ok: true, tokens };
}
