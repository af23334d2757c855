// The trace of the raw flows (module-sctp-dccp-esp-ah.yaml): ESP and AH have no ports, so a NAT
// step names addresses alone, as `conntrack -L` does for them (before: "198.51.100.1:0").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';

test('NAT steps of ESP and AH name addresses without ports', () => {
  const path = 'test/conformance/extra/module-sctp-dccp-esp-ah.yaml';
  const r = simulateScenario(readFileSync(path, 'utf8'), path);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const doc = buildTraceDoc({ name: r.scenario.name, file: path }, r.sim);
  const nat: string[] = JSON.stringify(doc).match(/"before":"[^"]*","after":"[^"]*"/g) ?? [];
  assert.ok(
    nat.includes('"before":"192.168.1.10 > 198.51.100.80","after":"198.51.100.1 > 198.51.100.80"'),
    JSON.stringify(nat),
  );
});
