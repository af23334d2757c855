// Fuzz campaign, scenarios (issue 11): random scenarios (gen.ts: overlapping subnets, bridges cabled
// into loops, interface names that are `ip` keywords, rules of every kind) and random edits of every
// example are loaded, built, simulated and rendered. natbox must never throw: a scenario it cannot
// take gives positioned errors (FILE:LINE:COLUMN: message), one it takes runs to a verdict for every
// flow within the simulator's bounds, and the text and JSON renderings stay bounded.
// Fixed seed and run count for CI (FUZZ_SEED, fuzzRuns); NATBOX_FUZZ_RUNS=5000 for a long campaign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { prepareScenario, simulateScenario } from '../../src/scenario/simulate.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';
import { renderText } from '../../src/trace/text.ts';
import { edited, FUZZ_SEED, fuzzRuns, scenarioText, switchedScenarioText } from './gen.ts';

const POSITIONED = /^[^:\n]+:\d+:\d+: \S/;
/** What a rendered trace may weigh at most: far above any real scenario, far below a melt-down. */
const MAX_RENDERED = 20_000_000;

function checkErrors(errors: readonly string[], text: string): void {
  assert.ok(errors.length > 0, 'a refused scenario says why');
  for (const e of errors) {
    assert.match(e, POSITIONED, `unpositioned error: ${e}\n--- scenario ---\n${text}`);
    assert.doesNotMatch(e, /internal error|TypeError|RangeError|\n\s+at /, `${e}\n--- scenario ---\n${text}`);
  }
}

function runAndRender(text: string): void {
  const r = simulateScenario(text, 'fuzz.yaml', { maxEvents: 200_000 });
  if (!r.ok) return checkErrors(r.errors, text);
  assert.equal(r.sim.results.length, r.scenario.flows.length);
  for (const f of r.sim.results) assert.ok(f.verdict, `flow without a verdict\n${text}`);
  const doc = buildTraceDoc({ name: 'fuzz', file: 'fuzz.yaml' }, r.sim, r.skipped);
  const json = JSON.stringify(doc);
  assert.ok(json.length < MAX_RENDERED, `JSON trace of ${json.length} bytes\n${text}`);
  const out = renderText(doc, { verbose: true });
  assert.ok(out.length < MAX_RENDERED, `text trace of ${out.length} bytes\n${text}`);
}

test('fuzz: generated scenarios load, run to a verdict per flow, and render, or say where they are wrong', () => {
  fc.assert(fc.property(scenarioText, runAndRender), { seed: FUZZ_SEED, numRuns: fuzzRuns(150) });
});

test('fuzz: switches cabled at random (loops included) end in a verdict within the bounds', () => {
  fc.assert(fc.property(switchedScenarioText, runAndRender), { seed: FUZZ_SEED, numRuns: fuzzRuns(60) });
});

const examplesDir = new URL('../../examples/', import.meta.url);
const examples = readdirSync(examplesDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ file: f, text: readFileSync(fileURLToPath(new URL(f, examplesDir)), 'utf8') }));

test('fuzz: edited examples are taken or refused with positioned errors, never a throw', () => {
  assert.ok(examples.length >= 10, 'the examples are found');
  for (const [k, ex] of examples.entries()) {
    fc.assert(
      fc.property(edited(ex.text), (text) => {
        const p = prepareScenario(text, ex.file);
        if (!p.ok) checkErrors(p.errors, text);
      }),
      { seed: FUZZ_SEED + k, numRuns: fuzzRuns(60) },
    );
  }
});
