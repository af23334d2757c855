// Runs a world and its flows to the end and returns what happened: every flow's result, the trace
// steps (when asked for) and the world itself (for conntrack tables and captures).
import type { StackTracer, TimedStep } from '../stack/steps.ts';
import {
  checkExpectations,
  runLength,
  startFlows,
  translatedSource,
  type Flow,
  type FlowResult,
} from './flows.ts';
import { World, type WorldConfig } from './world.ts';

export interface SimResult {
  readonly world: World;
  readonly results: FlowResult[];
  readonly steps: TimedStep[];
  /** Virtual time at the end of the run (seconds). */
  readonly end: number;
  /** False when the run hit its event bound (a loop); the trace says where it stopped. */
  readonly complete: boolean;
}

export interface SimOptions {
  /** Record trace steps (costs time and memory; off for benchmarks). */
  readonly trace?: boolean;
  readonly seed?: number;
  readonly maxEvents?: number;
}

export function simulate(cfg: WorldConfig, flows: readonly Flow[], opts: SimOptions = {}): SimResult {
  const steps: TimedStep[] = [];
  const tracer: StackTracer | undefined =
    opts.trace === false ? undefined : { step: (t, s) => void steps.push({ ...s, t }) };
  const world = new World({ ...cfg, seed: opts.seed ?? cfg.seed ?? 1 }, tracer);
  const results = startFlows(world, flows);
  const end = runLength(flows);
  const complete = world.sched.run(end, opts.maxEvents ?? 2_000_000);
  for (const r of results) r.translatedSource = translatedSource(world, r);
  checkExpectations(results);
  return { world, results, steps, end: world.sched.now, complete };
}
