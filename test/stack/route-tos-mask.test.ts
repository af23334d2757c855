// A route lookup compares the TOS bits 0x1c only (route/policy.ts ROUTE_TOS_MASK): Linux 6.18's flow
// key holds the DSCP (no ECN bits) and fib_dscp_masked_match masks it with
// INET_DSCP_LEGACY_TOS_MASK, so `ip rule add tos 0x10` and a `tos 0x10` route select 0x12, 0x13
// and 0x30 too, for forwarded packets and for a socket's own route (its source address). Expected:
// test/conformance/extra/fib-rule-tos-ecn.yaml under `natbox verify` (matches the kernel 3 of 3;
// natbox sent tos12 and rtos12 by up1 before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const FILE = 'test/conformance/extra/fib-rule-tos-ecn.yaml';

test('route lookups compare TOS & 0x1c: rules and routes with tos 0x10 take 0x12, 0x13, 0x30, not 0x14', () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE, {});
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => [x.flow.name, x.serverSaw?.split(':')[0]]),
    [
      ['tos10', '10.0.12.1'],
      ['tos12', '10.0.12.1'],
      ['tos13', '10.0.12.1'],
      ['tos14', '10.0.11.1'],
      ['tos30', '10.0.12.1'],
      ['ping12', undefined],
      ['tcp12', '10.0.12.1'],
      ['rtos12', '10.0.12.1'],
      ['rtos16', '10.0.11.1'],
      ['local12', '10.0.12.1'],
      ['local10', '10.0.12.1'],
      ['localtcp', '10.0.12.1'],
      ['localping', undefined],
    ],
  );
  // The router's own TCP socket: connect() chose its source with the TOS (ip_route_connect), so
  // it is up2's address, not up1's (natbox looked the route up with TOS 0 before).
  assert.equal(r.sim.results.find((x) => x.flow.name === 'localtcp')?.local, '10.0.12.1:40010');
});
