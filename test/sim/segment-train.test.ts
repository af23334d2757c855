// A write longer than the MSS leaves one segment at a time, each after the chain the previous one
// set off (sim/world.ts xmit): tcp_write_xmit's dev_queue_xmit runs net_rx_action in its
// local_bh_enable, so on veth the router forwards the segment and the server's quick ACK is back
// in the client's socket backlog before the next segment is sent.
// test/conformance/extra/tcp-payload-over-mss.yaml, matched against Linux 6.18 (tcpdump, 3 runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFile, tcpSegments } from '../tcp-segments.ts';

const FILE = 'test/conformance/extra/tcp-payload-over-mss.yaml';

/** client:eth0's TCP segments of source or destination port `port`: `dir flags len`. */
const clientSegments = (port: number): string[] =>
  tcpSegments(simulateFile(FILE), 'client', port).map((p) => `${p.dir} ${p.f.flags} ${p.f.len}`);

test('two 3000-byte lines: quick ACKs between the first line segments, pingpong on the second', () => {
  // The kernel's order on client:eth0: the first line's segments each followed by the server's
  // quick ACK, the short tail at once (Minshall: no short segment unacknowledged); the second line
  // in pingpong mode: no ACK after the first segment (one segment is not more than rcv_mss, 1448
  // now), the ACK after the second, the answer carrying the tail's ACK.
  assert.deepEqual(clientSegments(41000).slice(0, 17), [
    'out S 0',
    'in S. 0',
    'out . 0',
    'out . 1448',
    'in . 0',
    'out . 1448',
    'in . 0',
    'out P. 104',
    'in . 0',
    'in P. 28',
    'out . 0',
    'out . 1448',
    'out . 1448',
    'in . 0',
    'out P. 104',
    'in P. 28',
    'out F. 0',
  ]);
});

test('a 5000-byte line: three full segments and the tail, each after the ACK of the one before', () => {
  assert.deepEqual(clientSegments(41001).slice(3, 13), [
    'out . 1448',
    'in . 0',
    'out . 1448',
    'in . 0',
    'out . 1448',
    'in . 0',
    'out P. 656',
    'in . 0',
    'in P. 28',
    'out . 0',
  ]);
});
