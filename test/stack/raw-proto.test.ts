// Flows of protocols natbox's hosts have no handler for (SCTP, DCCP, ESP, AH): the client sends
// one raw datagram (wire/raw.ts), and the server answers ICMP protocol unreachable
// (ip_local_deliver_finish → icmp_send(ICMP_DEST_UNREACH, ICMP_PROT_UNREACH)). Expected bytes and
// header fields: measured by the lead on Linux 6.18 (no CONFIG_IP_SCTP, INET_ESP, INET_AH) with a
// python3 raw-socket sender (the script behind dataplane/kernel/agents.ts RAW_SCRIPT): the error
// has TOS 0xc0, TTL 64, DF clear, and quotes the whole datagram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { buildSctpInit, sctpChecksumOk, sctpCrc32c } from '../../src/wire/sctp.ts';
import { rawFlowPayload } from '../../src/wire/raw.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('CRC32c and the SCTP INIT the kernel-side sender builds', () => {
  // The CRC32c with the checksum field read as zero, over the whole INIT: what the packet carries.
  const init = buildSctpInit(40000, 5000);
  assert.equal(sctpCrc32c(init, 0, 32), 0x743b6322);
  // python3 crc32c() of /tmp/rawexp.sh (the lead's measurement) over the same INIT, 40000 -> 5000.
  assert.equal(
    hex(buildSctpInit(40000, 5000)),
    '9c4013880000000022633b7401000014000011110000ffff000a000a00002222',
  );
  assert.ok(sctpChecksumOk(buildSctpInit(40000, 5000), 0, 32));
  assert.equal(hex(rawFlowPayload('esp', 0, 0, 0x1234)), '000012340000000100000000' + '00000000');
  assert.equal(hex(rawFlowPayload('ah', 0, 0, 0x99)), '3b04000000000099' + '00000001' + '00'.repeat(12));
  assert.equal(hex(rawFlowPayload('dccp', 40000, 5000, 0)), '9c401388050000000000000000000000' + '00000000');
});

test('a datagram of a protocol the host does not speak gets ICMP protocol unreachable', () => {
  const text = `
name: raw-proto-unreachable
hosts:
  client:
    interfaces: { eth0: 198.51.100.10/24 }
  web:
    interfaces: { eth0: 198.51.100.80/24 }
links:
  - [client:eth0, web:eth0]
flows:
  - { name: sctp, from: client, proto: sctp, to: 198.51.100.80:5000, sport: 40000, timeout: 1, expect: icmp-error }
  - { name: esp, from: client, proto: esp, to: 198.51.100.80, spi: 0x1234, at: 1.5, timeout: 1, expect: icmp-error }
`;
  const r = simulateScenario(text, 'raw.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  for (const f of r.sim.results) {
    assert.equal(f.verdict, 'icmp-error', f.flow.name);
    assert.deepEqual(f.received, [{ from: '198.51.100.80', type: 3, code: 2 }], f.flow.name);
  }
  const errors = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'web' && s.dir === 'out' && s.frame[14 + 9] === 1,
  );
  assert.equal(errors.length, 2);
  const [sctpErr] = errors;
  assert.ok(sctpErr && sctpErr.kind === 'packet');
  const ip = sctpErr.frame.subarray(14);
  assert.equal(ip[1], 0xc0, 'TOS 0xc0');
  assert.equal(ip[8], 64, 'TTL 64');
  assert.equal(ip[6]! & 0x40, 0, 'DF clear');
  assert.deepEqual([ip[20], ip[21]], [3, 2]);
  // The quote: the client's IP header (protocol 132, DF set: a raw socket's) and the whole INIT.
  assert.equal(ip[28 + 9], 132);
  assert.equal(ip[28 + 6]! & 0x40, 0x40);
  assert.equal(hex(ip.subarray(48)), hex(buildSctpInit(40000, 5000)));
});
