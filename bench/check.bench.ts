// natbox check at scale (`npm run bench -- check`): a router with 1,000 rules, 50 port forwards
// and 5 inside networks (issue 17 aims at under 2 s for the whole check). The forwards are
// WAN-only (-i wan), so every inside network's flow to every forward fails (no reflection): check
// traces each, names the cause and proves a fix for it, the worst case for its time.
// `NATBOX_BENCH_CHECK_FORWARDS=N` changes the number of forwards; `NATBOX_BENCH_ONLY=proofs` (or
// `no proofs`) runs one case.
import { prepareScenario } from '../src/scenario/simulate.ts';
import { checkScenario } from '../src/check/index.ts';
import { benchRouter, NETS, RULES } from './check-gen.ts';

const FORWARDS = Number(process.env.NATBOX_BENCH_CHECK_FORWARDS ?? 50);

const only = process.env.NATBOX_BENCH_ONLY ? new RegExp(process.env.NATBOX_BENCH_ONLY) : undefined;

const text = benchRouter(FORWARDS);
for (const prove of [false, true]) {
  if (only && !only.test(prove ? 'with proofs' : 'no proofs')) continue;
  const t0 = performance.now();
  const p = prepareScenario(text, 'bench-check.yaml');
  if (!p.ok) throw new Error(p.errors.join('\n'));
  const r = checkScenario(p.scenario, p.built, { prove });
  const ms = performance.now() - t0;
  const causes = new Map<string, number>();
  for (const f of r.findings) causes.set(f.cause, (causes.get(f.cause) ?? 0) + 1);
  console.log(
    `check ${prove ? 'with proofs' : 'no proofs  '}: ${RULES} rules, ${FORWARDS} forwards, ${NETS} inside networks, ${r.flows.length} flows: ${(ms / 1000).toFixed(2)} s (${[...causes].map(([c, n]) => `${c} ${n}`).join(', ')})`,
  );
}
