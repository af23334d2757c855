// A scenario simulated for a test, and one host's TCP segments in it as the tests compare them
// (shared by test/sim/ and test/stack/ tests of socket behaviour).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../src/scenario/simulate.ts';
import { describeFrame } from '../src/trace/frame.ts';

/** The scenario `file` (or `text` in its place) simulated with its trace; fails the test on bad input. */
export function simulateFile(file: string, text = readFileSync(file, 'utf8')) {
  const r = simulateScenario(text, file, {
    trace: true,
    readFile: (p) => ({ ok: true, text: readFileSync(p, 'utf8') }),
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

export type TestSim = ReturnType<typeof simulateFile>;

/** `host`'s TCP segments in order (of source or destination port `port`, when given). */
export function tcpSegments(sim: TestSim, host: string, port?: number) {
  return sim.steps
    .filter((s) => s.kind === 'packet' && s.host === host)
    .map((s) => (s.kind === 'packet' ? { t: s.t, dir: s.dir, f: describeFrame(s.frame) } : undefined)!)
    .filter((p) => p.f.proto === 'tcp' && (port === undefined || p.f.sport === port || p.f.dport === port));
}
