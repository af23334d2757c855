// natbox check's proposed fixes applied: for each cause's scenario, every fix check proved applied
// together to a copy makes every generated flow pass (and, before them, some flow fails: the test
// can fail); the fixed scenarios committed under test/conformance/extra/ (check-fixed-*.yaml, run
// on the kernel by the live verify suite, test/verify/all.test.ts) are exactly what check proposes
// today, and each of their flows passes on natbox. NATBOX_WRITE_FIXED=1 writes them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { simulate } from '../../src/sim/run.ts';
import { toTraceStep } from '../../src/trace/trace-step.ts';
import { checkScenario } from '../../src/check/index.ts';
import { discover, toSimFlow } from '../../src/check/discover.ts';
import { applyFixes } from '../../src/check/fix.ts';
import { passed, runAll } from '../../src/check/run.ts';
import type { CheckReport } from '../../src/check/model.ts';
import { fixedScenarioText, withNatboxExpectations } from '../../src/cli/check-verify.ts';

function load(file: string): Extract<ReturnType<typeof prepareScenario>, { ok: true }> {
  const p = prepareScenario(readFileSync(file, 'utf8'), file);
  if (!p.ok) throw new Error(p.errors.join('\n'));
  return p;
}

/** The scenario of each cause and the cause check must name there. */
const CAUSES: [string, string][] = [
  ['examples/hairpin/dnat-only.yaml', 'hairpin-no-snat'],
  ['examples/hairpin/udp-dnat-only.yaml', 'hairpin-no-snat'],
  ['examples/openwrt/reflection-off.yaml', 'no-reflection'],
  ['examples/check/forward-dropped.yaml', 'forward-dropped'],
  ['examples/check/server-gateway.yaml', 'server-gateway'],
  ['examples/check/no-listener.yaml', 'no-listener'],
  ['examples/check/rp-filter.yaml', 'rp-filter'],
  ['examples/check/snat-wrong-interface.yaml', 'snat-wrong-interface'],
  ['test/check/scenarios/router-output-dnat.yaml', 'router-output-dnat'],
  ['examples/check/never-match.yaml', 'never-match'],
  ['examples/check/shadowed-rule.yaml', 'never-match'],
  ['examples/check/stale-conntrack.yaml', 'stale-conntrack'],
  ['examples/check/exposure.yaml', 'exposure'],
];

for (const [file, cause] of CAUSES)
  test(`${cause}: every proved fix of ${file} applied, every flow passes`, () => {
    const p = load(file);
    const r = checkScenario(p.scenario, p.built);
    assert.ok(
      r.findings.some((f) => f.cause === cause),
      r.findings.map((f) => f.cause).join(', '),
    );
    // Every finding with a fix to run has a passing proof (advice has none).
    for (const f of r.findings)
      if (f.fix && f.fix.dialect !== 'advice') assert.equal(f.proof?.passed, true, `${f.cause} proved`);
    const disc = discover(p.built);
    const flows = disc.flows.map((f, i) => toSimFlow(f, i));
    // Exposure's fix is for its outside flow to stop connecting.
    const blocked = new Set(r.findings.filter((f) => f.cause === 'exposure').flatMap((f) => f.flows));
    const ok = (res: ReturnType<typeof runAll>): boolean[] =>
      disc.flows.map((f, i) => passed(res[i]!) !== blocked.has(f.name));
    const before = ok(runAll(disc.world, flows));
    if (cause !== 'stale-conntrack') assert.ok(before.includes(false), 'some flow fails before the fixes');
    const world = applyFixes(
      p.scenario,
      disc.world,
      r.findings.filter((f) => f.proof?.passed && f.fix).map((f) => f.fix!),
    );
    assert.ok(world);
    const after = ok(runAll(world, flows));
    // A flow the rules do not mean to serve (the seed's forward is written for the LAN only: the
    // outside's flow) and that no finding names is not the fixes' to make pass.
    const unmeant = (name: string, intended: boolean): boolean =>
      !intended && !r.findings.some((f) => f.flows.includes(name));
    disc.flows.forEach((f, i) =>
      assert.ok(after[i] || unmeant(f.name, f.intended), `${f.name} after the fixes`),
    );
  });

/** Each committed fixed scenario: the file, the scenario it fixes, the alternative it applies. */
const FIXED: [string, string, string?][] = [
  ['check-fixed-hairpin-dnat-only.yaml', 'examples/hairpin/dnat-only.yaml'],
  ['check-fixed-hairpin-dnat-only-masquerade.yaml', 'examples/hairpin/dnat-only.yaml', 'MASQUERADE'],
  ['check-fixed-openwrt-reflection-off.yaml', 'examples/openwrt/reflection-off.yaml'],
  ...[
    'forward-dropped',
    'server-gateway',
    'no-listener',
    'rp-filter',
    'snat-wrong-interface',
    'never-match',
    'shadowed-rule',
    'stale-conntrack',
    'exposure',
  ].map((x): [string, string] => [`check-fixed-${x}.yaml`, `examples/check/${x}.yaml`]),
  ['check-fixed-router-output-dnat.yaml', 'test/check/scenarios/router-output-dnat.yaml'],
];

const fixedText = (origin: string, r: CheckReport, alternative?: string): string => {
  const t = fixedScenarioText(readFileSync(origin, 'utf8'), r, {
    origin,
    ...(alternative ? { alternative } : {}),
  });
  assert.ok(t, `${origin}: a fixed scenario`);
  return withNatboxExpectations(t, origin);
};

for (const [name, origin, alternative] of FIXED)
  test(`test/conformance/extra/${name} is the fixed scenario check proposes for ${origin}`, () => {
    const p = load(origin);
    const want = fixedText(origin, checkScenario(p.scenario, p.built), alternative);
    const path = `test/conformance/extra/${name}`;
    if (process.env.NATBOX_WRITE_FIXED === '1') writeFileSync(path, want);
    const text = readFileSync(path, 'utf8');
    assert.equal(text, want, `${path} drifted from natbox check: NATBOX_WRITE_FIXED=1 writes it again`);
    assert.match(text, new RegExp(`^# the fixed scenario natbox check proposes for ${origin}`));
    // On natbox every flow of the fixed scenario gets through, except what exposure's fix blocks.
    const f = load(path);
    const sim = simulate(f.built.world, f.built.flows, { seed: 1 });
    for (const res of sim.results) {
      const ok = passed(res);
      assert.equal(ok, !origin.endsWith('exposure.yaml'), `${res.flow.name}: ${res.verdict}`);
    }
    for (const e of sim.events) assert.equal(e.rc, 0, `${e.event.run}: ${e.stderr}`);
  });

test('the fixed stale-conntrack scenario: after the conntrack -D the stream goes to the new server', () => {
  const f = load('test/conformance/extra/check-fixed-stale-conntrack.yaml');
  const sim = simulate(f.built.world, f.built.flows, { seed: 1, trace: true });
  const del = sim.events.find((e) => e.event.run.startsWith('conntrack -D'))!;
  assert.match(del.effect, /deleted/);
  const dnats = sim.steps
    .map((s) => toTraceStep(s))
    .filter((s) => s.kind === 'nat' && s.host === 'router' && s.manip === 'DNAT' && s.t > del.t);
  assert.ok(dnats.length > 0);
  for (const s of dnats) if (s.kind === 'nat') assert.match(s.after, / > 10\.0\.0\.11:27015$/);
});
