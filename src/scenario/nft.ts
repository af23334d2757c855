// A host's nftables rules in a scenario: which of `rules:` and `nft:` holds which language (a
// `rules:` in nftables is nftables; `nft:` must be), the nft ruleset read by the nft front end, and
// what the evaluator cannot run refused at its position (checkNft), as build.ts does for iptables.
import { detectLanguage, isNft, loadNftRules } from '../rules/language.ts';
import type { SourceLine } from '../rules/iptables/lex.ts';
import type { SourceLoc } from '../rules/iptables/model.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import { checkNft } from '../netfilter/nftables/index.ts';
import type { HostSpec, RulesSpec } from './model.ts';

/** A RulesSpec's lines as the rules front ends take them. */
export const specLines = (r: RulesSpec): SourceLine[] =>
  r.lines.map((l) => ({ text: l.value, file: l.loc.file, line: l.loc.line, column: l.loc.column }));

/** The host's iptables lines and its nftables lines (either may be absent). */
export interface HostRules {
  readonly iptables?: RulesSpec;
  readonly nft?: RulesSpec;
}

/** Tells `rules:` and `nft:` apart; a problem (nft: in iptables, two nft rulesets) is an error. */
export function hostRules(h: HostSpec, err: (l: SourceLoc, m: string) => void): HostRules {
  const name = h.name.value;
  const rules = h.rules && h.rules.lines.length > 0 ? h.rules : undefined;
  const nft = h.nft && h.nft.lines.length > 0 ? h.nft : undefined;
  const rulesNft = rules !== undefined && isNft(detectLanguage(specLines(rules)));
  if (nft !== undefined) {
    const lang = detectLanguage(specLines(nft));
    if (!isNft(lang)) {
      const first = nft.lines.find((l) => !l.value.startsWith('#')) ?? nft.lines[0]!;
      err(
        first.loc,
        `hosts.${name}.nft: expected nftables (nft list ruleset, an nft -f script, nft -j JSON or nft commands), found "${first.value.split(/\s+/)[0] ?? ''}": iptables rules go in rules:`,
      );
      return rules !== undefined && !rulesNft ? { iptables: rules } : {};
    }
    if (rulesNft) {
      err(
        nft.lines[0]!.loc,
        `hosts.${name}.nft: rules: already holds nftables; a host has one nftables ruleset (write it in one of them, iptables rules in rules:)`,
      );
      return {};
    }
    return { ...(rules !== undefined ? { iptables: rules } : {}), nft };
  }
  if (rules === undefined) return {};
  return rulesNft ? { nft: rules } : { iptables: rules };
}

/** A rule left out with --skip-unsupported (build.ts's SkippedRule). */
interface Skipped {
  readonly host: string;
  readonly where: string;
  readonly rule: string;
  readonly reason: string;
}

/**
 * The host's nft ruleset, or undefined after reporting its errors (nothing half-read). With `skip`
 * (--skip-unsupported), a rule natbox cannot simulate is left out of its chain and listed there,
 * as for iptables; what nft itself refuses, and what is not one rule (a table's hook), stays an error.
 */
export function buildNft(
  h: HostSpec,
  spec: RulesSpec,
  err: (l: SourceLoc, m: string) => void,
  skip?: Skipped[],
): NftRuleset | undefined {
  const res = loadNftRules(specLines(spec));
  if (!res.ok) {
    for (const d of res.diagnostics) err({ file: d.file, line: d.line, column: d.column }, d.message);
    return undefined;
  }
  const text = (file: string, line: number): string =>
    spec.lines.find((l) => l.loc.file === file && l.loc.line === line)?.value ?? '';
  // Each round leaves out the rules refused in the previous one (a bounded loop: a rule goes each time).
  for (let round = 0; round <= 100_000; round++) {
    let bad = false;
    let left = 0;
    for (const p of checkNft(res.ruleset)) {
      // A note (an ip6 table, an arp table, a table without base chains) has no effect on the IPv4
      // packets natbox runs: the scenario runs as the kernel would run it for those packets.
      if (p.severity === 'note') continue;
      if (skip && !p.nftRefuses && leaveOut(res.ruleset, p.file, p.line)) {
        left++;
        skip.push({
          host: h.name.value,
          where: `${p.file}:${p.line}:${p.column}`,
          rule: text(p.file, p.line),
          reason: `${p.message}${p.token ? ` ("${p.token}")` : ''}`,
        });
        continue;
      }
      bad = true;
      if (p.nftRefuses) {
        err({ file: p.file, line: p.line, column: p.column }, `${p.message} (nft refuses it too)`);
        continue;
      }
      const inRule = leaveOut(structuredClone(res.ruleset), p.file, p.line);
      err(
        { file: p.file, line: p.line, column: p.column },
        `${p.message}${p.token ? ` ("${p.token}")` : ''}: natbox cannot simulate it (hosts.${h.name.value}${inRule ? '; --skip-unsupported leaves such rules out' : ''})`,
      );
    }
    if (bad) return undefined;
    if (left === 0) return res.ruleset;
  }
  return undefined;
}

/** Takes the rule written at `file:line` out of its chain; false when no rule is there. */
function leaveOut(rs: NftRuleset, file: string, line: number): boolean {
  for (const t of rs.tables)
    for (const c of t.chains) {
      const k = c.rules.findIndex((r) => r.pos?.file === file && r.pos.line === line);
      if (k >= 0) {
        (c.rules as unknown[]).splice(k, 1);
        return true;
      }
    }
  return false;
}
