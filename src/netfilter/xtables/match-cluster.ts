// -m cluster (xt_cluster.c): a jhash of the connection's original source address with the seed,
// scaled to the node count, tested against the local node mask.
import { unsimulated } from './match-unsimulated.ts';

export const clusterMatch = unsimulated(
  'cluster',
  'the hash of the connection (jhash of its original source with --cluster-hash-seed) is not computed yet',
);
