// -m cluster (libxt_cluster.c): --cluster-total-nodes 1-32, [!] --cluster-local-node 1-32 or
// [!] --cluster-local-nodemask 1-32 (iptables bounds the mask like a node number),
// --cluster-hash-seed; always saved as the node mask.
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { parseU32 } from './misc-util.ts';

export interface ClusterMatch {
  readonly module: 'cluster';
  readonly totalNodes: number;
  readonly nodeMask: number;
  readonly hashSeed: number;
  readonly invert: boolean;
}

/** XT_CLUSTER_NODES_MAX */
const NODES_MAX = 32;

function parser(tok: Token): ModuleParser {
  let total: number | undefined;
  let node: number | undefined;
  let nodemask: number | undefined;
  let seed: number | undefined;
  let invert = false;
  return {
    name: 'cluster',
    tok,
    opts: [
      opt('cluster-total-nodes', 1, false),
      opt('cluster-local-node', 1, true),
      opt('cluster-local-nodemask', 1, true),
      opt('cluster-hash-seed', 1, false),
    ],
    option(id, args, inv, optTok) {
      const cur = {
        'cluster-total-nodes': total,
        'cluster-local-node': node,
        'cluster-local-nodemask': nodemask,
      }[id];
      if (cur !== undefined || (id === 'cluster-hash-seed' && seed !== undefined)) {
        fail(optTok, `cluster: option "--${id}" can only be used once`);
      }
      if (id === 'cluster-local-node' && nodemask !== undefined) {
        fail(
          optTok,
          'cluster: option "--cluster-local-node" cannot be used together with "--cluster-local-nodemask"',
        );
      }
      if (id === 'cluster-local-nodemask' && node !== undefined) {
        fail(
          optTok,
          'cluster: option "--cluster-local-nodemask" cannot be used together with "--cluster-local-node"',
        );
      }
      const a = args[0]!;
      if (id === 'cluster-total-nodes') total = parseU32(a, 'cluster', id, 1, NODES_MAX);
      else if (id === 'cluster-local-node') node = parseU32(a, 'cluster', id, 1, NODES_MAX);
      else if (id === 'cluster-local-nodemask') nodemask = parseU32(a, 'cluster', id, 1, NODES_MAX);
      else seed = parseU32(a, 'cluster', id);
      if (inv) invert = true;
    },
    finish() {
      const mask = node !== undefined ? 2 ** (node - 1) : nodemask;
      if (total !== undefined && mask !== undefined && seed !== undefined && mask >= 2 ** total) {
        fail(
          tok,
          node !== undefined
            ? "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'"
            : "cluster match: `--cluster-local-nodemask' too big for `--cluster-total-nodes'",
        );
      }
      if (mask === undefined)
        fail(tok, "cluster match: `--cluster-local-node' or`--cluster-local-nodemask' is missing");
      if (total === undefined) fail(tok, 'cluster: option "--cluster-total-nodes" must be specified');
      if (seed === undefined) fail(tok, 'cluster: option "--cluster-hash-seed" must be specified');
      return { module: 'cluster', totalNodes: total!, nodeMask: mask!, hashSeed: seed!, invert };
    },
  };
}

const x8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export const cluster: MatchExt<ClusterMatch> = {
  name: 'cluster',
  parser,
  save: (m) =>
    `${m.invert ? ' !' : ''} --cluster-local-nodemask ${x8(m.nodeMask)}` +
    ` --cluster-total-nodes ${m.totalNodes} --cluster-hash-seed ${x8(m.hashSeed)}`,
  print: (m) =>
    ` cluster ${m.invert ? '!' : ''}node_mask=${x8(m.nodeMask)} total_nodes=${m.totalNodes} hash_seed=${x8(m.hashSeed)}`,
};
