// Running check's flows on the existing simulator: all at once without a trace (fast), then each
// failing one alone with its trace, so every step of that run is the flow's own evidence.
import { simulate } from '../sim/run.ts';
import type { Flow, FlowResult } from '../sim/flows.ts';
import type { WorldConfig } from '../sim/world.ts';
import { toTraceStep, type TraceStep } from '../trace/trace-step.ts';
import { flowJson } from '../trace/model.ts';
import { attributeSteps, flowKey, stepsByFlow } from '../trace/attribute.ts';
import { explainFlow } from '../trace/explain.ts';
import type { CheckFlow, FlowOutcome } from './model.ts';

export interface Ran {
  readonly result: FlowResult;
  readonly outcome: FlowOutcome;
}

/** Whether the flow got through: TCP connected, UDP answered, and the server saw it. */
export const passed = (r: FlowResult): boolean =>
  (r.verdict === 'connected' || r.verdict === 'reply') && r.serverSaw !== undefined;

export function outcomeOf(r: FlowResult, reason = ''): FlowOutcome {
  return {
    flow: r.flow.name,
    verdict: r.verdict,
    ok: passed(r),
    ...(r.serverSaw ? { serverSaw: r.serverSaw } : {}),
    reason,
  };
}

/** Runs the flows together (no trace); results in the flows' order. */
export function runAll(world: WorldConfig, flows: readonly Flow[]): FlowResult[] {
  if (flows.length === 0) return [];
  const sim = simulate(world, flows, { trace: false, seed: 1 });
  const byName = new Map(sim.results.map((r) => [r.flow.name, r]));
  return flows.map((f) => byName.get(f.name)!);
}

/** Runs one flow alone with the trace on: its result, its steps and the trace's sentence. */
export function runTraced(
  world: WorldConfig,
  flow: Flow,
): { result: FlowResult; steps: TraceStep[]; reason: string } {
  const sim = simulate(world, [{ ...flow, at: 0.1 }], { trace: true, seed: 1, maxSteps: 20_000 });
  const steps = sim.steps.map(toTraceStep);
  const result = sim.results[0]!;
  return { result, steps, reason: explainFlow(result, steps) };
}

/**
 * Runs several flows together with the trace on, each flow's steps found by the trace's own
 * attribution (trace/attribute.ts): one run for all the failing flows instead of one each. Each
 * flow's steps and reason are those `natbox trace` gives (trace/model.ts buildTraceDoc), without
 * the conntrack tables at the end that check does not read.
 */
export function runTracedMany(
  world: WorldConfig,
  flows: readonly Flow[],
): Map<string, { result: FlowResult; steps: TraceStep[]; reason: string }> {
  const out = new Map<string, { result: FlowResult; steps: TraceStep[]; reason: string }>();
  if (flows.length === 0) return out;
  const sim = simulate(world, flows, { trace: true, seed: 1 });
  const steps = sim.steps.map(toTraceStep);
  const owner = attributeSteps(steps, sim.results.map(flowKey));
  for (let i = 0; i < steps.length; i++) if (owner[i] !== undefined) steps[i]!.flow = owner[i]!;
  const byFlow = stepsByFlow(owner);
  for (const r of sim.results) {
    const own = (byFlow.get(r.flow.name) ?? []).map((i) => steps[i]!);
    out.set(r.flow.name, { result: r, steps: own, reason: flowJson(r, own).reason });
  }
  return out;
}

export type { CheckFlow };
