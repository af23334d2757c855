// A host's nftables ruleset as the engine takes it: one front end (netfilter/nftables/) whose base
// chains run at their hooks and priorities beside the iptables tables (NfConfig.frontEnds). Made
// anew, with the previous engine's tables carried over, whenever an event replaces the engine.
import type { NfFrontEnd } from '../netfilter/core/table.ts';
import { nftFrontEnd, nftReadsLinkLayer } from '../netfilter/nftables/index.ts';
import type { NftRuleset } from '../rules/nft/model.ts';

export { emptyRuleset } from '../rules/iptables/apply.ts';
export { nftReadsLinkLayer };

/** Whether the host has nftables tables for the engine to run. */
export const hasNft = (rs: NftRuleset | undefined): rs is NftRuleset =>
  rs !== undefined && rs.tables.length > 0;

/** NfConfig's `frontEnds` for `rs` (nothing when it has no tables). */
export function nftFrontEnds(rs: NftRuleset | undefined): { frontEnds?: readonly NfFrontEnd[] } {
  return hasNft(rs) ? { frontEnds: [nftFrontEnd(rs)] } : {};
}
