// The front end's entry point for the engine and the scenario loader: lines of rule text (each
// with its own file, line and column, as rules embedded in YAML have) to a new Ruleset, either
// from `iptables ...` commands or from an iptables-save file (detected from the first line that
// says something). All or nothing: on any error the base ruleset is left as it was and only
// diagnostics come back. Never throws for bad input.
import { diag, isUnsupported, looksLikeNft, NFT_NOT_READ, type Diagnostic } from './diagnostics.ts';
import type { SourceLine, Token } from './iptables/lex.ts';
import { RuleError, TABLES, parseCommandLine } from './iptables/parse-command.ts';
import { applyCommand, cloneRuleset, emptyRuleset, putChainsInOrder, ruleExists } from './iptables/apply.ts';
import { applyRestore, type RestoreOptions } from './iptables/parse-save.ts';
import { looksLikeScript, runScript, type Outcome } from './iptables/script.ts';
import type { Ruleset, TableName } from './iptables/model.ts';
import { detectLanguage, isNft, loadNftRules, type NftLoadOptions } from './language.ts';
import type { NftLoadResult, NftRuleset } from './nft/model.ts';

export { emptyRuleset };
export { detectLanguage, isNft, loadNftRules, type NftLoadOptions, type RulesLanguage } from './language.ts';
export type { SourceLine };

export type LoadResult =
  | {
      readonly ok: true;
      readonly ruleset: Ruleset;
      readonly warnings: Diagnostic[];
      /** With `skipUnsupported`: the lines left out because they use what natbox does not model. */
      readonly skipped?: Diagnostic[];
    }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

export type RulesForm = 'restore' | 'commands';

/**
 * One operation that changed the ruleset as natbox loaded it, in order (LoadOptions.applied): an
 * iptables command that ran and succeeded, its words after the script's expansion (variables,
 * quotes), the program's word first (`sudo` left out), each with its source position; or an
 * iptables-restore input (a restore file, or a script's `iptables-restore <<EOF`) with its
 * options and its lines as natbox read them (the here-document expanded unless its delimiter is
 * quoted). `iptables -C` tests, commands that failed, `iptables-restore --test` and ip6tables
 * lines change nothing and are not in it (with skipUnsupported, a restore input is still
 * whole: its left-out rules are in it). What `natbox verify` gives the kernel's iptables.
 */
export type AppliedOp =
  | { readonly kind: 'iptables'; readonly words: readonly Token[] }
  | {
      readonly kind: 'restore';
      /** The options as written, for iptables-restore's command line (none for a restore file). */
      readonly args: readonly Token[];
      readonly options: RestoreOptions;
      readonly body: readonly SourceLine[];
    };

/** Which language the lines are in: the first line that is neither blank nor a comment decides. */
export function detectForm(
  lines: readonly SourceLine[],
): RulesForm | { readonly unknown: SourceLine } | undefined {
  for (const [k, l] of lines.entries()) {
    const t = l.text.trim();
    // `#!/bin/sh`: a script, whatever its first command is (the script reader says what it reads).
    if (k === 0 && /^#!\s*\S*\b(sh|bash|dash|ash|ksh|zsh)\b/.test(t)) return 'commands';
    if (t === '' || t.startsWith('#')) continue;
    if (/^(\*|:|\[(?!\s)|COMMIT\b|-)/.test(t)) return 'restore';
    if (looksLikeScript(t)) return 'commands';
    return { unknown: l };
  }
  return undefined;
}

/**
 * Loads rules on top of `base` (not changed). Commands apply in order; a restore file replaces the
 * tables it names (adds to them with `noflush`). `counters`, `noflush` and `table` are
 * iptables-restore's -c, --noflush and --table, for restore files (an `iptables-restore <<EOF`
 * of a script has its own).
 */
export interface LoadOptions extends RestoreOptions {
  /**
   * A rule whose only problem is an unsupported match, target or option is left out (reported in
   * `skipped`) instead of failing the load; every other error still applies nothing.
   */
  readonly skipUnsupported?: boolean;
  /**
   * When given, the operations that changed the ruleset are pushed onto it, in order (AppliedOp);
   * left as it was when the load fails. Not collected otherwise.
   */
  readonly applied?: AppliedOp[];
}

export function loadRules(
  lines: readonly SourceLine[],
  base: Ruleset = emptyRuleset(),
  opts: LoadOptions = {},
): LoadResult {
  const skipped: Diagnostic[] | undefined = opts.skipUnsupported ? [] : undefined;
  try {
    const form = detectForm(lines);
    const rs = cloneRuleset(base);
    if (form === undefined) return { ok: true, ruleset: rs, warnings: [] };
    if (typeof form === 'object') {
      const l = form.unknown;
      const lead = l.text.length - l.text.trimStart().length;
      const word = l.text.trim().split(/\s+/)[0] ?? '';
      return {
        ok: false,
        diagnostics: [
          diag(
            'error',
            { file: l.file, line: l.line, column: l.column + lead },
            word,
            looksLikeNft(l.text)
              ? `"${word}" is nftables syntax; ${NFT_NOT_READ}`
              : `expected iptables commands ("iptables -t nat -A ...") or an iptables-save file ("*nat" ... "COMMIT"), found "${word}"`,
          ),
        ],
      };
    }
    if (form === 'restore') {
      const diagnostics = applyRestore(rs, lines, skipped, opts);
      putChainsInOrder(rs);
      if (diagnostics.length) return { ok: false, diagnostics };
      opts.applied?.push({
        kind: 'restore',
        args: [],
        options: {
          ...(opts.counters ? { counters: true } : {}),
          ...(opts.noflush ? { noflush: true } : {}),
          ...(opts.table ? { table: opts.table } : {}),
        },
        body: lines,
      });
      return { ok: true, ruleset: rs, warnings: [], ...(skipped ? { skipped } : {}) };
    }
    const applied: AppliedOp[] | undefined = opts.applied ? [] : undefined;
    const res = applyCommands(rs, lines, skipped, applied);
    if (res.ok && applied) opts.applied!.push(...applied);
    return res;
  } catch (e) {
    // A bug in the front end; still no throw to the caller.
    const l = lines[0];
    const message = `internal error in the rules front end: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, diagnostics: [diag('error', l ?? { file: '', line: 1, column: 1 }, '', message)] };
  }
}

function applyCommands(
  rs: Ruleset,
  lines: readonly SourceLine[],
  skipped: Diagnostic[] | undefined,
  applied: AppliedOp[] | undefined,
): LoadResult {
  /** A RuleError as the outcome of a command, or (unsupported, with skipUnsupported) left out. */
  const failed = (e: unknown, errors: Diagnostic[]): Outcome => {
    if (!(e instanceof RuleError)) throw e;
    if (isUnsupported(e.message)) {
      // natbox's limit, not iptables' refusal: never a status a script can test.
      if (skipped) skipped.push(diag('warning', e.at, e.token, e.message));
      else errors.push(diag('error', e.at, e.token, e.message));
      return { status: 0 };
    }
    return { status: 1, failure: diag('error', e.at, e.token, e.message) };
  };
  const hard: Diagnostic[] = [];
  const extra: Diagnostic[] = [];
  const res = runScript(lines, {
    iptables(words: Token[]): Outcome {
      const first = words[0]!;
      try {
        const cmd = parseCommandLine(words, {
          loc: { file: first.file, line: first.line, column: first.column },
        });
        if (cmd.op === 'check') {
          return ruleExists(rs, cmd)
            ? { status: 0 }
            : {
                status: 1,
                quiet: true,
                failure: diag(
                  'warning',
                  cmd.cmdTok,
                  cmd.cmdTok.text,
                  `iptables ${cmd.cmdTok.text}: no such rule in chain ${cmd.chain}`,
                ),
              };
        }
        const warning = applyCommand(rs, cmd);
        if (warning) extra.push(diag('warning', cmd.cmdTok, cmd.cmdTok.text, warning));
        if (applied)
          applied.push({ kind: 'iptables', words: words[0]!.text === 'sudo' ? words.slice(1) : words });
        return { status: 0 };
      } catch (e) {
        return failed(e, hard);
      }
    },
    restore(args: Token[], body: SourceLine[]): Outcome {
      const opts: { counters?: boolean; noflush?: boolean; table?: TableName } = {};
      let test = false;
      for (let k = 0; k < args.length; k++) {
        const a = args[k]!;
        const t = a.text;
        if (t === '-c' || t === '--counters') opts.counters = true;
        else if (t === '-n' || t === '--noflush') opts.noflush = true;
        else if (t === '-t' || t === '--test') test = true;
        else if (t === '-v' || t === '--verbose' || t === '-w' || t === '--wait') {
          if (/^\d+$/.test(args[k + 1]?.text ?? '')) k++;
        } else if (t === '-T' || t === '--table' || t.startsWith('--table=')) {
          const name = t.startsWith('--table=') ? { ...a, text: t.slice(8) } : args[++k];
          if (!name || !TABLES.includes(name.text as TableName))
            return failed(
              new RuleError(
                name ?? a,
                name?.text ?? t,
                `iptables-restore ${t}: expected a table name (${TABLES.join(', ')})`,
              ),
              hard,
            );
          opts.table = name.text as TableName;
        } else
          return failed(
            new RuleError(a, t, `unsupported option "${t}" of iptables-restore in a script`),
            hard,
          );
      }
      const target = test ? cloneRuleset(rs) : rs;
      const errs: Diagnostic[] = [];
      const ds = applyRestore(target, body, skipped, opts);
      for (const d of ds) errs.push(d);
      if (errs.length === 0) {
        if (applied && !test) applied.push({ kind: 'restore', args, options: opts, body });
        return { status: 0 };
      }
      // The restore's own errors are errors of the file, whatever tests its status.
      hard.push(...errs);
      return { status: 0 };
    },
  });
  putChainsInOrder(rs);
  const errors = [...hard, ...res.errors].sort(byPlace);
  const warnings = [...extra, ...res.warnings].sort(byPlace);
  return errors.length
    ? { ok: false, diagnostics: errors }
    : { ok: true, ruleset: rs, warnings, ...(skipped ? { skipped } : {}) };
}

const byPlace = (a: Diagnostic, b: Diagnostic): number =>
  a.file === b.file ? a.line - b.line || a.column - b.column : 0;

/** Splits text into lines (line 1, column 1 onwards) and loads them. */
export function loadRulesText(text: string, file: string, base?: Ruleset, opts?: LoadOptions): LoadResult {
  const lines = text.split(/\r?\n/).map((t, k) => ({ text: t, file, line: k + 1, column: 1 }));
  return loadRules(lines, base, opts);
}

/**
 * Rules in either language, detected from the first line that says something (language.ts):
 * iptables onto `base` (loadRules), or nftables onto `nftBase` (loadNftRules). All or nothing.
 */
export type AnyLoadResult =
  | { readonly lang: 'iptables'; readonly result: LoadResult }
  | { readonly lang: 'nft'; readonly result: NftLoadResult };

export function loadAnyRules(
  lines: readonly SourceLine[],
  base?: Ruleset,
  opts: LoadOptions & { readonly nftBase?: NftRuleset; readonly nft?: NftLoadOptions } = {},
): AnyLoadResult {
  if (isNft(detectLanguage(lines)))
    return {
      lang: 'nft',
      result: loadNftRules(lines, { ...opts.nft, ...(opts.nftBase ? { base: opts.nftBase } : {}) }),
    };
  return { lang: 'iptables', result: loadRules(lines, base, opts) };
}
