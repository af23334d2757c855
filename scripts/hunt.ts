// The kernel-difference hunter (issue 15): random NAT scenarios (test/fuzz/hunt-gen.ts) run
// through `natbox verify` (natbox's simulation against this machine's kernel), and each
// difference shrunk by fast-check to a small scenario that shows it, written to the out directory
// with the difference as a comment at its top.
//
//   node --import tsx scripts/hunt.ts [--seed N] [--runs N] [--budget SECONDS] [--out DIR]
//        [--shrink-steps N] [--shrink-seconds S] [--natbox bin/natbox] [--json]
//
// Each verify run (about 5 s) is the CLI in a mount namespace of its own with a private tmpfs on
// /run/netns, as test/verify/all.test.ts runs it: its namespaces are seen by no one else and go
// when it ends. Bounded: at most --runs scenarios, --budget seconds in all (a run under way is
// finished), and per difference at most --shrink-steps verify runs and --shrink-seconds of
// shrinking. A difference whose kind (its first difference's comparison and field) was already
// found is counted, not shrunk again. The shrunk scenario is run once more to tell whether it
// reproduces. Exit 0 when the hunt completed (differences are findings, not failures), 1 when
// natbox crashed on a scenario (a stack trace, a signal, an exit code other than 0-2), 2 on bad
// options, 3 when this machine cannot run verify (root, tools).
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { huntScenarioArb, huntYaml, type HuntScenario } from '../test/fuzz/hunt-gen.ts';
import type { ScenarioReport } from '../src/cli/verify/verify.ts';
import { formatDifference } from '../src/oracle/compare.ts';
import { environmentProblems } from '../src/dataplane/kernel/live.ts';

interface Options {
  seed: number;
  runs: number;
  budget: number;
  out: string;
  shrinkSteps: number;
  shrinkSeconds: number;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Options | string {
  const o: Options = {
    seed: 1,
    runs: 100,
    budget: 600,
    out: 'test/verify/found',
    shrinkSteps: 40,
    shrinkSeconds: 300,
    json: false,
  };
  const num = (k: string, v: string | undefined, min: number): number | string => {
    const n = Number(v);
    return v !== undefined && Number.isFinite(n) && n >= min
      ? n
      : `${k} needs a number >= ${min}, got ${v ?? 'nothing'}`;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = (
      {
        '--seed': 'seed',
        '--runs': 'runs',
        '--budget': 'budget',
        '--shrink-steps': 'shrinkSteps',
        '--shrink-seconds': 'shrinkSeconds',
      } as const
    )[a];
    if (key) {
      const n = num(a, argv[++i], key === 'seed' ? -(2 ** 31) : key === 'shrinkSteps' ? 0 : 1);
      if (typeof n === 'string') return n;
      o[key] = Math.floor(n);
    } else if (a === '--out') {
      const v = argv[++i];
      if (!v) return '--out needs a directory';
      o.out = v;
    } else if (a === '--natbox') {
      const v = argv[++i];
      if (!v) return '--natbox needs a command (e.g. bin/natbox)';
      natboxBin = resolve(v);
    } else if (a === '--json') o.json = true;
    else
      return `unknown option ${a} (expected --seed, --runs, --budget, --out, --shrink-steps, --shrink-seconds, --natbox, --json)`;
  }
  return o;
}

/** One verify run of a scenario text. */
export interface VerifyRun {
  kind: 'match' | 'difference' | 'bad-input' | 'crash';
  report?: ScenarioReport;
  exit: number | null;
  stderr: string;
  seconds: number;
}

const ROOT = resolve(import.meta.dirname, '..');
/** The natbox command verify runs with (--natbox, e.g. bin/natbox); by default the sources via tsx. */
let natboxBin = '';
const SCRIPT = [
  'mkdir -p /run/netns && mount -t tmpfs natbox-hunt /run/netns || exit 3',
  'if [ -n "$3" ]; then exec "$3" verify --json "$1"; fi',
  'exec "$0" --import tsx "$2/src/cli/main.ts" verify --json "$1"',
].join('\n');

/** A flow whose server, on the kernel, saw a port of fewer than five digits (all.test.ts). */
const kernelShortPort = (r: ScenarioReport): boolean =>
  r.first?.field === 'len' && (r.flows ?? []).some((f) => /server saw [\d.]+:\d{1,4}\)/.test(f.kernel));

function verifyOnce(text: string, dir: string): VerifyRun {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, text);
  const t = Date.now();
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, process.execPath, file, ROOT, natboxBin],
    { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGTERM', maxBuffer: 64 << 20, cwd: ROOT },
  );
  const seconds = (Date.now() - t) / 1000;
  const base = { exit: r.status, stderr: r.stderr ?? '', seconds };
  if (r.status === 3) throw new Error(`natbox verify cannot run here (exit 3): ${r.stderr.trim()}`);
  if (r.status === 2) return { kind: 'bad-input', ...base };
  let report: ScenarioReport | undefined;
  try {
    report = (JSON.parse(r.stdout) as { scenarios?: ScenarioReport[] }).scenarios?.[0];
  } catch {
    /* below */
  }
  const crashed =
    r.signal !== null || (r.status !== 0 && r.status !== 1) || /\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr ?? '');
  if (crashed || !report) return { kind: 'crash', ...base, ...(report ? { report } : {}) };
  return { kind: report.status === 'match' ? 'match' : 'difference', report, ...base };
}

/**
 * A kernel run the harness spoiled, not a NAT difference: a client process that printed nothing
 * (killed by its hard time limit: on a loaded machine a Node or python3 agent can take seconds to
 * start), or a kernel side with no packet captured while natbox has some (the agents sent after
 * the captures ended). Such a run is counted and run again once, never shrunk.
 */
export function harnessTrouble(r: VerifyRun): string | undefined {
  const rep = r.report;
  if (r.kind !== 'difference' || !rep) return undefined;
  const late = (rep.flows ?? []).find((f) => f.kernel.startsWith('error'));
  if (late) return `flow ${late.name}: the kernel's client printed nothing (started or ran too late)`;
  if (rep.packets && rep.packets.kernel === 0 && rep.packets.natbox > 0)
    return 'the kernel side captured no packet at all (its agents ran outside the capture window)';
  return undefined;
}

/** A verify run, again (at most twice) when the kernel's pong was shorter (a harness flake). */
function verify(text: string, dir: string): VerifyRun {
  let r = verifyOnce(text, dir);
  for (let k = 0; k < 2 && r.kind === 'difference' && r.report && kernelShortPort(r.report); k++)
    r = verifyOnce(text, dir);
  if (harnessTrouble(r)) r = verifyOnce(text, dir);
  return r;
}

/** The kind of a difference: what differs first, so that shrinking keeps to the same one. */
export function signature(r: VerifyRun): string {
  if (r.kind === 'crash') return `crash:exit ${r.exit}`;
  const rep = r.report!;
  if (rep.status === 'error') return `error:${(rep.error ?? '').replace(/\d+/g, 'N').slice(0, 60)}`;
  const d = rep.first;
  if (!d) return 'mismatch:?';
  if (d.what === 'verdict') return `verdict:${d.natbox.split(' ')[0]}/${d.kernel.split(' ')[0]}`;
  return `${d.what}:${d.field}`;
}

function describe(r: VerifyRun): string {
  const rep = r.report;
  if (r.kind === 'crash')
    return `natbox crashed (exit ${r.exit}):\n${r.stderr.trim().split('\n').slice(0, 15).join('\n')}`;
  if (!rep) return '(no report)';
  const lines: string[] = [];
  if (rep.error) lines.push(`kernel run failed: ${rep.error}`);
  for (const f of rep.flows ?? []) lines.push(`flow ${f.name}: natbox ${f.natbox}, kernel ${f.kernel}`);
  if (rep.first) lines.push(`first difference: ${formatDifference(rep.first)}`);
  for (const d of rep.differences ?? [])
    if (d !== rep.first && JSON.stringify(d) !== JSON.stringify(rep.first))
      lines.push(`first ${d.what} difference: ${formatDifference(d)}`);
  return lines.join('\n');
}

export interface Finding {
  signature: string;
  file: string;
  /** Verify runs spent shrinking it. */
  shrinkRuns: number;
  /** The shrunk scenario showed the same difference when run once more. */
  reproduced: boolean;
  /** Other random scenarios with the same kind of difference. */
  seenAgain: number;
  crash: boolean;
}

export interface HuntResult {
  seed: number;
  runs: number;
  matches: number;
  badInput: number;
  /** Kernel runs the harness spoiled (see harnessTrouble), run again once and not counted. */
  harness: number;
  findings: Finding[];
  seconds: number;
}

export function hunt(o: Options, log: (s: string) => void): HuntResult {
  const started = Date.now();
  const left = (): number => o.budget - (Date.now() - started) / 1000;
  const work = mkdtempSync(join(tmpdir(), 'natbox-hunt-'));
  const res: HuntResult = {
    seed: o.seed,
    runs: 0,
    matches: 0,
    badInput: 0,
    harness: 0,
    findings: [],
    seconds: 0,
  };
  // Reproduced kinds are shrunk once; a kind seen only as flaky is shrunk again (at most twice), so
  // that a flake does not hide a real difference of the same kind.
  const bySig = new Map<string, Finding>();
  const flaky = new Map<string, Finding[]>();
  mkdirSync(o.out, { recursive: true });
  try {
    for (let round = 0; res.runs < o.runs && left() > 0; round++) {
      // One fast-check run per round: it stops at the first difference and shrinks it; the next
      // round goes on with another seed.
      let target: string | undefined; // the signature being shrunk
      let shrinkStart = 0;
      let shrinkRuns = 0;
      let stopShrinking = false;
      let smallest: { s: HuntScenario; run: VerifyRun } | undefined;
      const seed = o.seed + round * 7919;
      const property = (s: HuntScenario): boolean => {
        if (target === undefined) {
          if (res.runs >= o.runs || left() <= 0) return true; // budget spent: the rest pass
          const run = verify(huntYaml(s), work);
          res.runs++;
          log(
            `run ${res.runs}: ${run.kind}${run.kind === 'difference' || run.kind === 'crash' ? ` (${signature(run)})` : ''} in ${run.seconds.toFixed(1)} s`,
          );
          const trouble = harnessTrouble(run);
          if (trouble) {
            res.harness++;
            log(`  not counted as a difference: ${trouble}`);
            return true;
          }
          if (run.kind === 'match') res.matches++;
          if (run.kind === 'bad-input') {
            res.badInput++;
            log(`  the generator made a scenario natbox refuses:\n${run.stderr}`);
          }
          if (run.kind === 'match' || run.kind === 'bad-input') return true;
          target = signature(run);
          smallest = { s, run };
          shrinkStart = Date.now();
          const fl = flaky.get(target) ?? [];
          const known = bySig.get(target) ?? (fl.length >= 2 ? fl[0] : undefined);
          if (known) {
            known.seenAgain++;
            stopShrinking = true;
            log(`  already found (${known.file}): not shrunk again`);
          }
          return false;
        }
        // Shrinking: fail only on the same kind of difference, within the step and time caps.
        if (
          stopShrinking ||
          shrinkRuns >= o.shrinkSteps ||
          (Date.now() - shrinkStart) / 1000 > o.shrinkSeconds ||
          left() <= -o.shrinkSeconds
        )
          return true;
        shrinkRuns++;
        const run = verify(huntYaml(s), work);
        const same =
          run.kind !== 'match' &&
          run.kind !== 'bad-input' &&
          !harnessTrouble(run) &&
          signature(run) === target;
        log(
          `  shrink ${shrinkRuns}: ${s.rules.length} rules, ${s.flows.length} flows: ${same ? 'still differs' : run.kind === 'difference' ? `another difference (${signature(run)})` : run.kind}`,
        );
        if (same) smallest = { s, run };
        return !same;
      };
      const remaining = o.runs - res.runs;
      const out = fc.check(fc.property(huntScenarioArb, property), {
        seed,
        numRuns: remaining,
        endOnFailure: false,
      });
      if (!out.failed || !smallest || target === undefined) break; // no difference: the runs are spent
      if (stopShrinking) continue;
      const text = huntYaml(smallest.s, `hunt-${res.findings.length + 1}`);
      const again = verify(text, work);
      const reproduced =
        again.kind !== 'match' &&
        again.kind !== 'bad-input' &&
        !harnessTrouble(again) &&
        signature(again) === target;
      const n = String(res.findings.length + 1).padStart(2, '0');
      const file = join(o.out, `hunt-${o.seed}-${n}.yaml`);
      const header = [
        `Found by scripts/hunt.ts --seed ${o.seed} (round ${round}, fast-check seed ${seed}), shrunk in ${shrinkRuns} verify runs.`,
        `Kind: ${target}. ${reproduced ? 'Reproduced on a second run.' : `NOT reproduced on a second run (that run: ${again.kind}${again.kind === 'difference' ? `, ${signature(again)}` : ''}): a flaky difference.`}`,
        'natbox verify of this file (natbox vs the kernel):',
        ...describe(smallest.run).split('\n'),
      ];
      writeFileSync(file, `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${text}`);
      const f: Finding = {
        signature: target,
        file,
        shrinkRuns,
        reproduced,
        seenAgain: 0,
        crash: smallest.run.kind === 'crash',
      };
      if (reproduced) bySig.set(target, f);
      else flaky.set(target, [...(flaky.get(target) ?? []), f]);
      res.findings.push(f);
      log(`  written ${file} (${reproduced ? 'reproduced' : 'not reproduced'})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  res.seconds = (Date.now() - started) / 1000;
  return res;
}

function main(): number {
  const o = parseArgs(process.argv.slice(2));
  if (typeof o === 'string') {
    process.stderr.write(`hunt: ${o}\n`);
    return 2;
  }
  const problems = environmentProblems('nft');
  const us = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { timeout: 5000 });
  if (us.status !== 0) problems.push('cannot make a mount namespace with unshare(1)');
  if (problems.length) {
    process.stderr.write(`hunt: natbox verify cannot run on this machine: ${problems.join('; ')}\n`);
    return 3;
  }
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  let res: HuntResult;
  try {
    res = hunt(o, log);
  } catch (e) {
    process.stderr.write(`hunt: ${(e as Error).message}\n`);
    return 3;
  }
  if (o.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
  else {
    process.stdout.write(
      `hunt: seed ${res.seed}, ${res.runs} scenarios in ${res.seconds.toFixed(0)} s: ${res.matches} match, ${res.badInput} refused, ${res.harness} spoiled by the harness, ${res.findings.length} kinds of difference\n`,
    );
    for (const f of res.findings)
      process.stdout.write(
        `  ${f.file}: ${f.signature}${f.reproduced ? '' : ' (not reproduced)'}${f.seenAgain ? `, seen ${f.seenAgain} more times` : ''}\n`,
      );
  }
  return res.findings.some((f) => f.crash) ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scripts/hunt.ts'))
  process.exitCode = main();
