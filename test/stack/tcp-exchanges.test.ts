// Several request/answer exchanges on one TCP connection (`count`, issue 14 point 4) and the
// delayed ACKs of pingpong mode (net/ipv4/tcp_input.c tcp_event_data_recv, __tcp_ack_snd_check,
// tcp_send_delayed_ack; tcp_output.c tcp_event_data_sent; net.ipv4.tcp_pingpong_thresh 1). The
// expected segments are what Linux 6.18 sent in test/conformance/extra/sockets-tcp-exchanges.yaml
// under `natbox verify`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFile, tcpSegments, type TestSim } from '../tcp-segments.ts';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const FILE = 'test/conformance/extra/sockets-tcp-exchanges.yaml';

const run = (t: string) => simulateFile(FILE, t);

/** a's TCP segments of one source port: time, direction, flags, payload length. */
const segs = (sim: TestSim, port: number) => tcpSegments(sim, 'a', port);

const text = readFileSync(FILE, 'utf8');

test('lines 0.5 s apart: the client acknowledges each answer at once; the server, in pingpong mode after its first answer, lets the answer carry the ACK', () => {
  const sim = run(text);
  assert.deepEqual(
    sim.results.map((r) => [r.verdict, r.serverSaw]),
    [
      ['connected', '10.0.2.1:41000'],
      ['connected', '10.0.2.1:41001'],
    ],
  );
  const t1 = segs(sim, 41000);
  assert.deepEqual(
    t1.map((p) => `${p.dir} ${p.f.flags} ${p.f.len}`),
    [
      'out S 0',
      'in S. 0',
      'out . 0',
      'out P. 5',
      'in . 0', // the server's quick ACK of line 1
      'in P. 25',
      'out . 0',
      'out P. 5', // line 2 at 0.5 s: no ACK of its own from the server
      'in P. 25',
      'out . 0',
      'out P. 5',
      'in P. 25',
      'out . 0',
      'out F. 0', // hold (0.3 s) after the last answer
      'in F. 0',
      'out . 0',
    ],
  );
  const lines = t1.filter((p) => p.dir === 'out' && p.f.len === 5).map((p) => Math.round(p.t * 10) / 10);
  assert.deepEqual(lines, [0, 0.5, 1]);
});

test('lines back to back: the client enters pingpong mode too; its last ACK is delayed 40-44 ms', () => {
  const t2 = segs(run(text), 41001);
  assert.deepEqual(
    t2.map((p) => `${p.dir} ${p.f.flags} ${p.f.len}`),
    [
      'out S 0',
      'in S. 0',
      'out . 0',
      'out P. 5',
      'in . 0',
      'in P. 25',
      'out . 0', // quick ACK of answer 1, then line 2 at once (pingpong from here)
      'out P. 5',
      'in P. 25',
      'out P. 5', // line 3 carries the ACK of answer 2
      'in P. 25',
      'out . 0', // the delayed ACK of answer 3
      'out F. 0',
      'in F. 0',
      'out . 0',
    ],
  );
  const ans3 = t2[10]!.t;
  const dack = t2[11]!.t - ans3;
  assert.ok(dack > 0.04 && dack <= 0.044 + 1e-6, String(dack));
});

test('count and interval are refused for ftp flows, accepted for tcp', () => {
  const withFtp = text.replace('interval: 0.5,', 'interval: 0.5, ftp: passive,');
  assert.notEqual(withFtp, text);
  const bad = simulateScenario(withFtp, FILE);
  assert.ok(!bad.ok);
  assert.ok(
    bad.errors.some((e) => /flows\[0\]\.count: count is not for ftp flows/.test(e)),
    bad.errors.join('\n'),
  );
});
