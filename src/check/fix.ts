// Proving a fix: applied to a copy of the scenario (iptables, sysctl, ip and conntrack commands as
// events run on the host at time 0, before any flow; nft statements appended to the host's
// ruleset, which is then built again), the failing flows re-run and must pass. When the first fix
// uncovers the next cause (a DNAT that now reaches a FORWARD drop), that cause's fix is added and
// the flows run again, up to three rounds: the fix shown is the whole change that made them pass.
import type { Scenario, HostSpec, At } from '../scenario/model.ts';
import { buildScenario } from '../scenario/build.ts';
import type { SimEvent } from '../sim/events.ts';
import type { WorldConfig } from '../sim/world.ts';
import { discover, toSimFlow } from './discover.ts';
import type { CheckFlow, Finding, Fix, FlowOutcome, Proof } from './model.ts';
import { outcomeOf, passed, runAll, runTraced } from './run.ts';
import { diagnose, type Ctx } from './causes.ts';

export const FIX_FILE = 'natbox-check-fix';
const MAX_ROUNDS = 3;

/** The commands a proof applies: the fix's own, or its nft form when the fix is OpenWrt's option. */
export function appliedCommands(fix: Fix): { dialect: string; commands: readonly string[] } | undefined {
  if (fix.dialect === 'advice') return undefined;
  if (fix.dialect === 'uci') {
    const nft = fix.alternatives?.find((a) => a.label === 'nft');
    return nft ? { dialect: 'nft', commands: nft.commands } : undefined;
  }
  return { dialect: fix.dialect, commands: fix.commands };
}

/** The world the check flows run in with `fixes` applied; undefined when a fix cannot be applied. */
export function applyFixes(
  scenario: Scenario,
  base: WorldConfig,
  fixes: readonly Fix[],
): WorldConfig | undefined {
  let world = base;
  const nft = fixes.map((f) => ({ f, a: appliedCommands(f) })).filter((x) => x.a?.dialect === 'nft');
  if (nft.length > 0) {
    let line = 0;
    const hosts = scenario.hosts.map((h): HostSpec => {
      const mine = nft.filter((x) => x.f.host === h.name.value).flatMap((x) => x.a!.commands);
      if (mine.length === 0) return h;
      const extra: At<string>[] = mine.map((value) => ({
        value,
        loc: { file: FIX_FILE, line: ++line, column: 1 },
      }));
      const isNftRules =
        h.rules &&
        !h.nft &&
        /^\s*(table|flush|add|#!)/m.test(h.rules.lines.map((l) => l.value).join('\n')) &&
        !/^\s*(\*|iptables|-A)/m.test(h.rules.lines.map((l) => l.value).join('\n'));
      if (isNftRules) return { ...h, rules: { lines: [...h.rules!.lines, ...extra] } };
      return { ...h, nft: { lines: [...(h.nft?.lines ?? []), ...extra] } };
    });
    const b = buildScenario({ ...scenario, hosts });
    if (!b.ok) return undefined;
    world = discover(b.built).world;
  }
  const events: SimEvent[] = [];
  let line = 0;
  for (const f of fixes) {
    const a = appliedCommands(f);
    if (!a || a.dialect === 'nft') continue;
    for (const run of a.commands)
      events.push({ at: f.at ?? 0, host: f.host, run, loc: { file: FIX_FILE, line: ++line, column: 1 } });
  }
  // After the scenario's own events of the same time (a fix follows the change it repairs).
  if (events.length > 0)
    world = {
      ...world,
      events: [...(world.events ?? []), ...events].sort((a, b) => a.at - b.at),
    };
  return world;
}

/**
 * Each alternative of a proved fix, applied to a copy instead of the fix (on top of `base`): the
 * same flows must do what the fix is for, and no flow that passed may fail.
 */
export function proveAlternatives(
  scenario: Scenario,
  baseWorld: WorldConfig,
  finding: Finding,
  flows: readonly CheckFlow[],
  before: ReadonlyMap<string, boolean>,
  base: readonly Fix[] = [],
): Finding {
  const fix = finding.fix;
  if (!fix?.alternatives || !finding.proof?.passed || fix.dialect === 'uci') return finding;
  const alts = fix.alternatives.map((a) => {
    const world = applyFixes(scenario, baseWorld, [...base, { ...fix, commands: a.commands }]);
    if (!world) return { label: a.label, passed: false };
    const results = runAll(
      world,
      flows.map((f, i) => toSimFlow(f, i)),
    );
    const ok = flows.every((f, i) =>
      finding.flows.includes(f.name)
        ? wanted(finding, passed(results[i]!))
        : before.get(f.name) !== true || passed(results[i]!),
    );
    return { label: a.label, passed: ok };
  });
  return { ...finding, proof: { ...finding.proof, alternatives: alts } };
}

/** Whether a flow's outcome is what the fix is for (exposure: the outside flow must now fail). */
const wanted = (finding: Finding, ok: boolean): boolean => (finding.cause === 'exposure' ? !ok : ok);

/** Merges the commands of `more` into `fix` (same host and dialect: appended; else not merged). */
function merge(fix: Fix, more: Fix): Fix | undefined {
  const a = appliedCommands(fix);
  const b = appliedCommands(more);
  if (!a || !b || fix.host !== more.host || a.dialect !== b.dialect) return undefined;
  const add = b.commands.filter((c) => !a.commands.includes(c));
  if (add.length === 0) return undefined;
  if (fix.dialect === 'uci')
    return {
      ...fix,
      alternatives: (fix.alternatives ?? []).map((x) =>
        x.label === 'nft' ? { ...x, commands: [...x.commands, ...add] } : x,
      ),
    };
  return {
    ...fix,
    commands: [...fix.commands, ...add],
    ...(fix.alternatives
      ? { alternatives: fix.alternatives.map((x) => ({ ...x, commands: [...x.commands, ...add] })) }
      : {}),
  };
}

/**
 * Applies the finding's fix to a copy, re-runs its flows (and every other check flow, which must
 * not get worse), and returns the finding with its proof (and its fix grown by the causes the
 * first fix uncovered).
 */
export function prove(
  ctx: Ctx,
  scenario: Scenario,
  baseWorld: WorldConfig,
  finding: Finding,
  flows: readonly CheckFlow[],
  before: ReadonlyMap<string, boolean>,
  /** Fixes already proved for broken findings: a warning's proof runs on top of them. */
  base: readonly Fix[] = [],
): Finding {
  if (!finding.fix || !appliedCommands(finding.fix)) return finding;
  let fix: Fix = finding.fix;
  const mine = flows.filter((f) => finding.flows.includes(f.name));
  // No flow to show it on: a proof would pass without proving anything.
  if (mine.length === 0) return finding;
  let outcomes: FlowOutcome[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const world = applyFixes(scenario, baseWorld, [...base, fix]);
    if (!world) return { ...finding, fix };
    const sims = flows.map((f, i) => toSimFlow(f, i));
    const results = runAll(world, sims);
    outcomes = mine.map((f) => outcomeOf(results[flows.indexOf(f)]!));
    // Flows that passed before and fail now are a regression the proof must show.
    const regressed = flows.filter(
      (f, i) => before.get(f.name) === true && !passed(results[i]!) && !mine.includes(f),
    );
    outcomes.push(...regressed.map((f) => outcomeOf(results[flows.indexOf(f)]!)));
    const failing = mine.filter((f) => !wanted(finding, passed(results[flows.indexOf(f)]!)));
    if (failing.length === 0 || finding.cause === 'exposure' || round === MAX_ROUNDS - 1) {
      const ok = failing.length === 0 && regressed.length === 0;
      return { ...finding, fix, proof: { flows: outcomes, passed: ok } satisfies Proof };
    }
    // The next cause, on the fixed copy.
    const f0 = failing[0]!;
    const t = runTraced(world, sims[flows.indexOf(f0)]!);
    const next = diagnose({ ...ctx, world }, f0, t);
    const grown: Fix | undefined = next.fix ? merge(fix, next.fix) : undefined;
    if (!grown) return { ...finding, fix, proof: { flows: outcomes, passed: false } };
    fix = grown;
  }
  return { ...finding, fix, proof: { flows: outcomes, passed: false } };
}

/**
 * Proves many findings in one run: every fix applied together (on top of `base`), every finding's
 * flows run once. A finding whose flows all do what its fix is for gets its proof here; the
 * others (undefined) are proved alone by `prove`, which can grow their fix.
 */
export function proveJointly(
  scenario: Scenario,
  baseWorld: WorldConfig,
  findings: readonly Finding[],
  flows: readonly CheckFlow[],
  base: readonly Fix[] = [],
): (Proof | undefined)[] {
  const fixes = findings
    .map((f) => f.fix)
    .filter((f): f is Fix => f !== undefined && appliedCommands(f) !== undefined);
  if (fixes.length === 0) return findings.map(() => undefined);
  const world = applyFixes(scenario, baseWorld, [...base, ...fixes]);
  if (!world) return findings.map(() => undefined);
  const mine = flows.filter((f) => findings.some((x) => x.flows.includes(f.name)));
  const results = runAll(
    world,
    mine.map((f) => toSimFlow(f, flows.indexOf(f))),
  );
  const byName = new Map(mine.map((f, i) => [f.name, results[i]!]));
  return findings.map((f) => {
    if (!f.fix || !appliedCommands(f.fix) || f.flows.length === 0) return undefined;
    const outs = f.flows.map((n) => byName.get(n)!).filter((r) => r !== undefined);
    if (outs.length === 0 || !outs.every((r) => wanted(f, passed(r)))) return undefined;
    return { flows: outs.map((r) => outcomeOf(r)), passed: true };
  });
}
