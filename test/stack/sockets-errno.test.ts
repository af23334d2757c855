// What a client application sees, errno by errno, in the kernel reference's words (refused, error,
// icmp-error, timeout, ...), and the socket options and server sockets a flow can ask for (src,
// ttl, tos, mss; listen bind and reply_port). Expected values come from the kernel reference runs
// (../shared/reference/kernel/<case>/result.json: line-ttl-time-exceeded,
// line-udp-server-reply-port, line-ip-rule-table-and-blackhole, hairpin-masq-tcp-bind-second-address,
// hairpin-vip-dnat-from-wan) and from the kernel's sources (net/ipv4/icmp.c icmp_err_convert,
// tcp_ipv4.c tcp_v4_err, udp.c __udp4_lib_err, raw.c raw_v4_input, inet_connection_sock.c
// reqsk_timer_handler, tcp_minisocks.c tcp_check_req).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import { decodeEthernet } from '../../src/wire/decode.ts';
import { verdictSatisfies, kernelOutcome } from '../../src/sim/flows.ts';
import { icmpErrno } from '../../src/stack/sockets.ts';

/** The reference's line network: a -- r -- b (line-ttl-time-exceeded's topology). */
const line = (opts: { a?: string; r?: string; b?: string; flows: string }): string => `
name: line
hosts:
  a:
    interfaces: { eth0: [10.0.1.10/24, 10.0.1.11/24] }
    routes: [default via 10.0.1.1]
${opts.a ?? ''}
  r:
    interfaces: { eth0: 10.0.1.1/24, eth1: 10.0.2.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
${opts.r ?? ''}
  b:
    interfaces: { eth0: 10.0.2.20/24 }
    routes: [default via 10.0.2.1]
    listen: ${opts.b ?? '[tcp/80, udp/5000]'}
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
flows:
${opts.flows}`;

const run = (text: string) => {
  const r = simulateScenario(text, 'line.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
};

type Sim = ReturnType<typeof run>;

/** The packets one host put on the wire or took in, as tcpdump-like lines with their time. */
const packets = (sim: Sim, host: string, dir: 'in' | 'out') =>
  sim.steps
    .filter((s) => s.kind === 'packet' && s.host === host && s.dir === dir)
    .map((s) => (s.kind === 'packet' ? { t: s.t, f: describeFrame(s.frame), raw: s.frame } : undefined)!)
    .filter((p) => p.f.proto !== 'arp');

test('line-ttl-time-exceeded: UDP ttl 1 times out (soft error), ping ttl 1 is icmp-error, ping ttl 2 is answered', () => {
  const sim = run(
    line({
      flows: `  - { name: u1, from: a, proto: udp, to: 10.0.2.20:5000, sport: 43000, ttl: 1, timeout: 1 }
  - { name: p1, from: a, proto: icmp, to: 10.0.2.20, ttl: 1, at: 1.5, timeout: 1 }
  - { name: p2, from: a, proto: icmp, to: 10.0.2.20, id: 20307, ttl: 2, at: 3, timeout: 1 }`,
    }),
  );
  const [u1, p1, p2] = sim.results;
  assert.equal(u1!.verdict, 'timeout');
  assert.equal(p1!.verdict, 'icmp-error');
  assert.deepEqual(p1!.received, [{ from: '10.0.1.1', type: 11, code: 0 }]);
  assert.equal(p2!.verdict, 'reply');
  assert.equal(p2!.replyFrom, '10.0.2.20');
  assert.deepEqual(p2!.received, [{ from: '10.0.2.20', type: 0, code: 0, id: 20307, seq: 1 }]);
  // The client's packets leave with the TTL asked; the echo reaches b with TTL 1.
  const out = packets(sim, 'a', 'out');
  assert.deepEqual(
    out.map((p) => [p.f.proto, p.f.ttl]),
    [
      ['udp', 1],
      ['icmp', 1],
      ['icmp', 2],
    ],
  );
  assert.deepEqual(
    packets(sim, 'b', 'in').map((p) => [p.f.proto, p.f.ttl]),
    [['icmp', 1]],
  );
  // r answered both TTL-1 packets with time exceeded (the reference: type 11 code 0 from 10.0.1.1).
  const te = packets(sim, 'a', 'in').filter((p) => p.f.proto === 'icmp' && p.f.icmp?.type === 11);
  assert.equal(te.length, 2);
});

test('line-udp-server-reply-port: the answer from reply_port is refused by the connected client (ICMP port unreachable), taken by an unconnected one', () => {
  const sim = run(
    line({
      b: '[{ proto: udp, port: 6000, bind: 10.0.2.20, reply_port: 6001 }]',
      flows: `  - { name: u1, from: a, proto: udp, to: 10.0.2.20:6000, sport: 43400, timeout: 1 }
  - { name: u2, from: a, proto: udp, to: 10.0.2.20:6000, sport: 43401, udp_connect: false, at: 1.5, timeout: 1 }`,
    }),
  );
  const [u1, u2] = sim.results;
  assert.equal(u1!.verdict, 'timeout');
  assert.equal(u2!.verdict, 'reply-from-unexpected-source');
  assert.equal(u2!.replyFrom, '10.0.2.20:6001');
  assert.equal(u2!.serverSaw, '10.0.1.10:43401');
  // b answered from 6001; a's kernel sent ICMP port unreachable for u1's answer only.
  assert.deepEqual(
    packets(sim, 'b', 'out')
      .filter((p) => p.f.proto === 'udp')
      .map((p) => `${p.f.src}:${p.f.sport} > ${p.f.dst}:${p.f.dport}`),
    ['10.0.2.20:6001 > 10.0.1.10:43400', '10.0.2.20:6001 > 10.0.1.10:43401'],
  );
  const unreach = packets(sim, 'a', 'out').filter((p) => p.f.proto === 'icmp');
  assert.deepEqual(
    unreach.map((p) => [p.f.dst, p.f.icmp?.type, p.f.icmp?.code]),
    [['10.0.2.20', 3, 3]],
  );
});

test('listen bind: a TCP SYN or a datagram to another address of the server host finds no socket (RST: refused; port unreachable: refused)', () => {
  const text = line({
    b: '[{ proto: tcp, port: 80, bind: 10.0.2.20 }, { proto: udp, port: 5000, bind: 10.0.2.20 }]',
    flows: `  - { name: tcp-bound, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 1 }
  - { name: tcp-other, from: a, proto: tcp, to: 10.0.2.21:80, sport: 41001, timeout: 1 }
  - { name: udp-other, from: a, proto: udp, to: 10.0.2.21:5000, sport: 41002, timeout: 1 }`,
  }).replace('eth0: 10.0.2.20/24 }', 'eth0: [10.0.2.20/24, 10.0.2.21/24] }');
  const sim = run(text);
  assert.deepEqual(
    sim.results.map((r) => [r.flow.name, r.verdict, r.errno]),
    [
      ['tcp-bound', 'connected', undefined],
      ['tcp-other', 'refused', 'ECONNREFUSED'],
      ['udp-other', 'refused', 'ECONNREFUSED'],
    ],
  );
});

test('line-ip-rule-table-and-blackhole (with REJECT for the host unreachable): TCP from the bound .11 fails at once with EHOSTUNREACH after 1 SYN; UDP times out; ping is icmp-error', () => {
  const sim = run(
    line({
      r: `    rules: |
      iptables -A FORWARD -s 10.0.1.11 -j REJECT --reject-with icmp-host-unreachable`,
      flows: `  - { name: p1, from: a, proto: icmp, to: 10.0.2.20, src: 10.0.1.10, timeout: 0.8 }
  - { name: p2, from: a, proto: icmp, to: 10.0.2.20, id: 20307, src: 10.0.1.11, at: 1, timeout: 0.8 }
  - { name: u3, from: a, proto: udp, to: 10.0.2.20:5000, sport: 43300, src: 10.0.1.11, at: 2, timeout: 0.8 }
  - { name: t4, from: a, proto: tcp, to: 10.0.2.20:80, sport: 43301, src: 10.0.1.11, at: 3, timeout: 0.8 }`,
    }),
  );
  const [p1, p2, u3, t4] = sim.results;
  assert.equal(p1!.verdict, 'reply');
  assert.equal(p2!.verdict, 'icmp-error');
  assert.deepEqual(p2!.received, [{ from: '10.0.1.1', type: 3, code: 1 }]);
  assert.equal(u3!.verdict, 'timeout');
  assert.equal(t4!.verdict, 'error');
  assert.equal(t4!.errno, 'EHOSTUNREACH');
  assert.equal(t4!.syns, 1);
  assert.ok(t4!.endedAt - 3 < 0.01, `connect() failed at once, not after ${t4!.endedAt - 3} s`);
  // The bound source address is on the wire.
  assert.deepEqual(
    packets(sim, 'a', 'out').map((p) => p.f.src),
    ['10.0.1.10', '10.0.1.11', '10.0.1.11', '10.0.1.11'],
  );
});

test('refused: a RST answering the SYN, and ICMP port unreachable for the SYN, are both ECONNREFUSED', () => {
  const sim = run(
    line({
      r: `    rules: |
      iptables -A FORWARD -p tcp --dport 81 -j REJECT --reject-with icmp-port-unreachable`,
      flows: `  - { name: closed, from: a, proto: tcp, to: 10.0.2.20:22, sport: 45001, timeout: 1, expect: refused }
  - { name: icmp-refused, from: a, proto: tcp, to: 10.0.2.20:81, sport: 45002, timeout: 1, expect: reset }
  - { name: old-word, from: a, proto: udp, to: 10.0.2.20:9, sport: 45003, timeout: 1, expect: unreachable }`,
    }),
  );
  assert.deepEqual(
    sim.results.map((r) => [r.flow.name, r.verdict, r.errno, r.mismatches]),
    [
      ['closed', 'refused', 'ECONNREFUSED', []],
      ['icmp-refused', 'refused', 'ECONNREFUSED', []],
      ['old-word', 'refused', 'ECONNREFUSED', []],
    ],
  );
});

test('errors a local send meets: bind to an address the host lacks is EADDRNOTAVAIL; no route is ENETUNREACH; an OUTPUT drop is EPERM for sendto(), nothing for a SYN', () => {
  const sim = run(
    line({
      flows: `  - { name: notmine, from: a, proto: tcp, to: 10.0.2.20:80, src: 10.0.1.99, timeout: 1 }
  - { name: noroute, from: b, proto: udp, to: 10.0.3.1:5000, timeout: 1 }
  - { name: perm, from: r, proto: icmp, to: 10.0.2.20, timeout: 1 }
  - { name: syn-dropped, from: r, proto: tcp, to: 10.0.2.20:80, timeout: 1.5 }`,
      r: `    rules: |
      iptables -A OUTPUT -p icmp -j DROP
      iptables -A OUTPUT -p tcp -j DROP`,
    }).replace('routes: [default via 10.0.2.1]', 'routes: []'),
  );
  assert.deepEqual(
    sim.results.map((r) => [r.flow.name, r.verdict, r.errno]),
    [
      ['notmine', 'error', 'EADDRNOTAVAIL'],
      ['noroute', 'error', 'ENETUNREACH'],
      ['perm', 'error', 'EPERM'],
      // tcp_connect ignores the SYN's -EPERM and retransmits: connect() times out.
      ['syn-dropped', 'timeout', undefined],
    ],
  );
  assert.equal(sim.results[3]!.syns, 2);
});

test('ttl, tos and mss are on the client SYN: IP_TTL, IP_TOS (TCP clears the ECN bits), TCP_MAXSEG below the route MSS', () => {
  const sim = run(
    line({
      flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, ttl: 9, tos: 0x2b, mss: 1200, timeout: 1 }
  - { name: u, from: a, proto: udp, to: 10.0.2.20:5000, sport: 41001, tos: 0x2b, at: 1, timeout: 1 }`,
    }),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  const [syn] = packets(sim, 'a', 'out');
  assert.equal(syn!.f.ttl, 9);
  assert.equal(syn!.raw[14 + 1], 0x28); // the TOS byte
  const opts = decodeEthernet(syn!.raw).ipv4?.tcp?.options ?? [];
  assert.deepEqual(
    opts.find((o) => o.kind === 'mss'),
    { kind: 'mss', mss: 1200 },
  );
  const udp = packets(sim, 'a', 'out').find((p) => p.f.proto === 'udp');
  assert.equal(udp!.raw[14 + 1], 0x2b);
});

test('server SYN-ACK retransmission: 1 s, then doubling (reqsk_timer_handler); a repeated SYN in SYN_RECV gets a SYN-ACK at once (tcp_check_req)', () => {
  // r drops every SYN-ACK: the client never connects, the server keeps retransmitting.
  const r = `    rules: |
      iptables -A FORWARD -s 10.0.2.20 -p tcp -j DROP`;
  // The client gives up before its first SYN retransmission (0.9 s), then holds: the run lasts
  // 4.9 s, and only the server's timer sends.
  const alone = run(
    line({
      r,
      flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 0.9, hold: 3 }`,
    }),
  );
  const times = (sim: Sim) =>
    packets(sim, 'b', 'out')
      .filter((p) => p.f.flags === 'S.')
      .map((p) => Math.round(p.t * 100) / 100);
  // The timer wheel runs the request's 250-jiffy timer at tick 256 (1.024 s), the 500-jiffy one
  // re-armed there at 760 (3.04 s): timer-wheel.ts.
  assert.deepEqual(times(alone), [0, 1.02, 3.04]);
  // Every SYN-ACK is the same segment (same ISN).
  const isns = new Set(packets(alone, 'b', 'out').map((p) => p.f.seq));
  assert.equal(isns.size, 1);
  // With the client retransmitting its SYN (at 1, 2, 3, 4 s), each repeated SYN is answered at once
  // and restarts the request's timer (reqsk_timeout: 1 s << timeouts so far). At 1 s the request's
  // timer, in the same timer wheel bucket as the client's, runs first (its SYN-ACK, the timer to
  // 2 s), then the SYN gets one and moves the timer to 1 + 2 s; the SYNs at 2, 3 and 4 s each move
  // it on again, so it never fires after 1 s (Linux 6.18: sockets-synack-repeated-syn.yaml).
  const both = run(
    line({ r, flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 4.5 }` }),
  );
  assert.deepEqual(times(both), [0, 1.02, 1.02, 2.05, 3.07, 4.1]);
});

test('an ICMP net or host unreachable about the SYN-ACK drops the request (tcp_req_err): the SYN sent again gets a new ISN; port unreachable does not', () => {
  // r answers every SYN-ACK with an ICMP error to the server (test/conformance/generated/gen-1601-25.yaml
  // on the kernel: a router without a route back sends net unreachable).
  const isns = (w: string, times: number[]) => {
    const sim = run(
      line({
        r: `    rules: |
      iptables -A FORWARD -s 10.0.2.20 -p tcp -j REJECT --reject-with ${w}`,
        flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 1.5 }`,
      }),
    );
    const synacks = packets(sim, 'b', 'out').filter((p) => p.f.flags === 'S.');
    assert.deepEqual(
      synacks.map((p) => Math.round(p.t * 10) / 10),
      times,
      w,
    );
    return new Set(synacks.map((p) => p.f.seq)).size;
  };
  // Each request is dropped by the error about its SYN-ACK: no timer sends again.
  assert.equal(isns('icmp-net-unreachable', [0, 1]), 2);
  assert.equal(isns('icmp-host-unreachable', [0, 1]), 2);
  // Port unreachable does not abort a request (tcp_v4_err): it stays, its timer sends at 2 s.
  // The request's timer runs before the client's SYN due in the same timer wheel bucket: the
  // SYN-ACK, then one more for the repeated SYN (test/conformance/extra/sockets-synack-repeated-syn.yaml).
  assert.equal(isns('icmp-port-unreachable', [0, 1, 1]), 1);
});

test('the verdict vocabulary: the older words are aliases; the kernel reference outcome is the verdict itself', () => {
  assert.ok(verdictSatisfies('reset', 'refused', 'tcp'));
  assert.ok(!verdictSatisfies('reset', 'error', 'tcp'));
  assert.ok(verdictSatisfies('unreachable', 'error', 'tcp'));
  assert.ok(!verdictSatisfies('unreachable', 'refused', 'tcp'));
  assert.ok(verdictSatisfies('unreachable', 'refused', 'udp'));
  assert.ok(verdictSatisfies('unreachable', 'icmp-error', 'icmp'));
  assert.ok(!verdictSatisfies('refused', 'reset', 'tcp'));
  assert.equal(kernelOutcome('icmp-error'), 'icmp-error');
  assert.equal(kernelOutcome('storm'), undefined);
  // icmp_err_convert: host unreachable is soft, host prohibited hard, port unreachable ECONNREFUSED.
  assert.deepEqual(icmpErrno(3, 1), { errno: 'EHOSTUNREACH', hard: false });
  assert.deepEqual(icmpErrno(3, 10), { errno: 'EHOSTUNREACH', hard: true });
  assert.deepEqual(icmpErrno(3, 3), { errno: 'ECONNREFUSED', hard: true });
  assert.deepEqual(icmpErrno(11, 0), { errno: 'EHOSTUNREACH', hard: false });
  assert.equal(icmpErrno(5, 1), undefined);
});

test('data retransmission: a lost segment is sent again as a tail loss probe, then after the RTO (RTT + 200 ms), doubling', () => {
  // r drops the client's 5-byte line (IP 20 + TCP 32 + 5 = 57 bytes) every time.
  const sim = run(
    line({
      r: `    rules: |
      iptables -A FORWARD -p tcp -m length --length 57 -j DROP`,
      flows: `  - { name: t, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, timeout: 3 }`,
    }),
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  const data = packets(sim, 'a', 'out').filter((p) => p.f.proto === 'tcp' && (p.f.len ?? 0) > 0);
  assert.equal(new Set(data.map((p) => p.f.seq)).size, 1, 'the same segment each time');
  const t0 = data[0]!.t;
  assert.deepEqual(
    data.map((p) => Math.round((p.t - t0) * 1000) / 1000),
    // The tail loss probe at one RTO, then the RTO timer: 0.2, 0.4, 0.8, 1.6 s later (the
    // kernel, under natbox verify: test/conformance/extra/sockets-data-retransmit.yaml), each
    // timer run by the timer wheel at the end of its bucket (51, 102, 204, 408 jiffies).
    [0, 0.207, 0.415, 0.831, 1.663, 3.327],
  );
  assert.equal(packets(sim, 'b', 'in').filter((p) => (p.f.len ?? 0) > 0).length, 0);
});

// udp_lib_get_port (net/ipv4/udp.c): without SO_REUSEADDR/SO_REUSEPORT a second bind() to a port a
// socket holds fails with EADDRINUSE when either address is 0.0.0.0 or both are the same; the
// kernel's client reports `error EADDRINUSE` and sends nothing (test/conformance/generated/
// gen-20261202-19.yaml, checked with natbox verify on Linux 6.18). A flow's socket is closed once
// its wait and hold are over (the reference's client: emit, sleep hold, close).
test('UDP bind(): a port held by another flow or a server is EADDRINUSE; free again once the socket closed', () => {
  const sim = run(
    line({
      flows: `  - { name: u1, from: a, proto: udp, to: 10.0.2.20:5001, sport: 43000, timeout: 1.5, udp_connect: false }
  - { name: u2, from: a, proto: udp, to: 10.0.2.20:5000, sport: 43000, at: 0.5, timeout: 1 }
  - { name: u3, from: a, proto: udp, to: 10.0.2.20:5000, sport: 43000, src: 10.0.1.11, at: 0.6, timeout: 1 }
  - { name: u4, from: a, proto: udp, to: 10.0.2.20:5000, sport: 43000, at: 2, timeout: 1 }
  - { name: u5, from: b, proto: udp, to: 10.0.1.10:43000, sport: 5000, at: 4, timeout: 1 }`,
    }),
  );
  const [u1, u2, u3, u4, u5] = sim.results;
  // u1's unconnected socket ignores the port unreachable and holds 0.0.0.0:43000 until 1.5 s.
  assert.equal(u1!.verdict, 'timeout');
  for (const u of [u2!, u3!]) {
    assert.equal(u.verdict, 'error');
    assert.equal(u.errno, 'EADDRINUSE');
    assert.match(u.detail, /UDP port 43000 is held by another flow's socket/);
  }
  // Nothing left a's port 43000 but u1's datagram and u4's, after u1's socket closed.
  assert.deepEqual(
    packets(sim, 'a', 'out')
      .filter((p) => p.f.proto === 'udp')
      .map((p) => [Number(p.t.toFixed(1)), p.f.dport]),
    [
      [0, 5001],
      [2, 5000],
    ],
  );
  assert.equal(u4!.verdict, 'reply');
  // b's listening socket on udp/5000 holds the port for any address.
  assert.equal(u5!.verdict, 'error');
  assert.equal(u5!.errno, 'EADDRINUSE');
  assert.match(u5!.detail, /UDP port 5000 is held by a listening socket/);
});

// inet_csk_bind_conflict (net/ipv4/inet_connection_sock.c): the kernel reference's TCP clients set
// SO_REUSEADDR, which lets a bind() share a port with other sockets but never with a listening one
// (sk2->sk_state == TCP_LISTEN), when either address is 0.0.0.0 or both are the same. The client
// reports `error EADDRINUSE` and sends nothing (test/conformance/generated/gen-2101-12.yaml: a flow
// from the port an active FTP client listens on for its data connection, on Linux 6.18).
test('TCP bind(): a port a listening socket holds is EADDRINUSE, for its address or any; another address is free', () => {
  const sim = run(
    line({
      b: `[tcp/80, { proto: tcp, port: 8080, bind: 10.0.2.20 }]`,
      a: `    listen: [{ proto: tcp, port: 41000, bind: 10.0.1.11 }]`,
      flows: `  - { name: t1, from: b, proto: tcp, to: 10.0.1.10:41000, sport: 80, timeout: 1 }
  - { name: t2, from: b, proto: tcp, to: 10.0.1.10:41000, sport: 8080, at: 0.5, timeout: 1 }
  - { name: t3, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, src: 10.0.1.10, at: 1, timeout: 1 }
  - { name: t4, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, src: 10.0.1.11, at: 2, timeout: 1 }`,
    }),
  );
  const [t1, t2, t3, t4] = sim.results;
  for (const t of [t1!, t2!, t4!]) {
    assert.equal(t.verdict, 'error');
    assert.equal(t.errno, 'EADDRINUSE');
    assert.match(t.detail, /TCP port \d+ is held by a listening socket/);
  }
  // a's listener is bound to 10.0.1.11: a bind() to 10.0.1.10 does not conflict.
  assert.equal(t3!.verdict, 'connected');
  assert.deepEqual(
    packets(sim, 'b', 'out').filter((p) => p.f.proto === 'tcp' && p.f.flags === 'S'),
    [],
    'b sent no SYN',
  );
  assert.equal(packets(sim, 'a', 'out').filter((p) => p.f.proto === 'tcp' && p.f.flags === 'S').length, 1);
});
