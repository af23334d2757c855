// `natbox test`: run every flow of each scenario and compare it with its `expect`. Prints one
// summary line per file, the failures (the flow, what was expected, what happened and why), and a
// last line `N passed, N failed` counting flows. Exit code 0 when every expectation held, 1 when
// one did not, 2 when a file could not be read or loaded (bad input wins over a failure).
// `--json` prints a `natbox-test/1` document instead; `--junit FILE` also writes JUnit XML for CI.
// The report is built and rendered by pure functions (tested without spawning the command).
import { writeFileSync } from 'node:fs';
import { simulateScenario } from '../scenario/simulate.ts';
import { buildTraceDoc, stepsOfFlows, type TraceFlow, type TraceStep } from '../trace/model.ts';
import { decisionOf, decisionText } from '../trace/explain.ts';
import { noSuchFlow } from './trace.ts';
import { readInput } from './input.ts';

export const TEST_FORMAT = 'natbox-test/1';

export interface TestOptions {
  json?: boolean;
  junit?: string;
  seed: number;
  color: boolean;
  skipUnsupported?: boolean;
  /** Only these flows (by name). */
  flow?: string[];
}

export interface FlowReport {
  name: string;
  /** `client tcp 40000 → 82.120.11.22:80` */
  what: string;
  /** `pass`, `fail`, or `unchecked` when the flow expects nothing. */
  status: 'pass' | 'fail' | 'unchecked';
  verdict: string;
  expected?: { verdict?: string; serverSees?: string };
  serverSaw?: string;
  mismatches: string[];
  reason: string;
  /** The rule or policy that dropped or rejected the flow's packets: `router: filter FORWARD rule 2 (-A …)`. */
  stoppedBy?: string;
}

export interface FileReport {
  file: string;
  /** The scenario's name; absent when the file did not load. */
  scenario?: string;
  /** Load errors (FILE:LINE:COLUMN: message); non-empty means bad input. */
  errors: string[];
  /** True when the run hit its event bound (a loop): counted as a failure of the file. */
  incomplete?: boolean;
  flows: FlowReport[];
}

export interface TestReport {
  format: typeof TEST_FORMAT;
  passed: number;
  failed: number;
  unchecked: number;
  /** Files that could not be read or loaded. */
  errors: number;
  files: FileReport[];
}

function flowReport(f: TraceFlow, steps: readonly TraceStep[]): FlowReport {
  const out: FlowReport = {
    name: f.name,
    what: `${f.from} ${f.proto}${f.sport !== undefined ? ` ${f.sport}` : ''} → ${f.to}`,
    status: f.pass === undefined ? 'unchecked' : f.pass ? 'pass' : 'fail',
    verdict: f.verdict,
    mismatches: f.mismatches,
    reason: f.reason,
  };
  if (f.expected) out.expected = f.expected;
  if (f.serverSaw) out.serverSaw = f.serverSaw;
  const d = decisionOf(steps);
  if (d) out.stoppedBy = decisionText(d);
  return out;
}

/** Simulates one scenario text and reports its flows against their expectations. */
export function testScenario(
  text: string,
  file: string,
  seed = 1,
  skipUnsupported = false,
  flows?: readonly string[],
): FileReport {
  return testScenarioNamed(text, file, seed, skipUnsupported, flows).report;
}

/** testScenario, and the names of every flow of the file (for `--flow` names found nowhere). */
function testScenarioNamed(
  text: string,
  file: string,
  seed: number,
  skipUnsupported: boolean,
  flows: readonly string[] | undefined,
): { report: FileReport; names: string[] } {
  const r = simulateScenario(text, file, { seed, skipUnsupported, readFile: readInput });
  if (!r.ok) return { report: { file, errors: r.errors, flows: [] }, names: [] };
  const doc = buildTraceDoc({ name: r.scenario.name, file }, r.sim, r.skipped);
  // Rules left out are said on standard error, so a green run is never mistaken for the real box.
  for (const k of r.skipped)
    process.stderr.write(`warning: ${k.where}: ${k.host}: rule left out (${k.reason})\n`);
  for (const w of r.warnings ?? []) process.stderr.write(`warning: ${file}: ${w}\n`);
  for (const n of r.notes ?? []) process.stderr.write(`note: ${n}\n`);
  const own = stepsOfFlows(doc.steps);
  let list = doc.flows;
  // Only the flows named (a file may have none of them; testCommand checks each name is somewhere).
  if (flows && flows.length > 0) list = list.filter((f) => flows.includes(f.name));
  const rep: FileReport = {
    file,
    scenario: r.scenario.name,
    errors: [],
    flows: list.map((f) => flowReport(f, own.get(f.name) ?? [])),
  };
  if (!r.sim.complete) rep.incomplete = true;
  return { report: rep, names: doc.flows.map((f) => f.name) };
}

export function summarize(files: FileReport[]): TestReport {
  const all = files.flatMap((f) => f.flows);
  return {
    format: TEST_FORMAT,
    passed: all.filter((f) => f.status === 'pass').length,
    failed: all.filter((f) => f.status === 'fail').length + files.filter((f) => f.incomplete).length,
    unchecked: all.filter((f) => f.status === 'unchecked').length,
    errors: files.filter((f) => f.errors.length > 0).length,
    files,
  };
}

export const exitCode = (r: TestReport): number => (r.errors > 0 ? 2 : r.failed > 0 ? 1 : 0);

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function expectedText(e: FlowReport['expected']): string {
  if (!e) return 'nothing';
  const parts: string[] = [];
  if (e.verdict) parts.push(e.verdict);
  if (e.serverSees) parts.push(`server sees ${e.serverSees}`);
  return parts.join(', ');
}

/** The report for a terminal: a line per file, the failures under it, then `N passed, N failed`. */
export function renderTestText(r: TestReport, color = false): string {
  const c = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [];
  for (const f of r.files) {
    if (f.errors.length > 0) {
      // The messages themselves go to standard error (testCommand), as every natbox command does.
      out.push(`${c('31', 'ERROR')} ${f.file}: not tested (${count(f.errors.length, 'error')})`);
      continue;
    }
    const pass = f.flows.filter((x) => x.status === 'pass').length;
    const fail = f.flows.filter((x) => x.status === 'fail').length;
    const unchecked = f.flows.length - pass - fail;
    const bad = fail > 0 || f.incomplete;
    const counts = [`${pass} passed`, `${fail} failed`];
    if (unchecked > 0) counts.push(`${unchecked} without expectation`);
    out.push(
      `${bad ? c('31', 'FAIL') : c('32', 'PASS')} ${f.file} (${f.scenario}): ${count(f.flows.length, 'flow')}, ${counts.join(', ')}`,
    );
    if (f.incomplete)
      out.push(`  the run did not finish: it hit the simulator's event bound (a forwarding loop?)`);
    for (const x of f.flows) {
      if (x.status !== 'fail') continue;
      out.push(`  ✗ flow "${x.name}" (${x.what})`);
      out.push(`    expected: ${expectedText(x.expected)}`);
      out.push(`    got:      ${x.verdict}${x.serverSaw ? `, server saw ${x.serverSaw}` : ''}`);
      if (x.stoppedBy) out.push(`    stopped:  ${x.stoppedBy}`);
      for (const m of x.mismatches) out.push(`    - ${m}`);
      out.push(`    why: ${x.reason}`);
    }
  }
  out.push(`${r.passed} passed, ${r.failed} failed`);
  return out.join('\n') + '\n';
}

const xml = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Characters XML 1.0 does not allow at all.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML as Jenkins, GitLab and GitHub test reporters read it: a testsuite per file, a testcase per flow. */
export function renderJunit(r: TestReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = r.files.reduce((n, f) => n + Math.max(1, f.flows.length), 0);
  out.push(
    `<testsuites name="natbox test" tests="${total}" failures="${r.failed}" errors="${r.errors}" skipped="${r.unchecked}">`,
  );
  for (const f of r.files) {
    const suite = f.scenario ?? f.file;
    if (f.errors.length > 0) {
      out.push(
        `  <testsuite name="${xml(suite)}" file="${xml(f.file)}" tests="1" failures="0" errors="1" skipped="0">`,
      );
      out.push(`    <testcase name="load" classname="${xml(suite)}" file="${xml(f.file)}">`);
      out.push(
        `      <error message="${xml(f.errors[0] ?? 'bad input')}" type="bad-input">${xml(f.errors.join('\n'))}</error>`,
      );
      out.push('    </testcase>', '  </testsuite>');
      continue;
    }
    const failures = f.flows.filter((x) => x.status === 'fail').length + (f.incomplete ? 1 : 0);
    const skipped = f.flows.filter((x) => x.status === 'unchecked').length;
    out.push(
      `  <testsuite name="${xml(suite)}" file="${xml(f.file)}" tests="${f.flows.length + (f.incomplete ? 1 : 0)}" failures="${failures}" errors="0" skipped="${skipped}">`,
    );
    for (const x of f.flows) {
      const head = `    <testcase name="${xml(x.name)}" classname="${xml(suite)}" file="${xml(f.file)}"`;
      if (x.status === 'pass') {
        out.push(`${head}/>`);
      } else if (x.status === 'unchecked') {
        out.push(`${head}>`, `      <skipped message="the flow has no expect"/>`, '    </testcase>');
      } else {
        const body = [
          `flow: ${x.what}`,
          `expected: ${expectedText(x.expected)}`,
          `got: ${x.verdict}${x.serverSaw ? `, server saw ${x.serverSaw}` : ''}`,
          ...(x.stoppedBy ? [`stopped: ${x.stoppedBy}`] : []),
          `why: ${x.reason}`,
        ].join('\n');
        out.push(
          `${head}>`,
          `      <failure message="${xml(x.mismatches.join('; '))}" type="expectation">${xml(body)}</failure>`,
          '    </testcase>',
        );
      }
    }
    if (f.incomplete) {
      out.push(
        `    <testcase name="run finishes" classname="${xml(suite)}" file="${xml(f.file)}">`,
        `      <failure message="the run hit the simulator's event bound" type="incomplete"/>`,
        '    </testcase>',
      );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

export async function testCommand(files: string[], opts: TestOptions): Promise<number> {
  const reports: FileReport[] = [];
  const all: string[] = [];
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      reports.push({ file, errors: [`natbox: ${input.error}`], flows: [] });
      continue;
    }
    const t = testScenarioNamed(input.text, file, opts.seed, opts.skipUnsupported ?? false, opts.flow);
    reports.push(t.report);
    for (const n of t.names) all.push(n);
  }
  if (opts.flow && opts.flow.length > 0) {
    const missing = opts.flow.filter((n) => !all.includes(n));
    if (missing.length > 0) {
      process.stderr.write(`${noSuchFlow(missing, all, files.join(', '))}\n`);
      return 2;
    }
  }
  const report = summarize(reports);
  const color = opts.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
  for (const f of report.files) for (const e of f.errors) process.stderr.write(`${e}\n`);
  process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderTestText(report, color));
  if (opts.junit) {
    try {
      writeFileSync(opts.junit, renderJunit(report));
    } catch (e) {
      process.stderr.write(`natbox: ${opts.junit}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  return exitCode(report);
}
