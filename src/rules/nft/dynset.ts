// What the kernel answers when a rule with a set or map statement (`add|update|delete @s { ... }`)
// is loaded: nft_dynset_init (net/netfilter/nft_dynset.c) and the backend nf_tables_newset chose
// for the set (nft_select_set_ops), as nft 1.0.6 on Linux 6.18 reports them. Both readers (text
// and JSON) ask it, so a ruleset the kernel would not load is not loaded here either.
import type { NftSet, NftStmt } from './model.ts';

/** Where the kernel's answer is reported: at the set's declaration or at the statement. */
export interface DynsetError {
  readonly at: 'set' | 'stmt';
  readonly message: string;
}

type Dynset = Extract<NftStmt, { kind: 'dynset' }>;

/**
 * The error of loading `s` on `set`, or undefined. `sizedByKernel`: the set's size is the 65535
 * the kernel gave it when a rule first wrote to it (nft_dynset_init), not one it was created with.
 */
export function dynsetError(set: NftSet, s: Dynset, sizedByKernel: boolean): DynsetError | undefined {
  const dynamic = set.flags.includes('dynamic');
  // nft's set statement makes the set dynamic (NFT_SET_EVAL); its map statement does not.
  const evalFlag = dynamic || !set.isMap;
  if (s.data && !set.isMap)
    // nft 1.0.6 crashes here (a segmentation fault): no message of its own to copy.
    return { at: 'stmt', message: `@${set.name} is a set: its elements have no data` };
  // A dynamic interval set has no backend (rbtree and pipapo have no update): the set fails.
  if (evalFlag && set.flags.includes('interval'))
    return { at: 'set', message: 'Could not process rule: Operation not supported' };
  if (set.flags.includes('constant'))
    return { at: 'stmt', message: 'Could not process rule: Device or resource busy' };
  // A map neither dynamic nor with timeouts, of a given size, gets the fixed-size hash
  // (nft_hash_fast_ops, no update); an interval map gets rbtree: set->ops->update == NULL.
  const sized = set.size !== undefined && !sizedByKernel;
  if (set.flags.includes('interval') || (!evalFlag && sized && !set.flags.includes('timeout')))
    return { at: 'stmt', message: 'Could not process rule: Operation not supported' };
  if (s.timeout !== undefined && !set.flags.includes('timeout'))
    return { at: 'stmt', message: 'Could not process rule: Operation not supported' };
  // No data for a map (delete included): -EINVAL; the element's expressions need NFT_SET_EVAL.
  if (set.isMap && !s.data) return { at: 'stmt', message: 'Could not process rule: Invalid argument' };
  if (s.stmts?.length && !evalFlag)
    return { at: 'stmt', message: 'Could not process rule: Invalid argument' };
  return undefined;
}
