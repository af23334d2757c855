// tcp_v4_err ignores an ICMP message about a segment whose sequence number is not between snd_una
// and snd_nxt (LINUX_MIB_OUTOFWINDOWICMPS), whatever its type. The scenario is seed 2201's #57 of
// the generator (test/conformance/generated/gen-2201-57.yaml, 3 of 3 kernel runs match): h11's
// gateway r1 routes 10.2.0.0/24 to r2 on the same segment, so it redirects h11 about every packet
// it forwards; r1's SYNPROXY answers h11's SYN with a zero window, so h11 sends zero-window probes
// (tcp_send_probe0: seq snd_una - 1), each redirected. The SYN's redirect comes back while
// connect() holds the socket (dropped, LockDroppedIcmps); the probes' are out of window. The
// kernel's h11 never asked ARP for 10.1.0.252; natbox's did at the first probe's redirect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { decodeEthernet } from '../../src/wire/decode.ts';
import { formatTcpFlags } from '../../src/wire/tcp.ts';

const FILE = 'test/conformance/generated/gen-2201-57.yaml';

function run() {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE, {
    trace: true,
    readFile: (p) => ({ ok: true, text: readFileSync(p, 'utf8') }),
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

/** A step's time in microseconds (the clock adds link delays in floating point). */
const us = (t: number): number => Math.round(t * 1e6);

test("redirects about zero-window probes (seq snd_una - 1) are out of window: ignored and counted, no ARP for the redirect's gateway", () => {
  const sim = run();
  const h11 = (dir: 'in' | 'out') =>
    sim.steps.flatMap((s) =>
      s.kind === 'packet' && s.host === 'h11' && s.dir === dir
        ? [{ t: us(s.t), d: decodeEthernet(s.frame) }]
        : [],
    );
  const tcpOut = h11('out').filter((f) => f.d.ipv4?.tcp);
  const syn = tcpOut[0]!.d.ipv4!.tcp!;
  assert.equal(syn.flags, 0x02);
  const isn = syn.seq;
  // The SYN, the handshake's ACK, then the zero-window probes at the RTO's doublings: each with
  // seq snd_una - 1, the ISN (snd_una is ISN + 1 and nothing else is sent).
  assert.deepEqual(
    tcpOut.map(
      (f) => `${f.t} ${formatTcpFlags(f.d.ipv4!.tcp!.flags)} ISN+${(f.d.ipv4!.tcp!.seq - isn) >>> 0}`,
    ),
    [
      '300200 S ISN+0',
      '300400 . ISN+1',
      '508000 . ISN+0',
      '928000 . ISN+0',
      '1760000 . ISN+0',
      '3424000 . ISN+0',
    ],
  );
  // r1 redirects each of them (to 10.1.0.252), quoting its sequence number.
  const redirects = h11('in').filter((f) => f.d.ipv4?.icmp?.type === 5);
  assert.deepEqual(
    redirects.map(
      (f) => `${f.t} to ${f.d.ipv4!.icmp!.gateway} about ISN+${(f.d.ipv4!.icmp!.quote!.seq! - isn) >>> 0}`,
    ),
    [
      '300400 to 10.1.0.252 about ISN+0',
      '508200 to 10.1.0.252 about ISN+0',
      '928200 to 10.1.0.252 about ISN+0',
      '1760200 to 10.1.0.252 about ISN+0',
      '3424200 to 10.1.0.252 about ISN+0',
    ],
  );
  const texts = sim.steps.flatMap((s) =>
    s.kind === 'socket' && s.host === 'h11' && s.text.includes('ICMP') ? [s.text] : [],
  );
  const oow = `ignores an ICMP message about its segment seq ${isn} to 10.2.0.11:443: not between snd_una ${(isn + 1) >>> 0} and snd_nxt ${(isn + 1) >>> 0} (tcp_v4_err, OutOfWindowIcmps)`;
  assert.deepEqual(texts, [
    'drops the ICMP redirect from 10.1.0.1: connect() holds the socket (tcp_v4_err, LockDroppedIcmps)',
    oow,
    oow,
    oow,
    oow,
  ]);
  const sockets = sim.world.host('h11').sockets;
  assert.equal(sockets.lockDroppedIcmps, 1);
  assert.equal(sockets.outOfWindowIcmps, 4);
  // __ip_do_redirect never ran: h11 asks ARP only for its gateway, and every probe goes to r1's MAC.
  const asked = h11('out').flatMap((f) => (f.d.arp?.op === 'request' ? [f.d.arp.target] : []));
  assert.deepEqual(asked, ['10.1.0.1']);
  const r1Mac = redirects[0]!.d.ether.src;
  assert.deepEqual(
    tcpOut.map((f) => f.d.ether.dst),
    tcpOut.map(() => r1Mac),
  );
});
