// natbox check --verify: each fixed scenario (the original with the fix's commands as events) run
// on the kernel as natbox verify does. Needs root and network namespaces (exit 3). The same writer
// makes the fixed scenarios committed under test/conformance/extra/ (check-fixed-*.yaml), which
// the live verify suite runs and test/check/fixed.test.ts keeps equal to what check proposes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import type { CheckReport } from '../check/model.ts';
import { appliedCommands } from '../check/fix.ts';
import { simulateScenario } from '../scenario/simulate.ts';
import { verifyCommand } from './verify.ts';

/**
 * Seconds every flow (and every event of the scenario) is moved later in the fixed scenario when a
 * fix runs at time 0: on the kernel a command takes tens of milliseconds, so a flow at time 0
 * would race it.
 */
export const FIX_LEAD = 1;
/** Seconds between two fix commands of the fixed scenario. */
export const FIX_GAP = 0.5;

export interface FixedOptions {
  /** Apply this alternative (its label, e.g. `MASQUERADE`) instead of the fix, where a fix has it. */
  readonly alternative?: string;
  /** The scenario's path, named in the header: "the fixed scenario natbox check proposes for …". */
  readonly origin?: string;
}

/** The proved fixes of a report as event lines: `{ at, host, run }` (nft statements as `nft …`). */
function fixEvents(report: CheckReport, alternative?: string): { at?: number; host: string; run: string }[] {
  const out: { at?: number; host: string; run: string }[] = [];
  for (const f of report.findings) {
    if (!f.proof?.passed || !f.fix) continue;
    const alt = alternative ? f.fix.alternatives?.find((a) => a.label === alternative) : undefined;
    const a = appliedCommands(alt ? { ...f.fix, commands: alt.commands } : f.fix);
    if (!a) continue;
    for (const c of a.commands) {
      // nft's words as one argument where they hold a block (`{ … ; }`), as a shell would need.
      const run = a.dialect === 'nft' ? (/[{;]/.test(c) ? `nft '${c}'` : `nft ${c}`) : c;
      // Two findings may need the same line (an ESTABLISHED accept): it runs once.
      if (out.some((o) => o.host === f.fix!.host && o.run === run && o.at === f.fix!.at)) continue;
      out.push({
        ...(f.fix.at !== undefined ? { at: f.fix.at } : {}),
        host: f.fix.host,
        run,
      });
    }
  }
  return out;
}

/**
 * The scenario text with the proved fixes as events (fixes with no time from 0, FIX_GAP apart, and
 * every flow and event FIX_LEAD seconds after the last of them; a fix with a time, e.g. `conntrack -D` after a rule change,
 * right after the event of that time). Undefined when there is no fix to run.
 */
export function fixedScenarioText(
  text: string,
  report: CheckReport,
  opts: FixedOptions = {},
): string | undefined {
  const fixes = fixEvents(report, opts.alternative);
  if (fixes.length === 0) return undefined;
  // Fixes with no time run FIX_GAP apart from 0 (one command at a time, each on time even on a
  // loaded machine), and everything else starts FIX_LEAD after the last of them.
  const untimed = fixes.filter((f) => f.at === undefined).length;
  const shift = untimed > 0 ? (untimed - 1) * FIX_GAP + FIX_LEAD : 0;
  const doc = parseDocument(text);
  const later = (m: unknown): void => {
    if (shift && isMap(m)) m.set('at', Number(m.get('at') ?? 0) + shift);
  };
  const flows = doc.get('flows');
  if (isSeq(flows)) flows.items.forEach(later);
  let events = doc.get('events');
  if (!isSeq(events)) {
    events = new YAMLSeq();
    doc.set('events', events);
  }
  const seq = events as YAMLSeq;
  seq.items.forEach(later);
  let k = 0;
  for (const f of fixes) {
    // A timed fix follows the scenario's event of that time by a tenth of a second (on the kernel
    // the event's own command must have ended: each is held to its time).
    const at = f.at === undefined ? k++ * FIX_GAP : Math.round((f.at + shift + 0.1) * 1000) / 1000;
    const node = doc.createNode({ at, host: f.host, run: f.run });
    node.flow = true;
    seq.items.push(node);
  }
  // In time order; of the same time, the scenario's own event first (a fix follows its change).
  const at = (n: unknown): number => (isMap(n) ? Number(n.get('at') ?? 0) : 0);
  seq.items = seq.items
    .map((n, i) => ({ n, i }))
    .sort((a, b) => at(a.n) - at(b.n) || a.i - b.i)
    .map((x) => x.n);
  const name = doc.get('name');
  if (typeof name === 'string')
    doc.set('name', `${name}-fixed${opts.alternative ? `-${opts.alternative.toLowerCase()}` : ''}`);
  const head = [
    ` the fixed scenario natbox check proposes for ${opts.origin ?? report.scenario.file}${opts.alternative ? ` (its ${opts.alternative} alternative)` : ''}`,
    ' (written by natbox check: its proved fixes are the events marked "natbox check";',
    " the flows' expectations are natbox's own verdicts with the fixes, which the kernel must agree",
    " with; the comments below are the original scenario's and describe it before the fix)",
  ].join('\n');
  doc.commentBefore = doc.commentBefore ? `${head}\n\n${doc.commentBefore}` : head;
  let out = doc.toString({ lineWidth: 0 });
  // Mark the fix events (a trailing comment on each).
  for (const f of fixes) {
    const run = JSON.stringify(f.run);
    out = out.replace(new RegExp(`(run: ${escape(f.run)}|run: ${escape(run)}) }\n`), `$1 } # natbox check\n`);
  }
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The fixed scenario with each flow's expectation set to what natbox gives it (verdict, and who
 * the server saw): the live verify suite then checks the kernel against them.
 */
export function withNatboxExpectations(text: string, file: string): string {
  const s = simulateScenario(text, file, { seed: 1 });
  if (!s.ok) throw new Error(s.errors.join('\n'));
  const doc = parseDocument(text);
  const flows = doc.get('flows');
  if (isSeq(flows))
    flows.items.forEach((m, k) => {
      const r = s.sim.results[k];
      if (!isMap(m) || !r) return;
      const e = doc.createNode(
        r.serverSaw ? { verdict: r.verdict, server_sees: r.serverSaw } : { verdict: r.verdict },
      );
      e.flow = true;
      m.set('expect', e);
    });
  return doc.toString({ lineWidth: 0 });
}

export async function verifyFixed(
  files: readonly string[],
  reports: readonly CheckReport[],
  log: (s: string) => void,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-check-'));
  try {
    const fixed: string[] = [];
    files.forEach((file, i) => {
      const t = fixedScenarioText(readFileSync(file, 'utf8'), reports[i]!, { origin: file });
      if (!t) return;
      const p = join(dir, `fixed-${i}.yaml`);
      writeFileSync(p, t);
      fixed.push(p);
    });
    if (fixed.length === 0) {
      log('natbox check --verify: no proved fix to run on the kernel\n');
      return 0;
    }
    return await verifyCommand(fixed, { backend: 'nft', seed: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
