// Gratuitous ARP (issue 14 point 6): sent when a device comes up with arp_notify (net/ipv4/
// devinet.c inetdev_event → inetdev_send_gratuitous_arp), never on `ip addr add`; received, it
// moves an existing neighbour entry to the new MAC (net/ipv4/arp.c arp_process: arp_is_garp
// overrides, the entry is STALE). The frames were compared with Linux 6.18's under natbox verify
// (test/conformance/extra/arp-notify-link-up.yaml: the same ARP on 4 of 4 interfaces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame, arpText } from '../../src/trace/frame.ts';

const run = (text: string, file = 'garp.yaml') => {
  const r = simulateScenario(text, file);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
};
type Sim = ReturnType<typeof run>;
const arpOut = (sim: Sim, host: string) =>
  sim.steps
    .filter((s) => s.kind === 'packet' && s.host === host && s.dir === 'out')
    .map((s) => (s.kind === 'packet' ? { t: s.t, f: describeFrame(s.frame), raw: s.frame } : undefined)!)
    .filter((p) => p.f.proto === 'arp');
/** The ARP target hardware address (Ethernet 14 + ARP 18..24). */
const tha = (raw: Uint8Array): string =>
  [...raw.slice(32, 38)].map((b) => b.toString(16).padStart(2, '0')).join(':');

test('arp_notify: one gratuitous request per address when the device comes up; nothing without it or on ip addr add', () => {
  const FILE = 'test/conformance/extra/arp-notify-link-up.yaml';
  const sim = run(readFileSync(FILE, 'utf8'), FILE);
  const garp = arpOut(sim, 's').filter((p) => p.t >= 1.5 && p.t < 2);
  assert.deepEqual(
    garp.map((p) => [p.t, arpText(p.f), p.f.ether.dst, tha(p.raw)]),
    [
      [1.5, 'ARP who-has 10.0.1.20 tell 10.0.1.20', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'],
      [1.5, 'ARP who-has 10.0.1.21 tell 10.0.1.21', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'],
    ],
  );
  // q: no gratuitous ARP on link up (arp_notify 0) nor on ip addr add (at 2 s): its only request
  // is for p, after t4's SYN (its neighbours went with the link).
  const q = arpOut(sim, 'q').filter((p) => p.f.arp?.op === 'request');
  assert.deepEqual(
    q.map((p) => arpText(p.f)),
    ['ARP who-has 10.0.2.10 tell 10.0.2.20'],
  );
  assert.ok(q[0]!.t >= 2.8);
});

/** An address moving from s1 to s2 on one switch, with or without s2's announcement. */
const failover = (notify: 0 | 1) => `
name: failover
hosts:
  c:
    interfaces: { eth0: 10.0.1.10/24 }
  s1:
    interfaces: { eth0: [10.0.1.11/24, 10.0.1.50/24] }
    listen: [tcp/80]
  s2:
    interfaces: { eth0: 10.0.1.12/24 }
    sysctls: { net.ipv4.conf.all.arp_notify: ${notify} }
    listen: [tcp/80]
links:
  - [c:eth0, s1:eth0, s2:eth0]
events:
  - { at: 1, host: s1, run: ip addr del 10.0.1.50/24 dev eth0 }
  - { at: 1, host: s2, run: ip addr add 10.0.1.50/24 dev eth0 }
  - { at: 1.1, host: s2, run: ip link set dev eth0 down }
  - { at: 1.2, host: s2, run: ip link set dev eth0 up }
flows:
  - { name: before, from: c, proto: tcp, to: 10.0.1.50:80, sport: 41000, timeout: 1, hold: 0 }
  - { name: after, from: c, proto: tcp, to: 10.0.1.50:80, sport: 41001, at: 2, timeout: 2, hold: 0 }
`;

test("a gratuitous ARP moves the neighbour entry to the address's new owner; without it the old MAC stays (REACHABLE)", () => {
  const withGarp = run(failover(1));
  assert.deepEqual(
    withGarp.results.map((r) => [r.verdict, r.serverSaw ?? '']),
    [
      ['connected', '10.0.1.10:41000'],
      ['connected', '10.0.1.10:41001'],
    ],
  );
  const seenBy = (sim: Sim, host: string) =>
    sim.steps.some(
      (s) => s.kind === 'socket' && s.host === host && s.event === 'accepted' && s.text.includes(':41001'),
    );
  assert.ok(seenBy(withGarp, 's2') && !seenBy(withGarp, 's1'));
  // Without the announcement c still sends to s1's MAC, and s1 no longer has the address.
  const without = run(failover(0));
  assert.deepEqual(
    without.results.map((r) => r.verdict),
    ['connected', 'timeout'],
  );
  assert.ok(!seenBy(without, 's2'));
});

/**
 * test/conformance/extra/arp-ignore-proxy-arp.yaml (verified against Linux 6.18: a ARPs for b's
 * address, r answers by proxy_arp) with its `proxy_delay` line as given: '' leaves the default.
 */
const PROXY_FILE = 'test/conformance/extra/arp-ignore-proxy-arp.yaml';
const proxy = (delay: string) =>
  readFileSync(PROXY_FILE, 'utf8').replace(
    '      net.ipv4.neigh.eth0.proxy_delay: 0\n',
    delay && `${delay}\n`,
  );

test('proxy_arp answers a broadcast request after a random part of proxy_delay; at once with proxy_delay 0', () => {
  const replyAt = (sim: Sim): number =>
    arpOut(sim, 'r').find((p) => p.f.arp?.op === 'reply' && arpText(p.f).includes('10.0.2.20'))!.t;
  const dflt = run(proxy(''));
  const t = replyAt(dflt);
  assert.ok(t > 0 && t < 0.8, `pneigh_enqueue's delay is in [0, 0.8 s): ${t}`);
  assert.equal(dflt.results[0]!.verdict, 'connected');
  const zero = run(proxy('      net.ipv4.neigh.eth0.proxy_delay: 0'));
  assert.ok(replyAt(zero) < 0.001, `proxy_delay 0: ${replyAt(zero)}`);
  assert.equal(zero.results[0]!.verdict, 'connected');
  const bad = simulateScenario(proxy('      net.ipv4.neigh.eth0.proxy_delay: -1'), 'p.yaml');
  assert.ok(!bad.ok && /proxy_delay/.test(bad.errors.join('\n')), bad.ok ? '' : bad.errors.join('\n'));
});
