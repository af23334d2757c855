// Conntrack runs in a network namespace only when the ruleset needs it (nf_ct_netns_get), and a
// NOTRACK / CT --notrack rule does not: xt_ct_tg_check() in net/netfilter/xt_CT.c returns before
// nf_ct_netns_get() when XT_CT_NOTRACK is set. Found by `natbox verify --generate` (seed 1, scenario
// #2, test/conformance/generated/gen-1-2.yaml): a router whose rules were a raw-table
// `CT --notrack` and filter rules had natbox conntrack entries and an empty `conntrack -L` on Linux
// 6.18 (iptables 1.8.9 nf_tables). Before the fix needsConntrack() counted CT and NOTRACK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText } from '../../src/rules/load.ts';
import { needsConntrack } from '../../src/netfilter/core/engine.ts';
import { prepareVerify } from '../../src/cli/verify/verify.ts';

const rules = (text: string) => {
  const r = loadRulesText(text, 'rules');
  assert.ok(r.ok, JSON.stringify(r));
  return r.ruleset;
};

test('NOTRACK and CT --notrack do not turn conntrack on; CT --zone and the other CT forms do', () => {
  assert.equal(needsConntrack(rules('iptables -t raw -A PREROUTING -p udp -j CT --notrack\n')), false);
  assert.equal(needsConntrack(rules('iptables -t raw -A PREROUTING -j NOTRACK\n')), false);
  assert.equal(needsConntrack(rules('iptables -A FORWARD -p udp --dport 5353 -j DROP\n')), false);
  assert.equal(needsConntrack(rules('iptables -t raw -A PREROUTING -j CT --zone 1\n')), true);
  assert.equal(
    needsConntrack(
      rules(
        'iptables -t raw -A PREROUTING -j CT --notrack\niptables -A FORWARD -m state --state NEW -j ACCEPT\n',
      ),
    ),
    true,
  );
});

test('a router with only CT --notrack and filter rules keeps no conntrack entry (kernel: conntrack -L empty)', () => {
  const yaml = `name: notrack-only
hosts:
  r:
    interfaces: { lan: 10.3.0.1/24, wan: 203.0.113.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -A FORWARD -p udp --dport 5353 -j DROP
      iptables -t raw -A PREROUTING -p udp -j CT --notrack
  c: { interfaces: { eth0: 10.3.0.12/24 }, routes: [default via 10.3.0.1] }
  s: { interfaces: { eth0: 203.0.113.10/24 }, routes: [default via 203.0.113.1], listen: [tcp/8080] }
links:
  - [c:eth0, r:lan]
  - [r:wan, s:eth0]
flows:
  - { name: f1, from: c, proto: tcp, to: '203.0.113.10:8080', sport: 50000, at: 0, timeout: 1.5, hold: 1 }
`;
  const p = prepareVerify(yaml, 'notrack-only.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  assert.deepEqual(p.prepared.ctHosts, ['r']);
  assert.deepEqual(p.prepared.natbox.conntrack.get('r'), []);
  assert.equal(p.prepared.natbox.flows[0]?.verdict, 'connected');
});

test('the nat table alone does not turn conntrack on: its NAT targets do (iptable_nat registers only the NAT hooks)', () => {
  // Seed 1415's #13 (test/conformance/generated/gen-1415-13.yaml): after `iptables -t nat -D` of
  // a router's only rule, Linux 6.18 kept no entry for a forwarded ping (nf_ct_netns_put in the
  // rule's destroy; the table and its chains stay).
  assert.equal(needsConntrack(rules('iptables -t nat -A POSTROUTING -o wan -j ACCEPT\n')), false);
  assert.equal(needsConntrack(rules('iptables -t nat -N empty\n')), false);
  assert.equal(needsConntrack(rules('iptables -t nat -A POSTROUTING -o wan -j MASQUERADE\n')), true);
  assert.equal(
    needsConntrack(rules('iptables -t nat -A POSTROUTING -o lan -m conntrack --ctstate DNAT -j RETURN\n')),
    true,
  );
});
