// natbox check: discovery, the generated flows run on the simulator, each failure's cause named
// with its evidence, the smallest fix proposed and proved on a copy. Pure (no node: imports): the
// CLI reads the file and prints the report (render.ts).
import type { Scenario } from '../scenario/model.ts';
import type { Built } from '../scenario/build.ts';
import { discover } from './discover.ts';
import type { CheckFlow, CheckReport, Finding, Fix, FlowOutcome, ForwardView } from './model.ts';
import { outcomeOf, passed, runAll, runTracedMany, type runTraced } from './run.ts';
import { diagnose, exposureFindings, staticFindings, type Ctx } from './causes.ts';
import { prove, proveAlternatives, proveJointly } from './fix.ts';
import { staleConntrack } from './stale.ts';
import { frame, type Lang } from './words.ts';

export interface CheckOptions {
  readonly lang?: Lang;
  /** Skip the proofs (faster; the bench measures both). */
  readonly prove?: boolean;
}

/** Findings that are the same cause with the same fix are one, with all their flows. */
function mergeFindings(fs: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  // Each finding's key made once, the first with a key found by it (not a walk per finding).
  const at = new Map<string, number>();
  for (const f of fs) {
    const key = `${f.cause} ${f.router} ${JSON.stringify(f.fix?.commands ?? f.evidence.rule ?? f.title)}`;
    const same = at.get(key);
    if (same === undefined) {
      at.set(key, out.length);
      out.push(f);
    } else
      out[same] = {
        ...out[same]!,
        flows: [...out[same]!.flows, ...f.flows.filter((n) => !out[same]!.flows.includes(n))],
      };
  }
  return out;
}

/**
 * A flow FORWARD (or another filter) dropped by a rule that shadows a later rule written for that
 * flow is the shadowed rule's failure: one finding (never-match, naming both rules) with the
 * flow, proved on it, instead of a second fix that adds yet another rule.
 */
function foldShadowed(
  fs: Finding[],
  shadows: ReadonlyMap<string, string>,
  forwardOf: (flow: string) => ForwardView | undefined,
): Finding[] {
  const gone = new Set<Finding>();
  const out = fs.map((g) => {
    const rule = g.evidence.rule;
    const by = g.cause === 'never-match' && rule ? shadows.get(rule) : undefined;
    if (!rule || !by) return g;
    const drops = fs.filter(
      (f) =>
        f.cause === 'forward-dropped' &&
        f.router === g.router &&
        f.evidence.rule === by &&
        f.flows.every((n) => admits(rule, forwardOf(n))),
    );
    if (drops.length === 0) return g;
    for (const d of drops) gone.add(d);
    const more = drops.flatMap((d) => d.flows).filter((n) => !g.flows.includes(n));
    return { ...g, flows: [...g.flows, ...more] };
  });
  return out.filter((f) => !gone.has(f));
}

/** Whether a rule's address, protocol and port conditions (as iptables-save prints them) admit a forward's translated traffic. */
function admits(rule: string, fw: ForwardView | undefined): boolean {
  if (!fw) return false;
  const d = / -d (\S+)/.exec(rule)?.[1];
  const p = /--dport (\d+)/.exec(rule)?.[1];
  const proto = / -p (\S+)/.exec(rule)?.[1];
  return (
    (d === undefined || d === `${fw.targetAddr}/32`) &&
    (p === undefined || Number(p) === fw.targetPort) &&
    (proto === undefined || proto === fw.proto)
  );
}

const RANK = { broken: 0, warning: 1, info: 2 } as const;

export function checkScenario(scenario: Scenario, built: Built, opts: CheckOptions = {}): CheckReport {
  const lang = opts.lang ?? 'en';
  const disc = discover(built);
  const ctx: Ctx = { world: disc.world, built, routers: disc.routers, lang };
  const results = runAll(disc.world, disc.simFlows);
  const found: Finding[] = [];
  const outcomes = new Map<string, FlowOutcome>();
  const ran: { cf: CheckFlow; ok: boolean; steps?: ReturnType<typeof runTraced>['steps'] }[] = [];
  const hasInputDrop = (router: string): boolean =>
    built.rulesets.get(router)?.tables.get('filter')?.chains.get('INPUT')?.policy === 'DROP';
  const want = disc.flows.map((cf, i) => {
    const ok = passed(results[i]!);
    const diagnoseIt = !ok && (cf.intended || cf.kind === 'forward-inside' || cf.kind === 'router-own');
    const exposeIt = ok && cf.kind === 'forward-outside' && hasInputDrop(cf.router);
    return { ok, diagnoseIt, exposeIt };
  });
  // One traced run for the flows to look at, each flow's steps by the trace's attribution.
  const traced = runTracedMany(
    disc.world,
    disc.simFlows.filter((_, i) => want[i]!.diagnoseIt || want[i]!.exposeIt),
  );
  disc.flows.forEach((cf, i) => {
    const r = results[i]!;
    const { ok, diagnoseIt } = want[i]!;
    const t = want[i]!.diagnoseIt || want[i]!.exposeIt ? traced.get(cf.name) : undefined;
    if (t) {
      outcomes.set(cf.name, outcomeOf(r, t.reason));
      ran.push({ cf, ok, steps: t.steps });
      if (diagnoseIt) found.push(diagnose(ctx, cf, t));
    } else {
      outcomes.set(cf.name, outcomeOf(r));
      ran.push({ cf, ok });
    }
  });
  found.push(...exposureFindings(ctx, ran));
  // Static findings prove themselves on the flows of the forward they name.
  const shadows = new Map<string, string>();
  for (const s of staticFindings(ctx, shadows)) {
    const r = disc.routers.find((x) => x.host === s.router);
    const fwIds = r?.forwards.filter((f) => f.rule === s.evidence.rule).map((f) => f.id) ?? [];
    const flows = disc.flows.filter(
      (f) =>
        f.forward !== undefined &&
        fwIds.includes(f.forward) &&
        f.kind !== 'router-own' &&
        (f.kind === 'forward-outside' || f.intended),
    );
    found.push({ ...s, flows: flows.map((f) => f.name) });
  }
  found.push(...staleConntrack(scenario, built, lang, { prove: opts.prove !== false }));
  const forwardOf = (name: string): ForwardView | undefined => {
    const cf = disc.flows.find((f) => f.name === name);
    return disc.routers.find((r) => r.host === cf?.router)?.forwards.find((x) => x.id === cf?.forward);
  };
  let findings = foldShadowed(mergeFindings(found), shadows, forwardOf);
  // A flow that fails for a rule that can never match is explained by it, not left unexplained.
  findings = findings.filter(
    (f) =>
      f.cause !== 'unexplained' || !findings.some((g) => g !== f && g.flows.some((n) => f.flows.includes(n))),
  );
  if (opts.prove !== false) {
    const before = new Map(disc.flows.map((f) => [f.name, outcomes.get(f.name)?.ok ?? false]));
    const provable = (f: Finding): boolean => f.cause !== 'stale-conntrack';
    // Broken findings first (jointly, then alone where that failed), then the others on top of
    // the broken ones' proved fixes.
    const proveAll = (fs: Finding[], base: readonly Fix[]): Finding[] => {
      const idx = fs.map((f, i) => (provable(f) ? i : -1)).filter((i) => i >= 0);
      const joint = proveJointly(
        scenario,
        disc.world,
        idx.map((i) => fs[i]!),
        disc.flows,
        base,
      );
      return fs.map((f, i) => {
        const k = idx.indexOf(i);
        if (k < 0) return f;
        const p = joint[k];
        const proved = p ? { ...f, proof: p } : prove(ctx, scenario, disc.world, f, disc.flows, before, base);
        return proveAlternatives(scenario, disc.world, proved, disc.flows, before, base);
      });
    };
    const b = proveAll(
      findings.filter((f) => f.severity === 'broken'),
      [],
    );
    const base = b.filter((f) => f.proof?.passed && f.fix).map((f) => f.fix!);
    findings = [
      ...b,
      ...proveAll(
        findings.filter((f) => f.severity !== 'broken'),
        base,
      ),
    ];
  }
  findings.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const count = (s: Finding['severity']): number => findings.filter((f) => f.severity === s).length;
  const nb = count('broken');
  const parts = [
    nb > 0 ? `${nb} ${frame('summaryBroken', lang)}` : frame('nothing', lang),
    ...(count('warning') > 0 ? [`${count('warning')} ${frame('summaryWarnings', lang)}`] : []),
    ...(count('info') > 0 ? [`${count('info')} ${frame('summaryNotes', lang)}`] : []),
  ];
  return {
    format: 'natbox-check/1',
    scenario: { name: scenario.name, file: scenario.file },
    lang,
    routers: disc.routers,
    flows: disc.flows.map((f) => ({ ...f, outcome: outcomes.get(f.name)! })),
    findings,
    broken: nb > 0,
    summary: parts.join(', '),
  };
}
