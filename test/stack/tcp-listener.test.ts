// A Linux listener's request sock (issue 14 point 6, issue 15's generator finds): the SYN-ACK
// retransmitted by the request's timer and for a repeated SYN, and the request removed by an ICMP
// error about its SYN-ACK. Modelled on net/ipv4/inet_connection_sock.c reqsk_timer_handler,
// tcp_minisocks.c tcp_check_req and tcp_ipv4.c tcp_v4_err/tcp_req_err; the expected segments are
// what Linux 6.18 sent in test/conformance/extra/sockets-synack-repeated-syn.yaml and
// sockets-synack-icmp-error.yaml under `natbox verify` (and generated/gen-20261203-37.yaml,
// gen-20261201-1.yaml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import { decodeEthernet } from '../../src/wire/decode.ts';

const run = (file: string) => {
  const r = simulateScenario(readFileSync(file, 'utf8'), file);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
};
type Sim = ReturnType<typeof run>;

/** b's TCP segments in both directions, in order: time, direction, flags, seq, ack, TSecr. */
const segs = (sim: Sim, host: string) =>
  sim.steps
    .filter((s) => s.kind === 'packet' && s.host === host)
    .map((s) => {
      if (s.kind !== 'packet') throw new Error();
      const f = describeFrame(s.frame);
      const ts = decodeEthernet(s.frame).ipv4?.tcp?.options?.find((o) => o.kind === 'ts');
      return {
        t: s.t,
        dir: s.dir,
        f,
        ecr: ts && ts.kind === 'ts' ? ts.ecr : undefined,
        tsval: ts && ts.kind === 'ts' ? ts.val : undefined,
      };
    })
    .filter((p) => p.f.proto === 'tcp');

test('repeated SYNs in SYN_RECV: the timer first at 1 s, then one SYN-ACK per SYN, all the same segment echoing the first SYN', () => {
  const sim = run('test/conformance/extra/sockets-synack-repeated-syn.yaml');
  const b = segs(sim, 'b');
  assert.deepEqual(
    b.map((p) => `${p.dir} ${p.f.flags}`),
    ['in S', 'out S.', 'out S.', 'in S', 'out S.', 'in S', 'out S.', 'in S', 'out S.', 'in S', 'out S.'],
  );
  const syn = b[0]!;
  const synacks = b.filter((p) => p.f.flags === 'S.');
  assert.equal(new Set(synacks.map((p) => p.f.seq)).size, 1, 'one ISN');
  for (const p of synacks) {
    assert.equal(p.f.ack, ((syn.f.seq ?? 0) + 1) >>> 0);
    assert.equal(p.ecr, syn.tsval, "ts_recent stays the first SYN's (tcp_check_req)");
  }
  // The request's timer and the client's SYN timer both run at the end of the 32 ms bucket (tick
  // 256, 1.024 s), the request's first (pinned): its SYN-ACK, then the SYN.
  assert.ok(Math.abs(synacks[1]!.t - 1.024) < 1e-6, String(synacks[1]!.t));
  assert.ok(b[3]!.t > synacks[1]!.t && b[3]!.t < 1.025);
});

test('ICMP net or host unreachable about a SYN-ACK removes the request: the next SYN gets another ISN; host prohibited does not', () => {
  const sim = run('test/conformance/extra/sockets-synack-icmp-error.yaml');
  const b = segs(sim, 'b');
  const port = (n: number) => b.filter((p) => p.f.sport === n || p.f.dport === n);
  for (const n of [80, 81]) {
    const s = port(n);
    assert.deepEqual(
      s.map((p) => `${p.dir} ${p.f.flags}`),
      ['in S', 'out S.', 'in S', 'out S.'],
      `port ${n}: no timer SYN-ACK after the request went`,
    );
    assert.notEqual(s[1]!.f.seq, s[3]!.f.seq, `port ${n}: a new request, a new ISN`);
    assert.equal(s[3]!.f.ack, ((s[0]!.f.seq ?? 0) + 1) >>> 0);
    assert.equal(s[3]!.ecr, s[2]!.tsval, 'the new request echoes the SYN that made it');
  }
  const p82 = port(82);
  assert.deepEqual(
    p82.map((p) => `${p.dir} ${p.f.flags}`),
    ['in S', 'out S.', 'out S.', 'in S', 'out S.'],
  );
  assert.equal(new Set(p82.filter((p) => p.f.flags === 'S.').map((p) => p.f.seq)).size, 1);
  const why = sim.steps.filter(
    (s) => s.kind === 'socket' && s.host === 'b' && /drops the half-open/.test(s.text),
  );
  assert.equal(why.length, 4);
});

test('a server that closes first holds TIME_WAIT; the same four-tuple reconnecting reopens it with ISN tw_snd_nxt + 65537', () => {
  const sim = run('test/conformance/extra/tcp-time-wait-server.yaml');
  assert.deepEqual(
    sim.results.map((r) => r.verdict),
    ['connected', 'connected'],
  );
  const b = segs(sim, 'b');
  const conn = (from: number, to: number) => b.filter((p) => p.t >= from && p.t < to);
  // t1 at b: SYN, SYN-ACK, ACK, data, quick ACK, answer, its ACK, then b's FIN 50 ms after the
  // answer, a's ACK of it 40 ms later (delayed: tcp_fin's pingpong mode), a's FIN after its hold
  // (0.5 s after the answer) and b's ACK (TIME_WAIT).
  const t1 = conn(0, 2);
  assert.deepEqual(
    t1.map((p) => `${p.dir} ${p.f.flags}`),
    ['in S', 'out S.', 'in .', 'in P.', 'out .', 'out P.', 'in .', 'out F.', 'in .', 'in F.', 'out .'],
  );
  const fin = t1[7]!;
  assert.ok(Math.abs(fin.t - t1[5]!.t - 0.05) < 1e-6, 'FIN 50 ms after the answer');
  // The delayed ACK: TCP_DELACK_MIN (10 jiffies), run by the timer wheel at the tick after it (a
  // level 0 timer runs at expires + 1): 40 to 44 ms after the FIN.
  const dack = t1[8]!.t - fin.t;
  assert.ok(dack > 0.04 && dack <= 0.044 + 1e-6, `the FIN's ACK ${dack} s later`);
  assert.equal(t1[8]!.f.ack, ((fin.f.seq ?? 0) + 1) >>> 0);
  // t2: the SYN's ISN is after t1's (secure_tcp_seq: +2 s of 64 ns steps) and its TSval newer, so
  // TIME_WAIT gives way: b answers with the old FIN's seq + 1 + 65537 (tcp_timewait_state_process).
  const t2 = conn(2, 5);
  assert.equal(t2[0]!.f.flags, 'S');
  const dIsn = ((t2[0]!.f.seq ?? 0) - (t1[0]!.f.seq ?? 0)) >>> 0;
  assert.ok(Math.abs(dIsn - 2 * 15_625_000) < 15_625_000 / 100, String(dIsn));
  assert.ok(((t2[0]!.tsval ?? 0) - (t1[0]!.tsval ?? 0)) >>> 0 >= 1999, 'the same timestamp offset');
  assert.equal(t2[1]!.f.flags, 'S.');
  assert.equal(t2[1]!.f.seq, ((fin.f.seq ?? 0) + 1 + 65537) >>> 0);
  assert.equal(t2[1]!.f.ack, ((t2[0]!.f.seq ?? 0) + 1) >>> 0);
  const reopened = sim.steps.filter(
    (s) => s.kind === 'socket' && s.host === 'b' && /reopens the TIME_WAIT/.test(s.text),
  );
  assert.equal(reopened.length, 1);
});
