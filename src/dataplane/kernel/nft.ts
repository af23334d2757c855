// A host's nftables rules for the kernel's nft in a live run (natbox verify): the text natbox read
// (an nft -f script or `nft list ruleset` output as written, nft -j JSON with `nft -j -f -`, a
// script of nft commands as the nft -f lines natbox made of it), given to `nft -f -` in the host's
// namespace; and the iptables part of a host whose `rules:` may be nftables.
import type { SourceLine } from '../../rules/iptables/lex.ts';
import { detectLanguage, nftCommandLines } from '../../rules/language.ts';
import type { HostSpec, RulesSpec } from '../../scenario/model.ts';
import { hostRules, specLines } from '../../scenario/nft.ts';

/** The host's iptables rules (undefined when it has none, or `rules:` is nftables). */
export function iptablesSpec(h: HostSpec): RulesSpec | undefined {
  return hostRules(h, () => {}).iptables;
}

/** What `nft` is given for a host: its arguments after `nft`, its standard input, its first line. */
export interface NftKernelInput {
  readonly args: readonly string[];
  readonly text: string;
  readonly first: SourceLine;
  /** The lines given, in order (line n of the standard input is lines[n - 1]). */
  readonly lines: readonly SourceLine[];
}

/**
 * The kernel's nft's refusal at the scenario's place: nft names `/dev/stdin:LINE:COL-COL`, which
 * is put back at the line natbox read it from (the first line when nft names none).
 */
export function nftRefusal(input: NftKernelInput, stderr: string): string {
  const m = /^\/dev\/stdin:(\d+):(\d+)(?:-\d+)?:\s*/.exec(stderr);
  const l = (m && input.lines[Number(m[1]) - 1]) || undefined;
  const where = l
    ? `${l.file}:${l.line}:${l.column + Number(m![2]) - 1}`
    : `${input.first.file}:${input.first.line}:${input.first.column}`;
  return `${where}: the kernel's nft refused the rules: ${(l ? stderr.slice(m![0].length) : stderr).trim()}`;
}

/**
 * The host's nftables for the kernel (undefined: it has none), or why a live run cannot give
 * them to the kernel (an `include` the loader left, not alone on its line: the kernel's nft would
 * read another file than natbox did; the loader puts the lines of the others in place).
 */
export function nftKernelInput(h: HostSpec): NftKernelInput | { readonly error: string } | undefined {
  const spec = hostRules(h, () => {}).nft;
  if (!spec) return undefined;
  let lines = specLines(spec);
  const lang = detectLanguage(lines);
  if (lang === 'nft-json')
    return {
      args: ['-j', '-f', '-'],
      text: lines.map((l) => l.text).join('\n') + '\n',
      first: lines[0]!,
      lines,
    };
  if (lang === 'nft-commands') {
    const r = nftCommandLines(lines);
    if ('diagnostics' in r) {
      const d = r.diagnostics[0]!;
      return { error: `${d.file}:${d.line}:${d.column}: ${d.message}` };
    }
    lines = r.lines;
  }
  const inc = lines.find((l) => /^\s*include\s/.test(l.text));
  if (inc)
    return {
      error: `${inc.file}:${inc.line}:${inc.column}: an include the scenario loader did not read is not given to the kernel's nft in a live run (write it alone on its line)`,
    };
  if (lines.length === 0) return undefined;
  return { args: ['-f', '-'], text: lines.map((l) => l.text).join('\n') + '\n', first: lines[0]!, lines };
}
