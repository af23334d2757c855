// The nftables front end's entry points (what rules/load.ts, the scenario loader and the CLI call).
// SKELETON (session 7): the signatures are agreed between the engineers; the language engineer
// replaces the bodies (parse.ts, print.ts), the JSON engineer parseNftJson/printNftJson.
import type { SourceLine } from '../iptables/lex.ts';
import type { NftLoadResult, NftRuleset } from './model.ts';

export type { NftLoadResult };

export interface NftParseOptions {
  /** The ruleset the commands apply to (not changed); an empty one when absent. */
  readonly base?: NftRuleset;
  /**
   * Reads a file named by `include` (relative names against the including file's folder): its
   * lines, or undefined when it cannot be read. Absent: `include` is an error. (The rules layer
   * reads no files itself; the CLI and the scenario loader give this.)
   */
  readonly readFile?: (path: string, from: string) => readonly SourceLine[] | undefined;
}

/** `nft -f` input or `nft list ruleset` output to a ruleset: all or nothing, never throws. */
export function parseNft(lines: readonly SourceLine[], opts: NftParseOptions = {}): NftLoadResult {
  void opts;
  const at = lines[0] ?? { file: '<input>', line: 1, column: 1, text: '' };
  return {
    ok: false,
    diagnostics: [
      {
        severity: 'error',
        file: at.file,
        line: at.line,
        column: at.column,
        token: '',
        message: 'nftables is not read yet',
      },
    ],
  };
}

/** What `nft list ruleset` prints (`handles`: `nft -a list ruleset`). */
export function printNft(rs: NftRuleset, opts: { readonly handles?: boolean } = {}): string {
  void opts;
  return rs.tables.length === 0 ? '' : 'TODO';
}

export { parseNftJson, printNftJson } from './json.ts';
