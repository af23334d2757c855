// A client's later lines (`count`) behind a zero window: tcp_sendmsg queues them behind the first,
// and tcp_push → tcp_write_xmit sends nothing while tcp_snd_wnd_test fails; only the persist timer's
// probes leave. Origin: seed 2003 #47 (test/conformance/generated/gen-2003-47.yaml, 3 of 3 on Linux
// 6.18): h11 behind r1's nft SYNPROXY (zero-window SYN-ACK; its ACK forwarded, as tcp_loose 1 picks
// it up) wrote its second line at 5.8 s when the wait for the first answer ended; the kernel sent
// the next probe at 7.43 s and no data, where natbox had sent the line into the zero window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFile, tcpSegments } from '../tcp-segments.ts';

const FILE = 'test/conformance/generated/gen-2003-47.yaml';

test('lines written behind a zero window wait: only the persist timer probes leave', () => {
  const segs = tcpSegments(simulateFile(FILE), 'h11', 40000);
  assert.deepEqual(
    segs.map((p) => `${p.dir} ${p.f.flags} ${p.f.len}`),
    ['out S 0', 'in S. 0', 'out . 0', 'out . 0', 'out . 0', 'out . 0', 'out . 0'],
  );
  // The probes (seq snd_una - 1) at the RTO, doubled: +0.208, +0.628, +1.46, +3.12 s.
  const probes = segs.slice(3).map((p) => Math.round((p.t - 4.3) * 1000));
  assert.deepEqual(probes, [208, 628, 1460, 3124]);
  assert.equal(segs.filter((p) => (p.f.len ?? 0) > 0).length, 0);
});
