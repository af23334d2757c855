// The scenario loader never throws: random edits of an example (characters deleted, replaced or
// inserted) give either a scenario or errors that each carry a position inside the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';

const example = readFileSync(
  fileURLToPath(new URL('../../examples/hairpin/dnat-snat.yaml', import.meta.url)),
  'utf8',
);

const edit = fc.record({
  at: fc.nat({ max: example.length }),
  del: fc.nat({ max: 8 }),
  ins: fc.string({
    maxLength: 6,
    unit: fc.constantFrom(':', '-', ' ', '\n', '[', '{', '"', 'a', '1', '/', '.', '|'),
  }),
});

test('scenario-load-never-throws-on-edited-examples', () => {
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      let text = example;
      for (const e of edits) text = text.slice(0, e.at) + e.ins + text.slice(e.at + e.del);
      const r = loadScenario(text, 'e.yaml');
      if (r.ok) return;
      const lines = text.split('\n').length;
      assert.ok(r.errors.length > 0);
      for (const e of r.errors) {
        assert.ok(e.line >= 1 && e.line <= lines + 1 && e.column >= 1, formatScenarioError(e));
        assert.ok(e.message.length > 0);
      }
    }),
    { seed: 20240611, numRuns: 400 },
  );
});
