// natbox check on the page's scenario: the same call the CLI makes (src/cli/check.ts), without
// the file reading. It runs in a Web Worker (checker.ts) so that an edit's re-run and redraw never
// wait for it; a page that cannot start a worker runs it here after the redraw.
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { checkScenario } from '../../src/check/index.ts';
import type { CheckReport } from '../../src/check/model.ts';
import type { Lang } from '../../src/check/words.ts';

export interface CheckRequest {
  readonly id: number;
  readonly text: string;
  readonly file: string;
  readonly lang: Lang;
}

export type CheckAnswer =
  | { readonly id: number; readonly ok: true; readonly report: CheckReport; readonly ms: number }
  | { readonly id: number; readonly ok: false; readonly errors: readonly string[]; readonly ms: number };

/** Never throws: a scenario that does not load, or an engine error, is an answer with errors. */
export function runCheck(q: CheckRequest): CheckAnswer {
  const t0 = performance.now();
  try {
    const p = prepareScenario(q.text, q.file);
    if (!p.ok) return { id: q.id, ok: false, errors: p.errors, ms: performance.now() - t0 };
    const report = checkScenario(p.scenario, p.built, { lang: q.lang });
    return { id: q.id, ok: true, report, ms: performance.now() - t0 };
  } catch (e) {
    return {
      id: q.id,
      ok: false,
      errors: [`${q.file}: ${e instanceof Error ? e.message : String(e)}`],
      ms: performance.now() - t0,
    };
  }
}

/** The worker's side: one answer per request, in order. */
export function serveChecks(scope: {
  onmessage: ((e: { readonly data: CheckRequest }) => void) | null;
  postMessage(a: CheckAnswer): void;
}): void {
  scope.onmessage = (e) => scope.postMessage(runCheck(e.data));
}
