// REJECT and the router's own ICMP errors for NATed packets, simulated (no kernel needed): the
// answer carries the rejected packet's entry (nf_ct_attach) and NAT translates it back, so the
// remote host sees the public address it asked. The expected packets are the live kernel's in the
// `natbox verify` runs of these scenarios (Linux 6.18.44: test/verify/all.test.ts runs them again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packetsAt, runExample, conntrackLines } from '../hairpin/helpers.ts';

test('REJECT of DNATed packets: the RST and every ICMP error leave from the public address', () => {
  const { sim } = runExample('test/conformance/extra/reject-dnat-public.yaml');
  const out = packetsAt(sim, 'router', 'wan').filter((l) => l.startsWith('out'));
  // The RST answers as 198.51.100.80:8080 (before: 192.168.1.200:80).
  assert.equal(out[0], 'out tcp 198.51.100.80:8080 > 203.0.113.50:45000 R. ttl=64');
  // Nine ICMP errors (TCP/8081, seven UDP ports, the ping), each from the public address (the
  // router sent them from 203.0.113.22, the route's source; NAT rewrote the outer source).
  const icmp = out.filter((l) => l.includes(' icmp '));
  assert.equal(icmp.length, 9);
  for (const l of icmp) assert.equal(l, 'out icmp 198.51.100.80 > 203.0.113.50 type=3 ttl=64');
});

test('the router`s net unreachable for a DNATed packet it cannot route leaves from the public address', () => {
  const { sim } = runExample('test/conformance/extra/icmp-error-dnat-no-route.yaml');
  const out = packetsAt(sim, 'router', 'wan').filter((l) => l.startsWith('out'));
  assert.deepEqual(out, [
    'out icmp 198.51.100.80 > 203.0.113.50 type=3 ttl=64',
    'out icmp 198.51.100.80 > 203.0.113.50 type=3 ttl=64',
  ]);
});

test('REJECT of a MASQUERADEd connection`s replies: the server gets the RST from the public side; the entry is CLOSE', () => {
  const { sim } = runExample('test/conformance/extra/reject-masquerade-reply.yaml');
  const out = packetsAt(sim, 'router', 'wan').filter((l) => l.startsWith('out'));
  assert.ok(out.includes('out tcp 198.51.100.1:40000 > 198.51.100.80:80 R ttl=64'), out.join('\n'));
  assert.equal(out.filter((l) => l === 'out icmp 198.51.100.1 > 198.51.100.80 type=3 ttl=64').length, 2);
  const tcp = conntrackLines(sim, 'router').find((l) => l.startsWith('tcp'));
  assert.match(tcp ?? '', / CLOSE src=192\.168\.1\.10 /);
});
