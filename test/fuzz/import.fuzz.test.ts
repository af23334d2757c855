// Fuzz campaign, `natbox import` (issue 11): JSON of every shape where `ip -j addr` and `ip -j route`
// output is expected (gen.ts: interfaces and routes with wrong types, nulls, impossible addresses
// and MACs, IPv6), with random rules. The importer never throws: it either reports positioned
// errors (FILE: JSON path or line:column) or writes a scenario that natbox's own loader takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatImportError, importHost } from '../../src/scenario/import.ts';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';
import { FUZZ_SEED, fuzzRuns, ipJsonList, restoreText } from './gen.ts';

test('fuzz: import takes any JSON and rules: positioned errors, or a scenario natbox loads', () => {
  fc.assert(
    fc.property(
      ipJsonList,
      fc.option(ipJsonList, { nil: undefined }),
      fc.option(restoreText, { nil: undefined }),
      (a, r, rules) => {
        const res = importHost({
          name: 'box',
          addr: { text: JSON.stringify(a), file: 'addr.json' },
          ...(r !== undefined ? { route: { text: JSON.stringify(r), file: 'route.json' } } : {}),
          ...(rules !== undefined ? { rules: { text: rules, file: 'box.rules' } } : {}),
        });
        if (!res.ok) {
          assert.ok(res.errors.length > 0);
          assert.ok(!res.internal, `internal error: ${res.errors.map(formatImportError).join('\n')}`);
          for (const e of res.errors) {
            assert.ok(['addr.json', 'route.json', 'box.rules'].includes(e.file), formatImportError(e));
            assert.ok(e.line >= 1 && e.column >= 1 && e.message.length > 0, formatImportError(e));
          }
          return;
        }
        const l = loadScenario(res.yaml, 'imported.yaml');
        assert.ok(
          l.ok,
          `the imported scenario does not load:\n${l.ok ? '' : l.errors.map(formatScenarioError).join('\n')}\n${res.yaml}`,
        );
      },
    ),
    { seed: FUZZ_SEED, numRuns: fuzzRuns(500) },
  );
});
