// One call from scenario text to a finished simulation: load (YAML, with positions), build (rules
// parsed and checked) and run. Errors come back as `FILE:LINE:COLUMN: message` lines.
import { simulate, type SimOptions, type SimResult } from '../sim/run.ts';
import { isUnsupported, SKIP_UNSUPPORTED_HINT } from '../rules/diagnostics.ts';
import {
  buildScenario,
  formatBuildError,
  type BuildError,
  type BuildOptions,
  type Built,
  type SkippedRule,
} from './build.ts';
import { formatScenarioError, loadScenario, type LoadOptions } from './load.ts';
import type { Scenario } from './model.ts';

/** An unsupported match or target says how to run the scenario anyway. */
function withSkipHint(e: BuildError): BuildError {
  if (!isUnsupported(e.message) || e.message.includes('--skip-unsupported')) return e;
  return { ...e, message: `${e.message}${SKIP_UNSUPPORTED_HINT}` };
}

export type Prepared = { ok: true; scenario: Scenario; built: Built } | { ok: false; errors: string[] };

export function prepareScenario(text: string, file: string, opts: BuildOptions & LoadOptions = {}): Prepared {
  const l = loadScenario(text, file, opts);
  if (!l.ok) return { ok: false, errors: l.errors.map(formatScenarioError) };
  const b = buildScenario(l.scenario, opts);
  if (!b.ok) return { ok: false, errors: b.errors.map((e) => formatBuildError(withSkipHint(e))) };
  return { ok: true, scenario: l.scenario, built: b.built };
}

export function simulateScenario(
  text: string,
  file: string,
  opts: SimOptions & BuildOptions & LoadOptions = {},
):
  | {
      ok: true;
      scenario: Scenario;
      sim: SimResult;
      skipped: readonly SkippedRule[];
      /** Address conflicts on a segment (build.ts `warnings`). */
      warnings?: readonly string[];
      /** What the rules hold that has no effect on IPv4 packets (build.ts `notes`). */
      notes?: readonly string[];
    }
  | { ok: false; errors: string[] } {
  const p = prepareScenario(text, file, opts);
  if (!p.ok) return p;
  return {
    ok: true,
    scenario: p.scenario,
    sim: simulate(p.built.world, p.built.flows, opts),
    skipped: p.built.skipped,
    ...(p.built.warnings ? { warnings: p.built.warnings } : {}),
    ...(p.built.notes ? { notes: p.built.notes } : {}),
  };
}
