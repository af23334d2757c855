// An application woken by a segment runs once the softirq chain that brought it is over
// (sim/world.ts wake): on veth each hop is taken in by net_rx_action → process_backlog before the
// CPU returns to a process. test/conformance/generated/gen-1415-17.yaml (found by the generator,
// seed 1415, and matched against Linux 6.18): h12 connects to itself through r1's hairpin NAT; on
// the kernel the server's quick ACK of the line is back at h12's client side before the server's
// answer leaves, and the client's ACK of the answer is back at the server side before the FIN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFile, tcpSegments } from '../tcp-segments.ts';

const FILE = 'test/conformance/generated/gen-1415-17.yaml';

/** h12:eth0's TCP segments in order: `dir sport>dport flags len`. */
const h12Segments = (): string[] =>
  tcpSegments(simulateFile(FILE), 'h12').map(
    (p) => `${p.dir} ${p.f.sport}>${p.f.dport} ${p.f.flags} ${p.f.len}`,
  );

test('a hairpin to itself: each ACK goes round before the application it woke writes', () => {
  const segs = h12Segments();
  // The kernel's order on h12:eth0 (tcpdump, 3 runs): the handshake, the line, the server's quick
  // ACK out and back in, the answer out and in, the client's ACK out and back in, then the FIN.
  assert.deepEqual(segs.slice(0, 14), [
    'out 40000>8080 S 0',
    'in 40000>80 S 0',
    'out 80>40000 S. 0',
    'in 8080>40000 S. 0',
    'out 40000>8080 . 0',
    'in 40000>80 . 0',
    'out 40000>8080 P. 5',
    'in 40000>80 P. 5',
    'out 80>40000 . 0',
    'in 8080>40000 . 0',
    'out 80>40000 P. 25',
    'in 8080>40000 P. 25',
    'out 40000>8080 . 0',
    'in 40000>80 . 0',
  ]);
  assert.match(segs[14]!, /^out 40000>8080 F\. 0$/);
});
