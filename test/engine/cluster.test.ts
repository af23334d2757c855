// -m cluster through a whole scenario: the server is node 1 of 2 with seed 0xdeadbeef, so of
// 198.51.100.10 and .11 it takes only .11 (the kernel hashes .10 to node 2 and .11 to node 1:
// measured, see CLUSTER_KERNEL in test/rules/ext-misc.test.ts). The match needs conntrack, which
// the rule turns on by itself as xt_cluster's checkentry does (nf_ct_netns_get).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const text = `
name: cluster-node-1
hosts:
  web:
    interfaces: { eth0: 198.51.100.1/24 }
    listen: [tcp/80]
    rules: |
      iptables -A INPUT -p tcp --dport 80 -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef -j ACCEPT
      iptables -A INPUT -p tcp --dport 80 -j DROP
  c10: { interfaces: { eth0: 198.51.100.10/24 } }
  c11: { interfaces: { eth0: 198.51.100.11/24 } }
links:
  - [web:eth0, c10:eth0, c11:eth0]
flows:
  - { name: from .10, from: c10, proto: tcp, to: 198.51.100.1:80, timeout: 1 }
  - { name: from .11, from: c11, proto: tcp, to: 198.51.100.1:80, timeout: 1 }
`;

test('cluster: node 1 of 2 answers the source that hashes to it and drops the other', () => {
  const r = simulateScenario(text, 'cluster.yaml', { trace: true });
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r));
  assert.deepEqual(
    r.sim.results.map((x) => x.verdict),
    ['timeout', 'connected'],
  );
  const why = r.sim.steps
    .filter((s) => s.kind === 'rule-miss')
    .map((s) => (s.kind === 'rule-miss' ? s.why : ''));
  assert.ok(why.includes('-m cluster did not match: the connection hashes to node 2 of 2'), why.join('\n'));
});
