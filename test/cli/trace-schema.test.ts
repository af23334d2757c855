// The trace JSON document validates against its published schema (schema/trace.schema.json), for
// every example, so the documented format and the real output cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';

const root = new URL('../../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schema/trace.schema.json', root), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

for (const f of readdirSync(new URL('examples/hairpin/', root)).filter((x) => x.endsWith('.yaml'))) {
  test(`trace JSON of examples/hairpin/${f} validates against schema/trace.schema.json`, () => {
    const path = `examples/hairpin/${f}`;
    const r = simulateScenario(readFileSync(new URL(path, root), 'utf8'), path);
    assert.ok(r.ok);
    const doc = JSON.parse(JSON.stringify(buildTraceDoc({ name: r.scenario.name, file: path }, r.sim))) as {
      flows: { verdict: string }[];
    };
    const ok = validate(doc);
    assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 3), null, 2));
    // And a broken document is refused (the schema is not vacuous).
    doc.flows[0]!.verdict = 'maybe';
    assert.equal(validate(doc), false);
  });
}
