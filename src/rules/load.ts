// The front end's entry point for the engine and the scenario loader: lines of rule text (each
// with its own file, line and column, as rules embedded in YAML have) to a new Ruleset, either
// from `iptables ...` commands or from an iptables-save file (detected from the first line that
// says something). All or nothing: on any error the base ruleset is left as it was and only
// diagnostics come back. Never throws for bad input.
import { diag, isUnsupported, looksLikeNft, NFT_NOT_READ, type Diagnostic } from './diagnostics.ts';
import { endsWithContinuation, lexShell, type SourceLine } from './iptables/lex.ts';
import { RuleError, parseCommandLine } from './iptables/parse-command.ts';
import { applyCommand, cloneRuleset, emptyRuleset, putChainsInOrder } from './iptables/apply.ts';
import { applyRestore } from './iptables/parse-save.ts';
import type { Ruleset } from './iptables/model.ts';

export { emptyRuleset };
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

/** Which language the lines are in: the first line that is neither blank nor a comment decides. */
export function detectForm(
  lines: readonly SourceLine[],
): RulesForm | { readonly unknown: SourceLine } | undefined {
  for (const l of lines) {
    const t = l.text.trim();
    if (t === '' || t.startsWith('#')) continue;
    if (/^(\*|:|\[|COMMIT\b|-)/.test(t)) return 'restore';
    if (/^(sudo\s+)?(\S*\/)?(iptables|ip6tables)\S*(\s|$)/.test(t)) return 'commands';
    return { unknown: l };
  }
  return undefined;
}

/**
 * Loads rules on top of `base` (not changed). Commands apply in order; a restore file replaces the
 * tables it names.
 */
export interface LoadOptions {
  /**
   * A rule whose only problem is an unsupported match, target or option is left out (reported in
   * `skipped`) instead of failing the load; every other error still applies nothing.
   */
  readonly skipUnsupported?: boolean;
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
      const diagnostics = applyRestore(rs, lines, skipped);
      putChainsInOrder(rs);
      return diagnostics.length
        ? { ok: false, diagnostics }
        : { ok: true, ruleset: rs, warnings: [], ...(skipped ? { skipped } : {}) };
    }
    return applyCommands(rs, lines, skipped);
  } catch (e) {
    // A bug in the front end; still no throw to the caller.
    const l = lines[0];
    const message = `internal error in the rules front end: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, diagnostics: [diag('error', l ?? { file: '', line: 1, column: 1 }, '', message)] };
  }
}

function applyCommands(rs: Ruleset, lines: readonly SourceLine[], skipped?: Diagnostic[]): LoadResult {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  for (let i = 0; i < lines.length; i++) {
    const group = [lines[i]!];
    while (endsWithContinuation(group[group.length - 1]!.text) && i + 1 < lines.length)
      group.push(lines[++i]!);
    const lexed = lexShell(group);
    if (!lexed.ok) {
      errors.push(diag('error', lexed.at, lexed.token, lexed.message));
      continue;
    }
    if (lexed.tokens.length === 0) continue;
    const first = lexed.tokens[0]!;
    try {
      const cmd = parseCommandLine(lexed.tokens, {
        loc: { file: first.file, line: first.line, column: first.column },
      });
      const warning = applyCommand(rs, cmd);
      if (warning) warnings.push(diag('warning', cmd.cmdTok, cmd.cmdTok.text, warning));
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      if (skipped && isUnsupported(e.message)) skipped.push(diag('warning', e.at, e.token, e.message));
      else errors.push(diag('error', e.at, e.token, e.message));
    }
  }
  putChainsInOrder(rs);
  return errors.length
    ? { ok: false, diagnostics: errors }
    : { ok: true, ruleset: rs, warnings, ...(skipped ? { skipped } : {}) };
}

/** Splits text into lines (line 1, column 1 onwards) and loads them. */
export function loadRulesText(text: string, file: string, base?: Ruleset): LoadResult {
  const lines = text.split(/\r?\n/).map((t, k) => ({ text: t, file, line: k + 1, column: 1 }));
  return loadRules(lines, base);
}
