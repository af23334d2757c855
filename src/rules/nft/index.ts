// The nftables front end's entry points (what rules/load.ts, the scenario loader and the CLI call).
// Text: parse.ts (with lex.ts, types.ts, normalise.ts) and print.ts; JSON: json.ts.
import type { SourceLine } from '../iptables/lex.ts';
import type { NftChain, NftLoadResult, NftRule, NftRuleset, NftTable } from './model.ts';
import { parseNftText } from './parse.ts';
import { printRuleset, printRuleText, type PrintOpts } from './print.ts';

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
  /**
   * `lines` are a file's whole text split at every newline: a last line that is not empty has no
   * newline after it, and the end of the file is at its end (as nft places it). Otherwise (a
   * scenario's block) the lines end in a newline.
   */
  readonly wholeFile?: boolean;
  /**
   * The interface index of a device on the host the ruleset is for (`iif "eth0"`: nft resolves
   * the name when it reads the rule). Sets of interfaces list in index order, as the kernel
   * holds them; without it they keep the order they are written in. With it, a name that is no
   * device of the host is refused, as nft refuses it ("Interface does not exist").
   */
  readonly ifIndex?: (name: string) => number | undefined;
}

/** `nft -f` input or `nft list ruleset` output to a ruleset: all or nothing, never throws. */
export function parseNft(lines: readonly SourceLine[], opts: NftParseOptions = {}): NftLoadResult {
  return parseNftText(lines, opts);
}

/** What `nft list ruleset` prints (`handles`: `nft -a`, `stateless`: `-s`, `numericProto`: `-p`). */
export function printNft(rs: NftRuleset, opts: PrintOpts = {}): string {
  return printRuleset(rs, opts);
}

/** One rule's text as `nft list` prints it (without `# handle`), for the trace. */
export function printNftRule(table: NftTable, chain: NftChain, rule: NftRule): string {
  void chain;
  return printRuleText(table, rule);
}

export { parseNftJson, printNftJson } from './json.ts';
