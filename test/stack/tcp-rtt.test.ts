// The RTT estimator (src/stack/tcp-rtt.ts) against the kernel's integer arithmetic
// (net/ipv4/tcp_input.c tcp_rtt_estimator, __tcp_set_rto, tcp_rtt_tsopt_us; Linux 6.18), worked
// by hand from the C, and on a connection: test/conformance/extra/tcp-rtt-average.yaml, whose
// FIN retransmissions the kernel sent at +1.152, +2.720 and +5.376 s (natbox verify --captures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpRtt, tsoptRttUs } from '../../src/stack/tcp-rtt.ts';
import { simulateFile, tcpSegments } from '../tcp-segments.ts';

test('the first sample: srtt = m, rttvar = 2m ("rto = 3*rtt"), at least tcp_rto_min', () => {
  const r = new TcpRtt();
  r.sample(1_000_000, 101, 101);
  assert.deepEqual(
    [r.srttUs, r.mdevUs, r.mdevMaxUs, r.rttvarUs, r.rttSeq],
    [8_000_000, 2_000_000, 2_000_000, 2_000_000, 101],
  );
  assert.equal(r.rto(), 750); // 3 s in jiffies (HZ 250)
  assert.equal(r.twoSrtt(), 500);
  const lan = new TcpRtt();
  lan.sample(400, 1, 1);
  assert.deepEqual([lan.srttUs, lan.rttvarUs], [3200, 200_000]);
  assert.equal(lan.rto(), 51); // 200.4 ms, rounded up
  assert.equal(lan.twoSrtt(), 1);
});

test('falling samples: srtt 7/8 each, the deviation 1/8 of its error, rttvar raised to mdev_max', () => {
  const r = new TcpRtt();
  r.sample(1_000_000, 101, 101);
  r.sample(400, 106, 106);
  // m = 400 - 1e6; srtt8 = 7_000_400; |m| - mdev/4 = 499_600, >> 3 = 62_450; mdev 2_062_450.
  assert.deepEqual(
    [r.srttUs, r.mdevUs, r.rttvarUs, r.mdevMaxUs, r.rttSeq],
    [7_000_400, 2_062_450, 2_062_450, 200_000, 106],
  );
  assert.equal(r.rto(), 735); // 875_050 + 2_062_450 µs = 734.375 jiffies
  assert.equal(r.twoSrtt(), 438);
  r.sample(400, 111, 111);
  assert.deepEqual([r.srttUs, r.mdevUs, r.rttvarUs], [6_125_750, 2_107_329, 2_107_329]);
  assert.equal(r.rto(), 719); // 765_718 + 2_107_329 µs
});

test('a rising sample (a delayed ACK) and a steady RTT: rttvar decays to tcp_rto_min once a round', () => {
  const r = new TcpRtt();
  r.sample(1000, 1, 1);
  r.sample(50_000, 2, 2);
  assert.deepEqual([r.srttUs, r.mdevUs, r.rttvarUs], [57_000, 50_500, 200_000]);
  assert.equal(r.rto(), 52);
  assert.equal(r.twoSrtt(), 4);
  // Within one round (snd_una not past rtt_seq) rttvar is not brought down.
  const s = new TcpRtt();
  s.sample(300_000, 10, 10); // rttvar 600 ms
  s.sample(300_000, 10, 20);
  assert.equal(s.rttvarUs, 600_000);
  s.sample(300_000, 11, 20); // the round ends: mdev_max (600 ms) is not below rttvar, no decay
  assert.deepEqual([s.mdevUs, s.rttvarUs, s.mdevMaxUs, s.rttSeq], [337_500, 600_000, 200_000, 20]);
  s.sample(300_000, 21, 30); // mdev 253_125 raises mdev_max; the round ends: a quarter of the way down
  assert.deepEqual([s.mdevUs, s.rttvarUs, s.rttSeq], [253_125, 600_000 - ((600_000 - 253_125) >> 2), 30]);
  assert.equal(s.rto(), Math.ceil(((300_000 + 513_282) * 250) / 1e6));
});

test('timestamps: the echo in 1 ms units, 0 counted as 1 ms, wrapping, out of range refused', () => {
  assert.equal(tsoptRttUs(1005, 1000), 5000);
  assert.equal(tsoptRttUs(1000, 1000), 1000);
  assert.equal(tsoptRttUs(3, 0xfffffffe), 5000);
  assert.equal(tsoptRttUs(1000, 1001), -1);
});

test('property: srtt stays within the samples, rttvar at least tcp_rto_min, the RTO their sum', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20_000_000 }), { minLength: 1, maxLength: 60 }), (ms) => {
      const r = new TcpRtt();
      let una = 1;
      for (const m of ms) {
        una += 1 + (m % 3);
        r.sample(m, una, una + (m % 5));
        const srtt = r.srttUs >> 3;
        assert.ok(srtt >= Math.min(...ms.slice(0, r.samples)) - 1 && srtt <= Math.max(1, ...ms));
        assert.ok(r.rttvarUs >= 200_000);
        assert.equal(r.rto(), Math.ceil((Math.min(srtt + r.rttvarUs, 120_000_000) * 250) / 1e6));
      }
    }),
  );
});

test('on a connection: after a slow handshake, six quick samples bring the FIN probe and RTO down', () => {
  const segs = tcpSegments(simulateFile('test/conformance/extra/tcp-rtt-average.yaml'), 'h', 41000);
  const fins = segs.filter((p) => p.dir === 'out' && p.f.flags === 'F.').map((p) => p.t);
  assert.equal(fins.length, 4);
  // The probe at 2 SRTT + 200 ms = 1124 ms, run at the end of its 8-jiffy bucket: the kernel's +1.152 s.
  assert.equal(Math.round((fins[1]! - fins[0]!) * 1000), 1152);
  // The RTO, srtt + rttvar = 2.68 s, then 5.36 s, each in its bucket.
  assert.equal(Math.round((fins[2]! - fins[1]!) * 1000), 2848);
  assert.equal(Math.round((fins[3]! - fins[2]!) * 1000), 5376);
});
