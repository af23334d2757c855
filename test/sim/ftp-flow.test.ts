// FTP flows (`ftp: passive | active`, sim/flows.ts, stack/ftp.ts) on the simulator, with the
// kernel's FTP helper on the router: the control channel's exact lines, the 227/PORT text as the
// helper's NAT half rewrites it (nf_nat_ftp.c), the expectation it leaves (nf_conntrack_ftp.c
// `help`, as `conntrack -L expect` prints it), the RELATED data connection and the conntrack
// entries at the end. The scenarios are test/conformance/extra/ftp-*.yaml, which `natbox verify`
// finds equal to Linux 6.18's packets, conntrack tables and outcomes (their origin comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareScenario, simulateScenario } from '../../src/scenario/simulate.ts';
import { World } from '../../src/sim/world.ts';
import { startFlows } from '../../src/sim/flows.ts';
import { ctHelpersOf } from '../../src/netfilter/conntrack/helper.ts';
import { formatConntrackLine } from '../../src/netfilter/conntrack/format.ts';
import type { TimedStep } from '../../src/stack/steps.ts';

const dir = new URL('../conformance/extra/', import.meta.url);
const text = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const run = (name: string) => {
  const r = simulateScenario(text(name), name);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.sim;
};

/** The TCP payloads (as text) a host's interface saw in one direction, in order. */
function payloads(steps: readonly TimedStep[], host: string, ifname: string, dir: 'in' | 'out'): string[] {
  const out: string[] = [];
  for (const s of steps) {
    if (s.kind !== 'packet' || s.host !== host || s.ifname !== ifname || s.dir !== dir) continue;
    const f = s.frame;
    const ip = 14;
    if (f[12] !== 8 || f[13] !== 0 || f[ip + 9] !== 6) continue;
    const tcp = ip + (f[ip]! & 15) * 4;
    const total = (f[ip + 2]! << 8) | f[ip + 3]!;
    const data = f.subarray(tcp + (f[tcp + 12]! >> 4) * 4, ip + total);
    if (data.length) out.push(new TextDecoder('latin1').decode(data));
  }
  return out;
}

/** The final `conntrack -L` lines of host `h`, timeouts cut (they depend on the end of the run). */
function conntrackList(sim: ReturnType<typeof run>, h: string): string[] {
  const ct = sim.world.host(h).nf!.conntrack;
  const lines: string[] = [];
  for (const e of ct.entries(sim.end))
    lines.push(formatConntrackLine(ct, e, sim.end).replace(/^(tcp +6) \d+ /, '$1 '));
  return lines.sort();
}

const SESSION = (middle: string[], file = 'natbox-100'): string[] => [
  '< 220 natbox FTP',
  '> USER anonymous',
  '< 331 Password please.',
  '> PASS natbox@',
  '< 230 Logged in.',
  ...middle,
  `> RETR ${file}`,
  '< 150 Opening data connection.',
  '< 226 Transfer complete.',
  '> QUIT',
  '< 221 Goodbye.',
];

/** Runs a scenario whose one FTP flow succeeds with these lines between PASS and RETR. */
function session(name: string, middle: string[]): ReturnType<typeof run> {
  const sim = run(name);
  const r = sim.results[0]!;
  assert.equal(r.verdict, 'connected');
  assert.equal(r.detail, 'RETR natbox-100: 100 bytes');
  assert.deepEqual(r.ftp, SESSION(middle));
  return sim;
}

/** The lines starting with `prefix` in the TCP payloads a host's interface saw. */
const lines = (sim: ReturnType<typeof run>, at: string, dir: 'in' | 'out', prefix: string): string[] =>
  payloads(sim.steps, at.split(':')[0]!, at.split(':')[1]!, dir).filter((p) => p.startsWith(prefix));

/** How many packets r's conntrack classed RELATED (the data connection's first packet). */
const related = (sim: ReturnType<typeof run>): number =>
  sim.steps.filter((s) => s.kind === 'conntrack' && s.host === 'r' && s.state === 'RELATED').length;

test('passive FTP through MASQUERADE: the control lines, the 227 unchanged, the data connection RELATED', () => {
  const sim = session('ftp-helper-masquerade-passive.yaml', [
    '> PASV',
    '< 227 Entering Passive Mode (203,0,113,2,195,101).',
  ]);
  assert.equal(sim.results[0]!.replyFrom, '203.0.113.2:21');
  // The client's data connection from sport + 1 is RELATED at r's PREROUTING (its first packet).
  assert.equal(related(sim), 1);
  // The file: 100 bytes, `ping`, dashes, a newline, on the data connection.
  assert.deepEqual(lines(sim, 'c:eth0', 'in', 'ping'), [`ping${'-'.repeat(95)}\n`]);
  assert.deepEqual(conntrackList(sim, 'r'), [
    'tcp      6 TIME_WAIT src=10.7.0.2 dst=203.0.113.2 sport=40001 dport=21 src=203.0.113.2 dst=203.0.113.1 sport=21 dport=40001 [ASSURED] mark=0 helper=ftp use=1',
    'tcp      6 TIME_WAIT src=10.7.0.2 dst=203.0.113.2 sport=40002 dport=50021 src=203.0.113.2 dst=203.0.113.1 sport=50021 dport=40002 [ASSURED] mark=0 use=1',
  ]);
});

test('active FTP through MASQUERADE: PORT leaves with the public address (22 → 25 bytes); RELATED from port 20', () => {
  const sim = session('ftp-helper-masquerade-active.yaml', [
    '> PORT 10,7,0,2,156,66',
    '< 200 PORT command successful.',
  ]);
  // What the server read: the helper's rewrite (nf_nat_ftp's mangle of the PORT command).
  assert.deepEqual(lines(sim, 'c:eth0', 'out', 'PORT'), ['PORT 10,7,0,2,156,66\r\n']);
  assert.deepEqual(lines(sim, 's:eth0', 'in', 'PORT'), ['PORT 203,0,113,1,156,66\r\n']);
  // The server's data connection from port 20 to the public address: RELATED, NATed to the client.
  assert.equal(related(sim), 1);
  assert.deepEqual(conntrackList(sim, 'r'), [
    'tcp      6 TIME_WAIT src=10.7.0.2 dst=203.0.113.2 sport=40001 dport=21 src=203.0.113.2 dst=203.0.113.1 sport=21 dport=40001 [ASSURED] mark=0 helper=ftp use=1',
    'tcp      6 TIME_WAIT src=203.0.113.2 dst=203.0.113.1 sport=20 dport=40002 src=10.7.0.2 dst=203.0.113.2 sport=40002 dport=20 [ASSURED] mark=0 use=1',
  ]);
});

test('active FTP: between the PORT and the data connection r holds the expectation `conntrack -L expect` prints', () => {
  const p = prepareScenario(text('ftp-helper-masquerade-active.yaml'), 'active.yaml');
  if (!p.ok) throw new Error(p.errors.join('\n'));
  const world = new World({ ...p.built.world, seed: 1 }, undefined, 10_000);
  startFlows(world, p.built.flows);
  world.run(0.55); // the PORT went through at 0.5 s (each step 0.1 s after the last)
  const h = ctHelpersOf(world.host('r').nf!.conntrack);
  assert.deepEqual(
    h.listExpect(world.sched.now).map((l) => l.replace(/^\d+ /, '')),
    [
      'proto=6 src=203.0.113.2 dst=203.0.113.1 sport=0 dport=40002 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.7.0.2 master-dst=203.0.113.2 sport=40001 dport=21 class=0 helper=ftp',
    ],
  );
  world.run(1); // the data connection came: the expectation is gone
  assert.deepEqual(h.listExpect(world.sched.now), []);
});

test('passive FTP to a DNATed server: the server writes its private address, the client reads the public one', () => {
  const sim = session('ftp-helper-dnat-passive.yaml', [
    '> PASV',
    '< 227 Entering Passive Mode (203,0,113,1,195,101).',
  ]);
  assert.deepEqual(lines(sim, 'srv:eth0', 'out', '227'), [
    '227 Entering Passive Mode (10,7,0,3,195,101).\r\n',
  ]);
  assert.deepEqual(lines(sim, 'cl:eth0', 'in', '227'), [
    '227 Entering Passive Mode (203,0,113,1,195,101).\r\n',
  ]);
  assert.equal(related(sim), 1);
  assert.deepEqual(conntrackList(sim, 'r'), [
    'tcp      6 TIME_WAIT src=203.0.113.2 dst=203.0.113.1 sport=40001 dport=21 src=10.7.0.3 dst=203.0.113.2 sport=21 dport=40001 [ASSURED] mark=0 helper=ftp use=1',
    'tcp      6 TIME_WAIT src=203.0.113.2 dst=203.0.113.1 sport=40002 dport=50021 src=10.7.0.3 dst=203.0.113.2 sport=50021 dport=40002 [ASSURED] mark=0 use=1',
  ]);
});

test('passive FTP to a DNATed server without the helper: the private 227 address, the data SYNs dropped', () => {
  const sim = run('ftp-no-helper-dnat-passive.yaml');
  const r = sim.results[0]!;
  assert.equal(r.verdict, 'connected-then-failed');
  assert.equal(r.errno, 'ETIMEDOUT');
  assert.deepEqual(r.ftp, [
    '< 220 natbox FTP',
    '> USER anonymous',
    '< 331 Password please.',
    '> PASS natbox@',
    '< 230 Logged in.',
    '> PASV',
    '< 227 Entering Passive Mode (10,7,0,3,195,101).',
  ]);
  assert.equal(related(sim), 0);
  // connect() to 10.7.0.3:50021 with a 2 s timeout: the SYN and its retransmissions at 1 and 2 s (kernel: the same).
  const syns = sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'cl' && s.dir === 'out' && s.frame[14 + 20 + 13] === 2,
  );
  assert.equal(syns.length, 1 + 2);
});

test('ftp in a scenario: its mode, a tcp flow, a file of at most 1400 bytes, a tcp server', () => {
  const scenario = (flow: string, listen = '{ proto: tcp, port: 21, ftp: true }'): string[] => {
    const p = prepareScenario(
      [
        'name: x',
        'hosts:',
        '  a: { interfaces: { eth0: 10.0.0.1/24 } }',
        `  b: { interfaces: { eth0: 10.0.0.2/24 }, listen: [${listen}] }`,
        'links: [[a:eth0, b:eth0]]',
        'flows:',
        `  - { name: f, from: a, to: '10.0.0.2:21', ${flow} }`,
      ].join('\n'),
      'x.yaml',
    );
    return p.ok ? [] : p.errors;
  };
  assert.deepEqual(scenario('proto: tcp, ftp: passive'), []);
  assert.match(
    scenario('proto: tcp, ftp: pasv').join('\n'),
    /x\.yaml:7:\d+: flows\[0\]\.ftp: "pasv" is not an FTP mode \(passive or active\)/,
  );
  assert.match(scenario('proto: udp, ftp: active').join('\n'), /ftp is for tcp flows, not udp/);
  assert.match(scenario('proto: tcp, ftp: active, size: 1401').join('\n'), /at most 1400 bytes/);
  assert.match(
    scenario('proto: tcp', '{ proto: udp, port: 21, ftp: true }').join('\n'),
    /ftp is for tcp servers/,
  );
});

test('active FTP whose data connection never comes: the client closes with the 150 unread, a RST|ACK (tcp_close)', () => {
  // Without the helper r's FORWARD drops the server's data SYN (NEW from the WAN). The live client
  // blocks in accept() after RETR and reads the control connection only when the data connection
  // came; the 150 waits unread, and close() with unread data sends RST|ACK, no FIN (tcp_close:
  // data_was_unread, tcp_send_active_reset). Linux 6.18: seed 1414's #8 (gen-1414-8.yaml).
  const name = 'ftp-helper-masquerade-active.yaml';
  const r = simulateScenario(
    text(name).replace(/ *iptables -t raw -A PREROUTING .*--helper ftp\n/, ''),
    name,
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const res = r.sim.results[0]!;
  assert.equal(res.verdict, 'connected-then-failed');
  assert.match(res.detail ?? '', /^ETIMEDOUT: data connection: no connection to port 40002 within 2 s/);
  assert.deepEqual(res.ftp?.slice(-3), [
    '> PORT 10,7,0,2,156,66',
    '< 200 PORT command successful.',
    '> RETR natbox-100',
  ]);
  assert.deepEqual(lines(r.sim, 'c:eth0', 'in', '150'), ['150 Opening data connection.\r\n']);
  const ctl = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'c' && s.dir === 'out' && s.frame[14 + 9] === 6,
  );
  const last = ctl[ctl.length - 1]!;
  assert.ok(last.kind === 'packet');
  const tcp = 14 + (last.frame[14]! & 15) * 4;
  assert.equal(last.frame[tcp + 13], 0x14, 'RST|ACK'); // no FIN from c at all
  assert.ok(!ctl.some((s) => s.kind === 'packet' && (s.frame[tcp + 13]! & 1) === 1));
});
