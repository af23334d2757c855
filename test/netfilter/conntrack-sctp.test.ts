// SCTP and DCCP in conntrack -L, as Linux 6.18 with conntrack-tools 1.4.7 prints them after one
// SCTP INIT and one DCCP Request through a MASQUERADE router (measured by the lead with
// python3 raw sockets, /tmp/rawexp.sh; the same run as test/conformance/extra/module-sctp-dccp-esp-ah.yaml):
//   dccp     33 598 src=192.168.1.10 dst=198.51.100.80 sport=0 dport=0 [UNREPLIED] src=198.51.100.80 dst=198.51.100.1 sport=0 dport=0 mark=0 use=1
//   sctp     132 8 CLOSED src=192.168.1.10 dst=198.51.100.80 sport=40000 dport=5000 [UNREPLIED] src=198.51.100.80 dst=198.51.100.1 sport=5000 dport=40000 mark=0 use=1
// and an INIT with a wrong CRC32c counted `invalid`, no entry (sctp_error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { sctpCheck, sctpNewOk, SCTP_INVALID, SCTP_OK } from '../../src/netfilter/conntrack/proto-sctp.ts';
import { buildSctpInit, sctpChecksumOk } from '../../src/wire/sctp.ts';

const text = `
name: sctp-dccp-conntrack
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 198.51.100.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -t nat -A POSTROUTING -o wan -j MASQUERADE
  web:
    interfaces: { eth0: 198.51.100.80/24 }
    routes: [default via 198.51.100.1]
links:
  - [client:eth0, router:lan]
  - [router:wan, web:eth0]
flows:
  - { name: sctp, from: client, proto: sctp, to: 198.51.100.80:5000, sport: 40000, timeout: 1 }
  - { name: dccp, from: client, proto: dccp, to: 198.51.100.80:5000, sport: 40000, at: 0.1, timeout: 1 }
`;

test('an SCTP INIT is tracked with its ports in CLOSED (10 s); DCCP generically with zero ports', () => {
  const r = simulateScenario(text, 'ct.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const lines = r.sim.world.host('router').conntrackList();
  const sctp = lines.find((l) => l.startsWith('sctp'));
  const dccp = lines.find((l) => l.startsWith('dccp'));
  // The run lasts past the flows: only the fields, the timeout is checked against 10 s below.
  assert.match(
    sctp ?? '',
    /^sctp {5}132 \d+ CLOSED src=192\.168\.1\.10 dst=198\.51\.100\.80 sport=40000 dport=5000 \[UNREPLIED\] src=198\.51\.100\.80 dst=198\.51\.100\.1 sport=5000 dport=40000 mark=0 use=1$/,
  );
  assert.match(
    dccp ?? '',
    /^dccp {5}33 \d+ src=192\.168\.1\.10 dst=198\.51\.100\.80 sport=0 dport=0 \[UNREPLIED\] src=198\.51\.100\.80 dst=198\.51\.100\.1 sport=0 dport=0 mark=0 use=1$/,
  );
  const left = Number(sctp!.split(/\s+/)[2]);
  assert.ok(left <= 10 && left >= 5, `SCTP CLOSED timeout left ${left}`);
});

test('sctp_error and sctp_new: a wrong CRC32c is invalid in PREROUTING; an INIT needs verification tag 0', () => {
  const init = buildSctpInit(40000, 5000);
  assert.equal(sctpCheck(init, 0, init.length, true), SCTP_OK);
  const bad = init.slice();
  bad[8]! ^= 1;
  assert.equal(sctpCheck(bad, 0, bad.length, true), SCTP_INVALID);
  assert.equal(sctpCheck(bad, 0, bad.length, false), SCTP_OK, 'the CRC is checked in PREROUTING only');
  assert.equal(sctpCheck(init, 0, 12, true), SCTP_INVALID, 'no chunk');
  assert.ok(sctpNewOk(init, 0, init.length));
  const tagged = init.slice();
  tagged[7] = 1;
  assert.ok(!sctpNewOk(tagged, 0, tagged.length), 'INIT with a verification tag (Sec 8.5.1 A)');
  const abort = init.slice();
  abort[12] = 6;
  assert.ok(!sctpNewOk(abort, 0, abort.length), 'an out-of-the-blue ABORT starts nothing');
});

test('MASQUERADE --to-ports moves an SCTP source port and recomputes the CRC32c (sctp_manip_pkt)', () => {
  const nat = text
    .replace(
      '      iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
      '      iptables -t nat -A POSTROUTING -o wan -p sctp -j MASQUERADE --to-ports 61000-61010',
    )
    .replace(/ {2}- \{ name: dccp.*\n/, '');
  const r = simulateScenario(nat, 'nat.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const out = r.sim.steps.find(
    (s) => s.kind === 'packet' && s.host === 'web' && s.dir === 'in' && s.frame[14 + 9] === 132,
  );
  assert.ok(out && out.kind === 'packet');
  const ip = out.frame.subarray(14);
  const sport = (ip[20]! << 8) | ip[21]!;
  assert.ok(sport >= 61000 && sport <= 61010, `source port ${sport}`);
  assert.ok(sctpChecksumOk(ip, 20, ip.length), 'CRC32c after the rewrite');
  // The protocol unreachable back to the client quotes the INIT with its own port again.
  const back = r.sim.steps.find(
    (s) => s.kind === 'packet' && s.host === 'client' && s.dir === 'in' && s.frame[14 + 9] === 1,
  );
  assert.ok(back && back.kind === 'packet');
  const q = back.frame.subarray(14 + 28);
  assert.equal((q[20]! << 8) | q[21]!, 40000);
  assert.ok(sctpChecksumOk(q, 20, q.length), 'CRC32c of the quoted INIT');
});
