// Scripts of iptables commands as people write them (install scripts, WireGuard PostUp lines,
// router scripts): the small part of sh that such a script needs, run in order on the script's
// own variables. Read: `iptables …` commands (iptables -C gives exit status 0 or 1), `&&` and `||`
// lists and `;`, `NAME=value` (also after export/readonly) and `$NAME` / `${NAME}` /
// `${NAME:-word}` expansions (field splitting of unquoted ones as sh does; "..." expands, '...'
// does not), `#` comments and the `#!` line, `set -e`/`-u`/`-x`/`-o pipefail`, `true`, `false`,
// `:`, `echo`/`printf` (ignored), `exit`, redirections to /dev/null or between 1 and 2,
// `iptables-restore <<EOF … EOF` (a here-document), and `ip6tables…` lines (a note: IPv6 is not
// read). Everything else of the shell (if, loops, functions, `$(…)`, backquotes, pipes, `&`,
// `$1`, other programs) is an error at its file:line:column that says to run the script first.
// Nothing here applies rules: the caller's ScriptExec does (load.ts).
import { diag, type Diagnostic, type Pos } from '../diagnostics.ts';
import type { SourceLine, Token } from './lex.ts';

/** What a command did: its exit status, and the failure that made it non-zero. */
export type Outcome =
  | { readonly status: 0 }
  | {
      readonly status: number;
      /** Why it failed (a RuleError), said as a warning when the script goes on. */
      readonly failure: Diagnostic;
      /** iptables -C found no such rule: a status the script tests, not a problem. */
      readonly quiet?: boolean;
    };

export interface ScriptExec {
  /** An iptables command: its words after expansion, the program's word first. */
  iptables(words: Token[]): Outcome;
  /** `iptables-restore [options] <<EOF`: the options and the here-document's lines. */
  restore(args: Token[], body: SourceLine[]): Outcome;
}

export interface ScriptResult {
  readonly errors: Diagnostic[];
  readonly warnings: Diagnostic[];
}

/** What every refusal of shell syntax ends with. */
export const RUN_IT_FIRST =
  'natbox reads iptables commands, NAME=value and $NAME, set -e, && and ||; run the script on a Linux box (or in a network namespace) and give natbox its "iptables-save" output instead';

export const IPV6_NOTE = 'IPv6: not read (natbox reads IPv4 rules only)';

const IPTABLES = /^(iptables|iptables-nft|iptables-legacy)$/;
const IP6TABLES = /^ip6tables(-nft|-legacy)?(-restore|-save)?$/;
const RESTORE = /^iptables(-nft|-legacy)?-restore$/;
const SAVE = /^iptables(-nft|-legacy)?-save$/;
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'function',
  'select',
  '{',
  '}',
  '!',
  '[[',
  ']]',
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The longest value a variable may hold (A=$A$A doubled in a loop of lines would not end well). */
export const MAX_VALUE = 65536;

class ShellError extends Error {
  constructor(
    readonly at: Pos,
    readonly token: string,
    message: string,
  ) {
    super(message);
  }
}

// -- Words --------------------------------------------------------------------------------------

type Part =
  | { readonly kind: 'lit'; readonly text: string; readonly quoted: boolean; readonly at: Pos }
  | {
      readonly kind: 'var';
      readonly name: string;
      readonly quoted: boolean;
      readonly at: Pos;
      readonly token: string;
      /** `${NAME:-word}` (colon: also when empty) and `${NAME-word}`. */
      readonly fallback?: { readonly word: string; readonly colon: boolean };
    };

interface Word {
  readonly kind: 'word';
  readonly parts: Part[];
  readonly at: Pos;
}
type Op = '&&' | '||' | ';' | '\n';
interface OpTok {
  readonly kind: 'op';
  readonly op: Op;
  readonly at: Pos;
}
interface Redir {
  readonly kind: 'redir';
  readonly op: string; // >, >>, <, >&, <&, &>, <<, <<-
  readonly fd?: number;
  readonly at: Pos;
  target?: Word;
  /** A here-document's lines, read after the line that names it. */
  body?: SourceLine[];
  quotedDelim?: boolean;
}
type Tok = Word | OpTok | Redir;

const posOf = (src: SourceLine, i: number): Pos => ({
  file: src.file,
  line: src.line,
  column: src.column + i,
});

function refuse(at: Pos, token: string, what: string): never {
  throw new ShellError(at, token, `${what}: ${RUN_IT_FIRST}`);
}

/** The literal text of a word, when it has no expansion. */
function literal(w: Word): string | undefined {
  let s = '';
  for (const p of w.parts) {
    if (p.kind !== 'lit') return undefined;
    s += p.text;
  }
  return s;
}

const unquotedLiteral = (w: Word): string | undefined =>
  w.parts.every((p) => p.kind === 'lit' && !p.quoted) ? literal(w) : undefined;

/**
 * Reads `$…` at t[i] (t[i] === '$'). Returns the part and the index after it, or undefined for a
 * `$` that stays a literal dollar.
 */
function dollar(
  src: SourceLine,
  t: string,
  i: number,
  quoted: boolean,
): { part: Part; end: number } | undefined {
  const at = posOf(src, i);
  const next = t[i + 1];
  if (next === '(') {
    const tok = t.startsWith('$((', i) ? '$((' : '$(';
    refuse(
      at,
      tok,
      tok === '$((' ? 'arithmetic "$((…))" is not read' : 'command substitution "$(…)" is not read',
    );
  }
  if (next === '{') {
    const close = t.indexOf('}', i + 2);
    if (close < 0) throw new ShellError(at, t.slice(i), 'unterminated "${": expected "}"');
    const inner = t.slice(i + 2, close);
    const token = t.slice(i, close + 1);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-(.*))?$/s.exec(inner);
    if (!m) {
      if (/^([0-9]+|[@*#?$!-])/.test(inner))
        refuse(at, token, `the special parameter "${token}" is not known before the script runs`);
      refuse(
        at,
        token,
        `the expansion "${token}" is not read (only \${NAME}, \${NAME:-word} and \${NAME-word})`,
      );
    }
    if (m![3] !== undefined && /[$`\\'"]/.test(m![3]))
      refuse(at, token, `the default "${m![3]}" of "${token}" is not read (write it plainly)`);
    const part: Part = {
      kind: 'var',
      name: m![1]!,
      quoted,
      at,
      token,
      ...(m![3] !== undefined ? { fallback: { word: m![3], colon: m![2] === ':' } } : {}),
    };
    return { part, end: close + 1 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(t.slice(i + 1));
  if (m)
    return { part: { kind: 'var', name: m[0], quoted, at, token: `$${m[0]}` }, end: i + 1 + m[0].length };
  if (next !== undefined && /[0-9@*#?$!-]/.test(next))
    refuse(at, `$${next}`, `the special parameter "$${next}" is not known before the script runs`);
  return undefined;
}

/**
 * Splits the script into tokens: words (with their quoting and expansions), `&&`, `||`, `;`,
 * newlines and redirections; here-document bodies are attached to their `<<` redirection.
 */
function tokenize(lines: readonly SourceLine[]): Tok[] {
  const out: Tok[] = [];
  let cur: { parts: Part[]; at: Pos } | undefined;
  const heredocs: Redir[] = [];
  /** A redirection waiting for its target word. */
  let pendingRedir: Redir | undefined;
  const flush = (): void => {
    if (!cur) return;
    const w: Word = { kind: 'word', parts: cur.parts, at: cur.at };
    cur = undefined;
    if (pendingRedir) {
      pendingRedir.target = w;
      if (pendingRedir.op === '<<' || pendingRedir.op === '<<-') {
        pendingRedir.quotedDelim = w.parts.some((p) => p.kind === 'lit' && p.quoted);
        if (literal(w) === undefined)
          refuse(w.at, '$', 'an expansion in a here-document delimiter is not read');
        heredocs.push(pendingRedir);
      }
      pendingRedir = undefined;
      return;
    }
    out.push(w);
  };
  const word = (src: SourceLine, i: number): { parts: Part[]; at: Pos } =>
    (cur ??= { parts: [], at: posOf(src, i) });
  const lit = (src: SourceLine, i: number, text: string, quoted: boolean): void => {
    const w = word(src, i);
    const last = w.parts[w.parts.length - 1];
    if (last && last.kind === 'lit' && last.quoted === quoted)
      w.parts[w.parts.length - 1] = { ...last, text: last.text + text };
    else w.parts.push({ kind: 'lit', text, quoted, at: posOf(src, i) });
  };
  const op = (src: SourceLine, i: number, o: Op): void => {
    flush();
    if (pendingRedir)
      throw new ShellError(
        posOf(src, i),
        o === '\n' ? '' : o,
        `a redirection "${pendingRedir.op}" without a file name`,
      );
    out.push({ kind: 'op', op: o, at: posOf(src, i) });
  };

  let li = 0;
  while (li < lines.length) {
    const src = lines[li++]!;
    const t = src.text;
    let i = 0;
    let continued = false;
    while (i < t.length) {
      const c = t[i]!;
      if (c === ' ' || c === '\t' || c === '\r') {
        flush();
        i++;
      } else if (c === '#' && !cur) {
        i = t.length;
      } else if (c === "'") {
        const end = t.indexOf("'", i + 1);
        if (end < 0) throw new ShellError(posOf(src, i), t.slice(i), "unterminated quote '");
        lit(src, i, t.slice(i + 1, end), true);
        i = end + 1;
      } else if (c === '"') {
        word(src, i);
        let j = i + 1;
        let text = '';
        let textAt = j;
        const put = (): void => {
          if (text !== '') lit(src, textAt, text, true);
          text = '';
        };
        // An empty "" is still a word.
        if (t[j] === '"') lit(src, i, '', true);
        for (; j < t.length && t[j] !== '"'; j++) {
          const d = t[j]!;
          if (d === '\\' && j + 1 < t.length && '"\\$`'.includes(t[j + 1]!)) {
            if (text === '') textAt = j;
            text += t[++j];
          } else if (d === '`') {
            refuse(posOf(src, j), '`', 'command substitution "`…`" is not read');
          } else if (d === '$') {
            const x = dollar(src, t, j, true);
            if (x) {
              put();
              word(src, j).parts.push(x.part);
              j = x.end - 1;
              textAt = j + 1;
            } else {
              if (text === '') textAt = j;
              text += d;
            }
          } else {
            if (text === '') textAt = j;
            text += d;
          }
        }
        if (j >= t.length) throw new ShellError(posOf(src, i), t.slice(i), 'unterminated quote "');
        put();
        i = j + 1;
      } else if (c === '\\') {
        if (i + 1 >= t.length) {
          if (li < lines.length) {
            continued = true;
            break;
          }
          throw new ShellError(posOf(src, i), '\\', 'line continuation "\\" at the end of the input');
        }
        lit(src, i, t[i + 1]!, true);
        i += 2;
      } else if (c === '$') {
        const x = dollar(src, t, i, false);
        if (x) {
          word(src, i).parts.push(x.part);
          i = x.end;
        } else {
          lit(src, i, '$', false);
          i++;
        }
      } else if (c === '`') {
        refuse(posOf(src, i), '`', 'command substitution "`…`" is not read');
      } else if (c === '&' || c === '|' || c === ';') {
        const two = t.slice(i, i + 2);
        if (two === '&&' || two === '||') {
          op(src, i, two);
          i += 2;
        } else if (c === ';') {
          if (two === ';;') refuse(posOf(src, i), ';;', '"case" is not read');
          op(src, i, ';');
          i++;
        } else if (two === '&>') {
          flush();
          pendingRedir = { kind: 'redir', op: '&>', at: posOf(src, i) };
          out.push(pendingRedir);
          i += 2;
        } else if (c === '|') {
          refuse(posOf(src, i), '|', 'a pipe "|" is not read');
        } else {
          refuse(posOf(src, i), '&', 'a command run in the background ("&") is not read');
        }
      } else if (c === '(' || c === ')') {
        refuse(posOf(src, i), c, c === '(' ? 'a subshell or function "(…)" is not read' : '")" is not read');
      } else if (c === '>' || c === '<') {
        // A word of digits right before it is the file descriptor (2>/dev/null).
        let fd: number | undefined;
        let at = posOf(src, i);
        if (cur) {
          const l = cur.parts.length === 1 ? cur.parts[0]! : undefined;
          if (l && l.kind === 'lit' && !l.quoted && /^\d$/.test(l.text) && t[i - 1] === l.text) {
            fd = Number(l.text);
            at = cur.at;
            cur = undefined;
          } else flush();
        }
        let o = c;
        const rest = t.slice(i);
        for (const cand of ['<<<', '<<-', '<<', '>>', '>&', '<&', '>|']) {
          if (rest.startsWith(cand)) {
            o = cand;
            break;
          }
        }
        if (o === '<<<') refuse(at, '<<<', 'a here-string "<<<" is not read');
        pendingRedir = { kind: 'redir', op: o === '>|' ? '>' : o, at, ...(fd !== undefined ? { fd } : {}) };
        out.push(pendingRedir);
        i += o.length;
      } else {
        lit(src, i, c, false);
        i++;
      }
    }
    // A backslash at the end of a line joins the next one (a word may go on there, as in sh).
    if (continued) continue;
    flush();
    if (pendingRedir && !pendingRedir.target)
      throw new ShellError(
        pendingRedir.at,
        pendingRedir.op,
        `a redirection "${pendingRedir.op}" without a file name`,
      );
    out.push({ kind: 'op', op: '\n', at: posOf(src, t.length) });
    // Here-documents named on this line: their bodies are the next lines, up to the delimiter.
    for (const h of heredocs.splice(0)) {
      const delim = literal(h.target!)!;
      const body: SourceLine[] = [];
      let found = false;
      while (li < lines.length) {
        const l = lines[li++]!;
        let text = l.text.replace(/\r$/, '');
        let col = l.column;
        if (h.op === '<<-') {
          const tabs = /^\t*/.exec(text)![0].length;
          text = text.slice(tabs);
          col += tabs;
        }
        if (text === delim) {
          found = true;
          break;
        }
        body.push({ ...l, text, column: col });
      }
      if (!found)
        throw new ShellError(
          h.at,
          `<<${delim}`,
          `here-document "<<${delim}" without its closing "${delim}" line`,
        );
      h.body = body;
    }
  }
  if (pendingRedir && !pendingRedir.target)
    throw new ShellError(
      pendingRedir.at,
      pendingRedir.op,
      `a redirection "${pendingRedir.op}" without a file name`,
    );
  return out;
}

// -- Running ------------------------------------------------------------------------------------

interface SimpleCommand {
  readonly words: Word[];
  readonly redirs: Redir[];
  readonly at: Pos;
}

/** A list of commands joined by && and ||: `ops[k]` joins commands k and k+1. */
interface AndOr {
  readonly cmds: SimpleCommand[];
  readonly ops: ('&&' | '||')[];
}

function parse(toks: Tok[]): AndOr[] {
  const lists: AndOr[] = [];
  let cmds: SimpleCommand[] = [];
  let ops: ('&&' | '||')[] = [];
  let cur: { words: Word[]; redirs: Redir[]; at?: Pos } = { words: [], redirs: [] };
  const endCommand = (at: Pos, by: string): boolean => {
    if (cur.words.length === 0 && cur.redirs.length === 0) return false;
    cmds.push({ words: cur.words, redirs: cur.redirs, at: cur.at ?? at });
    cur = { words: [], redirs: [] };
    void by;
    return true;
  };
  let awaiting: OpTok | undefined; // after && or ||, a command must follow (newlines allowed)
  for (const t of toks) {
    if (t.kind === 'word') {
      cur.at ??= t.at;
      cur.words.push(t);
      awaiting = undefined;
    } else if (t.kind === 'redir') {
      cur.at ??= t.at;
      cur.redirs.push(t);
    } else if (t.op === '&&' || t.op === '||') {
      if (!endCommand(t.at, t.op) || awaiting)
        throw new ShellError(t.at, t.op, `"${t.op}" without a command before it`);
      ops.push(t.op);
      awaiting = t;
    } else {
      if (awaiting) {
        if (t.op === '\n') continue;
        throw new ShellError(t.at, t.op, `"${awaiting.op}" without a command after it`);
      }
      const had = endCommand(t.at, t.op);
      if (!had && t.op === ';') throw new ShellError(t.at, ';', '";" without a command before it');
      if (cmds.length) lists.push({ cmds, ops });
      cmds = [];
      ops = [];
    }
  }
  if (awaiting) throw new ShellError(awaiting.at, awaiting.op, `"${awaiting.op}" without a command after it`);
  if (endCommand({ file: '', line: 0, column: 0 }, 'end') || cmds.length) lists.push({ cmds, ops });
  return lists;
}

/**
 * Runs a script: each list of commands in order, `&&`/`||` driven by exit status, `set -e` as sh
 * has it (a failing command that is not followed by && or || stops the script). A command that
 * fails where the script does not test it is an error (natbox applies nothing then); one whose
 * failure a `||` or `&&` tests is a warning, except iptables -C's "no such rule".
 */
export function runScript(lines: readonly SourceLine[], exec: ScriptExec): ScriptResult {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const vars = new Map<string, string>();
  let errexit = false;
  let nounset = false;
  let lists: AndOr[];
  try {
    lists = parse(tokenize(lines));
  } catch (e) {
    if (!(e instanceof ShellError)) throw e;
    // `case $1 in a) …` fails on "$1" or ")"; the keyword that opened the construct says more.
    const k = keywordBefore(lines, e.at);
    const d = k ? diag('error', k.at, k.word, `"${k.word}" is not read: ${RUN_IT_FIRST}`) : undefined;
    return { errors: [d ?? diag('error', e.at, e.token, e.message)], warnings };
  }

  const setVar = (name: string, v: string, at: Pos): void => {
    if (v.length > MAX_VALUE)
      throw new ShellError(
        at,
        name,
        `variable "${name}" would hold ${v.length} characters: natbox takes at most ${MAX_VALUE} in a variable`,
      );
    vars.set(name, v);
  };
  const value = (p: Part & { kind: 'var' }): string => {
    const v = vars.get(p.name);
    if (p.fallback && (v === undefined || (p.fallback.colon && v === ''))) return p.fallback.word;
    if (v === undefined) {
      throw new ShellError(
        p.at,
        p.token,
        `variable "${p.name}" is not set in this script${nounset ? ' (set -u: sh stops here)' : ' (sh would make it an empty word)'}: natbox knows only the NAME=value lines before this one; set it in the script, or run the script first and give natbox its "iptables-save" output`,
      );
    }
    return v;
  };
  /** A word's fields after expansion and field splitting (unquoted expansions split on blanks). */
  const expand = (w: Word, split = true): Token[] => {
    const fields: Token[] = [];
    let text = '';
    let at: Pos | undefined;
    const end = (): void => {
      if (at) fields.push({ ...at, text });
      text = '';
      at = undefined;
    };
    // The first field is where the word starts, its opening quote included (as '…' and the
    // restore lexer give it); a later field of a split expansion starts at that expansion.
    const start = (p: Pos): Pos => (fields.length === 0 ? w.at : p);
    for (const p of w.parts) {
      if (p.kind === 'lit') {
        at ??= start(p.at);
        text += p.text;
      } else if (p.quoted || !split) {
        at ??= start(p.at);
        text += value(p);
      } else {
        value(p)
          .split(/[ \t\n]+/)
          .forEach((f, k) => {
            if (k > 0) end();
            if (f !== '') {
              at ??= start(p.at);
              text += f;
            }
          });
      }
    }
    end();
    return fields;
  };

  const runCommand = (c: SimpleCommand): Outcome | 'exit' => {
    // NAME=value words first.
    let k = 0;
    const assigns: { name: string; value: string }[] = [];
    for (; k < c.words.length; k++) {
      const w = c.words[k]!;
      const first = w.parts[0];
      if (!first || first.kind !== 'lit' || first.quoted) break;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text);
      if (!m) break;
      const rest: Word = {
        ...w,
        parts: [{ ...first, text: first.text.slice(m[0].length) }, ...w.parts.slice(1)],
      };
      assigns.push({
        name: m[1]!,
        value: expand(rest, false)
          .map((t) => t.text)
          .join(''),
      });
    }
    if (k < c.words.length && assigns.length)
      refuse(
        c.words[0]!.at,
        literal(c.words[0]!) ?? c.words[0]!.parts.map((p) => (p.kind === 'lit' ? p.text : p.token)).join(''),
        'a variable set for one command only ("NAME=value command") is not read',
      );
    checkRedirs(c);
    if (k === c.words.length) {
      for (const a of assigns) setVar(a.name, a.value, c.words[0]!.at);
      return { status: 0 };
    }
    const head = c.words[k]!;
    const lw = unquotedLiteral(head);
    if (lw !== undefined && KEYWORDS.has(lw)) refuse(head.at, lw, `"${lw}" is not read`);
    const words = c.words.slice(k).flatMap((w) => expand(w));
    if (words.length === 0) return { status: 0 };
    const w0 = words[0]!;
    const prog = w0.text.slice(w0.text.lastIndexOf('/') + 1);
    const progIdx = prog === 'sudo' && words[1] ? 1 : 0;
    const p = progIdx ? words[1]!.text.slice(words[1]!.text.lastIndexOf('/') + 1) : prog;
    if (IPTABLES.test(p)) return exec.iptables(words);
    if (IP6TABLES.test(p)) {
      warnings.push(diag('note', words[progIdx]!, words[progIdx]!.text, IPV6_NOTE));
      return { status: 0 };
    }
    if (RESTORE.test(p)) {
      const h = c.redirs.find((r) => r.op === '<<' || r.op === '<<-');
      if (!h) {
        const r = c.redirs.find((r) => r.op === '<');
        refuse(
          r?.at ?? w0,
          r ? '<' : w0.text,
          r
            ? `"${p} < ${r.target ? (literal(r.target) ?? '…') : ''}" reads another file: give natbox that file itself`
            : `"${p}" without a here-document ("<<EOF") is not read`,
        );
      }
      let body = h!.body!;
      if (!h!.quotedDelim) body = body.map(expandLine);
      return exec.restore(words.slice(progIdx + 1), body);
    }
    if (SAVE.test(p)) {
      warnings.push(diag('warning', w0, w0.text, `"${p}" changes nothing: skipped`));
      return { status: 0 };
    }
    switch (prog) {
      case 'true':
      case ':':
        return { status: 0 };
      case 'false':
        return { status: 1, failure: diag('warning', w0, w0.text, '"false" has exit status 1'), quiet: true };
      case 'echo':
      case 'printf':
        return { status: 0 };
      case 'exit': {
        const n = words[1]?.text ?? '0';
        if (n !== '0')
          throw new ShellError(
            words[1]!,
            n,
            `the script exits with status ${n} here: sh would stop with an error`,
          );
        return 'exit';
      }
      case 'set': {
        for (let j = 1; j < words.length; j++) {
          const a = words[j]!;
          const on = a.text.startsWith('-');
          if (!/^[-+][euxvo]+$/.test(a.text))
            refuse(
              a,
              a.text,
              `"set ${a.text}" is not read (only set -e, -u, -x, -o errexit, -o nounset, -o pipefail)`,
            );
          for (const f of a.text.slice(1)) {
            if (f === 'e') errexit = on;
            else if (f === 'u') nounset = on;
            else if (f === 'o') {
              const name = words[++j];
              if (!name || !['errexit', 'nounset', 'pipefail', 'xtrace', 'verbose'].includes(name.text))
                refuse(name ?? a, name?.text ?? a.text, `"set -o ${name?.text ?? ''}" is not read`);
              if (name!.text === 'errexit') errexit = on;
              if (name!.text === 'nounset') nounset = on;
            }
          }
        }
        return { status: 0 };
      }
      case 'export':
      case 'readonly': {
        for (const a of words.slice(1)) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)(=(.*))?$/s.exec(a.text);
          if (!m) refuse(a, a.text, `"${prog} ${a.text}" is not read (only ${prog} NAME=value)`);
          if (m![2] !== undefined) setVar(m![1]!, m![3]!, a);
        }
        return { status: 0 };
      }
      case 'unset':
        for (const a of words.slice(1)) if (NAME.test(a.text)) vars.delete(a.text);
        return { status: 0 };
      case '[':
      case 'test':
        return refuse(w0, w0.text, `the test "${w0.text}" is not read`);
    }
    // nft and the other iptables-… programs: the iptables reader says what they are.
    if (p === 'nft' || p.startsWith('iptables-')) return exec.iptables(words);
    return refuse(w0, w0.text, `"${w0.text}" is not an iptables command`);
  };

  /** Redirections natbox can ignore: to /dev/null, and 2>&1 or >&2. */
  const checkRedirs = (c: SimpleCommand): void => {
    for (const r of c.redirs) {
      if (r.op === '<<' || r.op === '<<-') continue;
      const target = r.target ? literal(r.target) : undefined;
      if ((r.op === '>&' || r.op === '<&') && (target === '1' || target === '2')) continue;
      if ((r.op === '>' || r.op === '>>' || r.op === '&>') && target === '/dev/null') continue;
      const prog = c.words[0] ? unquotedLiteral(c.words[0]) : undefined;
      // iptables-save > /etc/iptables/rules.v4: the end of many install scripts; it changes nothing.
      if (prog !== undefined && SAVE.test(prog.slice(prog.lastIndexOf('/') + 1)) && r.op !== '<') continue;
      if (r.op === '<') {
        const cmd = c.words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(literal(w) ?? ''));
        const w = cmd ? unquotedLiteral(cmd) : undefined;
        if (w !== undefined && RESTORE.test(w.slice(w.lastIndexOf('/') + 1))) continue;
      }

      const echo = c.words[0] ? unquotedLiteral(c.words[0]) : undefined;
      if ((echo === 'echo' || echo === 'printf') && r.op !== '<') {
        warnings.push(
          diag(
            'warning',
            r.at,
            r.op,
            `"${echo} … ${r.op} ${target ?? '…'}" writes a file: not read (natbox reads only the rules; a sysctl goes in the scenario)`,
          ),
        );
        continue;
      }
      refuse(
        r.at,
        r.op,
        `the redirection "${r.op}${target !== undefined ? ` ${target}` : ''}" is not read (only to /dev/null, 2>&1 and >&2)`,
      );
    }
  };

  /** A here-document line with $NAME and ${NAME} expanded (an unquoted delimiter). */
  const expandLine = (l: SourceLine): SourceLine => {
    let out = '';
    const t = l.text;
    for (let i = 0; i < t.length; i++) {
      const c = t[i]!;
      if (c === '\\' && i + 1 < t.length && '$`\\'.includes(t[i + 1]!)) out += t[++i];
      else if (c === '`') refuse(posOf(l, i), '`', 'command substitution "`…`" is not read');
      else if (c === '$') {
        const x = dollar(l, t, i, true);
        if (!x) out += c;
        else {
          out += value(x.part as Part & { kind: 'var' });
          i = x.end - 1;
        }
      } else out += c;
    }
    return { ...l, text: out };
  };

  for (const list of lists) {
    try {
      let status = 0;
      let stop = false;
      for (let k = 0; k < list.cmds.length; k++) {
        if (k > 0) {
          const o = list.ops[k - 1]!;
          if ((o === '&&' && status !== 0) || (o === '||' && status === 0)) continue;
        }
        const c = list.cmds[k]!;
        const r = runCommand(c);
        if (r === 'exit') {
          stop = true;
          break;
        }
        status = r.status;
        if (r.status === 0) continue;
        const f = (r as Outcome & { failure: Diagnostic }).failure;
        const tested = k < list.cmds.length - 1; // a && or || follows and tests it
        const quiet = (r as { quiet?: boolean }).quiet === true;
        if (tested) {
          if (!quiet)
            warnings.push({
              ...f,
              severity: 'warning',
              message: `${f.message} (exit status ${r.status}: the command after "${list.ops[k]}" ${list.ops[k] === '||' ? 'runs' : 'is skipped'})`,
            });
        } else if (!quiet) {
          errors.push({ ...f, severity: 'error' });
        } else {
          // Only something like iptables -C's "no such rule" ends a list with a failure.
          if (errexit) {
            errors.push({
              ...f,
              severity: 'error',
              message: `${f.message}: exit status ${r.status}, and set -e stops the script here (sh would apply nothing after this line)`,
            });
            stop = true;
          } else if (!isLastOfAndOr(list, k)) {
            /* cannot happen: tested above */
          } else {
            warnings.push({
              ...f,
              severity: 'warning',
              message: `${f.message} (exit status ${r.status}; the script goes on)`,
            });
          }
        }
      }
      if (stop) break;
    } catch (e) {
      if (!(e instanceof ShellError)) throw e;
      // The shell natbox does not read: what follows it cannot be read either.
      errors.push(diag('error', e.at, e.token, e.message));
      break;
    }
  }
  return { errors, warnings };
}

/** The first line up to `at` that starts with a shell keyword (if, for, while, case…). */
function keywordBefore(lines: readonly SourceLine[], at: Pos): { word: string; at: Pos } | undefined {
  for (const l of lines) {
    if (l.file === at.file && l.line > at.line) break;
    const m = /^(\s*)(if|for|while|until|case|function|select)(\s|$)/.exec(l.text);
    if (m) return { word: m[2]!, at: posOf(l, m[1]!.length) };
  }
  return undefined;
}

const isLastOfAndOr = (list: AndOr, k: number): boolean => k === list.cmds.length - 1;

/** Whether a line of a rules file reads as shell (the first meaningful line of a script). */
export function looksLikeScript(text: string): boolean {
  const t = text.trim();
  if (/^(sudo\s+)?(\S*\/)?(iptables|ip6tables)\S*(\s|$)/.test(t)) return true;
  if (/^(export\s+|readonly\s+)?[A-Za-z_][A-Za-z0-9_]*=/.test(t)) return true;
  if (/^set\s+[-+]/.test(t)) return true;
  if (/^\$\{?[A-Za-z_]/.test(t)) return true; // $IPT -A …
  // The shell around the commands: said as what it is by the script reader, not as "not rules".
  if (/^(if|for|while|until|case|function|select)\s/.test(t)) return true;
  if (/^[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)/.test(t)) return true; // name() {
  if (/^(echo|printf|exit|export|readonly|modprobe|sysctl|true|false|test|\[)(\s|$)/.test(t)) return true;
  return false;
}
