// Kernel features a scenario needs beyond the ones every live run needs (live.ts
// environmentProblems): probed once, in a namespace of their own made and removed here.
import { spawnSync } from 'node:child_process';
import type { NftRuleset } from '../../rules/nft/model.ts';

/** Whether any of the rulesets declares an nft flowtable. */
export const usesFlowtables = (rulesets: Iterable<NftRuleset>): boolean =>
  [...rulesets].some((rs) => rs.tables.some((t) => t.flowtables.length > 0));

let flowtableAnswer: string | undefined | null = null;

/**
 * Why this kernel cannot load an nft flowtable (undefined: it can). A flowtable without devices is
 * loaded in a probe namespace: a kernel built without CONFIG_NF_FLOW_TABLE (nf_flow_table and
 * nft_flow_offload) answers "No such file or directory".
 */
export function flowtableProblem(): string | undefined {
  if (flowtableAnswer !== null) return flowtableAnswer;
  const ns = `nbx-${process.pid}-ftprobe`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', timeout: 5000 });
  if (add.status !== 0) return (flowtableAnswer = `cannot create a network namespace: ${add.stderr.trim()}`);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
      input: 'table inet natbox_probe {\n\tflowtable ft {\n\t\thook ingress priority 0\n\t}\n}\n',
      encoding: 'utf8',
      timeout: 5000,
    });
    if (r.error) return (flowtableAnswer = `cannot run nft: ${String(r.error)}`);
    flowtableAnswer =
      r.status === 0
        ? undefined
        : `this kernel has no nftables flowtables (CONFIG_NF_FLOW_TABLE / nf_flow_table and nft_flow_offload are not built): nft -f of a flowtable answers "${r.stderr
            .replace(/^[^\n]*Error: /, '')
            .split('\n')[0]!
            .trim()}"`;
    return flowtableAnswer;
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { timeout: 5000 });
  }
}

/** Whether any rule of the rulesets has an nft `queue` statement. */
export const usesQueue = (rulesets: Iterable<NftRuleset>): boolean =>
  [...rulesets].some((rs) =>
    rs.tables.some((t) => t.chains.some((c) => c.rules.some((r) => r.stmts.some((s) => s.kind === 'queue')))),
  );

let queueAnswer: string | undefined | null = null;

/**
 * Why this kernel cannot load an nft `queue` statement (undefined: it can). A chain with `queue`
 * is loaded in a probe namespace: a kernel built without CONFIG_NFT_QUEUE (nft_queue) answers
 * "No such file or directory" (the expression type is unknown).
 */
export function queueProblem(): string | undefined {
  if (queueAnswer !== null) return queueAnswer;
  const ns = `nbx-${process.pid}-queueprobe`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', timeout: 5000 });
  if (add.status !== 0) return (queueAnswer = `cannot create a network namespace: ${add.stderr.trim()}`);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
      input: 'table inet natbox_probe {\n\tchain c {\n\t\tqueue\n\t}\n}\n',
      encoding: 'utf8',
      timeout: 5000,
    });
    if (r.error) return (queueAnswer = `cannot run nft: ${String(r.error)}`);
    queueAnswer =
      r.status === 0
        ? undefined
        : `this kernel has no nft queue statement (CONFIG_NFT_QUEUE / nft_queue is not built): nft -f of a queue rule answers "${r.stderr
            .replace(/^[^\n]*Error: /, '')
            .split('\n')[0]!
            .trim()}"`;
    return queueAnswer;
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { timeout: 5000 });
  }
}
