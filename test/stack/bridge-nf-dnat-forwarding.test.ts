// A bridged frame DNAT'ed back out of its own bridge needs IP forwarding (Linux 6.18):
// br_nf_pre_routing_finish's ip_route_input goes to ip_route_input_slow's no_route when the bridge
// does not forward (a dst on lo, input ip_error), so the frame is not bridged back but goes up and
// ip_error drops it without an ICMP error. Expected: test/conformance/extra/bridge-nf-dnat-no-forward.yaml
// under `natbox verify` (matches the kernel; natbox bridged it before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const FILE = 'test/conformance/extra/bridge-nf-dnat-no-forward.yaml';

test('bridged DNAT with forwarding off: dropped in silence on r1; bridged once ip_forward is 1', () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const sim = r.sim;
  assert.deepEqual(
    sim.results.map((x) => [x.verdict, x.serverSaw]),
    [
      ['timeout', undefined],
      ['connected', '10.1.0.12:40001'],
    ],
  );
  // Before the event nothing reaches h11, and r1 sends nothing back to h12 (no ICMP error).
  const before = sim.steps.filter((s) => s.kind === 'packet' && s.t < 2.5);
  const frames = before.flatMap((s) =>
    s.kind === 'packet' ? [[s.host, s.dir, describeFrame(s.frame)]] : [],
  );
  assert.equal(
    frames.filter(([h, , f]) => h === 'h11' && (f as { proto?: string }).proto === 'tcp').length,
    0,
  );
  assert.equal(frames.filter(([, , f]) => (f as { proto?: string }).proto === 'icmp').length, 0);
  const drops = sim.steps.filter((s) => s.kind === 'drop' && s.host === 'r1' && s.t < 2.5);
  assert.equal(drops.length, 2, 'the SYN and its retransmission');
  assert.ok(drops.every((s) => s.kind === 'drop' && s.ifname === 'br0'));
});
