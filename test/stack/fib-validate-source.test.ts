// fib_validate_source / __fib_validate_source (net/ipv4/fib_frontend.c) in a simulated router:
// the kernel-verified scenario rp-filter-accept-local.yaml (accept_local with rp_filter strict and
// loose, a broadcast source, the full check a custom ip rule turns on with rp_filter 0), and
// variants of it that follow the same code: without the custom rule, rp_filter 0 only asks
// inet_lookup_ifaddr_rcu; a `local` route added by hand (fib_has_custom_local_routes) turns the full
// check on as a rule does; a multipath route back passes strict when any of its next hops is on
// the receiving device (fib_info_nh_uses_dev).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

const FILE = new URL('../conformance/extra/rp-filter-accept-local.yaml', import.meta.url);
const YAML = readFileSync(FILE, 'utf8');

/** The UDP ports of the datagrams that reached s, and r's martian drops as `reason@device`. */
function run(yaml: string): { reached: number[]; drops: string[] } {
  const r = simulateScenario(yaml, 'rp-filter-accept-local.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const reached: number[] = [];
  const drops: string[] = [];
  for (const s of r.sim.steps) {
    if (s.kind === 'packet' && s.host === 's' && s.dir === 'in' && s.frame[14 + 9] === 17) {
      const ip = s.frame.subarray(14);
      reached.push((ip[22]! << 8) | ip[23]!);
    }
    if (s.kind === 'drop' && s.host === 'r') drops.push(`${s.reason}@${s.ifname ?? ''}`);
  }
  return { reached, drops };
}

const RPF = DropReason.IP_RPFILTER;
const INVALID = DropReason.IP_INVALID_SOURCE;
const LOCAL = DropReason.IP_LOCAL_SOURCE;

test('rp-filter-accept-local.yaml: strict passes the own address of lan only, broadcast sources are -EINVAL', () => {
  assert.deepEqual(run(YAML), {
    reached: [5001, 5003],
    drops: [`${RPF}@lan`, `${INVALID}@lan2`, `${INVALID}@lan3`],
  });
});

test('without a custom ip rule, rp_filter 0 asks only whether the source is an address of the host', () => {
  const yaml = YAML.replace(/^ {4}ip_rules: .*\n/m, '');
  assert.notEqual(yaml, YAML);
  assert.deepEqual(run(yaml), { reached: [5001, 5003, 5005], drops: [`${RPF}@lan`, `${INVALID}@lan2`] });
});

test('a local route added by hand turns the full check on as a rule does (fib_has_custom_local_routes)', () => {
  // c3's source 10.7.0.255 becomes 10.99.0.5, which r's hand-made local route makes RTN_LOCAL:
  // -EINVAL (accept_local 0 on lan3); without that route only the broadcast check would apply.
  const base = YAML.replace(/^ {4}ip_rules: .*\n/m, '')
    .replace('addresses: [10.5.0.2/24, 10.7.0.255/32]', 'addresses: [10.5.0.2/24, 10.99.0.5/32]')
    .replace(/src: 10\.7\.0\.255,(\s+)to: '10\.8\.0\.2:5005'/, "src: 10.99.0.5,$1to: '10.8.0.2:5005'");
  assert.ok(base.includes('src: 10.99.0.5,'));
  const withRoute = base.replace(
    '      lan3: 10.5.0.1/24\n',
    '      lan3: 10.5.0.1/24\n    routes: [local 10.99.0.0/24 dev lo table local]\n',
  );
  assert.notEqual(withRoute, base);
  assert.deepEqual(run(withRoute).drops, [`${RPF}@lan`, `${INVALID}@lan2`, `${LOCAL}@lan3`]);
  assert.deepEqual(run(base).reached, [5001, 5003, 5005]);
});

test('strict rp_filter: a multipath route back passes when any next hop is on the receiving device', () => {
  // 10.4.0.0/24 is routed back through both lan2 and lan: whichever path the hash would pick,
  // fib_info_nh_uses_dev finds lan among the next hops.
  const yaml = YAML.replace(
    '      lan3: 10.5.0.1/24\n',
    '      lan3: 10.5.0.1/24\n    routes: [10.4.0.0/24 nexthop via 10.6.0.2 nexthop via 10.7.0.2]\n',
  )
    .replace(
      'addresses: [10.7.0.2/24, 10.7.5.1/32, 10.8.0.1/32]',
      'addresses: [10.7.0.2/24, 10.7.5.1/32, 10.4.0.1/32]',
    )
    .replace(/src: 10\.8\.0\.1,(\s+)to: '10\.8\.0\.2:5002'/, "src: 10.4.0.1,$1to: '10.8.0.2:5002'");
  assert.ok(yaml.includes('src: 10.4.0.1,'));
  assert.deepEqual(run(yaml).reached, [5001, 5002, 5003]);
});
