// `natbox verify --generate N --seed S [--budget SECONDS] [--out DIR]`: the differential
// generator's campaign (issue 15). Scenario after scenario drawn by generate.ts is simulated by
// natbox and run on this machine's kernel exactly as `natbox verify FILE` does (verify.ts), the
// first difference of each new kind is confirmed by a second run, shrunk greedily (one flow, host,
// rule, route, sysctl or option removed at a time while the same kind of difference persists, at
// most --shrink-runs kernel runs) and written as a YAML file whose header says the seed, the
// scenario's index and the difference. docs/generator.md says how to read it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../dataplane/kernel/live.ts';
import { formatDifference } from '../../oracle/compare.ts';
import {
  drawScenario,
  renderYaml,
  separateBinds,
  shrinkCandidates,
  sizeOf,
  type GenOptions,
  type GenScenario,
} from './generate.ts';
import { prepareVerify, verifyPrepared, type ScenarioReport } from './verify.ts';

export interface CampaignOptions extends GenOptions {
  count: number;
  seed: number;
  /** Wall-clock seconds for the whole campaign (a kernel run under way is finished). */
  budget: number;
  /** Where found differences are written (none written without it). */
  out?: string;
  backend: Backend;
  /** Kernel runs one shrink may spend. */
  shrinkRuns: number;
}

export interface Finding {
  /** The kind of difference (see signature()). */
  signature: string;
  index: number;
  family: string;
  /** The shrunk scenario's first difference, as verify prints it. */
  difference: string;
  before: string;
  after: string;
  shrinkRuns: number;
  file?: string;
  /** Other scenarios of the campaign with the same kind of difference. */
  seenAgain: number[];
}

export interface CampaignResult {
  seed: number;
  scenarios: number;
  matches: number;
  /** Scenarios the generator drew that natbox verify refuses (a generator bug: listed). */
  refused: { index: number; error: string }[];
  /** Kernel runs that could not judge (environment failures, a loaded machine's late clients). */
  unjudged: { index: number; error: string }[];
  /** Differences not seen again on a second run of the same scenario. */
  flaky: { index: number; signature: string; difference: string }[];
  /**
   * Differences that are the kernel's timer race (timerTie): a SYN sent again and the SYN-ACK sent
   * again of one connection, due in one jiffy, in the other order. Neither shrunk nor a finding.
   */
  ties: { index: number; difference: string }[];
  findings: Finding[];
  kernelRuns: number;
  seconds: number;
}

/**
 * The kind of a difference: what differs first and which side is missing a packet or an entry,
 * so that shrinking keeps to the same difference.
 */
export function signature(r: ScenarioReport): string {
  const d = r.first;
  if (!d) return 'mismatch';
  if (d.what === 'verdict') return `verdict:${d.natbox.split(' ')[0]}/${d.kernel.split(' ')[0]}`;
  const none = d.kernel === '(none)' ? '+kernel-none' : d.natbox === '(none)' ? '+natbox-none' : '';
  return `${d.what}:${d.field}${none}`;
}

/** A TCP SYN or SYN-ACK as verify prints it: direction, ends, flags, time. */
const SYN_TEXT = /^(in|out) tcp (\S+) > (\S+) \[(S|S\.)\] .*\(t=([\d.]+)\)$/;

/**
 * Is the first difference the kernel's timer race: at one interface natbox has a connection's SYN
 * and the kernel that connection's SYN-ACK (or the other way round), within 50 ms? A client whose
 * SYN-ACK was lost sends its SYN again at the RTO (1 s: the socket's retransmit timer) when the
 * server sends its SYN-ACK again (reqsk_timer_handler: req->rsk_timer), both armed in one softirq
 * and due in one bucket of the timer wheel (kernel/time/timer.c). natbox runs the pinned request
 * timer first (timer-wheel.ts); the kernel did too in gen-1414-6's capture (s2's SYN-ACK 70 µs
 * before r2's SYN), yet r1 between them received the SYN first: the two packets go on in the
 * NET_RX softirqs of two CPUs, and their order at a router on the way is a race. Seen both ways
 * for one scenario (gen-404-44, gen-1212-11, gen-1601-19, gen-1414-6): not natbox.
 */
export function timerTie(r: ScenarioReport): boolean {
  const d = r.first;
  if (!d || d.what !== 'packets') return false;
  const line = (who: string): RegExpExecArray | null =>
    SYN_TEXT.exec(
      (d.context ?? '')
        .split('\n')
        .find((l) => l.trimStart().startsWith(`${who}: `))
        ?.trim()
        .slice(who.length + 2) ?? '',
    );
  const a = line('natbox');
  const b = line('kernel');
  if (!a || !b) return false;
  return a[4] !== b[4] && a[2] === b[3] && a[3] === b[2] && Math.abs(Number(a[5]) - Number(b[5])) < 0.05;
}

type Outcome =
  | { kind: 'match'; report: ScenarioReport }
  | { kind: 'mismatch'; report: ScenarioReport; sig: string }
  | { kind: 'refused'; error: string }
  | { kind: 'unjudged'; error: string };

export async function runCampaign(o: CampaignOptions, log: (s: string) => void): Promise<CampaignResult> {
  const started = Date.now();
  const left = (): number => o.budget - (Date.now() - started) / 1000;
  const res: CampaignResult = {
    seed: o.seed,
    scenarios: 0,
    matches: 0,
    refused: [],
    unjudged: [],
    flaky: [],
    ties: [],
    findings: [],
    kernelRuns: 0,
    seconds: 0,
  };
  let runId = 0;
  const run = async (s: GenScenario, name?: string): Promise<Outcome> => {
    const text = renderYaml(s, name);
    const p = prepareVerify(text, `gen-${s.seed}-${s.index}.yaml`);
    if (!p.ok) return { kind: 'refused', error: p.errors.join('\n') };
    res.kernelRuns++;
    const { report } = await verifyPrepared(p.prepared, { backend: o.backend, runId: runId++ });
    if (report.status === 'match') return { kind: 'match', report };
    if (report.status === 'error') return { kind: 'unjudged', error: report.error ?? 'error' };
    return { kind: 'mismatch', report, sig: signature(report) };
  };
  const bySig = new Map<string, Finding>();
  if (o.out) mkdirSync(o.out, { recursive: true });

  for (let index = 0; index < o.count && left() > 0; index++) {
    const s = drawScenario(o.seed, index, o);
    res.scenarios++;
    const r = await run(s);
    log(
      `#${index} ${s.family} (${sizeOf(s)}): ${r.kind}${r.kind === 'mismatch' ? ` ${r.sig}` : ''}${'report' in r ? ` in ${r.report.seconds.toFixed(1)} s` : ''}`,
    );
    if (r.kind === 'match') {
      res.matches++;
      continue;
    }
    if (r.kind === 'refused') {
      res.refused.push({ index, error: r.error });
      log(`  the generator drew a scenario natbox verify refuses (a generator bug):\n${r.error}`);
      continue;
    }
    if (r.kind === 'unjudged') {
      res.unjudged.push({ index, error: r.error });
      log(`  not judged: ${r.error.split('\n')[0]}`);
      continue;
    }
    if (timerTie(r.report)) {
      res.ties.push({ index, difference: formatDifference(r.report.first!) });
      log("  the kernel's timer race (a SYN and a SYN-ACK sent again at one jiffy): not natbox, not shrunk");
      continue;
    }
    const known = bySig.get(r.sig);
    if (known) {
      known.seenAgain.push(index);
      log(`  a difference of a kind already found (#${known.index}): not shrunk again`);
      continue;
    }
    if (left() <= 0) break;
    // Confirm: a difference that goes away on a second run is the machine's timing, not natbox.
    const again = await run(s);
    if (again.kind !== 'mismatch' || again.sig !== r.sig) {
      res.flaky.push({ index, signature: r.sig, difference: formatDifference(r.report.first!) });
      log(
        `  not reproduced on a second run (${again.kind}${again.kind === 'mismatch' ? ` ${again.sig}` : ''}): flaky`,
      );
      continue;
    }
    // Shrink greedily: take the first smaller scenario that still shows the same kind.
    let cur = s;
    let curReport = again.report;
    let spent = 0;
    const removed: string[] = [];
    // Steps a kernel run already refused come after the untried ones: each round starts again
    // from the biggest step, and with a few runs to spend, trying "every rule of r2" again after
    // each success cost seed 1212's shrinks half their runs.
    const failed = new Set<string>();
    shrinking: for (let progress = true; progress;) {
      progress = false;
      const cands = shrinkCandidates(cur, curReport.first?.flow);
      const ordered = [
        ...cands.filter((c) => !failed.has(c.what)),
        ...cands.filter((c) => failed.has(c.what)),
      ];
      for (const c of ordered) {
        if (spent >= o.shrinkRuns || left() <= 0) break shrinking;
        if (!o.bindClash) separateBinds(c.scenario.flows);
        const p = prepareVerify(renderYaml(c.scenario), 'shrink.yaml');
        if (!p.ok) continue; // not a scenario any more: no kernel run spent
        spent++;
        const x = await run(c.scenario);
        if (x.kind === 'mismatch' && x.sig === r.sig) {
          cur = c.scenario;
          curReport = x.report;
          removed.push(c.what);
          log(`  shrink ${spent}: without ${c.what}: same difference (${sizeOf(cur)})`);
          progress = true;
          continue shrinking;
        }
        log(`  shrink ${spent}: without ${c.what}: ${x.kind}${x.kind === 'mismatch' ? ` ${x.sig}` : ''}`);
        failed.add(c.what);
      }
    }
    const f: Finding = {
      signature: r.sig,
      index,
      family: s.family,
      difference: formatDifference(curReport.first!),
      before: sizeOf(s),
      after: sizeOf(cur),
      shrinkRuns: spent,
      seenAgain: [],
    };
    if (o.out) {
      const name = `gen-${o.seed}-${index}`;
      f.file = join(o.out, `${name}.yaml`);
      writeFileSync(f.file, findingText(f, cur, curReport, o, removed, name));
      log(`  written ${f.file}`);
    }
    bySig.set(r.sig, f);
    res.findings.push(f);
  }
  res.seconds = (Date.now() - started) / 1000;
  return res;
}

/** The shrunk scenario with its header: how it was found and what differs. */
export function findingText(
  f: Finding,
  s: GenScenario,
  rep: ScenarioReport,
  o: Pick<CampaignOptions, 'seed' | 'overlap' | 'rules'>,
  removed: readonly string[],
  name: string,
): string {
  const head = [
    `Found by natbox verify --generate --seed ${o.seed}${o.overlap ? ' --overlap' : ''}${o.rules && o.rules !== 'iptables' ? ` --rules ${o.rules}` : ''}: scenario #${f.index} (${f.family}).`,
    `Shrunk from ${f.before} to ${f.after} in ${f.shrinkRuns} kernel runs${removed.length ? ` (removed: ${removed.join('; ')})` : ''}.`,
    `Kind: ${f.signature}. Status: open (see docs/generator.md; edit this line when fixed or explained).`,
    'What differed (natbox vs the kernel):',
    ...(rep.flows ?? []).map((x) => `  flow ${x.name}: natbox ${x.natbox}, kernel ${x.kernel}`),
    ...formatDifference(rep.first!)
      .split('\n')
      .map((l) => `  ${l}`),
  ];
  return `${head.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${renderYaml(s, name)}`;
}

export function renderCampaign(r: CampaignResult): string {
  const lines = [
    `natbox verify --generate: seed ${r.seed}, ${r.scenarios} scenarios in ${r.seconds.toFixed(0)} s (${r.kernelRuns} kernel runs): ${r.matches} match, ${r.findings.length} kind${r.findings.length === 1 ? '' : 's'} of difference, ${r.flaky.length} flaky, ${r.ties.length} timer race${r.ties.length === 1 ? '' : 's'}, ${r.unjudged.length} not judged, ${r.refused.length} refused`,
  ];
  for (const f of r.findings)
    lines.push(
      `  ${f.signature}: scenario #${f.index}${f.seenAgain.length ? ` (and #${f.seenAgain.join(', #')})` : ''}, shrunk to ${f.after}${f.file ? `: ${f.file}` : ''}`,
      `    ${f.difference.split('\n')[0]}`,
    );
  for (const x of r.ties) lines.push(`  timer race #${x.index}: ${x.difference.split('\n')[0]}`);
  for (const x of r.flaky) lines.push(`  flaky #${x.index}: ${x.signature}: ${x.difference.split('\n')[0]}`);
  for (const x of r.refused) lines.push(`  refused #${x.index}: ${x.error.split('\n')[0]}`);
  return lines.join('\n') + '\n';
}

/** `natbox verify`'s options, as commander gives them (commands/verify.ts). */
export interface VerifyCliOptions {
  json?: boolean;
  backend: string;
  seed: number;
  generate?: string;
  budget: string;
  out?: string;
  shrinkRuns: string;
  overlap?: boolean;
  rules?: string;
  captures?: string;
  keep?: boolean;
}

/** The command: options checked (exit 2), the machine checked (exit 3), the campaign, its report. */
export async function generateCommand(files: readonly string[], opts: VerifyCliOptions): Promise<number> {
  const bad = (m: string): number => {
    process.stderr.write(`natbox verify --generate: ${m}\n`);
    return 2;
  };
  if (files.length) return bad(`takes no scenario files (got ${files[0]}): it draws its own`);
  if (opts.captures || opts.keep)
    return bad('--captures and --keep are for scenario files, not with --generate');
  if (opts.backend !== 'nft' && opts.backend !== 'legacy')
    return bad(`--backend must be nft or legacy, not "${opts.backend}"`);
  const int = (name: string, v: string | undefined, min: number): number | string => {
    const n = Number(v);
    return v !== undefined && /^\d+$/.test(v.trim()) && Number.isSafeInteger(n) && n >= min
      ? n
      : `${name} needs a whole number >= ${min}, got "${v ?? ''}"`;
  };
  if (opts.rules !== undefined && opts.rules !== 'iptables' && opts.rules !== 'nft' && opts.rules !== 'both')
    return bad(`--rules must be iptables, nft or both, not "${opts.rules}"`);
  const count = int('--generate', opts.generate, 1);
  const budget = int('--budget', opts.budget, 1);
  const shrinkRuns = int('--shrink-runs', opts.shrinkRuns, 0);
  for (const x of [count, budget, shrinkRuns]) if (typeof x === 'string') return bad(x);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff)
    return bad(`--seed needs a whole number from 0 to 4294967295, got "${String(opts.seed)}"`);
  const { environmentProblems } = await import('../../dataplane/kernel/live.ts');
  const problems = environmentProblems(opts.backend, { icmp: true });
  if (problems.length) {
    process.stderr.write(
      `natbox verify --generate: cannot run scenarios on this machine's kernel:\n${problems.map((p) => `  - ${p}\n`).join('')}`,
    );
    return 3;
  }
  const res = await runCampaign(
    {
      count: count as number,
      seed: opts.seed,
      budget: budget as number,
      shrinkRuns: shrinkRuns as number,
      backend: opts.backend,
      ...(opts.out ? { out: opts.out } : {}),
      ...(opts.overlap ? { overlap: true } : {}),
      ...(opts.rules ? { rules: opts.rules } : {}),
    },
    (s) => void process.stderr.write(`${s}\n`),
  );
  process.stdout.write(
    opts.json ? `${JSON.stringify({ format: 'natbox-generate/1', ...res }, null, 2)}\n` : renderCampaign(res),
  );
  return res.findings.length ? 1 : 0;
}
