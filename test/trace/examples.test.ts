// Every example scenario: its flows' verdicts (and who the server saw) against a golden file, and
// every expectation the file states holds. The golden file is the reviewed record of what natbox
// does with each example; an engine change that alters one shows here.
//
// No example is left out today. If an example exposes a natbox bug, keep its honest expectation,
// list it in KNOWN_WRONG with the reason, and tell the lead; it is then left out of the checks here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { readFileSync } from 'node:fs';
import { golden, repo } from './golden.ts';

const KNOWN_WRONG: Record<string, string> = {};

const examples = readdirSync(new URL('examples/', repo), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `examples/${f.replaceAll('\\', '/')}`)
  .sort();

test('examples: verdicts of every example match the golden file', () => {
  const lines: string[] = [];
  for (const ex of examples) {
    if (KNOWN_WRONG[ex]) continue;
    const r = simulateScenario(readFileSync(new URL(ex, repo), 'utf8'), ex);
    if (!r.ok) assert.fail(r.errors.join('\n'));
    for (const f of r.sim.results)
      lines.push(`${ex}\t${f.flow.name}\t${f.verdict}${f.serverSaw ? `\t${f.serverSaw}` : ''}`);
  }
  golden('examples-verdicts.tsv', lines.join('\n') + '\n');
});

for (const ex of examples) {
  test(`examples: ${ex}: every expectation holds`, { skip: KNOWN_WRONG[ex] ?? false }, () => {
    const r = simulateScenario(readFileSync(new URL(ex, repo), 'utf8'), ex);
    if (!r.ok) assert.fail(r.errors.join('\n'));
    assert.ok(r.sim.complete, 'the run finished');
    assert.ok(r.sim.results.length > 0);
    for (const f of r.sim.results) {
      assert.ok(f.flow.expect, `flow "${f.flow.name}" states an expectation`);
      assert.deepEqual(f.mismatches, [], `flow "${f.flow.name}"`);
    }
  });
}
