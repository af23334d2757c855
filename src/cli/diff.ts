// `natbox diff A B`: the same flows under two scenarios (typically two rulesets for one network),
// and what changed between the runs for each flow: its verdict, who the server saw, where the
// answer came from, and the NAT translations its first packet went through (the bindings the nat
// table chose, from explain.ts's flowBindings) and the rule or policy that dropped or rejected its
// packets (explain.ts's decisionOf), all read from each flow's own trace steps. Flows are paired by
// name; `--flow NAME` keeps only the flows named. Exit code as diff(1): 0
// when nothing changed, 1 when something did, 2 on bad input. The comparison and its rendering are
// pure functions; diffCommand only reads files and prints.
import { simulateScenario } from '../scenario/simulate.ts';
import { buildTraceDoc, stepsOfFlows, type TraceDoc } from '../trace/model.ts';
import { decisionOf, decisionText, flowBindings } from '../trace/explain.ts';
import { noSuchFlow } from './trace.ts';
import { readInput } from './input.ts';

export const DIFF_FORMAT = 'natbox-diff/1';

/** What one run says about one flow: the facts the diff compares. */
export interface FlowFacts {
  name: string;
  /** `client tcp 40000 → 82.120.11.22:80` */
  what: string;
  verdict: string;
  serverSaw?: string;
  replyFrom?: string;
  /** `router DNAT 192.168.1.10:40000 > 82.120.11.22:80 ⇒ 192.168.1.10:40000 > 192.168.1.200:80` */
  translations: string[];
  /** The rule or policy that dropped or rejected the flow's packets: `router: filter FORWARD rule 2 (-A …)`. */
  stoppedBy?: string;
}

export interface Change<T> {
  a: T;
  b: T;
}

export interface FlowDiff {
  name: string;
  what: string;
  /** `changed`, `same`, or present in one run only. */
  status: 'changed' | 'same' | 'only-a' | 'only-b';
  verdict?: Change<string>;
  serverSaw?: Change<string | null>;
  replyFrom?: Change<string | null>;
  stoppedBy?: Change<string | null>;
  /** The translations with `-` (only in A), `+` (only in B) or ` ` (both), in order; when they changed. */
  translations?: { op: '-' | '+' | ' '; text: string }[];
  /** The facts of each run (for `same` and the one-sided cases). */
  facts: { a?: FlowFacts; b?: FlowFacts };
}

export interface DiffReport {
  format: typeof DIFF_FORMAT;
  a: { file: string; scenario: string };
  b: { file: string; scenario: string };
  changed: number;
  same: number;
  flows: FlowDiff[];
}

/** The facts of every flow of a run, from its trace document (each flow's own steps). */
export function flowFacts(doc: TraceDoc): FlowFacts[] {
  const own = stepsOfFlows(doc.steps);
  return doc.flows.map((f) => {
    const steps = own.get(f.name) ?? [];
    const out: FlowFacts = {
      name: f.name,
      what: `${f.from} ${f.proto}${f.sport !== undefined ? ` ${f.sport}` : ''} → ${f.to}`,
      verdict: f.verdict,
      translations: flowBindings(steps).map((s) => `${s.host} ${s.manip} ${s.before} ⇒ ${s.after}`),
    };
    if (f.serverSaw) out.serverSaw = f.serverSaw;
    if (f.replyFrom) out.replyFrom = f.replyFrom;
    const d = decisionOf(steps);
    if (d) out.stoppedBy = decisionText(d);
    return out;
  });
}

/** Longest common subsequence of two short lists, as a diff script. */
function lineDiff(a: readonly string[], b: readonly string[]): { op: '-' | '+' | ' '; text: string }[] {
  const n = a.length;
  const m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i]![j] = a[i] === b[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: { op: '-' | '+' | ' '; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (j < m && (i === n || L[i]![j + 1]! >= L[i + 1]![j]!)) {
      out.push({ op: '+', text: b[j++]! });
    } else {
      out.push({ op: '-', text: a[i++]! });
    }
  }
  return out;
}

export function diffFacts(
  a: { file: string; scenario: string; flows: FlowFacts[] },
  b: { file: string; scenario: string; flows: FlowFacts[] },
): DiffReport {
  const flows: FlowDiff[] = [];
  const bByName = new Map(b.flows.map((f) => [f.name, f]));
  const seen = new Set<string>();
  for (const fa of a.flows) {
    const fb = bByName.get(fa.name);
    if (!fb) {
      flows.push({ name: fa.name, what: fa.what, status: 'only-a', facts: { a: fa } });
      continue;
    }
    seen.add(fa.name);
    const d: FlowDiff = { name: fa.name, what: fa.what, status: 'same', facts: { a: fa, b: fb } };
    if (fa.verdict !== fb.verdict) d.verdict = { a: fa.verdict, b: fb.verdict };
    if (fa.serverSaw !== fb.serverSaw) d.serverSaw = { a: fa.serverSaw ?? null, b: fb.serverSaw ?? null };
    if (fa.replyFrom !== fb.replyFrom) d.replyFrom = { a: fa.replyFrom ?? null, b: fb.replyFrom ?? null };
    if (fa.stoppedBy !== fb.stoppedBy) d.stoppedBy = { a: fa.stoppedBy ?? null, b: fb.stoppedBy ?? null };
    if (fa.translations.join('\n') !== fb.translations.join('\n'))
      d.translations = lineDiff(fa.translations, fb.translations);
    if (d.verdict || d.serverSaw || d.replyFrom || d.stoppedBy || d.translations) d.status = 'changed';
    flows.push(d);
  }
  for (const fb of b.flows)
    if (!seen.has(fb.name)) flows.push({ name: fb.name, what: fb.what, status: 'only-b', facts: { b: fb } });
  return {
    format: DIFF_FORMAT,
    a: { file: a.file, scenario: a.scenario },
    b: { file: b.file, scenario: b.scenario },
    changed: flows.filter((f) => f.status !== 'same').length,
    same: flows.filter((f) => f.status === 'same').length,
    flows,
  };
}

const none = (s: string | null | undefined, what: string): string => s ?? `(${what})`;

function factsLine(f: FlowFacts): string {
  const parts = [f.verdict];
  if (f.serverSaw) parts.push(`server saw ${f.serverSaw}`);
  if (f.translations.length === 0) parts.push('no translation');
  if (f.stoppedBy) parts.push(`stopped by ${f.stoppedBy}`);
  return parts.join(', ');
}

export function renderDiffText(r: DiffReport): string {
  const out: string[] = [`--- ${r.a.file} (${r.a.scenario})`, `+++ ${r.b.file} (${r.b.scenario})`];
  for (const f of r.flows) {
    const head = `flow "${f.name}" (${f.what})`;
    if (f.status === 'only-a') {
      out.push(`${head}: only in ${r.a.file} (${factsLine(f.facts.a!)})`);
      continue;
    }
    if (f.status === 'only-b') {
      out.push(`${head}: only in ${r.b.file} (${factsLine(f.facts.b!)})`);
      continue;
    }
    if (f.status === 'same') {
      out.push(`${head}: unchanged (${factsLine(f.facts.a!)})`);
      continue;
    }
    out.push(`${head}:`);
    if (f.verdict) out.push(`  verdict:      ${f.verdict.a} → ${f.verdict.b}`);
    if (f.serverSaw)
      out.push(
        `  server sees:  ${none(f.serverSaw.a, 'no answer said')} → ${none(f.serverSaw.b, 'no answer said')}`,
      );
    if (f.replyFrom)
      out.push(`  answer from:  ${none(f.replyFrom.a, 'none')} → ${none(f.replyFrom.b, 'none')}`);
    if (f.stoppedBy)
      out.push(`  stopped by:   ${none(f.stoppedBy.a, 'nothing')} → ${none(f.stoppedBy.b, 'nothing')}`);
    if (f.translations) {
      out.push('  translations:');
      for (const t of f.translations) out.push(`    ${t.op} ${t.text}`);
    }
  }
  const n = (k: number): string => `${k} ${k === 1 ? 'flow' : 'flows'}`;
  out.push(`${n(r.changed)} changed, ${r.same} unchanged`);
  return out.join('\n') + '\n';
}

export async function diffCommand(
  a: string,
  b: string,
  opts: { json?: boolean; seed: number; flow?: string[]; skipUnsupported?: boolean },
): Promise<number> {
  const runs: { file: string; scenario: string; flows: FlowFacts[] }[] = [];
  let bad = false;
  for (const file of [a, b]) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      bad = true;
      continue;
    }
    const r = simulateScenario(input.text, file, {
      seed: opts.seed,
      readFile: readInput,
      skipUnsupported: opts.skipUnsupported ?? false,
    });
    if (!r.ok) {
      for (const e of r.errors) process.stderr.write(`${e}\n`);
      bad = true;
      continue;
    }
    // Rules left out are said on standard error, as natbox test does.
    for (const k of r.skipped)
      process.stderr.write(`warning: ${k.where}: ${k.host}: rule left out (${k.reason})\n`);
    const doc = buildTraceDoc({ name: r.scenario.name, file }, r.sim);
    runs.push({ file, scenario: r.scenario.name, flows: flowFacts(doc) });
  }
  if (bad || runs.length !== 2) return 2;
  if (opts.flow && opts.flow.length > 0) {
    const names = new Set(runs.flatMap((x) => x.flows.map((f) => f.name)));
    const missing = opts.flow.filter((n) => !names.has(n));
    if (missing.length > 0) {
      process.stderr.write(`${noSuchFlow(missing, [...names], `${a} or ${b}`)}\n`);
      return 2;
    }
    const keep = new Set(opts.flow);
    for (const x of runs) x.flows = x.flows.filter((f) => keep.has(f.name));
  }
  const report = diffFacts(runs[0]!, runs[1]!);
  process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderDiffText(report));
  return report.changed > 0 ? 1 : 0;
}
