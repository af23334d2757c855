// `flow add @ft` / `flow offload @ft` as a rule's op (nft_flow_offload_eval, flowtable.ts does the
// work): the connection goes into the table's flowtable and the rule goes on, or the rule stops
// (NFT_BREAK) when the connection is not one to offload. The kernel takes the statement in a
// forward chain only (nft_flow_offload_validate: "Operation not supported" elsewhere).
import type { NftChain, NftStmt } from '../../rules/nft/model.ts';
import type { ConntrackTable } from '../conntrack/table.ts';
import { NF_INET_FORWARD } from '../core/hook-numbers.ts';
import type { Skb } from '../core/skb.ts';
import { NftRefusal } from './expr.ts';
import { flowStateIf } from './flowtable.ts';

const R_GO = 0;
const R_BREAK = 1;

export function flowOffloadOp(
  s: Extract<NftStmt, { kind: 'flow' }>,
  hook: number,
  chain: NftChain,
  key: string,
): (skb: Skb) => number {
  if (chain.base && hook !== NF_INET_FORWARD)
    throw new NftRefusal(
      `flow add is valid in a forward chain only (nft: Could not process rule: Operation not supported)`,
      s,
      'flow',
    );
  return (skb) => {
    const st = flowStateIf(skb.env?.conntrack as ConntrackTable | undefined);
    return st !== undefined && st.offload(skb, key, skb.now) ? R_GO : R_BREAK;
  };
}
