// With a tracer, every rule tried is recorded with the first criterion that failed, in words; the
// compiled walk (no tracer) gives the same verdicts and counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const file = 'examples/port-forward/wan-8080.yaml';
const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

test('the trace says why a rule did not match: the port forward is for 8080, the packet is for 80', () => {
  const r = simulateScenario(text, file);
  assert.ok(r.ok);
  const misses = r.sim.steps
    .filter((s) => s.kind === 'rule-miss')
    .map((s) => (s.kind === 'rule-miss' ? `${s.table} ${s.chain} ${s.index}: ${s.why}` : ''));
  assert.ok(misses.includes('nat PREROUTING 1: --dport 8080: dport is 80'), misses.join('\n'));
  assert.ok(
    misses.includes('nat POSTROUTING 1: -s 192.168.1.0/24: the source is 82.120.11.1'),
    misses.join('\n'),
  );
});

test('tracing or not, the verdicts are the same (the compiled walk skips only rules that cannot match)', () => {
  const traced = simulateScenario(text, file, { trace: true });
  const fast = simulateScenario(text, file, { trace: false });
  assert.ok(traced.ok && fast.ok);
  assert.deepEqual(
    fast.sim.results.map((x) => [x.verdict, x.serverSaw]),
    traced.sim.results.map((x) => [x.verdict, x.serverSaw]),
  );
  assert.deepEqual(
    fast.sim.world.host('router').conntrackList(),
    traced.sim.world.host('router').conntrackList(),
  );
});
