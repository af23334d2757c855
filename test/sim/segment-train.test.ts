// A write longer than the MSS leaves one segment at a time, each after the chain the previous one
// set off (sim/world.ts xmit): tcp_write_xmit's dev_queue_xmit runs net_rx_action in its
// local_bh_enable, so on veth the router forwards the segment and the server's quick ACK is back
// in the client's socket backlog before the next segment is sent.
// test/conformance/extra/tcp-payload-over-mss.yaml, matched against Linux 6.18 (tcpdump, 3 runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const FILE = 'test/conformance/extra/tcp-payload-over-mss.yaml';

/** client:eth0's TCP segments of source or destination port `port`: `dir flags len`. */
function clientSegments(port: number): string[] {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE, {
    trace: true,
    readFile: (p) => ({ ok: true, text: readFileSync(p, 'utf8') }),
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const out: string[] = [];
  for (const s of r.sim.steps) {
    if (s.kind !== 'packet' || s.host !== 'client' || s.frame[12] !== 0x08 || s.frame[13] !== 0x00) continue;
    const ip = 14;
    if (s.frame[ip + 9] !== 6) continue;
    const hl = (s.frame[ip]! & 15) * 4;
    const t = ip + hl;
    const sport = (s.frame[t]! << 8) | s.frame[t + 1]!;
    const dport = (s.frame[t + 2]! << 8) | s.frame[t + 3]!;
    if (sport !== port && dport !== port) continue;
    const flags = s.frame[t + 13]!;
    const len = ((s.frame[ip + 2]! << 8) | s.frame[ip + 3]!) - hl - (s.frame[t + 12]! >> 4) * 4;
    const f = ['F', 'S', 'R', 'P', '.'].filter((_, i) => flags & [1, 2, 4, 8, 16][i]!).join('');
    out.push(`${s.dir} ${f} ${len}`);
  }
  return out;
}

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
