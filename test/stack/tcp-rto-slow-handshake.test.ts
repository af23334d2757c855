// The RTO after a slow handshake: tcp_rtt_estimator's first sample m sets srtt = m and mdev = 2m
// ("make sure rto = 3*rtt"), rttvar = max(mdev, tcp_rto_min), so icsk_rto = srtt + rttvar is
// m + 200 ms only while m < 100 ms, 3m after; the tail loss probe for one packet in flight is
// 2 SRTT + TCP_RTO_MIN, no later than the RTO (tcp_schedule_loss_probe). Origin: seed 2102 #48
// (test/conformance/generated/gen-2102-48.yaml, on Linux 6.18): h11's SYN waits in the queue of
// its gateway's neighbour from 2.3 s (r1's lan down until 2.75 s) and leaves with the ARP probe at
// 3.33 s; the RTT counts from its first transmission (the retransmission that found it still in
// the host queue was none), 1.03 s. r1 drops h11's ACK and FIN (its @seen set), so the FIN at 5.33 s
// is sent again by the probe 2.26 s later (the kernel's at +2.28 s, the wheel's rounding of 565
// jiffies) and not again before the end (the RTO, 3.09 s after the probe, is 10.7 s); natbox had
// used m + 200 ms for both and sent it at +1.23 and +2.51 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFile, tcpSegments } from '../tcp-segments.ts';

const FILE = 'test/conformance/generated/gen-2102-48.yaml';

test('after a handshake of 1 s the FIN is probed at 2 SRTT + 200 ms, and the RTO is 3 SRTT', () => {
  const segs = tcpSegments(simulateFile(FILE), 'h11', 50000);
  assert.deepEqual(
    segs.map((p) => `${p.dir} ${p.f.flags}`),
    ['out S', 'in S.', 'out .', 'in S.', 'out .', 'out F.', 'in S.', 'out .', 'out F.'],
  );
  const syn = segs[0]!.t;
  const synAck = segs[1]!.t;
  assert.ok(Math.abs(synAck - syn - 0.0006) < 1e-6, `the SYN-ACK ${synAck - syn} s after the SYN left`);
  const fins = segs.filter((p) => p.f.flags === 'F.').map((p) => p.t);
  // 2 * 1.0288 s + 200 ms = 565 jiffies, run by the timer wheel at the end of its 64-jiffy bucket.
  assert.equal(Math.round((fins[1]! - fins[0]!) * 1000), 2351);
});
