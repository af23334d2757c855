// send() and close() hold their socket as connect() does (tcp_sendmsg and tcp_close: lock_sock …
// release_sock): on veth the chain their segment sets off runs in the caller's softirq, so an ICMP
// redirect it draws comes back while the socket is owned by the user and tcp_v4_err drops it
// (do_redirect only `if (!sock_owned_by_user(sk))`, LINUX_MIB_LOCKDROPPEDICMPS counted), and
// fragmentation needed waits for release_sock (TCP_MTU_REDUCED_DEFERRED → tcp_release_cb →
// tcp_v4_mtu_reduced). A redirect drawn by a segment no system call sends (a delayed ACK from its
// timer) is honoured. The first network is test/conformance/nft/fw4-masq-restrict.yaml's
// (openwrt/firewall4's test, matched against Linux 6.18 by `natbox verify`, 3 runs): the router
// holds both subnets on one segment, so it redirects what it forwards back out of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { decodeEthernet } from '../../src/wire/decode.ts';

function run(file: string, text = readFileSync(file, 'utf8')) {
  const r = simulateScenario(text, file, {
    trace: true,
    readFile: (p) => ({ ok: true, text: readFileSync(p, 'utf8') }),
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

/** The packet steps of `host` in direction `dir`, decoded. */
function frames(sim: ReturnType<typeof run>, host: string, dir: 'in' | 'out') {
  return sim.steps.flatMap((s) =>
    s.kind === 'packet' && s.host === host && s.dir === dir ? [{ t: s.t, d: decodeEthernet(s.frame) }] : [],
  );
}

/** A step's time in microseconds (the clock adds link delays in floating point). */
const us = (t: number): number => Math.round(t * 1e6);

const socketTexts = (sim: ReturnType<typeof run>, host: string): string[] =>
  sim.steps.flatMap((s) => (s.kind === 'socket' && s.host === host ? [s.text] : []));

/** One segment: the client at `c`, its gateway 10.1.0.254 also 10.2.0.254, the server at `s`. */
const net = (server: string, flow: string): string => `
hosts:
  r:
    interfaces: { eth0: { addresses: [10.1.0.254/24, 10.2.0.254/24] } }
    sysctls: { net.ipv4.ip_forward: 1 }
  c:
    interfaces: { eth0: 10.1.0.2/24 }
    routes: [default via 10.1.0.254]
  s:
    interfaces: { eth0: 10.2.0.10/24 }
    routes: [default via 10.2.0.254]
${server}
links:
  - [c:eth0, s:eth0, r:eth0]
flows:
  - ${flow}
`;

test('an ICMP redirect the FIN draws comes back while close() holds the socket: dropped and counted, no ARP for the server', () => {
  const sim = run(
    'close-owned.yaml',
    net(
      '    listen: [tcp/80]',
      '{ name: f, from: c, proto: tcp, to: 10.2.0.10:80, sport: 40001, hold: 0.3 }',
    ),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  // The router redirects the SYN (connect() holds the socket) and, 40 ms on (ip_rt_send_redirect's
  // rate limit: HZ/50 << 1 after the first), the FIN (close() holds it): both dropped.
  const redirects = frames(sim, 'c', 'in').filter((f) => f.d.ipv4?.icmp?.type === 5);
  assert.equal(redirects.length, 2);
  const fin = frames(sim, 'c', 'out').find((f) => ((f.d.ipv4?.tcp?.flags ?? 0) & 1) !== 0)!;
  assert.equal(us(redirects[1]!.t), us(fin.t) + 200, "the FIN's redirect comes back within its chain");
  assert.deepEqual(
    socketTexts(sim, 'c').filter((t) => t.includes('ICMP redirect')),
    [
      'drops the ICMP redirect from 10.1.0.254: connect() holds the socket (tcp_v4_err, LockDroppedIcmps)',
      'drops the ICMP redirect from 10.1.0.254: close() holds the socket (tcp_v4_err, LockDroppedIcmps)',
    ],
  );
  assert.equal(sim.world.host('c').sockets.lockDroppedIcmps, 2);
  // __ip_do_redirect never ran: the client asks ARP only for its gateway, and its last ACK (after
  // close() returned) still goes to the router's MAC.
  const asked = frames(sim, 'c', 'out').flatMap((f) => (f.d.arp?.op === 'request' ? [f.d.arp.target] : []));
  assert.deepEqual(asked, ['10.1.0.254']);
  const routerMac = frames(sim, 'r', 'out')[0]!.d.ether.src;
  const last = frames(sim, 'c', 'out')
    .filter((f) => f.d.ipv4?.tcp)
    .at(-1)!;
  assert.equal(last.d.ipv4!.tcp!.flags, 0x10, "the ACK of the server's FIN");
  assert.equal(last.d.ether.dst, routerMac);
  // The server's FIN came back after close() had released the socket: taken in at once, not backlogged.
  assert.ok(!socketTexts(sim, 'c').some((t) => t.includes('close() holds the socket (tcp_add_backlog)')));
});

test('a redirect drawn by a delayed ACK (its timer, no system call) is honoured: the client asks ARP for the server', () => {
  // close_first: the server shuts down 50 ms after its answer; the client's ACK of that FIN is
  // delayed (CLOSE_WAIT, TCP_DELACK_MIN) and sent by its timer, more than 40 ms after the first
  // redirect, so the router redirects it too; no system call holds the socket then.
  const sim = run(
    'delack-redirect.yaml',
    net(
      '    listen: [{ proto: tcp, port: 80, close_first: true }]',
      '{ name: f, from: c, proto: tcp, to: 10.2.0.10:80, sport: 40001, hold: 0.3 }',
    ),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  const redirects = frames(sim, 'c', 'in').filter((f) => f.d.ipv4?.icmp?.type === 5);
  const acks = frames(sim, 'c', 'out').filter((f) => f.d.ipv4?.tcp?.flags === 0x10);
  const delayed = acks.find((f) => f.t > 0.05)!;
  assert.equal(
    us(delayed.t),
    92_000,
    'the ACK of the server FIN (at 0.0514) leaves with its timer (wheel tick)',
  );
  assert.deepEqual(
    redirects.map((f) => us(f.t)),
    [400, 92_200, 302_000],
    "the SYN's, the delayed ACK's, the FIN's (the client's hold starts when the answer's chain is over: HostEnv.wake)",
  );
  assert.deepEqual(
    socketTexts(sim, 'c').filter((t) => t.includes('ICMP redirect')),
    [
      'drops the ICMP redirect from 10.1.0.254: connect() holds the socket (tcp_v4_err, LockDroppedIcmps)',
      'drops the ICMP redirect from 10.1.0.254: close() holds the socket (tcp_v4_err, LockDroppedIcmps)',
    ],
  );
  assert.equal(sim.world.host('c').sockets.lockDroppedIcmps, 2);
  // do_redirect → __ip_do_redirect: 10.2.0.10 has no valid neighbour entry yet, so the redirect
  // only sets off its resolution (neigh_event_send), at once; no nexthop exception, so the FIN
  // still goes by the router.
  const asked = frames(sim, 'c', 'out').flatMap((f) =>
    f.d.arp?.op === 'request' ? [{ t: us(f.t), target: f.d.arp.target }] : [],
  );
  assert.deepEqual(asked, [
    { t: 0, target: '10.1.0.254' },
    { t: 92_200, target: '10.2.0.10' },
  ]);
});

test('fragmentation needed while send() holds the socket waits for release_sock, then the data goes again in segments that fit', () => {
  // test/conformance/extra/pmtu-frag-needed-through-nat.yaml (kernel-verified): the client's
  // 1472-byte segment meets a 1400-byte link; the router's error comes back within send()'s chain.
  const sim = run('test/conformance/extra/pmtu-frag-needed-through-nat.yaml');
  const texts = socketTexts(sim, 'client');
  const waits = texts.indexOf(
    'ICMP fragmentation needed (MTU 1400) from 198.51.100.1 waits: send() holds the socket (TCP_MTU_REDUCED_DEFERRED)',
  );
  assert.ok(waits >= 0, texts.join('\n'));
  assert.equal(
    texts[waits + 1],
    'path MTU to 203.0.113.80 is 1400: sends unacknowledged data again in smaller segments',
  );
  const tcpOut = frames(sim, 'client', 'out').flatMap((f) => (f.d.ipv4?.tcp ? [f.d.ipv4.totalLength] : []));
  // SYN, ACK, the line in one 1472-byte segment, then again in 1400 + 124, and the rest.
  assert.deepEqual(tcpOut.slice(0, 5), [60, 52, 1472, 1400, 124]);
  assert.equal(sim.world.host('client').sockets.lockDroppedIcmps, 0, 'fragmentation needed is not counted');
});
