// Golden files for the trace renderers: compare with test/trace/golden/NAME, or write it when
// NATBOX_UPDATE_GOLDEN=1 (then review the diff with git before committing it).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { buildTraceDoc, type TraceDoc } from '../../src/trace/model.ts';

export const repo = new URL('../../', import.meta.url);

export function golden(name: string, actual: string): void {
  const url = new URL(`golden/${name}`, import.meta.url);
  if (process.env.NATBOX_UPDATE_GOLDEN === '1' || !existsSync(url)) {
    writeFileSync(url, actual);
    return;
  }
  assert.equal(
    actual,
    readFileSync(url, 'utf8'),
    `golden file test/trace/golden/${name} differs (NATBOX_UPDATE_GOLDEN=1 rewrites it)`,
  );
}

/** Runs an example (path relative to the repository) and builds its trace document. */
export function exampleDoc(path: string, seed = 1): TraceDoc {
  const text = readFileSync(new URL(path, repo), 'utf8');
  const r = simulateScenario(text, path, { seed });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return buildTraceDoc(
    {
      name: r.scenario.name,
      file: path,
      ...(r.scenario.description ? { description: r.scenario.description } : {}),
    },
    r.sim,
  );
}
