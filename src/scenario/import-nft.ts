// `natbox import` of nftables: `nft list ruleset` output (or an nft -f script) or `nft -j list
// ruleset` JSON, read by the nft front end and checked by the evaluator (checkNft), each problem at
// its place; the host's rules are then written as `nft list ruleset` prints them.
import { detectLanguage, isNft, loadNftRules } from '../rules/language.ts';
import { printNft } from '../rules/nft/index.ts';
import { checkNft } from '../netfilter/nftables/index.ts';

/** An input file (import.ts ImportSource). */
interface Source {
  readonly text: string;
  readonly file: string;
}
/** A problem at its place (import.ts ImportError). */
interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Whether an import's rules file is nftables (else iptables-save or iptables commands). */
export function isNftSource(src: Source): boolean {
  const lines = src.text
    .split(/\r?\n/, 200)
    .map((text, i) => ({ text, file: src.file, line: i + 1, column: 1 }));
  return isNft(detectLanguage(lines));
}

/** The ruleset as `nft list ruleset` prints it, or the errors (nothing is half-read). */
export function readNftSource(src: Source): { ok: true; text: string } | { ok: false; errors: Problem[] } {
  const lines = src.text.split(/\r?\n/).map((text, i) => ({ text, file: src.file, line: i + 1, column: 1 }));
  const r = loadNftRules(lines);
  if (!r.ok)
    return {
      ok: false,
      errors: r.diagnostics.map((d) => ({
        file: d.file,
        line: d.line,
        column: d.column,
        message: d.message,
      })),
    };
  const problems = checkNft(r.ruleset);
  if (problems.length > 0)
    return {
      ok: false,
      errors: problems.map((p) => ({
        file: p.file,
        line: p.line,
        column: p.column,
        message: `${p.message}${p.token ? ` ("${p.token}")` : ''}: natbox cannot simulate it`,
      })),
    };
  return { ok: true, text: printNft(r.ruleset).trimEnd() };
}
