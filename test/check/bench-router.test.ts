// natbox check on the bench's router (bench/check-gen.ts: 1,000 rules, 50 port forwards, 5 inside
// networks, 355 flows) gives the same report, byte for byte as `natbox check --json` prints it, as
// before check was made faster (issue 17, speed): the same flows and outcomes, the same findings
// with the same evidence, fixes and proofs.
// The expected JSON (fixtures/bench-router.check.json) was made by natbox itself on main at
// 0cef0bc, before the speed work, with
//   NATBOX_UPDATE_FIXTURES=1 node --import tsx --test test/check/bench-router.test.ts
// (which writes it). A change that is meant to alter check's report rewrites it the same way;
// review the diff with git before committing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { checkScenario } from '../../src/check/index.ts';
import { benchRouter } from '../../bench/check-gen.ts';

const FIXTURE = new URL('./fixtures/bench-router.check.json', import.meta.url);

test("check on the bench's router (1,000 rules, 50 forwards, 5 networks) gives the same JSON as before", () => {
  const p = prepareScenario(benchRouter(50), 'bench-check.yaml');
  if (!p.ok) throw new Error(p.errors.join('\n'));
  const r = checkScenario(p.scenario, p.built, {});
  const json = JSON.stringify(r, null, 2) + '\n';
  if (process.env.NATBOX_UPDATE_FIXTURES === '1') writeFileSync(FIXTURE, json);
  const want = readFileSync(FIXTURE, 'utf8');
  assert.equal(r.flows.length, 355);
  assert.deepEqual(JSON.parse(json), JSON.parse(want));
  assert.equal(json, want);
});
