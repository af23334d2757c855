// A stale conntrack entry: the scenario's own flows and events run, and a flow that started before
// an event changed a nat rule and still went to the old translation after it is named, with the
// entry, the old and the new target, and the `conntrack -D` that lets the new rule apply.
import type { Scenario } from '../scenario/model.ts';
import type { Built } from '../scenario/build.ts';
import { simulate } from '../sim/run.ts';
import { toTraceStep } from '../trace/trace-step.ts';
import type { Flow } from '../sim/flows.ts';
import type { WorldConfig } from '../sim/world.ts';
import type { TraceStep } from '../trace/trace-step.ts';
import type { Finding, Fix, Proof } from './model.ts';
import { outcomeOf } from './run.ts';
import { FIX_FILE } from './fix.ts';
import { causeWords, type Lang } from './words.ts';

/** The DNAT rewrites on `host` after `at` that went by an existing entry to another address than `newAddr`. */
function staleRewrites(steps: readonly TraceStep[], host: string, at: number, newAddr: string): TraceStep[] {
  return steps.filter(
    (s) =>
      s.kind === 'nat' &&
      s.host === host &&
      s.manip === 'DNAT' &&
      s.t > at &&
      s.by === 'mapping' &&
      !s.after.split(' > ')[1]!.startsWith(`${newAddr}:`) &&
      !s.after.split(' > ')[1]!.startsWith(`${newAddr} `),
  );
}

/**
 * The proof of a `conntrack -D` fix: the scenario runs again with the command right after the
 * rule change (at the same time, after it); no packet after it may still take the old mapping,
 * and the finding's flows must get through.
 */
export function proveStale(
  world: WorldConfig,
  flows: readonly Flow[],
  fix: Fix,
  newAddr: string,
  names: readonly string[],
): Proof {
  const at = fix.at ?? 0;
  const extra = fix.commands.map((run, i) => ({
    at,
    host: fix.host,
    run,
    loc: { file: FIX_FILE, line: i + 1, column: 1 },
  }));
  const events = [...(world.events ?? []), ...extra].sort((a, b) => a.at - b.at);
  const sim = simulate({ ...world, events }, flows, { trace: true, seed: 1 });
  const steps = sim.steps.map(toTraceStep);
  const stale = staleRewrites(steps, fix.host, at, newAddr);
  const outs = sim.results.filter((r) => names.includes(r.flow.name)).map((r) => outcomeOf(r));
  return { flows: outs, passed: stale.length === 0 && outs.length > 0 && outs.every((o) => o.ok) };
}

export function staleConntrack(
  scenario: Scenario,
  built: Built,
  lang: Lang,
  opts: { prove?: boolean } = {},
): Finding[] {
  const events = (built.world.events ?? []).filter((e) =>
    /^iptables\S*\s.*-t nat\s.*-[RAIDF]\b.*\b(DNAT|REDIRECT)\b/.test(e.run),
  );
  if (events.length === 0 || built.flows.length === 0) return [];
  const sim = simulate(built.world, built.flows, { trace: true, seed: 1 });
  const steps = sim.steps.map(toTraceStep);
  const out: Finding[] = [];
  for (const ev of events) {
    const newTo = /--to-destination (\S+)/.exec(ev.run)?.[1];
    if (!newTo) continue;
    const newAddr = newTo.split(':')[0]!;
    // DNAT rewrites on the host after the event that still go to another address (by the entry).
    const stale = staleRewrites(steps, ev.host, ev.at, newAddr)[0];
    if (!stale || stale.kind !== 'nat') continue;
    const [, dstBefore = ''] = stale.before.split(' > ');
    const [, dstAfter = ''] = stale.after.split(' > ');
    const entry = steps.find(
      (s) =>
        s.kind === 'ct-event' &&
        s.host === ev.host &&
        s.event === 'NEW' &&
        s.t < ev.at &&
        s.line.includes(`src=${dstAfter.split(':')[0]} `),
    );
    const proto = / -p (tcp|udp)\b/.exec(ev.run)?.[1] ?? 'udp';
    const port = /--dport (\d+)/.exec(ev.run)?.[1];
    const facts = {
      to: dstBefore,
      old: dstAfter,
      new: newTo,
      at: String(ev.at),
      entry: entry && entry.kind === 'ct-event' ? entry.line : `${stale.before} -> ${stale.after}`,
    };
    const w = causeWords('stale-conntrack', lang, facts);
    const flows = sim.results
      .filter((r) => r.startedAt < ev.at && (r.endedAt > ev.at || (r.flow.count ?? 1) > 1))
      .map((r) => r.flow.name);
    const fix: Fix = {
      dialect: 'conntrack',
      host: ev.host,
      commands: [`conntrack -D -p ${proto}${port ? ` --dport ${port}` : ''}`],
      cost:
        lang === 'en'
          ? 'the live connection is cut over: its next packet makes a new entry with the new rule (a TCP connection is reset).'
          : 'a conexão viva muda de destino: o próximo pacote cria uma entrada nova com a regra nova (uma conexão TCP é resetada).',
      at: ev.at,
    };
    const proof =
      opts.prove === false ? undefined : proveStale(built.world, built.flows, fix, newAddr, flows);
    out.push({
      cause: 'stale-conntrack',
      severity: 'broken',
      router: ev.host,
      flows,
      title: w.title,
      explanation: w.why,
      evidence: {
        rule: ev.run,
        where: `${ev.loc.file}:${ev.loc.line}`,
        ...(entry && entry.kind === 'ct-event' ? { conntrack: entry.line } : {}),
      },
      fix,
      ...(proof ? { proof } : {}),
    });
  }
  return out;
}
