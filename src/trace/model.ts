// The trace as one plain, JSON-ready document (format "natbox-trace/1"): the scenario, every step
// with its time, each flow's verdict and reason, and the conntrack tables at the end. Every
// renderer (text, JSON, pcap) reads this or the steps it is built from. Documented in
// docs/trace-json.md and schema/trace.schema.json.
import {
  BIT_NAMES,
  entryJson,
  formatConntrackLine,
  type CtEntryJson,
} from '../netfilter/conntrack/format.ts';
import { flowTarget, type FlowResult, type Verdict } from '../sim/flows.ts';
import type { SimResult } from '../sim/run.ts';
import { explainFlow } from './explain.ts';
import { toTraceStep, type TraceStep } from './trace-step.ts';
import { attributeSteps, flowKey, stepsByFlow } from './attribute.ts';

export const TRACE_FORMAT = 'natbox-trace/1';

export { toTraceStep, type TraceStep } from './trace-step.ts';

export interface TraceFlow {
  name: string;
  from: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'sctp' | 'dccp' | 'esp' | 'ah';
  to: string;
  sport?: number;
  at: number;
  timeout: number;
  verdict: Verdict;
  reason: string;
  detail: string;
  serverSaw?: string;
  replyFrom?: string;
  /** The flow's source after every NAT on the way (from the conntrack tables). */
  translatedSource?: string;
  syns?: number;
  expected?: { verdict?: Verdict; serverSees?: string; translatedSource?: string };
  /** Absent when the flow expected nothing; else whether every expectation held. */
  pass?: boolean;
  mismatches: string[];
}

export interface TraceDoc {
  format: typeof TRACE_FORMAT;
  scenario: { name: string; file: string; description?: string };
  /** Virtual time at the end of the run, in seconds. */
  end: number;
  steps: TraceStep[];
  flows: TraceFlow[];
  /** Rules left out because natbox cannot simulate them (only with --skip-unsupported). */
  skipped?: { host: string; where: string; rule: string; reason: string }[];
  /** Each host's conntrack table at the end (hosts with netfilter only). */
  conntrack: Record<string, { line: string; entry: CtEntryJson }[]>;
  /**
   * The run ended before its time: `storm` (frames going round a loop), `pending` (the queue
   * budget: frames multiplying) or `events` (the event budget); `text` names the place.
   */
  stopped?: { kind: 'storm' | 'events' | 'pending'; text: string; at: number };
  /** Steps the run did not keep (the trace budget, MAX_STEPS); `steps` holds the first ones. */
  stepsDropped?: number;
  /**
   * Only with `natbox trace --counters`: each host's rules with their packet and byte counters after
   * the run, as `iptables -L -v -n --line-numbers` (`list`) or `iptables-save -c` (`save`) prints them.
   */
  counters?: Record<string, string>;
}

/** A flow's verdict and reason; `steps` are the flow's own steps, in order. */
export function flowJson(r: FlowResult, steps: readonly TraceStep[]): TraceFlow {
  const f = r.flow;
  const out: TraceFlow = {
    name: f.name,
    from: f.from,
    proto: f.proto,
    to: flowTarget(f),
    at: f.at,
    timeout: f.timeout,
    verdict: r.verdict,
    // A storm's reason is the world's: where the loop is (explain.ts knows packets, not loops).
    reason:
      r.verdict === 'storm'
        ? `${r.detail.charAt(0).toUpperCase()}${r.detail.slice(1)}.`
        : explainFlow(r, steps),
    detail: r.detail,
    mismatches: r.mismatches,
  };
  if (f.proto !== 'icmp') out.sport = f.sport;
  if (r.serverSaw) out.serverSaw = r.serverSaw;
  if (r.replyFrom) out.replyFrom = r.replyFrom;
  if (r.translatedSource) out.translatedSource = r.translatedSource;
  if (f.proto === 'tcp') out.syns = r.syns;
  if (f.expect) {
    out.expected = { ...f.expect };
    out.pass = r.mismatches.length === 0;
  }
  return out;
}

export function buildTraceDoc(
  scenario: { name: string; file: string; description?: string },
  sim: SimResult,
  skipped: readonly { host: string; where: string; rule: string; reason: string }[] = [],
): TraceDoc {
  const conntrack: TraceDoc['conntrack'] = {};
  for (const h of sim.world.hosts.values()) {
    if (!h.nf) continue;
    const t = h.nf.conntrack;
    // With labels in use, the lines are `conntrack -L -o labels` with a connlabel.conf naming
    // each bit by its number (what natbox verify gives the kernel's tool); without, plain -L.
    const names = t.labels !== undefined ? BIT_NAMES : undefined;
    conntrack[h.name] = t
      .entries(sim.end)
      .map((e) => ({ line: formatConntrackLine(t, e, sim.end, names), entry: entryJson(t, e, sim.end) }));
  }
  // Each step's flow, found in one pass; each flow's steps then indexed once (linear in steps).
  const steps = sim.steps.map(toTraceStep);
  const owner = attributeSteps(steps, sim.results.map(flowKey));
  for (let i = 0; i < steps.length; i++) if (owner[i] !== undefined) steps[i]!.flow = owner[i]!;
  const byFlow = stepsByFlow(owner);
  return {
    format: TRACE_FORMAT,
    scenario: {
      name: scenario.name,
      file: scenario.file,
      ...(scenario.description ? { description: scenario.description.trim() } : {}),
    },
    end: sim.end,
    steps,
    flows: sim.results.map((r) =>
      flowJson(
        r,
        (byFlow.get(r.flow.name) ?? []).map((i) => steps[i]!),
      ),
    ),
    conntrack,
    ...(skipped.length > 0 ? { skipped: skipped.map((x) => ({ ...x })) } : {}),
    ...(sim.stopped ? { stopped: { ...sim.stopped } } : {}),
    ...(sim.stepsDropped > 0 ? { stepsDropped: sim.stepsDropped } : {}),
  };
}

/** Each flow's steps, in order, from the `flow` of every step: one pass. */
export function stepsOfFlows(steps: readonly TraceStep[]): Map<string, TraceStep[]> {
  const own = new Map<string, TraceStep[]>();
  for (const s of steps) {
    if (s.flow === undefined) continue;
    const l = own.get(s.flow);
    if (l) l.push(s);
    else own.set(s.flow, [s]);
  }
  return own;
}
