// -m rpfilter in a simulated router (xt_rpfilter.c): the reverse lookup uses the host's routes
// (Host.rpfLookup through XtEnv), as the rp_filter sysctl does (test/engine/rp-filter.test.ts,
// same topology): the client's network is routed back through the DMZ, so its packets arriving
// on lan fail the strict test and pass with --loose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

const scenario = (rule: string): string => `
name: rpfilter-match
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24, dmz: 198.51.100.1/24 }
    routes: [192.168.1.0/25 via 198.51.100.2]
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      ${rule}
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80]
  dmzhost:
    interfaces: { eth0: 198.51.100.2/24 }
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
  - [dmzhost:eth0, router:dmz]
flows:
  - { name: out through the router, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1.5 }
`;

/** Whether `host` received a packet (server: the client's SYN; dmzhost: the server's answer). */
const reached = (rule: string, host: string): boolean => {
  const r = simulateScenario(scenario(rule), 'rpf.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim.steps.some((s) => s.kind === 'packet' && s.host === host && s.dir === 'in');
};

test('rpfilter: strict drops the asymmetric source, --loose and a symmetric source pass', () => {
  assert.equal(reached('iptables -t raw -A PREROUTING -i lan -m rpfilter --invert -j DROP', 'server'), false);
  assert.equal(
    reached('iptables -t raw -A PREROUTING -i lan -m rpfilter --loose --invert -j DROP', 'server'),
    true,
  );
  // On wan: the server's address is routed back by wan, so its answer passes (and leaves by dmz,
  // the route to the client)...
  assert.equal(reached('iptables -t raw -A PREROUTING -i wan -m rpfilter --invert -j DROP', 'dmzhost'), true);
  // ...and without --invert the rule drops what passes the test: the answer.
  assert.equal(reached('iptables -t raw -A PREROUTING -i wan -m rpfilter -j DROP', 'dmzhost'), false);
});

// --validmark and --accept-local (ipt_rpfilter.c): test/conformance/extra/rpfilter-validmark-
// accept-local.yaml, verified against Linux 6.18.44. Each matching rule adds its bit to the TTL;
// the TTL the server sees (64, less one hop, plus the bits) says which matched.
test('rpfilter --validmark and --accept-local: the bits each flow collects; a local source martian without accept_local', () => {
  const file = new URL('../conformance/extra/rpfilter-validmark-accept-local.yaml', import.meta.url);
  const r = simulateScenario(readFileSync(file, 'utf8'), 'rpfilter-validmark-accept-local.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const seen = new Map<number, number>();
  for (const s of r.sim.steps)
    if (s.kind === 'packet' && s.host === 's' && s.dir === 'in' && s.frame[14 + 9] === 17) {
      const ip = s.frame.subarray(14);
      seen.set((ip[22]! << 8) | ip[23]!, ip[8]!);
    }
  // 5001: only --validmark (2) passes. 5002 (r's wan address): --accept-local --loose (4) and
  // --accept-local --invert (16). 5003 (r's lan address): --accept-local strict (2) and loose (4).
  // The datagram from c2 (lan2, accept_local 0) never reaches s.
  assert.deepEqual(
    [...seen].sort((a, b) => a[0] - b[0]),
    [
      [5001, 63 + 2],
      [5002, 63 + 4 + 16],
      [5003, 63 + 2 + 4],
    ],
  );
  assert.ok(
    r.sim.steps.some((s) => s.kind === 'drop' && s.host === 'r' && s.reason === DropReason.IP_LOCAL_SOURCE),
  );
});

// The reverse lookup's flow (xt_rpfilter rpfilter_mt, nft_fib4_eval): daddr the packet's source,
// saddr its destination (rpfilter_get_saddr), its TOS. An `ip rule from` the server's address
// sends the lookup to a table that routes the client's network back by lan, so the strict test
// passes there, and fails where the rule's selector is another address (the main table's route
// leaves by dmz).
test('rpfilter and fib saddr . iif oif: the reverse lookup has the packet destination as its source (ip rule from)', () => {
  const withRule = (from: string, rule: string): string =>
    scenario(rule).replace(
      '    routes: [192.168.1.0/25 via 198.51.100.2]\n',
      `    routes: [192.168.1.0/25 via 198.51.100.2, 192.168.1.0/24 dev lan table 100]\n    ip_rules: [from ${from} lookup 100]\n`,
    );
  const reach = (text: string): boolean => {
    const r = simulateScenario(text, 'rpf.yaml');
    assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
    return r.sim.steps.some((s) => s.kind === 'packet' && s.host === 'server' && s.dir === 'in');
  };
  const xt = 'iptables -t raw -A PREROUTING -i lan -m rpfilter --invert -j DROP';
  assert.equal(reach(withRule('203.0.113.50', xt)), true);
  assert.equal(reach(withRule('203.0.113.51', xt)), false);
  const nft = (from: string): string =>
    withRule(from, '').replace(
      '    rules: |\n      \n',
      '    nft: |\n      table ip f {\n        chain pre {\n          type filter hook prerouting priority raw; policy accept;\n          iifname "lan" fib saddr . iif oif missing drop\n        }\n      }\n',
    );
  assert.equal(reach(nft('203.0.113.50')), true);
  assert.equal(reach(nft('203.0.113.51')), false);
});
