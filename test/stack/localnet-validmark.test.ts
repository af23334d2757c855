// Two inputs of the input route natbox takes from the kernel (net/ipv4/route.c
// ip_route_input_slow, net/ipv4/fib_frontend.c fib_validate_source), each with a scenario
// `natbox verify` matched against Linux 6.18: a 127.0.0.0/8 source from the wire is a martian
// without route_localnet, and with it only lo's own 127.0.0.1 is still refused (rp_filter 0:
// inet_lookup_ifaddr_rcu); src_valid_mark puts the packet's mark into rp_filter's reverse lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

function run(name: string) {
  const file = `test/conformance/extra/${name}`;
  const r = simulateScenario(readFileSync(file, 'utf8'), file);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const drops = r.sim.steps.flatMap((s) => (s.kind === 'drop' && s.host === 'h' ? [s.reason] : []));
  return { sim: r.sim, drops };
}

test('route_localnet: 127.0.0.2 is a martian until it is on; 127.0.0.1 (lo’s address) stays refused', () => {
  const { sim, drops } = run('route-localnet-source.yaml');
  assert.deepEqual(drops, [DropReason.IP_LOCALNET, DropReason.IP_LOCAL_SOURCE]);
  assert.deepEqual(
    sim.results.map((r) => r.verdict),
    ['reply', 'timeout', 'timeout', 'timeout'],
  );
});

test('src_valid_mark: strict rp_filter looks the source up with the mark only once it is on', () => {
  const { sim, drops } = run('src-valid-mark-rp-filter.yaml');
  assert.deepEqual(drops, [DropReason.IP_RPFILTER]);
  assert.deepEqual(
    sim.results.map((r) => r.verdict),
    ['reply', 'timeout'],
  );
});
