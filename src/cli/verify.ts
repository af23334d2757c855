// `natbox verify`: each scenario run by natbox and on the real Linux kernel (network namespaces,
// the real iptables, real sockets, tcpdump and conntrack), compared packet by packet, conntrack
// entry by entry and flow by flow. Exit 0 when everything matches, 1 only on a difference between
// natbox and the kernel, 2 on bad input, 3 when this machine cannot run scenarios on its kernel (not
// root, a tool missing, a command or tool failing during a run: never 1).
import { spawnSync } from 'node:child_process';
import { environmentProblems, shellWord, type Backend } from '../dataplane/kernel/live.ts';
import { flowtableProblem, queueProblem, usesFlowtables, usesQueue } from '../dataplane/kernel/features.ts';
import {
  prepareVerify,
  readScenario,
  renderReport,
  renderTable,
  verifyPrepared,
  type Prepared,
  type ScenarioReport,
} from './verify/verify.ts';

export const VERIFY_FORMAT = 'natbox-verify/1';

export interface VerifyOptions {
  json?: boolean;
  backend: string;
  seed: number;
  /** Where to write the kernel's captures and conntrack tables. */
  captures?: string;
  /** Leave the network namespaces up after the run. */
  keep?: boolean;
}

export async function verifyCommand(files: string[], opts: VerifyOptions): Promise<number> {
  if (opts.backend !== 'nft' && opts.backend !== 'legacy') {
    process.stderr.write(`natbox verify: --backend must be nft or legacy, not "${opts.backend}"\n`);
    return 2;
  }
  const backend: Backend = opts.backend;
  let bad = false;
  const prepared: Prepared[] = [];
  for (const file of files) {
    const input = readScenario(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      bad = true;
      continue;
    }
    const p = prepareVerify(input.text, file, opts.seed);
    if (!p.ok) {
      for (const e of p.errors) process.stderr.write(`${e}\n`);
      bad = true;
      continue;
    }
    // What the rules hold without effect on the IPv4 packets natbox runs (an nft ip6 table, an
    // inet table's IPv6 half): said on standard error, as natbox test and trace say it.
    for (const n of p.prepared.built.notes ?? []) process.stderr.write(`note: ${n}\n`);
    prepared.push(p.prepared);
  }
  if (bad) return 2;

  const icmp = prepared.some((p) => p.built.flows.some((f) => f.proto === 'icmp'));
  const problems = environmentProblems(backend, { icmp });
  const flowtables = prepared.filter((p) => usesFlowtables(p.built.nftRulesets?.values() ?? []));
  if (problems.length === 0 && flowtables.length > 0) {
    const ft = flowtableProblem();
    if (ft) problems.push(`${ft}; scenarios with a flowtable: ${flowtables.map((p) => p.file).join(', ')}`);
  }
  const queues = prepared.filter((p) => usesQueue(p.built.nftRulesets?.values() ?? []));
  if (problems.length === 0 && queues.length > 0) {
    const qp = queueProblem();
    if (qp) problems.push(`${qp}; scenarios with a queue rule: ${queues.map((p) => p.file).join(', ')}`);
  }
  if (problems.length) {
    process.stderr.write(
      `natbox verify: cannot run scenarios on this machine's kernel:\n${problems.map((p) => `  - ${p}\n`).join('')}`,
    );
    return 3;
  }

  const reports: ScenarioReport[] = [];
  const kept: string[][] = [];
  for (const [i, prep] of prepared.entries()) {
    const keep: string[] = [];
    const { report } = await verifyPrepared(prep, {
      backend,
      runId: i,
      ...(opts.captures ? { capturesDir: opts.captures } : {}),
      ...(opts.keep ? { keep } : {}),
    });
    reports.push(report);
    kept.push(keep);
  }
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  const ipt = spawnSync(`iptables-${backend}`, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  const ok = reports.every((r) => r.status === 'match');
  for (const r of reports)
    if (r.status === 'error')
      process.stderr.write(
        `natbox verify: ${r.file}: ${r.failure === 'input' ? 'bad input' : 'the kernel run failed'}: ${r.error}\n`,
      );
  if (opts.keep) process.stderr.write(keptText(prepared, kept));
  if (opts.json) {
    process.stdout.write(
      JSON.stringify(
        {
          format: VERIFY_FORMAT,
          kernel,
          iptables: ipt,
          backend,
          ok,
          scenarios: reports,
          ...(opts.keep ? { kept: { namespaces: kept.flat(), remove: removeCommand(kept.flat()) } } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stdout.write(`natbox vs Linux ${kernel} (${ipt})\n\n${renderTable(reports)}\n\n`);
    process.stdout.write(reports.map(renderReport).join('\n\n') + '\n');
  }
  const failed = (kind: string): boolean => reports.some((r) => r.status === 'error' && r.failure === kind);
  return ok ? 0 : failed('environment') ? 3 : failed('input') ? 2 : 1;
}

/** What --keep left: each namespace, how to enter it, and one command that removes them all. */
export function keptText(prepared: readonly Prepared[], kept: readonly (readonly string[])[]): string {
  const all = kept.flat();
  if (all.length === 0) return 'natbox verify --keep: no network namespaces were left\n';
  const lines = [
    'natbox verify --keep: these network namespaces are left up (enter one with the command beside it):',
  ];
  prepared.forEach((p, i) => {
    if (!kept[i]?.length) return;
    lines.push(`  ${p.scenario.name} (${p.file}):`);
    const w = Math.max(...kept[i]!.map((n) => n.length));
    for (const ns of kept[i]!) lines.push(`    ${ns.padEnd(w)}  ip netns exec ${shellWord(ns)} bash`);
  });
  lines.push('remove them all with:', `  ${removeCommand(all)}`);
  return lines.join('\n') + '\n';
}

/** One shell command that deletes these namespaces (and only these). */
export const removeCommand = (namespaces: readonly string[]): string =>
  `for ns in ${namespaces.map(shellWord).join(' ')}; do ip netns del "$ns"; done`;
