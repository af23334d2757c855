// A router's neighbour in DELAY is confirmed by a TCP segment it forwards that carries
// skb->dst_pending_confirm (set by the sender's socket after an ACK that made progress): over veth
// the skb crosses into the router's namespace with the bit (skb_scrub_packet leaves it), and the
// router's ip_finish_output2 calls sock_confirm_neigh for its own next hop. Observed on Linux
// 6.18.44 (2026-12-02, three namespaces a -- r -- b joined by veth pairs, r forwarding, captured on
// a's veth): a sent one UDP datagram to b's closed port at 0 s (r forwards b's port unreachable to
// a: r's neighbour for a, learned STALE from a's request, goes DELAY); with a TCP exchange between
// a and b at 4 s r sent no probe to a (`ip -s neigh`: REACHABLE, probes 0); without it r probed a
// by unicast 5.19 s after the datagram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { scenarioText } from './a-r-b.ts';
import { describeFrame, arpText } from '../../src/trace/frame.ts';

const scenario = (tcp: boolean) =>
  scenarioText(
    'nud-forward-confirm',
    `flows:
  - { name: closed, from: a, proto: udp, to: 10.0.2.20:9, sport: 41000, timeout: 1 }
${tcp ? '  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41001, at: 4, timeout: 2, hold: 3 }' : '  - { name: idle, from: a, proto: udp, to: 10.0.2.20:9, sport: 41002, at: 7, timeout: 1 }'}
`,
  );

const probes = (text: string): unknown[] => {
  const r = simulateScenario(text, 'nud.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim.steps
    .filter((s) => s.kind === 'packet' && s.host === 'r' && s.dir === 'out')
    .map((s) => (s.kind === 'packet' ? { t: s.t, f: describeFrame(s.frame) } : undefined)!)
    .filter((p) => p.f.proto === 'arp' && arpText(p.f).includes('who-has 10.0.1.10'))
    .map((p) => [Math.round(p.t * 10) / 10, arpText(p.f)]);
};

test('a forwarded TCP exchange confirms the router neighbour in DELAY: no probe (veth, Linux 6.18)', () => {
  assert.deepEqual(probes(scenario(true)), []);
});

test('without it the router probes the neighbour 5 s after it first used it', () => {
  // The DELAY timer (1250 jiffies, the timer wheel's level 2) rounded up to jiffy 1280: 5.12 s.
  assert.deepEqual(probes(scenario(false)), [[5.1, 'ARP who-has 10.0.1.10 tell 10.0.1.1']]);
});
