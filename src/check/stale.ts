// A stale conntrack entry: the scenario's own flows and events run, and a flow that started before
// an event changed a nat rule and still went to the old translation after it is named, with the
// entry, the old and the new target, and the `conntrack -D` that lets the new rule apply.
import type { Scenario } from '../scenario/model.ts';
import type { Built } from '../scenario/build.ts';
import { simulate } from '../sim/run.ts';
import { toTraceStep } from '../trace/trace-step.ts';
import type { Finding } from './model.ts';
import { causeWords, type Lang } from './words.ts';

export function staleConntrack(scenario: Scenario, built: Built, lang: Lang): Finding[] {
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
    const after = steps.filter(
      (s) =>
        s.kind === 'nat' && s.host === ev.host && s.manip === 'DNAT' && s.t > ev.at && s.by === 'mapping',
    );
    const stale = after.find(
      (s) =>
        s.kind === 'nat' &&
        !s.after.split(' > ')[1]!.startsWith(`${newAddr}:`) &&
        !s.after.split(' > ')[1]!.startsWith(`${newAddr} `),
    );
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
      fix: {
        dialect: 'conntrack',
        host: ev.host,
        commands: [`conntrack -D -p ${proto}${port ? ` --dport ${port}` : ''}`],
        cost:
          lang === 'en'
            ? 'the live connection is cut over: its next packet makes a new entry with the new rule (a TCP connection is reset).'
            : 'a conexão viva muda de destino: o próximo pacote cria uma entrada nova com a regra nova (uma conexão TCP é resetada).',
      },
    });
  }
  return out;
}
