// --matrix: for each source network (and the outside) and each service (every forward, every
// listening host), whether a connection gets through and by which path (the NAT rewrites on the
// way), as Batfish's reachability question answers it; with two rulesets, which cells changed.
import type { Built } from '../scenario/build.ts';
import { simulate } from '../sim/run.ts';
import type { Flow } from '../sim/flows.ts';
import { formatIpv4, parseIpv4 } from '../wire/addr.ts';
import { toTraceStep } from '../trace/trace-step.ts';
import { discover, hostAddrs, isRouter, toSimFlow } from './discover.ts';
import type { CheckFlow, Matrix, MatrixCell } from './model.ts';
import { passed } from './run.ts';

export function matrixOf(built: Built): Matrix {
  const disc = discover(built);
  const sources: { name: string; host: string }[] = [];
  const services: { name: string; proto: 'tcp' | 'udp'; to: string }[] = [];
  for (const r of disc.routers) {
    for (const n of r.inside) {
      const h = n.hosts[0];
      if (h) sources.push({ name: `${n.prefix} (${h})`, host: h });
    }
    const out = r.wan?.hosts.find((x) => !disc.world.hosts.find((y) => y.name === x && isRouter(y)));
    if (r.wan && out) sources.push({ name: `outside (${out})`, host: out });
    for (const f of r.forwards)
      services.push({
        name: `${f.publicAddr}:${f.publicPort}/${f.proto}`,
        proto: f.proto,
        to: `${f.publicAddr}:${f.publicPort}`,
      });
  }
  for (const h of disc.world.hosts) {
    if (isRouter(h)) continue;
    const a = hostAddrs(h)[0];
    for (const l of h.listen) {
      if (!a || (l.proto !== 'tcp' && l.proto !== 'udp')) continue;
      services.push({
        name: `${h.name} ${formatIpv4(a.addr)}:${l.port}/${l.proto}`,
        proto: l.proto,
        to: `${formatIpv4(a.addr)}:${l.port}`,
      });
    }
  }
  const flows: CheckFlow[] = [];
  let sport = 48000;
  for (const s of sources)
    for (const v of services)
      flows.push({
        name: `${s.name} -> ${v.name}`,
        kind: 'outbound',
        from: s.host,
        proto: v.proto,
        to: v.to,
        sport: sport++,
        router: '',
        intended: false,
      });
  const sims: Flow[] = flows.map((f, i) => toSimFlow(f, i));
  const sim = simulate(disc.world, sims, { trace: true, seed: 1 });
  const steps = sim.steps.map(toTraceStep);
  const cells: MatrixCell[] = flows.map((f, i) => {
    const r = sim.results.find((x) => x.flow.name === f.name)!;
    const [dst = '', port = '0'] = f.to.split(':');
    const sp = sims[i]!.sport;
    // The path: the NAT rewrites of this flow's first packet (matched by its source port).
    const nats = steps.filter(
      (s) =>
        s.kind === 'nat' &&
        s.by === 'rule' &&
        (s.before.includes(`:${sp} `) ||
          s.before.includes(`:${sp} >`) ||
          (s.before.endsWith(`${dst}:${port}`) && s.before.includes(`:${sp}`))),
    );
    const path =
      nats.map((s) => (s.kind === 'nat' ? `${s.host} ${s.manip} ${s.after}` : '')).join(', ') || 'direct';
    void parseIpv4;
    return {
      source: f.name.split(' -> ')[0]!,
      service: f.name.split(' -> ')[1]!,
      connects: passed(r),
      verdict: r.verdict,
      path,
    };
  });
  return { sources: sources.map((s) => s.name), services: services.map((s) => s.name), cells };
}

/** `a`'s cells, each marked changed where `b` (the other ruleset) connects differently. */
export function diffMatrix(a: Matrix, b: Matrix): Matrix {
  return {
    ...a,
    cells: a.cells.map((c) => {
      const o = b.cells.find((x) => x.source === c.source && x.service === c.service);
      return { ...c, changed: !o || o.connects !== c.connects };
    }),
  };
}
