// Neighbour states after resolution (net/core/neighbour.c neigh_event_send, neigh_timer_handler;
// ip-sysctl.rst / ip-neighbour(8): delay_first_probe_time 5 s, retrans_time 1 s, ucast_solicit 3):
// a STALE neighbour (learned from a request) that is used goes DELAY; 5 s later, unless a local
// socket confirmed it meanwhile (sk_dst_confirm), PROBE: unicast requests to the MAC it has, 1 s
// apart; answered it is REACHABLE, after 3 unanswered ones FAILED and the next packet asks by
// broadcast. Seen on Linux 6.18 under natbox verify (tcp-fin-retransmit.yaml's captures: the router
// probes each client once, 5.0-5.5 s after it first forwarded to it; a server whose connections
// progress does not probe its gateway).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { scenarioText } from './a-r-b.ts';
import { describeFrame, arpText } from '../../src/trace/frame.ts';

const scenario = (events = '') =>
  scenarioText(
    'nud',
    `${events}
flows:
  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 9, hold: 9 }
`,
  );

const arp = (text: string, host: string, exact = false) => {
  const r = simulateScenario(text, 'nud.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim.steps
    .filter((s) => s.kind === 'packet' && s.host === host && s.dir === 'out')
    .map((s) => (s.kind === 'packet' ? { t: s.t, f: describeFrame(s.frame) } : undefined)!)
    .filter((p) => p.f.proto === 'arp')
    .map((p) => [exact ? p.t : Math.round(p.t * 10) / 10, arpText(p.f), p.f.ether.dst]);
};

test('a used STALE neighbour is probed by unicast after delay_first_probe_time, early confirmations too', () => {
  const probes = arp(scenario(), 'r').filter((x) => String(x[1]).includes('who-has 10.0.1.10'));
  // Learned from a's request (STALE), used at 0 s for the SYN-ACK: DELAY, then one probe to a's
  // MAC (not broadcast) when the timer wheel runs the 5 s timer (jiffy 1250 rounded up to 1280:
  // 5.12 s), answered: REACHABLE.
  assert.deepEqual(
    probes.map((x) => [x[0], x[1], x[2] === 'ff:ff:ff:ff:ff:ff' ? 'broadcast' : 'unicast']),
    [[5.1, 'ARP who-has 10.0.1.10 tell 10.0.1.1', 'unicast']],
  );
  // b learned r from r's request too; its socket's progress confirmed r only in the first
  // milliseconds of DELAY, too early for the timer (neigh.ts TIMER_SLACK): b probes r too. Linux
  // 6.18.44, the same three namespaces by hand (2026-12-02): the server probed its gateway 5.17 s
  // after a connection that then stayed idle.
  assert.deepEqual(
    arp(scenario(), 'b')
      .filter((x) => String(x[1]).includes('who-has'))
      .map((x) => [x[0], x[1]]),
    [[5.1, 'ARP who-has 10.0.2.1 tell 10.0.2.20']],
  );
});

test('unanswered probes: 3, 1 s apart, then FAILED; the next packet asks by broadcast', () => {
  // a gives up its address at 2 s: r's probes from 5 s find nobody.
  const r = arp(
    scenario(`events:
  - { at: 2, host: a, run: ip addr del 10.0.1.10/24 dev eth0 }`),
    'r',
  ).filter((x) => String(x[1]).includes('who-has 10.0.1.10'));
  const seen = r.slice(0, 6).map((x) => [x[0], x[2] === 'ff:ff:ff:ff:ff:ff' ? 'broadcast' : 'unicast']);
  // The DELAY timer at jiffy 1280 (5.12 s), then neigh->timer re-armed from its handler for 250
  // jiffies, rounded up to the next 8: 1536 (6.144 s), 1792 (7.168 s).
  assert.deepEqual(seen.slice(0, 3), [
    [5.1, 'unicast'],
    [6.1, 'unicast'],
    [7.2, 'unicast'],
  ]);
  // FAILED at 8.192 s; the next packet for a (a, without its address, sends nothing more that would
  // bring one sooner) resolves again by broadcast, 1 s apart.
  const b = seen.slice(3);
  assert.deepEqual(
    b.map((x) => x[1]),
    ['broadcast', 'broadcast', 'broadcast'],
  );
  assert.ok(Number(b[0]![0]) >= 8, String(b[0]![0]));
  // retrans_time apart as the timer wheel runs neigh->timer (1 s = 250 jiffies, level 1: rounded
  // up to 8 jiffies): the first timer, armed by __neigh_event_send, 1.000-1.032 s after the first
  // request; the next, armed by neigh_timer_handler on a bucket's jiffy, exactly 1.024 s later
  // (Linux 6.18, gen-1313-13's captures: +1.017, +1.024, +1.024 s).
  const x = arp(
    scenario(`events:
  - { at: 2, host: a, run: ip addr del 10.0.1.10/24 dev eth0 }`),
    'r',
    true,
  )
    .filter((y) => String(y[1]).includes('who-has 10.0.1.10') && y[2] === 'ff:ff:ff:ff:ff:ff')
    .map((y) => Number(y[0]));
  // The unicast probes too: neigh_timer_handler re-arms neigh->timer for 250 jiffies from the
  // handler, so once the DELAY timer ran on a bucket's jiffy they are exactly 1.024 s apart, and
  // FAILED comes 1.024 s after the last (the first broadcast, at the next packet, no sooner).
  const u = arp(
    scenario(`events:
  - { at: 2, host: a, run: ip addr del 10.0.1.10/24 dev eth0 }`),
    'r',
    true,
  )
    .filter((y) => String(y[1]).includes('who-has 10.0.1.10') && y[2] !== 'ff:ff:ff:ff:ff:ff')
    .map((y) => Number(y[0]));
  assert.deepEqual(
    u.map((t) => Math.round((t - u[0]!) * 1000)),
    [0, 1024, 2048],
  );
  assert.ok(x[0]! >= u[2]! + 1.024, `${x[0]} after FAILED at ${u[2]! + 1.024}`);
  const d1 = Math.round((x[1]! - x[0]!) * 1000);
  assert.ok(d1 > 1000 && d1 <= 1032, String(d1));
  assert.equal(Math.round((x[2]! - x[1]!) * 1000), 1024);
});
