// SYNPROXY in INPUT in front of a server on the router itself (test/conformance/generated/
// gen-1701-77.yaml, found by the generator; the live scenario matches the kernel). What Linux
// does: the proxy's SYN to the server goes out lo, and ipv4_synproxy_hook at POST_ROUTING takes it
// (nf_is_loopback_packet is true only with skb_iif set, for a packet received on lo) and records
// the cookie's ISN from its ack field (synproxy->isn); the proxy's ACK to the server comes back
// on lo with the server's own numbers (nf_confirm adjusts no packet received on lo), the server
// accepts, and every packet of the connection is shifted between the cookie's and the server's
// sequence space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide } from '../../src/oracle/packets.ts';

const FILE = 'test/conformance/generated/gen-1701-77.yaml';

test("SYNPROXY in INPUT: the local server accepts, and the client sees the cookie's sequence space throughout", () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const { packets } = natboxSide(
    r.sim.steps.flatMap((x) =>
      x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
    ),
  );
  assert.equal(r.sim.results[0]!.verdict, 'connected');
  assert.equal(r.sim.results[0]!.serverSaw, '203.0.113.10:50000');
  const atClient = packets.filter((p) => p.iface === 's1:eth0' && p.proto === 'tcp');
  const cookie = atClient.find((p) => p.flags === 'S.')!;
  const fromServer = atClient.filter((p) => p.dir === 'in' && p.flags !== 'S.');
  // The window update, the ACK of the request, the answer and the FIN: all in the cookie's space.
  assert.deepEqual(
    fromServer.map((p) => [p.flags, ((p.seq! - cookie.seq!) >>> 0) as number, p.len ?? 0]),
    [
      ['.', 1, 0],
      ['.', 1, 0],
      ['P.', 1, 29],
      ['F.', 30, 0],
    ],
  );
  // On lo: the proxy's SYN (the client's ISN) and its ACK, which acks the server's own ISN + 1.
  const lo = packets.filter((p) => p.iface === 'r1:lo' && p.dir === 'in');
  assert.deepEqual(
    lo.map((p) => p.flags),
    ['S', '.'],
  );
  assert.notEqual(lo[1]!.ack, (cookie.seq! + 1) >>> 0);
  // The client's ACK of the answer reaches the server (no retransmission of the 29 bytes).
  assert.equal(fromServer.filter((p) => p.len === 29).length, 1);
});
