// A traced rule in its own language's words: each front end's rules as its own tool prints them
// (iptables: `-A CHAIN …` as iptables-save writes it), and what the rule's action did that the
// packet does not show. The engine hands the tracer rules as TracedRule; this is where a new
// front end (nft) adds its printer.
import type { TracedRule } from '../netfilter/core/trace-events.ts';
import { XtTracedRule } from '../netfilter/xtables/traced-rule.ts';
import { targetNote } from '../netfilter/xtables/target.ts';
import { formatRule } from '../rules/iptables/print-save.ts';

/** The rule as its language writes it, in chain `chain`. */
export function ruleText(r: TracedRule, chain: string): string {
  if (r instanceof XtTracedRule) return formatRule(chain, r.rule);
  return `(a ${r.lang} rule)`;
}

/** What the rule's action did that the packet does not show (CHECKSUM, NFQUEUE…), if anything. */
export function ruleNote(r: TracedRule): string | undefined {
  if (r instanceof XtTracedRule) return r.rule.target ? targetNote(r.rule.target) : undefined;
  return undefined;
}
