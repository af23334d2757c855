// `natbox verify`: each scenario run by natbox and on the real Linux kernel (network namespaces,
// the real iptables, real sockets, tcpdump and conntrack), compared packet by packet, conntrack
// entry by entry and flow by flow. Exit 0 when everything matches, 1 on a difference (or a kernel
// run that failed), 2 on bad input, 3 when this machine cannot run scenarios on its kernel.
import { spawnSync } from 'node:child_process';
import { environmentProblems, type Backend } from './verify/live.ts';
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
  keep?: string;
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
    prepared.push(p.prepared);
  }
  if (bad) return 2;

  const problems = environmentProblems(backend);
  if (problems.length) {
    process.stderr.write(
      `natbox verify: cannot run scenarios on this machine's kernel:\n${problems.map((p) => `  - ${p}\n`).join('')}`,
    );
    return 3;
  }

  const reports: ScenarioReport[] = [];
  for (const [i, prep] of prepared.entries()) {
    const { report } = await verifyPrepared(prep, {
      backend,
      runId: i,
      ...(opts.keep ? { keepDir: opts.keep } : {}),
    });
    reports.push(report);
  }
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  const ipt = spawnSync(`iptables-${backend}`, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  const ok = reports.every((r) => r.status === 'match');
  if (opts.json) {
    process.stdout.write(
      JSON.stringify(
        { format: VERIFY_FORMAT, kernel, iptables: ipt, backend, ok, scenarios: reports },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stdout.write(`natbox vs Linux ${kernel} (${ipt})\n\n${renderTable(reports)}\n\n`);
    process.stdout.write(reports.map(renderReport).join('\n\n') + '\n');
  }
  return ok ? 0 : 1;
}
