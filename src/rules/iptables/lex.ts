// Splitting a line of rule text into words, each with the place it starts: the shell's quoting
// for scripts of `iptables ...` commands (lexShell) and iptables-restore's own for restore files
// (lexRestore, after add_param_to_argv() in iptables/xshared.c). What the words mean is left to
// the parsers.
import type { Pos } from '../diagnostics.ts';

/** One physical line of input and where its first character sits. */
export interface SourceLine {
  readonly text: string;
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based column of text[0]
}

export interface Token extends Pos {
  readonly text: string;
}

export type LexResult =
  | { readonly ok: true; readonly tokens: Token[] }
  | { readonly ok: false; readonly at: Pos; readonly token: string; readonly message: string };

const posOf = (src: SourceLine, index: number): Pos => ({
  file: src.file,
  line: src.line,
  column: src.column + index,
});

/** True when a script line goes on on the next line (an unquoted backslash right before the end). */
export function endsWithContinuation(text: string): boolean {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) n++;
  if (n % 2 === 0) return false;
  // A backslash inside single quotes or a comment does not continue the line.
  let quote: string | undefined;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = undefined;
    } else if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return false;
  }
  return quote === undefined;
}

const SHELL_SPECIAL = new Set(['$', '`', ';', '&', '|', '<', '>', '(', ')']);

/**
 * Splits shell text the way `sh` would for a simple command: blanks separate words, '...' is
 * literal, "..." keeps everything but \" \\ \$ \`, a backslash escapes the next character, `#`
 * starting a word begins a comment, and a backslash at the end of a line joins the next of
 * `lines`. Expansions and operators ($VAR, `...`, ;, |, &&, >) are refused, not guessed at.
 */
export function lexShell(lines: readonly SourceLine[]): LexResult {
  const tokens: Token[] = [];
  let cur: { text: string; at: Pos } | undefined;
  const flush = (): void => {
    if (cur) tokens.push({ ...cur.at, text: cur.text });
    cur = undefined;
  };
  const start = (src: SourceLine, i: number): { text: string; at: Pos } =>
    (cur ??= { text: '', at: posOf(src, i) });
  for (let li = 0; li < lines.length; li++) {
    const src = lines[li]!;
    const t = src.text;
    let i = 0;
    while (i < t.length) {
      const c = t[i]!;
      if (c === ' ' || c === '\t' || c === '\r') {
        flush();
        i++;
      } else if (c === '#' && !cur) {
        i = t.length; // comment to the end of the line
      } else if (c === "'") {
        const w = start(src, i);
        const end = t.indexOf("'", i + 1);
        if (end < 0)
          return { ok: false, at: posOf(src, i), token: t.slice(i), message: "unterminated quote '" };
        w.text += t.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        const w = start(src, i);
        let j = i + 1;
        for (; j < t.length && t[j] !== '"'; j++) {
          const d = t[j]!;
          if (d === '\\' && j + 1 < t.length && '"\\$`'.includes(t[j + 1]!)) {
            w.text += t[++j];
          } else if (d === '$' || d === '`') {
            return unsupportedShell(src, j, t);
          } else w.text += d;
        }
        if (j >= t.length)
          return { ok: false, at: posOf(src, i), token: t.slice(i), message: 'unterminated quote "' };
        i = j + 1;
      } else if (c === '\\') {
        if (i + 1 >= t.length) {
          if (li + 1 < lines.length) {
            flush();
            break; // line continuation
          }
          return {
            ok: false,
            at: posOf(src, i),
            token: '\\',
            message: 'line continuation "\\" at the end of the input',
          };
        }
        start(src, i).text += t[i + 1];
        i += 2;
      } else if (SHELL_SPECIAL.has(c)) {
        return unsupportedShell(src, i, t);
      } else {
        start(src, i).text += c;
        i++;
      }
    }
    if (i >= t.length) flush();
  }
  flush();
  return { ok: true, tokens };
}

function unsupportedShell(src: SourceLine, i: number, t: string): LexResult {
  const word = /^(\$\{?\w*\}?|&&|\|\||.)/.exec(t.slice(i))?.[0] ?? t[i]!;
  const what = word.startsWith('$')
    ? 'shell variables are not expanded'
    : word === '`'
      ? 'command substitution is not supported'
      : 'shell operators are not supported';
  return {
    ok: false,
    at: posOf(src, i),
    token: word,
    message: `unsupported shell syntax "${word}": ${what} (write one plain iptables command per line)`,
  };
}

/**
 * Splits a restore-file line as iptables-restore does: blanks separate words, "..." quotes (a
 * backslash inside it escapes the next character), a closing quote ends the word, and single
 * quotes and backslashes outside double quotes are ordinary characters. Unlike iptables-restore,
 * which accepts an unterminated quote, that is an error here.
 */
export function lexRestore(src: SourceLine): LexResult {
  const tokens: Token[] = [];
  const t = src.text;
  // A word is built from slices of the line (not character by character: a 20,000-rule file
  // spent most of its lexing time flattening the ropes that made).
  let text = '';
  let startAt = -1;
  let from = -1; // start of the pending slice of plain characters, or -1
  let inQuote = false;
  let quoteAt = 0;
  const take = (i: number): void => {
    if (from >= 0) text += t.slice(from, i);
    from = -1;
  };
  const flush = (i: number): void => {
    take(i);
    if (startAt >= 0) tokens.push({ file: src.file, line: src.line, column: src.column + startAt, text });
    text = '';
    startAt = -1;
  };
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (inQuote) {
      if (c === 92 /* \\ */ && i + 1 < t.length) {
        take(i);
        from = ++i;
      } else if (c === 34 /* " */) {
        inQuote = false;
        flush(i);
      } else if (from < 0) from = i;
    } else if (c === 34 /* " */) {
      take(i);
      if (startAt < 0) startAt = i;
      inQuote = true;
      quoteAt = i;
    } else if (c === 32 || c === 9 || c === 13 || c === 10) {
      flush(i);
    } else {
      if (startAt < 0) startAt = i;
      if (from < 0) from = i;
    }
  }
  if (inQuote)
    return { ok: false, at: posOf(src, quoteAt), token: t.slice(quoteAt), message: 'unterminated quote "' };
  flush(t.length);
  return { ok: true, tokens };
}
