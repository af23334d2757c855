// A traced rule in its own language's words: each front end's rules as its own tool prints them
// (iptables: `-A CHAIN …` as iptables-save writes it), and what the rule's action did that the
// packet does not show. The engine hands the tracer rules as TracedRule; this is where a new
// front end (nft) adds its printer.
import type { TracedRule } from '../netfilter/core/trace-events.ts';
import { XtTracedRule } from '../netfilter/xtables/traced-rule.ts';
import { targetNote } from '../netfilter/xtables/target.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import { NftTracedRule } from '../netfilter/nftables/traced-rule.ts';
import { printNftRule } from '../rules/nft/index.ts';
import type { NftTable } from '../rules/nft/model.ts';

/**
 * An nft rule as `nft -a list ruleset` prints its line: the rule, then `# handle N` (the step
 * around it names the table and chain: `inet fw4 dstnat_lan rule 1 matched: ...`).
 */
function nftRuleText(r: NftTracedRule): string {
  const table: NftTable = {
    family: r.family,
    name: r.table,
    handle: 0,
    chains: [],
    sets: [],
    flowtables: [],
    objects: [],
  };
  const chain = { name: r.chain, handle: 0, rules: [r.rule] };
  return `${printNftRule(table, chain, r.rule)} # handle ${r.handle}`;
}

/** The rule as its language writes it, in chain `chain`. */
export function ruleText(r: TracedRule, chain: string): string {
  if (r instanceof XtTracedRule) return formatRule(chain, r.rule);
  if (r instanceof NftTracedRule) return nftRuleText(r);
  return `(a ${r.lang} rule)`;
}

/** What the rule's action did that the packet does not show (CHECKSUM, NFQUEUE…), if anything. */
export function ruleNote(r: TracedRule): string | undefined {
  if (r instanceof XtTracedRule) return r.rule.target ? targetNote(r.rule.target) : undefined;
  return undefined;
}
