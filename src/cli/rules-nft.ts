// `natbox rules save|list` for nftables: the files (nft list ruleset output, nft -f scripts with
// their includes, nft -j JSON, scripts of nft commands) read in order onto one ruleset, all or
// nothing, and printed as nft prints it: save as `nft list ruleset` (-a: `nft -a`), list as
// `nft -a list ruleset`, --json as `nft -j list ruleset`. Errors as FILE:LINE:COLUMN: message,
// exit 2. The language is the first file's (detected from its first line that says something).
// Reading is not evaluating: every rule nft reads is printed, never refused for what natbox does not
// simulate. Standard error says, as FILE:LINE:COLUMN: note:, the tables natbox runs no packet
// through (ip6, arp, bridge) and each inet table's IPv6 half (tableNotes); with --skip-unsupported
// also each rule a scenario or `natbox import` with --skip-unsupported would leave out (reviewNft:
// it checks every rule as the evaluator would, which costs as much again as reading).
import { dirname, resolve } from 'node:path';
import { formatDiagnostic } from '../rules/diagnostics.ts';
import type { SourceLine } from '../rules/iptables/lex.ts';
import { detectLanguage, isNft, loadNftRules } from '../rules/language.ts';
import { printNft, printNftJson } from '../rules/nft/index.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import { reviewNft, tableNotes } from '../scenario/nft.ts';
import { readInput } from './input.ts';

export interface NftRulesOptions {
  readonly json?: boolean;
  readonly handles?: boolean;
  readonly stateless?: boolean;
  readonly numericProtocol?: boolean;
  readonly test?: boolean;
  readonly counters?: boolean;
  readonly noflush?: boolean;
  readonly table?: string;
  readonly exact?: boolean;
  readonly ipset?: readonly string[];
  readonly skipUnsupported?: boolean;
}

/** The most files `include` may read for one command (an explicit limit: include loops). */
export const MAX_NFT_INCLUDES = 1024;

const linesOf = (text: string, file: string): SourceLine[] =>
  text.split(/\r?\n/).map((t, k) => ({ text: t, file, line: k + 1, column: 1 }));

/** A file `include` names, relative to the including file's folder (as nft does for -f files). */
export function nftIncludeReader(): (path: string, from: string) => readonly SourceLine[] | undefined {
  let n = 0;
  return (path, from) => {
    if (++n > MAX_NFT_INCLUDES) return undefined;
    const full = path.startsWith('/') ? path : resolve(from === '<stdin>' ? '.' : dirname(from), path);
    const r = readInput(full);
    return r.ok ? linesOf(r.text, path.startsWith('/') ? path : full) : undefined;
  };
}

/** Reads nft files in order onto one ruleset; undefined after printing the errors. */
export function loadNftFiles(files: readonly string[]): NftRuleset | undefined {
  let rs: NftRuleset = { tables: [] };
  const readFile = nftIncludeReader();
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      return undefined;
    }
    const name = file === '-' ? '<stdin>' : file;
    const lines = linesOf(input.text, name);
    if (detectLanguage(lines) === 'iptables') {
      process.stderr.write(
        `natbox: ${name} holds iptables rules but ${files[0] === '-' ? '<stdin>' : files[0]} nftables: natbox rules reads one language at a time\n`,
      );
      return undefined;
    }
    const r = loadNftRules(lines, { base: rs, readFile, wholeFile: true });
    if (!r.ok) {
      for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return undefined;
    }
    for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
    rs = r.ruleset;
  }
  return rs;
}

/** A note of reviewNft, or one of its errors said as a note (what a scenario would refuse). */
const noteText = (n: { message: string; nftRefuses?: boolean }): string =>
  n.nftRefuses ? `${n.message} (nft refuses it too)` : n.message;

/** `nft -j` ends its JSON with a newline. */
const withNewline = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

/** Whether the first file is nftables (readInput keeps standard input for the second read). */
function firstIsNft(files: readonly string[]): boolean {
  const first = files[0];
  if (first === undefined) return false;
  const input = readInput(first);
  return input.ok && isNft(detectLanguage(linesOf(input.text, first)));
}

export async function nftRulesCommand(
  files: string[],
  opts: NftRulesOptions,
  cmd: 'save' | 'list',
): Promise<number | undefined> {
  if (!firstIsNft(files)) {
    const nftOnly = opts.json
      ? '--json'
      : opts.handles
        ? '--handles'
        : opts.stateless
          ? '--stateless'
          : opts.numericProtocol
            ? '--numeric-protocol'
            : undefined;
    if (nftOnly) {
      process.stderr.write(
        `natbox: ${nftOnly} is for nftables rules (nft list ruleset, nft -f or nft -j files)\n`,
      );
      return 2;
    }
    return undefined;
  }
  const iptOnly = [
    ['-c/--counters', opts.counters],
    ['-n/--noflush', opts.noflush],
    ['-T/--table', opts.table !== undefined],
    ['-x/--exact', opts.exact],
    ['--ipset', (opts.ipset ?? []).length > 0],
  ] as const;
  for (const [name, given] of iptOnly)
    if (given) {
      process.stderr.write(`natbox: ${name} is an iptables option; ${files[0]} is nftables\n`);
      return 2;
    }
  const rs = loadNftFiles(files);
  if (!rs) return 2;
  const review = opts.skipUnsupported ? reviewNft(rs, false) : undefined;
  const notes = review ? [...review.notes, ...review.errors] : tableNotes(rs);
  for (const n of notes.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  ))
    process.stderr.write(`${n.file}:${n.line}:${n.column}: note: ${noteText(n)}\n`);
  if (opts.test) return 0;
  process.stdout.write(
    opts.json
      ? withNewline(printNftJson(rs))
      : printNft(rs, {
          handles: cmd === 'list' || opts.handles === true,
          stateless: opts.stateless === true,
          numericProto: opts.numericProtocol === true,
        }),
  );
  return 0;
}
