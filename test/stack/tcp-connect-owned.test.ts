// connect() holds its socket while the chain its SYN sets off runs (issue 14 point 6, issue 15):
// on veth every hop is taken in by the softirq of the sender's own context (veth_xmit →
// __netif_rx, net_rx_action at local_bh_enable), so a SYN-ACK comes back while inet_stream_connect
// still holds the socket (lock_sock): it waits in the backlog (tcp_add_backlog) until
// release_sock, an ICMP redirect is dropped (tcp_v4_err: LockDroppedIcmps), and a reset its ACK
// brings back is taken in before connect() returns (ECONNRESET). The scenarios are the ones
// `natbox verify` matched against Linux 6.18 (test/conformance/extra/synproxy-closed-port.yaml,
// test/conformance/scenarios/control-no-nat-redirect.yaml from the kernel reference); the first
// test's order of events is what tcpdump showed on the kernel (the ACK reaches the server before
// the client's line leaves).
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

/** `t host ifname dir summary` of each packet step, decoded as the trace decodes it. */
function packets(sim: ReturnType<typeof run>): { t: number; host: string; dir: string; text: string }[] {
  return sim.steps.flatMap((s) => {
    if (s.kind !== 'packet') return [];
    const d = decodeEthernet(s.frame);
    return [{ t: s.t, host: s.host, dir: s.dir, text: JSON.stringify(d) }];
  });
}

test('a reset the handshake ACK brings back within the connect() chain fails connect() with ECONNRESET', () => {
  const sim = run('test/conformance/extra/synproxy-closed-port.yaml');
  const r = sim.results[0]!;
  // The kernel: error (ECONNRESET), not connected-then-failed: the application never saw the connection.
  assert.equal(r.verdict, 'error');
  assert.equal(r.errno, 'ECONNRESET');
  const backlog = sim.steps.filter((s) => s.kind === 'socket' && s.event === 'backlog');
  assert.equal(backlog.length, 2, 'the SYN-ACK and the reset waited in the backlog');
});

test('an ICMP redirect that comes back while connect() holds the socket is dropped: no ARP for the new gateway', () => {
  const sim = run('test/conformance/scenarios/control-no-nat-redirect.yaml');
  assert.equal(sim.results[0]!.verdict, 'connected');
  const dropped = sim.steps.filter(
    (s) => s.kind === 'socket' && s.host === 'lanc' && /drops the ICMP redirect/.test(s.text),
  );
  assert.equal(dropped.length, 1);
  // The kernel's client asks only for its gateway 192.168.1.1 (__ip_do_redirect never ran).
  const asked = packets(sim).filter(
    (p) =>
      p.host === 'lanc' &&
      p.dir === 'out' &&
      p.text.includes('"op":"request"') &&
      p.text.includes('"target":"192.168.1.200"'),
  );
  assert.deepEqual(asked, []);
});

test('the handshake: the ACK is through before connect() returns and the application writes', () => {
  const sim = run(
    'owned.yaml',
    `
hosts:
  c:
    interfaces: { eth0: 10.0.0.1/24 }
  s:
    interfaces: { eth0: 10.0.0.2/24 }
    listen: [tcp/80]
links:
  - [c:eth0, s:eth0]
flows:
  - { name: f, from: c, proto: tcp, to: 10.0.0.2:80, sport: 40000 }
`,
  );
  assert.equal(sim.results[0]!.verdict, 'connected');
  const accepted = sim.steps.find((s) => s.kind === 'socket' && s.event === 'accepted');
  const line = sim.steps.find(
    // The client's first segment with PSH (Ethernet 14 + IP 20 + TCP flags at 13).
    (s) => s.kind === 'packet' && s.host === 'c' && s.dir === 'out' && (s.frame[14 + 20 + 13]! & 0x08) !== 0,
  );
  assert.ok(accepted && line);
  assert.ok(
    sim.steps.indexOf(line) > sim.steps.indexOf(accepted),
    `the line left at ${line.t}, before the server accepted at ${accepted.t}`,
  );
  const synack = sim.steps.find((s) => s.kind === 'socket' && s.event === 'backlog');
  assert.ok(synack, 'the SYN-ACK waited in the backlog');
});

test("a redirect about a server's SYN-ACK is not taken: tcp_v4_err hands it to tcp_req_err, which ignores it", () => {
  // fw4-masq-restrict (kernel-verified, test/conformance/nft/): the router redirects the server's
  // SYN-ACK to 10.1.0.2 (same zone); the kernel's server never asks for 10.1.0.2 itself.
  const sim = run('test/conformance/nft/fw4-masq-restrict.yaml');
  const asked = packets(sim).filter(
    (p) =>
      p.host === 'server' &&
      p.dir === 'out' &&
      p.text.includes('"op":"request"') &&
      p.text.includes('"target":"10.1.0.2"'),
  );
  assert.deepEqual(asked, []);
});
