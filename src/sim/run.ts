// Runs a world and its flows to the end and returns what happened: every flow's result, the trace
// steps (when asked for) and the world itself (for conntrack tables and captures).
//
// Every run is bounded (SimBudget): the events it runs, the events waiting at once, the trace
// steps it keeps and the frames it captures. A run that goes round a bridge loop is stopped by the
// world's storm detector, or by the queue budget when frames multiply some other way; either way
// the flows not yet ended get the verdict `storm` with the place in words. A run that spends its
// event budget is cut (`complete` false) and its unfinished flows say so.
import type { StackTracer, TimedStep } from '../stack/steps.ts';
import {
  checkExpectations,
  runLength,
  settleUnfinished,
  startFlows,
  translatedSource,
  type Flow,
  type FlowResult,
} from './flows.ts';
import { MAX_EVENTS, MAX_PENDING, type StopReason } from './scheduler.ts';
import { World, type WorldConfig } from './world.ts';
import { eventsEnd, scheduleEvents, type EventResult } from './events.ts';

/** Trace steps kept per run; later steps are counted in `stepsDropped`, not kept. */
export const MAX_STEPS = 100_000;

export interface SimResult {
  readonly world: World;
  readonly results: FlowResult[];
  readonly steps: TimedStep[];
  /** Virtual time at the end of the run (seconds). */
  readonly end: number;
  /**
   * False when the run spent its event budget before its end, or was stopped while no flow was
   * left to take the storm verdict; `stopped` says why. A storm that ended unfinished flows with
   * the verdict `storm` is a complete run: its result is that verdict.
   */
  readonly complete: boolean;
  /** Why the run ended before its time (a storm, a budget), with the place in words. */
  readonly stopped?: StopReason;
  /** Trace steps not kept (beyond `maxSteps`). */
  readonly stepsDropped: number;
  /** What each scenario event's command did, in the order they ran (sim/events.ts). */
  readonly events: EventResult[];
}

/** The bounds of one run (defaults: MAX_EVENTS, MAX_PENDING, MAX_STEPS). */
export interface SimBudget {
  /** Events run, in all. */
  readonly maxEvents?: number;
  /** Events waiting in the queue at once (default MAX_PENDING plus two per flow). */
  readonly maxPending?: number;
  /** Trace steps kept. */
  readonly maxSteps?: number;
}

export interface SimOptions extends SimBudget {
  /** Record trace steps (costs time and memory; off for benchmarks). */
  readonly trace?: boolean;
  readonly seed?: number;
  /**
   * natbox verify: record the multipath choices the kernel makes at random (each host's
   * PolicyRouting.pickLog), and take the given path for some of them (host → flow key → device).
   */
  readonly pathPicks?: boolean;
  readonly forcedPaths?: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

export function simulate(cfg: WorldConfig, flows: readonly Flow[], opts: SimOptions = {}): SimResult {
  const steps: TimedStep[] = [];
  const maxSteps = opts.maxSteps ?? MAX_STEPS;
  let stepsDropped = 0;
  const tracer: StackTracer | undefined =
    opts.trace === false
      ? undefined
      : {
          step: (t, s) => {
            if (steps.length < maxSteps) steps.push({ ...s, t });
            else stepsDropped++;
          },
        };
  // Each flow queues its start and its deadline up front: those are not frames in flight.
  const maxPending = opts.maxPending ?? MAX_PENDING + 2 * flows.length;
  const world = new World({ ...cfg, seed: opts.seed ?? cfg.seed ?? 1 }, tracer, maxPending);
  if (opts.pathPicks || opts.forcedPaths)
    for (const [name, h] of world.hosts) {
      if (opts.pathPicks) h.policy.pickLog = [];
      const forced = opts.forcedPaths?.get(name);
      if (forced) h.policy.forcedPaths = forced;
    }
  const events: EventResult[] = [];
  // Events first: one at the time a flow starts has run when the flow's first packet leaves.
  scheduleEvents(world, cfg.events ?? [], events);
  const results = startFlows(world, flows);
  const end = Math.max(runLength(flows), cfg.events?.length ? eventsEnd(cfg.events) + 1 : 0);
  let complete = world.sched.run(end, opts.maxEvents ?? MAX_EVENTS);
  const stopped = world.sched.stopped;
  if (stopped) {
    const stormed =
      stopped.kind === 'events'
        ? settleUnfinished(results, 'timeout', `not finished: ${stopped.text}`)
        : settleUnfinished(results, 'storm', stopped.text);
    complete = stopped.kind !== 'events' && stormed > 0;
  }
  for (const r of results) r.translatedSource = translatedSource(world, r);
  checkExpectations(results);
  return {
    world,
    results,
    steps,
    end: world.sched.now,
    complete,
    ...(stopped ? { stopped } : {}),
    stepsDropped,
    events,
  };
}
