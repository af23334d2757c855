// Which rules language a text is in, and nftables text read through the nft front end (rules/nft/).
// A host's `rules:`, `natbox rules` and `natbox import` take either language: iptables (commands
// or an iptables-save file) or nftables, as `nft list ruleset` prints it, as an `nft -f` script,
// as `nft -j list ruleset` JSON, or as a script of `nft ...` commands (each command's words joined
// with spaces, as nft joins its arguments). The first line that says something decides.
import { diag, looksLikeNft, type Diagnostic } from './diagnostics.ts';
import { lexShell, type SourceLine } from './iptables/lex.ts';
import { parseNft, parseNftJson } from './nft/index.ts';
import type { NftLoadResult, NftRuleset } from './nft/model.ts';

/** `nft`: nft text (listed ruleset or nft -f script); `nft-json`: `nft -j` JSON; `nft-commands`. */
export type RulesLanguage = 'iptables' | 'nft' | 'nft-json' | 'nft-commands';

/** An `nft ...` command line (optionally with sudo or a path): a script of nft commands. */
const NFT_COMMAND = /^(sudo\s+)?(\S*\/)?nft(\s|$)/;

/** The language of `lines`: the first line that is neither blank nor a comment decides. */
export function detectLanguage(lines: readonly SourceLine[]): RulesLanguage | undefined {
  for (const [k, l] of lines.entries()) {
    const t = l.text.trim();
    if (k === 0 && /^#!\s*\S*\bnft\b/.test(t)) return 'nft';
    if (t === '' || t.startsWith('#')) continue;
    // `nft -j` JSON is one object (`{"nftables": [...]}`); a script's `[ -x ... ]` test or
    // `{ ...; }` group is shell, for the iptables script reader to name.
    if (/^\{\s*("|$)/.test(t)) return 'nft-json';
    if (NFT_COMMAND.test(t)) return 'nft-commands';
    if (looksLikeNft(t) || /^(include|list|insert|replace|destroy|reset)\s/.test(t)) return 'nft';
    return 'iptables';
  }
  return undefined;
}

/** Whether `lang` is one of nftables' forms. */
export const isNft = (lang: RulesLanguage | undefined): boolean =>
  lang === 'nft' || lang === 'nft-json' || lang === 'nft-commands';

export interface NftLoadOptions {
  /** The ruleset the input applies to (not changed); an empty one when absent. */
  readonly base?: NftRuleset;
  /** Reads a file an `include` (or a script's `nft -f FILE`) names; absent: such a line is an error. */
  readonly readFile?: (path: string, from: string) => readonly SourceLine[] | undefined;
  /**
   * `lines` are a file's whole text split at every newline (the last one is what follows the last
   * newline, empty when the file ends in one): a file without a final newline ends where nft says.
   */
  readonly wholeFile?: boolean;
  /** The host's devices' interface indexes (NftParseOptions.ifIndex): `iif` of another is an error. */
  readonly ifIndex?: (name: string) => number | undefined;
}

/**
 * nftables lines (any of the forms above) to a ruleset through the nft front end: all or nothing,
 * never throws. JSON's errors are put back at the place of the line they name (the lines of a
 * scenario's block or file keep their own positions, blank lines left out).
 */
export function loadNftRules(lines: readonly SourceLine[], opts: NftLoadOptions = {}): NftLoadResult {
  try {
    const lang = detectLanguage(lines);
    if (lang === 'nft-json') return loadJson(lines);
    const parse = (ls: readonly SourceLine[], wholeFile: boolean): NftLoadResult =>
      parseNft(ls, {
        ...(opts.base ? { base: opts.base } : {}),
        ...(opts.readFile ? { readFile: opts.readFile } : {}),
        ...(wholeFile ? { wholeFile: true } : {}),
        ...(opts.ifIndex ? { ifIndex: opts.ifIndex } : {}),
      });
    if (lang !== 'nft-commands') return parse(lines, opts.wholeFile === true);
    const script = nftCommandLines(lines);
    return 'diagnostics' in script
      ? { ok: false, diagnostics: script.diagnostics }
      : parse(script.lines, false);
  } catch (e) {
    const l = lines[0];
    const message = `internal error in the nftables front end: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, diagnostics: [diag('error', l ?? { file: '', line: 1, column: 1 }, '', message)] };
  }
}

function loadJson(lines: readonly SourceLine[]): NftLoadResult {
  const first = lines[0];
  if (first === undefined) return { ok: true, ruleset: { tables: [] }, warnings: [] };
  const text = lines.map((l) => l.text).join('\n');
  const res = parseNftJson(text, first.file);
  /** Line `n` of the joined text is lines[n - 1], with its own column. */
  const place = (d: Diagnostic): Diagnostic => {
    const l = lines[d.line - 1];
    return l ? { ...d, file: l.file, line: l.line, column: l.column + d.column - 1 } : d;
  };
  return res.ok
    ? { ...res, warnings: res.warnings.map(place) }
    : { ok: false, diagnostics: res.diagnostics.map(place) };
}

/**
 * A script of `nft ...` commands as the lines nft -f reads: each command's words after `nft` (and
 * its options) joined with spaces, at the place of its first word; `nft -f FILE` an include.
 */
export function nftCommandLines(
  lines: readonly SourceLine[],
): { readonly lines: SourceLine[] } | { readonly diagnostics: Diagnostic[] } {
  const out: SourceLine[] = [];
  for (const l of lines) {
    const t = l.text.trim();
    if (t === '' || t.startsWith('#')) continue;
    const lex = lexShell([l]);
    if (!lex.ok) return { diagnostics: [diag('error', lex.at, lex.token, lex.message)] };
    const words = lex.tokens;
    let k = 0;
    if (words[k]?.text === 'sudo') k++;
    const prog = words[k];
    if (!prog || !/(^|\/)nft$/.test(prog.text))
      return {
        diagnostics: [
          diag(
            'error',
            prog ?? l,
            prog?.text ?? '',
            `expected an nft command ("nft add rule ..."), found "${prog?.text ?? ''}": a script of nft commands holds only nft commands`,
          ),
        ],
      };
    k++;
    let file: string | undefined;
    for (; k < words.length && words[k]!.text.startsWith('-'); k++) {
      const w = words[k]!;
      if (w.text === '-f' || w.text === '--file') {
        file = words[++k]?.text;
        if (file === undefined)
          return { diagnostics: [diag('error', w, w.text, `nft ${w.text}: expected a file name`)] };
      } else if (!/^(-[aensyjc]+|--(handle|echo|numeric|stateless|terse|check))$/.test(w.text))
        return { diagnostics: [diag('error', w, w.text, `nft option "${w.text}" is not read in a script`)] };
    }
    const rest = words.slice(k);
    if (file !== undefined) {
      out.push({ text: `include "${file}"`, file: l.file, line: l.line, column: prog.column });
      continue;
    }
    if (rest.length === 0) continue;
    out.push({
      text: rest.map((w) => w.text).join(' '),
      file: l.file,
      line: l.line,
      column: rest[0]!.column,
    });
  }
  return { lines: out };
}
