// A FIN (or new data) waits while the congestion window is full (generator difference
// gen-1701-14, issue 15 point 4). After a retransmission timeout tcp_enter_loss sets cwnd to
// in_flight + 1 = 1 and the head's retransmission fills it; tcp_send_fin queues the FIN in its own
// skb (the write queue's tail is empty: the data is in the retransmission queue) and
// tcp_write_xmit's tcp_cwnd_test keeps it until an ACK opens the window (tcp_ack →
// tcp_data_snd_check). The RTO resends the head alone. The peer's FIN gets a plain ACK from the
// delayed-ACK timer: tcp_fin schedules it, and on a socket that never received data icsk_ack.ato
// is 0, so the timer runs at the next tick. A FIN received again is ACKed at once with a D-SACK.
// Expected packets: test/conformance/generated/gen-1701-14.yaml under `natbox verify` (Linux 6.18,
// 3 runs), and a two-namespace capture (`ss -tin` there: LAST-ACK, cwnd:1, unacked:1, notsent:1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import { HZ } from '../../src/stack/timer-wheel.ts';

const FILE = 'test/conformance/generated/gen-1701-14.yaml';

function run(text: string) {
  const r = simulateScenario(text, FILE, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}
type Sim = ReturnType<typeof run>;

/** s1's TCP segments, both directions, in order: time, direction, flags, seq, ack, length, summary. */
const s1 = (sim: Sim) =>
  sim.steps.flatMap((s) => {
    if (s.kind !== 'packet' || s.host !== 's1') return [];
    const f = describeFrame(s.frame);
    return f.proto === 'tcp'
      ? [{ t: s.t, dir: s.dir, flags: f.flags!, seq: f.seq!, ack: f.ack!, len: f.len!, text: f.summary }]
      : [];
  });

const texts = (sim: Sim, host: string): string[] =>
  sim.steps.flatMap((s) => (s.kind === 'socket' && s.host === host ? [s.text] : []));

test('after the RTO the server holds its FIN: the client FIN gets a plain ACK at the next tick, the banner goes again alone', () => {
  const sim = run(readFileSync(FILE, 'utf8'));
  const ps = s1(sim);
  const synack = ps.find((p) => p.dir === 'out' && p.flags === 'S.')!;
  const syn = ps.find((p) => p.dir === 'in' && p.flags === 'S')!;
  const i1 = (synack.seq + 1) >>> 0;
  const i0 = (syn.seq + 1) >>> 0;
  // No FIN ever leaves s1: the banner (16 bytes) is never acknowledged.
  assert.deepEqual(
    ps.filter((p) => p.dir === 'out' && p.flags.includes('F')),
    [],
  );
  const out = ps.filter((p) => p.dir === 'out' && p.flags !== 'S.');
  // The banner, its tail loss probe and four RTOs before h12's FIN at 2.6 s.
  const fin = ps.find((p) => p.dir === 'in' && p.flags === 'F.')!;
  const before = out.filter((p) => p.t < fin.t);
  assert.deepEqual(
    before.map((p) => [p.flags, p.seq, p.len]),
    Array(5).fill(['P.', i1, 16]),
  );
  // The FIN's ACK: a plain ACK, seq I1+17 (the held FIN took no sequence number on the wire), ack
  // I0+2, from the delayed-ACK timer at the next tick (ato 0: s1 never received data), no SACK.
  const ack = out.find((p) => p.t >= fin.t)!;
  assert.equal(ack.flags, '.');
  assert.equal(ack.seq, (i1 + 16) >>> 0);
  assert.equal(ack.ack, (i0 + 1) >>> 0);
  assert.ok(!ack.text.includes('sack'), ack.text);
  assert.equal(Math.round(ack.t * HZ), Math.floor(fin.t * HZ) + 1, `${fin.t} then ${ack.t}: the next tick`);
  // Each FIN again: an ACK at once with the D-SACK of the FIN's sequence number {I0:I0+1}.
  const again = ps.filter((p) => p.dir === 'in' && p.flags === 'F.').slice(1);
  assert.ok(again.length >= 3);
  for (const f of again) {
    const a = out.find((p) => p.t === f.t)!;
    assert.equal(a.flags, '.');
    assert.ok(a.text.endsWith(`sack 1 {${i0}:${(i0 + 1) >>> 0}}], length 0`), a.text);
  }
  // After h12's FIN the banner goes on alone at the RTO (3.94 s), the FIN not appended to it.
  const later = out.filter((p) => p.t > fin.t && p.len > 0);
  assert.deepEqual(
    later.map((p) => [p.flags, p.seq, p.len]),
    [
      ['P.', i1, 16],
      ['P.', i1, 16],
    ],
  );
  assert.ok(Math.abs(later[0]!.t - 3.94) < 0.01, String(later[0]!.t));
  assert.ok(
    texts(sim, 's1').includes(
      'holds its FIN to 10.1.0.12:40001: the congestion window is full (after a retransmission timeout)',
    ),
  );
});

test('the banner let through after h12 closed draws its reset: the held FIN never leaves s1', () => {
  // The same, with r1's FORWARD drop flushed at 3.2 s: the banner's retransmission at 3.94 s
  // reaches h12, closed (FIN_WAIT1, RCV_SHUTDOWN), which answers it with a reset
  // (tcp_rcv_state_process: data after close(), TCPAbortOnData; tcp_v4_send_reset: seq = the
  // banner's ack I0+2, no ACK) instead of the ACK that would have opened s1's window: s1's
  // connection is reset with its FIN still held (test/stack/tcp-data-after-close.test.ts).
  const text =
    readFileSync(FILE, 'utf8') + "events:\n  - { at: 3.2, host: r1, run: 'iptables -F FORWARD' }\n";
  const sim = run(text);
  const ps = s1(sim);
  const i1 = (ps.find((p) => p.dir === 'out' && p.flags === 'S.')!.seq + 1) >>> 0;
  const i0 = (ps.find((p) => p.dir === 'in' && p.flags === 'S')!.seq + 1) >>> 0;
  assert.equal(
    ps.find((p) => p.dir === 'in' && p.flags === '.' && p.ack === (i1 + 16) >>> 0),
    undefined,
    'h12 never acknowledges the banner',
  );
  const rst = ps.find((p) => p.dir === 'in' && p.flags.includes('R'))!;
  assert.ok(rst, 'h12 resets the connection');
  assert.deepEqual([rst.flags, rst.seq, rst.len], ['R', (i0 + 1) >>> 0, 0]);
  assert.ok(Math.abs(rst.t - 3.94) < 0.01, String(rst.t));
  assert.ok(ps.filter((p) => p.dir === 'out').every((p) => !p.flags.includes('F')));
  assert.ok(ps.filter((p) => p.dir === 'out' && p.t > rst.t).length === 0, 'nothing from s1 after the reset');
});
