// iptables-save / iptables-restore files: `*table`, `:CHAIN POLICY [packets:bytes]`, rule lines
// (any iptables command without -t, optionally after `[packets:bytes]`), `COMMIT`, `#` comments and
// blank lines. Each `*table` replaces that table (as iptables-restore without --noflush does;
// a section with nothing in it removes the table, as iptables-nft-restore does). The options are
// iptables-restore's: counters are zeroed unless `counters` (-c), `noflush` (--noflush) adds to
// the tables, `table` (--table) reads only that table's sections. Measured with iptables 1.8.9
// (nf_tables): a user chain's `:NAME - [p:b]` line flushes that chain if it exists (with or
// without --noflush); a built-in chain's line sets its policy and keeps its rules.
// The caller applies the file atomically: on any diagnostic it keeps nothing (iptables-restore
// itself commits table by table, so an error in a later table still leaves earlier ones applied:
// measured, see docs/scripts.md).
import { diag, isUnsupported, type Diagnostic } from '../diagnostics.ts';
import { lexRestore, type SourceLine, type Token } from './lex.ts';
import { RuleError, TABLES, parseCommandTokens } from './parse-command.ts';
import { addUserChain, applyCommand, ensureTable, flushChain } from './apply.ts';
import type { Counters, Policy, Ruleset, TableName } from './model.ts';
import { makeCounters, parseCounter } from '../counters.ts';

const errorOf = (e: unknown): Diagnostic => {
  if (e instanceof RuleError) return diag('error', e.at, e.token, e.message);
  throw e; // a programmer error: let it show
};

const tokenAt = (src: SourceLine, index: number, text: string): Token => ({
  file: src.file,
  line: src.line,
  column: src.column + index,
  text,
});

/** iptables-restore's options that change what a file does. */
export interface RestoreOptions {
  /** -c, --counters: keep the file's `[packets:bytes]`; without it they are zeroed. */
  readonly counters?: boolean;
  /** -n, --noflush: add to the tables instead of replacing them. */
  readonly noflush?: boolean;
  /** -T, --table NAME: read only this table's sections; the others are skipped unread. */
  readonly table?: TableName;
}

/**
 * Applies a restore file to `rs` (changed in place). Returns the diagnostics; any error means the
 * caller must drop `rs`.
 */
export function applyRestore(
  rs: Ruleset,
  lines: readonly SourceLine[],
  skipped?: Diagnostic[],
  opts: RestoreOptions = {},
): Diagnostic[] {
  const out: Diagnostic[] = [];
  let open: { name: TableName; tok: Token } | undefined;
  // Inside a section that --table leaves out: every line up to its COMMIT is skipped unread.
  let skipping = false;
  for (const src of lines) {
    const lead = src.text.length - src.text.trimStart().length;
    const text = src.text.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (skipping) {
      if (text === 'COMMIT') skipping = false;
      continue;
    }
    try {
      if (opts.table && !open && text.startsWith('*') && text.slice(1) !== opts.table) {
        skipping = true;
      } else if (text.startsWith('*')) {
        const name = text.slice(1);
        const tok = tokenAt(src, lead, text);
        if (open)
          throw new RuleError(
            tok,
            text,
            `"${text}" before COMMIT of table "${open.name}" (line ${open.tok.line})`,
          );
        if (!TABLES.includes(name as TableName)) {
          throw new RuleError(tok, text, `unknown table "${name}" (expected ${TABLES.join(', ')})`);
        }
        open = { name: name as TableName, tok };
        // iptables-nft-restore flushes the table; a section with no chain and no rule leaves no
        // table at all (measured: `*nat` / `COMMIT` deletes the nat table).
        if (!opts.noflush) rs.tables.delete(open.name);
      } else if (text === 'COMMIT') {
        if (!open)
          throw new RuleError(
            tokenAt(src, lead, text),
            text,
            'COMMIT without a table (expected "*table" before it)',
          );
        open = undefined;
      } else if (text.startsWith(':')) {
        if (!open)
          throw new RuleError(
            tokenAt(src, lead, text),
            text,
            'chain line outside a table (expected "*table" before it)',
          );
        chainLine(rs, open.name, src, lead, opts.counters ?? false);
      } else {
        ruleLine(rs, open?.name, src, lead, opts.counters ?? false);
      }
    } catch (e) {
      const d = errorOf(e);
      // With skipUnsupported, a rule natbox cannot model is left out and reported, not fatal.
      if (skipped && isUnsupported(d.message)) skipped.push({ ...d, severity: 'warning' });
      else out.push(d);
    }
  }
  if (open) {
    out.push(
      diag(
        'error',
        open.tok,
        open.tok.text,
        `missing COMMIT for table "${open.name}" (started here): nothing is applied`,
      ),
    );
  }
  return out;
}

/** `[packets:bytes]`, each a 64-bit counter; an error points at the bad number. */
function counterPair(t: Token): Counters {
  const m = /^\[([^:\]]*):([^\]]*)\]$/.exec(t.text);
  if (!m) throw new RuleError(t, t.text, `bad counters "${t.text}" (expected [packets:bytes])`);
  const values: bigint[] = [];
  let column = t.column + 1;
  for (const [i, text] of [m[1]!, m[2]!].entries()) {
    const v = parseCounter(text);
    if (typeof v === 'string') {
      const at = { ...t, column, text };
      throw new RuleError(at, text, `bad ${i ? 'byte' : 'packet'} counter "${text}" in "${t.text}": ${v}`);
    }
    values.push(v);
    column += text.length + 1;
  }
  return makeCounters(values[0]!, values[1]!);
}

/** `:NAME POLICY [packets:bytes]`; a user chain has the policy `-`. */
function chainLine(
  rs: Ruleset,
  tableName: TableName,
  src: SourceLine,
  lead: number,
  keepCounters: boolean,
): void {
  const lexed = lexRestore(src);
  if (!lexed.ok) throw new RuleError(lexed.at, lexed.token, lexed.message);
  const [nameTok, policyTok, countTok, extra] = lexed.tokens;
  const first = nameTok ?? tokenAt(src, lead, ':');
  const name = first.text.slice(1);
  const nameAt = { ...first, column: first.column + 1, text: name };
  if (name === '')
    throw new RuleError(first, first.text, 'chain line without a chain name (expected ":NAME POLICY [0:0]")');
  if (!policyTok)
    throw new RuleError(
      first,
      first.text,
      `chain line "${first.text}" needs a policy (ACCEPT, DROP, or - for a user chain)`,
    );
  if (extra) throw new RuleError(extra, extra.text, `unexpected "${extra.text}" after the chain counters`);
  const read = countTok ? counterPair(countTok) : undefined;
  const counters = read && keepCounters ? read : { packets: 0, bytes: 0 };
  const table = ensureTable(rs, tableName);
  const existing = table.chains.get(name);
  if (existing?.builtin) {
    const p = policyTok.text;
    if (p !== 'ACCEPT' && p !== 'DROP') {
      throw new RuleError(
        policyTok,
        p,
        `bad policy "${p}" for built-in chain ${name} (expected ACCEPT or DROP)`,
      );
    }
    if (p === 'DROP' && tableName === 'nat') {
      throw new RuleError(
        policyTok,
        p,
        'the "nat" table is not intended for filtering: a DROP policy is refused there',
      );
    }
    existing.policy = p as Policy;
    existing.counters = counters;
    return;
  }
  if (policyTok.text !== '-') {
    throw new RuleError(
      policyTok,
      policyTok.text,
      `user chain ${name} cannot have a policy (write "-" instead of "${policyTok.text}")`,
    );
  }
  if (existing) {
    // iptables-nft-restore declares the chain again: it is flushed (measured with 1.8.9).
    flushChain(table, existing);
    existing.counters = counters;
    return;
  }
  addUserChain(table, nameAt).counters = counters;
}

function ruleLine(
  rs: Ruleset,
  tableName: TableName | undefined,
  src: SourceLine,
  lead: number,
  keepCounters: boolean,
): void {
  const lexed = lexRestore(src);
  if (!lexed.ok) throw new RuleError(lexed.at, lexed.token, lexed.message);
  const tokens = lexed.tokens;
  if (!tableName) {
    const t = tokens[0] ?? tokenAt(src, lead, '');
    throw new RuleError(
      t,
      t.text,
      `"${t.text}" outside a table (expected "*filter", "*nat"... before rules)`,
    );
  }
  const counters = tokens[0]?.text.startsWith('[') ? counterPair(tokens.shift()!) : undefined;
  // iptables-restore passes a rule line to the iptables parser as at most 254 arguments: its own
  // name, -t TABLE, and with counters (-c) --set-counters P B (xshared.c, MAX_ARGC 255; measured
  // with iptables 1.8.9: 251 words pass, 252 fail; 248 with counters).
  const maxWords = counters ? 248 : 251;
  if (tokens.length > maxWords) {
    const t = tokens[maxWords]!;
    throw new RuleError(
      t,
      t.text,
      `rule line has ${tokens.length} words: iptables-restore takes at most ${maxWords}${counters ? ' after counters' : ''} ("Parser cannot handle more arguments")`,
    );
  }
  const first = tokens[0] ?? tokenAt(src, lead, '');
  const cmd = parseCommandTokens(tokens, {
    restoreTable: tableName,
    loc: { file: first.file, line: first.line, column: first.column },
  });
  if (counters && keepCounters && 'rules' in cmd) {
    for (const pr of cmd.rules) pr.rule.counters = { ...counters };
  }
  applyCommand(rs, cmd);
}
