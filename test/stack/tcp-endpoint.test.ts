// Linux TCP endpoints around a connection's end (issue 14 point 6): FIN retransmission, a FIN
// received again, and a reconnection from the port of a connection in TIME_WAIT. Expected values
// come from the kernel: test/conformance/extra/tcp-fin-retransmit.yaml and tcp-time-wait-reuse.yaml
// under `natbox verify` (Linux 6.18), and its sources (net/ipv4/tcp_output.c tcp_send_fin,
// tcp_timer.c tcp_retransmit_timer, tcp_input.c tcp_send_dupack, tcp_ipv4.c tcp_twsk_unique,
// tcp_minisocks.c tcp_timewait_state_process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const line = (opts: { a?: string; r?: string; flows: string }): string => `
name: line
hosts:
  a:
    interfaces: { eth0: 10.0.1.10/24 }
    routes: [default via 10.0.1.1]
${opts.a ?? ''}
  r:
    interfaces: { eth0: 10.0.1.1/24, eth1: 10.0.2.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
${opts.r ?? ''}
  b:
    interfaces: { eth0: 10.0.2.20/24 }
    routes: [default via 10.0.2.1]
    listen: [tcp/80]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
flows:
${opts.flows}`;

const run = (text: string) => {
  const r = simulateScenario(text, 'line.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
};
type Sim = ReturnType<typeof run>;

/** One host's TCP segments in one direction, decoded, with their time. */
const tcp = (sim: Sim, host: string, dir: 'in' | 'out') =>
  sim.steps
    .filter((s) => s.kind === 'packet' && s.host === host && s.dir === dir)
    .map((s) => (s.kind === 'packet' ? { t: s.t, f: describeFrame(s.frame) } : undefined)!)
    .filter((p) => p.f.proto === 'tcp');

const rel = (ps: readonly { t: number }[]): number[] =>
  ps.map((p) => Math.round((p.t - ps[0]!.t) * 1000) / 1000);

/** `got` within 30 ms of the kernel's `want` (seconds after the first), one by one. */
const near = (got: number[], want: number[]): void => {
  assert.equal(got.length, want.length, `${got.join(' ')} against ${want.join(' ')}`);
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - want[i]!) <= 0.03, `${got.join(' ')} against ${want.join(' ')}`),
  );
};

test('a lost FIN is retransmitted: tail loss probe, then the RTO doubling (client in FIN_WAIT1)', () => {
  const sim = run(
    line({
      r: `    rules: |
      iptables -A FORWARD -s 10.0.1.10 -p tcp --tcp-flags FIN FIN -j DROP`,
      flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 4, hold: 0 }`,
    }),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  const fins = tcp(sim, 'a', 'out').filter((p) => p.f.flags?.includes('F'));
  assert.equal(new Set(fins.map((p) => p.f.seq)).size, 1, 'the same FIN each time');
  // Linux 6.18 measured +0.21 +0.42 +0.85 +1.68 +3.34 s (tcp-fin-retransmit.yaml): RTOs of 51, 102,
  // 204 and 408 jiffies, each run by the timer wheel at the end of its bucket (timer-wheel.ts):
  // natbox's +0.207 +0.415 +0.831 +1.663 +3.327.
  near(rel(fins), [0, 0.21, 0.42, 0.85, 1.68, 3.34]);
  assert.equal(tcp(sim, 'b', 'in').filter((p) => p.f.flags?.includes('F')).length, 0);
});

test('the server retransmits its lost FIN (LAST_ACK); a FIN received again is answered by a duplicate ACK', () => {
  // b's FIN (which acknowledges a's) is lost every time: both ends retransmit their FIN; b answers
  // a's repeated FIN with an ACK (tcp_send_dupack), which moves a to FIN_WAIT2.
  const sim = run(
    line({
      r: `    rules: |
      iptables -A FORWARD -d 10.0.1.10 -p tcp --tcp-flags FIN FIN -j DROP`,
      flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 3, hold: 0 }`,
    }),
  );
  const bFins = tcp(sim, 'b', 'out').filter((p) => p.f.flags?.includes('F'));
  near(rel(bFins).slice(0, 5), [0, 0.21, 0.42, 0.85, 1.68]);
  const aFins = tcp(sim, 'a', 'out').filter((p) => p.f.flags?.includes('F'));
  assert.equal(aFins.length, 2, "a's FIN and one probe: b's duplicate ACK acknowledges it");
  const dupAck = tcp(sim, 'a', 'in').filter((p) => p.f.flags === '.' && p.t > aFins[1]!.t);
  assert.equal(dupAck.length, 1);
  assert.equal(dupAck[0]!.f.ack, ((aFins[0]!.f.seq ?? 0) + 1) >>> 0);
});

test('reconnecting from the same port: EADDRNOTAVAIL while established; over TIME_WAIT with ISN + 65537 and a new conntrack entry', () => {
  const sim = run(
    line({
      r: `    rules: |
      iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE`,
      flows: `  - { name: t1, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 2, hold: 2 }
  - { name: t2, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, at: 1, timeout: 1, hold: 0 }
  - { name: t3, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, at: 3.5, timeout: 2, hold: 0 }`,
    }),
  );
  assert.deepEqual(
    sim.results.map((r) => [r.verdict, r.errno]),
    [
      ['connected', undefined],
      ['error', 'EADDRNOTAVAIL'],
      ['connected', undefined],
    ],
  );
  const out = tcp(sim, 'a', 'out');
  const syns = out.filter((p) => p.f.flags === 'S');
  assert.equal(syns.length, 2, 't2 sent nothing');
  const fin = out.find((p) => p.f.flags?.includes('F'))!;
  // tcp_twsk_unique: write_seq = tw_snd_nxt + 65535 + 2 (Linux 6.18: 613634509 -> 613700046).
  assert.equal(syns[1]!.f.seq, ((fin.f.seq ?? 0) + 1 + 65537) >>> 0);
  assert.ok(syns[1]!.t >= 3.5 && syns[1]!.t < 3.6);
  // conntrack on r: t1's entry in TIME_WAIT is replaced by a new one for t3's SYN.
  const ct = sim.steps.filter((s) => s.kind === 'ct-event' && s.host === 'r');
  const news = ct.filter((s) => s.kind === 'ct-event' && s.event === 'NEW');
  assert.equal(news.length, 2);
  assert.ok(news[1]!.t >= 3.5);
  const last = ct.at(-1)!;
  assert.ok(last.kind === 'ct-event' && /sport=41000 dport=80 .*sport=80 dport=41000/.test(last.line));
});
