// Data reaching a socket after close() draws a reset (generator issue 15, point 4: the difference
// found unshrunk in seed 1701's #14). net/ipv4/tcp_input.c tcp_rcv_state_process, step 7: in
// FIN_WAIT1/FIN_WAIT2 with RCV_SHUTDOWN (__tcp_close sets SHUTDOWN_MASK) a segment with data past
// rcv_nxt resets the connection (tcp_reset, TCPAbortOnData) and tcp_v4_do_rcv answers it with
// tcp_v4_send_reset: RST, seq = the segment's ack_seq, no ACK, from no socket. The FIN_WAIT2
// orphan is a timewait sock on Linux (tcp_timewait_state_process: TCP_TW_RST, the same packet).
// A socket only shut down for writing (shutdown(SHUT_WR): close_first's server) still reads.
// Expected packets: test/conformance/extra/tcp-data-after-close.yaml under `natbox verify`
// (Linux 6.18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const FILE = 'test/conformance/extra/tcp-data-after-close.yaml';

function run(text: string) {
  const r = simulateScenario(text, FILE, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}
type Sim = ReturnType<typeof run>;

/** A host's TCP segments on eth0, both directions, in order. */
const segs = (sim: Sim, host: string) =>
  sim.steps.flatMap((s) => {
    if (s.kind !== 'packet' || s.host !== host || s.ifname !== 'eth0') return [];
    const f = describeFrame(s.frame);
    return f.proto === 'tcp'
      ? [{ t: s.t, dir: s.dir, flags: f.flags!, seq: f.seq!, ack: f.ack!, len: f.len! }]
      : [];
  });

test('data after close(): RST with the segment ack as its sequence number, in FIN_WAIT2 and FIN_WAIT1', () => {
  const sim = run(readFileSync(FILE, 'utf8'));
  for (const [host, finAcked] of [
    ['h1', true],
    ['h2', false],
  ] as const) {
    const ps = segs(sim, host);
    const syn = ps.find((p) => p.dir === 'out' && p.flags === 'S')!;
    const i0 = (syn.seq + 1) >>> 0;
    const data = ps.find((p) => p.dir === 'in' && p.len > 0)!;
    assert.ok(data.t > 2, `${host}: the banner arrives after the event (${data.t})`);
    // s1's banner acks the FIN (h1: I0+2) or not (h2: its FINs never reached s1: I0+1).
    assert.equal(data.ack, (i0 + (finAcked ? 1 : 0)) >>> 0, host);
    const after = ps.filter((p) => p.t >= data.t && p.dir === 'out');
    // One reset, at once, nothing else from the host afterwards (no ACK, no FIN again).
    assert.deepEqual(
      after.map((p) => [p.t, p.flags, p.seq, p.len]),
      [[data.t, 'R', data.ack, 0]],
      host,
    );
  }
  assert.deepEqual(
    sim.results.map((f) => f.verdict),
    ['connected-then-failed', 'connected-then-failed'],
  );
});

test('without the event the banner never arrives: the FIN_WAIT sockets send no reset', () => {
  const text = readFileSync(FILE, 'utf8').replace(/\nevents:[\s\S]*$/, '\n');
  const sim = run(text);
  for (const host of ['h1', 'h2']) {
    const ps = segs(sim, host);
    assert.equal(ps.filter((p) => p.dir === 'in' && p.len > 0).length, 0, host);
    assert.equal(ps.filter((p) => p.flags.includes('R')).length, 0, host);
  }
});
