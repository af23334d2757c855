// `natbox import` of nftables: `nft list ruleset` output (or an nft -f script) or `nft -j list
// ruleset` JSON, read by the nft front end and checked by the evaluator (reviewNft), each problem at
// its place; the host's rules are then written as `nft list ruleset` prints them, less the rules
// --skip-unsupported leaves out.
import { detectLanguage, isNft, loadNftRules } from '../rules/language.ts';
import { printNft } from '../rules/nft/index.ts';
import { reviewNft, type NftNote } from './nft.ts';

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

/** What the import says about the rules (import.ts Notes: left out, or kept and approximated). */
export interface NftImportNote {
  readonly kind: 'left-out' | 'approximated';
  readonly where: string;
  readonly what: string;
  readonly reason: string;
}

/**
 * The ruleset as `nft list ruleset` prints it, or the errors (nothing is half-read). What has no
 * effect on the IPv4 packets natbox runs (an ip6 table, an inet table's IPv6 half) is kept and
 * noted; a rule natbox cannot simulate is an error, or with `skip` (--skip-unsupported) left out of
 * the ruleset written and noted (reviewNft), as for iptables.
 */
export function readNftSource(
  src: Source,
  skip = false,
): { ok: true; text: string; notes: NftImportNote[] } | { ok: false; errors: Problem[] } {
  const raw = src.text.split(/\r?\n/);
  const lines = raw.map((text, i) => ({ text, file: src.file, line: i + 1, column: 1 }));
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
  const review = reviewNft(r.ruleset, skip);
  if (review.errors.length > 0)
    return {
      ok: false,
      errors: review.errors.map((e) => ({
        file: e.file,
        line: e.line,
        column: e.column,
        message: e.nftRefuses
          ? `${e.message} (nft refuses it too)`
          : `${e.message}: natbox cannot simulate it${e.skippable ? '; --skip-unsupported leaves such rules out' : ''}`,
      })),
    };
  // `nft -j` JSON is one line of many rules: the column tells them apart.
  const json = detectLanguage(lines) === 'nft-json';
  const where = (n: NftNote): string => `${n.file}:${n.line}${json ? `:${n.column}` : ''}`;
  // A place without a table or rule of its own (a statement's line): its text, cut short.
  const lineText = (line: number): string => {
    const t = raw[line - 1]?.trim() ?? '';
    return t.length > 120 ? `${t.slice(0, 117)}...` : t;
  };
  const notes: NftImportNote[] = [
    ...review.notes.map((n) => ({
      kind: 'approximated' as const,
      where: where(n),
      what: n.what ?? lineText(n.line),
      reason: n.message,
    })),
    ...review.leftOut.map((n) => ({
      kind: 'left-out' as const,
      where: where(n),
      what: n.what ?? lineText(n.line),
      reason: n.message,
    })),
  ];
  return { ok: true, text: printNft(r.ruleset).trimEnd(), notes };
}
