// `natbox diff A B`: the same flows under two scenarios (typically two rulesets for one network),
// and what changed between the runs for each flow: its verdict, who the server saw, where the
// answer came from, and the NAT translations its first packet went through (the bindings the nat
// table chose, from explain.ts's flowBindings) and the rule or policy that dropped or rejected its
// packets (explain.ts's decisionOf), all read from each flow's own trace steps. Flows are paired by
// name; `--flow NAME` keeps only the flows named. Exit code as diff(1): 0
// when nothing changed, 1 when something did, 2 on bad input. The comparison and its rendering are
// pure functions; diffCommand only reads files and prints.
import { prepareScenario } from '../scenario/simulate.ts';
import type { Built } from '../scenario/build.ts';
import { simulate } from '../sim/run.ts';
import { buildTraceDoc, stepsOfFlows, type TraceDoc } from '../trace/model.ts';
import type { TraceStep } from '../trace/trace-step.ts';
import { decisionOf, decisionText, flowBindings } from '../trace/explain.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import { printNftRule } from '../rules/nft/index.ts';
import { noSuchFlow } from './trace.ts';
import { readInput } from './input.ts';

export const DIFF_FORMAT = 'natbox-diff/1';

/**
 * A rule that matched a changed flow's packets in one run and not in the other: where it was
 * written, and what the other run has in its place (no such rule, or the rule that did not match
 * and why, as the trace says).
 */
export interface WhyLine {
  /** The run in which the rule matched. */
  matchedIn: 'a' | 'b';
  host: string;
  /** `nat POSTROUTING` (nft: `inet fw4 srcnat`). */
  chain: string;
  /** The rule as its tool prints it. */
  rule: string;
  /** FILE:LINE where it was written, when known. */
  where?: string;
  /** The other run: `missing` (no such rule on that host and chain), or `not-matched`. */
  other: 'missing' | 'not-matched';
  /** With `not-matched`: where the other run's copy was written and why it did not match. */
  otherWhere?: string;
  otherWhy?: string;
}

/** One run's trace steps of each flow and its rulesets (for the rules' FILE:LINE). */
export interface RunRules {
  steps: ReadonlyMap<string, readonly TraceStep[]>;
  built: Built;
}

type RuleStep = Extract<TraceStep, { kind: 'rule' | 'rule-miss' }>;

/** A rule's text without what a run changes in it (nft's counters and handles). */
const norm = (rule: string): string =>
  rule
    .replace(/\bcounter packets \d+ bytes \d+/g, 'counter')
    .replace(/\s*# handle \d+$/, '')
    .trim();
const keyOf = (x: RuleStep): string => `${x.host}\t${x.table}\t${x.chain}\t${norm(x.rule)}`;

/** Whether a rule only passes the packet on to another chain (the path, not a decision). */
function isJump(built: Built, s: RuleStep): boolean {
  if (/(^|\s)(jump|goto) \S+/.test(s.rule)) return true;
  const t = / -[jg] (\S+)/.exec(s.rule)?.[1];
  return (
    t !== undefined &&
    (built.rulesets
      .get(s.host)
      ?.tables.get(s.table as never)
      ?.chains.has(t) ??
      false)
  );
}

/** Where a rule a step names was written (iptables: the rule's loc; nft: the rule's position). */
function ruleWhere(built: Built, s: RuleStep): string | undefined {
  const ipt = built.rulesets
    .get(s.host)
    ?.tables.get(s.table as never)
    ?.chains.get(s.chain)?.rules[s.index - 1];
  if (ipt?.loc) return `${ipt.loc.file}:${ipt.loc.line}`;
  const [family, name] = s.table.split(' ');
  const nft = built.nftRulesets
    ?.get(s.host)
    ?.tables.find((t) => t.family === family && t.name === name)
    ?.chains.find((c) => c.name === s.chain)?.rules[s.index - 1];
  return nft?.pos ? `${nft.pos.file}:${nft.pos.line}` : undefined;
}

/** The same rule (host, table, chain, text) anywhere in a run's rulesets. */
function hasRule(built: Built, s: RuleStep, steps: readonly TraceStep[]): RuleStep | 'exists' | undefined {
  const k = keyOf(s);
  const miss = steps.find((x): x is RuleStep => x.kind === 'rule-miss' && keyOf(x) === k);
  if (miss) return miss;
  const ipt = built.rulesets
    .get(s.host)
    ?.tables.get(s.table as never)
    ?.chains.get(s.chain);
  if (ipt?.rules.some((_, i) => ruleText(built, s, i) === s.rule)) return 'exists';
  // nft: the same rule (by its text) in the same chain of the other run's ruleset.
  const [family, name] = s.table.split(' ');
  const table = built.nftRulesets?.get(s.host)?.tables.find((t) => t.family === family && t.name === name);
  const chain = table?.chains.find((c) => c.name === s.chain);
  if (table && chain?.rules.some((r) => norm(printNftRule(table, chain, r)) === norm(s.rule)))
    return 'exists';
  return undefined;
}

/** The text a rule step shows, for rule i of the step's chain in `built` (iptables-save's form). */
function ruleText(built: Built, s: RuleStep, i: number): string | undefined {
  const c = built.rulesets
    .get(s.host)
    ?.tables.get(s.table as never)
    ?.chains.get(s.chain);
  const r = c?.rules[i];
  return r ? formatRule(s.chain, r) : undefined;
}

/** The rules behind a changed flow: each rule that matched in one run only, both ways. */
export function whyChanged(name: string, a: RunRules, b: RunRules): WhyLine[] {
  const out: WhyLine[] = [];
  const matched = (steps: readonly TraceStep[]): RuleStep[] => {
    const seen = new Set<string>();
    return steps.filter((x): x is RuleStep => {
      if (x.kind !== 'rule') return false;
      const k = `${x.host}\t${x.table}\t${x.chain}\t${x.rule}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  const sa = a.steps.get(name) ?? [];
  const sb = b.steps.get(name) ?? [];
  const sides: ['a' | 'b', RunRules, readonly TraceStep[], RunRules, readonly TraceStep[]][] = [
    ['a', a, sa, b, sb],
    ['b', b, sb, a, sa],
  ];
  for (const [side, run, steps, other, otherSteps] of sides) {
    const otherMatched = new Set(matched(otherSteps).map(keyOf));
    for (const r of matched(steps)) {
      if (otherMatched.has(keyOf(r)) || isJump(run.built, r)) continue;
      const there = hasRule(other.built, r, otherSteps);
      const where = ruleWhere(run.built, r);
      const line: WhyLine = {
        matchedIn: side,
        host: r.host,
        chain: `${r.table} ${r.chain}`,
        rule: r.rule,
        ...(where ? { where } : {}),
        other: there ? 'not-matched' : 'missing',
      };
      if (there && there !== 'exists') {
        const ow = ruleWhere(other.built, there);
        if (ow) line.otherWhere = ow;
        if (there.kind === 'rule-miss') line.otherWhy = there.why;
      }
      out.push(line);
    }
  }
  return out;
}

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
  /** Why the flow changed, rule by rule: each rule that matched its packets in one run only. */
  why?: WhyLine[];
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
    if (f.why && f.why.length > 0) {
      out.push('  why:');
      for (const w of f.why) {
        const [mine, theirs] = w.matchedIn === 'a' ? [r.a.file, r.b.file] : [r.b.file, r.a.file];
        out.push(`    ${w.matchedIn === 'a' ? '-' : '+'} ${w.host}: ${w.chain}: ${w.rule}`);
        const at = (file: string, where?: string): string =>
          where === undefined ? file : where.startsWith(`${file}:`) ? where : `${file} (${where})`;
        out.push(`        matched in ${at(mine, w.where)}`);
        out.push(
          w.other === 'missing'
            ? `        ${theirs} has no such rule`
            : `        in ${at(theirs, w.otherWhere)} it did not match${w.otherWhy ? `: ${w.otherWhy}` : ' (not reached)'}`,
        );
      }
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
  const runs: { file: string; scenario: string; flows: FlowFacts[]; rules: RunRules }[] = [];
  let bad = false;
  for (const file of [a, b]) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      bad = true;
      continue;
    }
    const p = prepareScenario(input.text, file, {
      readFile: readInput,
      skipUnsupported: opts.skipUnsupported ?? false,
    });
    if (!p.ok) {
      for (const e of p.errors) process.stderr.write(`${e}\n`);
      bad = true;
      continue;
    }
    // Rules left out are said on standard error, as natbox test does.
    for (const k of p.built.skipped)
      process.stderr.write(`warning: ${k.where}: ${k.host}: rule left out (${k.reason})\n`);
    for (const n of p.built.notes ?? []) process.stderr.write(`note: ${n}\n`);
    const sim = simulate(p.built.world, p.built.flows, { seed: opts.seed });
    const doc = buildTraceDoc({ name: p.scenario.name, file }, sim);
    runs.push({
      file,
      scenario: p.scenario.name,
      flows: flowFacts(doc),
      rules: { steps: stepsOfFlows(doc.steps), built: p.built },
    });
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
  for (const f of report.flows)
    if (f.status === 'changed' && (f.verdict || f.serverSaw || f.replyFrom || f.stoppedBy)) {
      const why = whyChanged(f.name, runs[0]!.rules, runs[1]!.rules);
      if (why.length > 0) f.why = why;
    }
  process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderDiffText(report));
  return report.changed > 0 ? 1 : 0;
}
