// An nft rule as a tracer receives it (core/trace-events.ts TracedRule): the rule with where it
// stands (family, table, chain, its handle), tagged with its language; the trace layer prints it
// as `nft list ruleset` does (trace/rule-text.ts). Made once per rule when the chain is compiled
// for a traced walk, never per packet.
import type { NftFamily, NftRule } from '../../rules/nft/model.ts';
import type { TracedRule } from '../core/trace-events.ts';

export class NftTracedRule implements TracedRule {
  readonly lang = 'nft';
  constructor(
    readonly family: NftFamily,
    readonly table: string,
    readonly chain: string,
    /** The kernel's handle of the rule (what `nft -a list ruleset` prints as `# handle N`). */
    readonly handle: number,
    readonly rule: NftRule,
  ) {}
}
