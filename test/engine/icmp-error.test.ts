// ICMP errors about a NATed connection, end to end: conntrack relates the error to the connection
// it quotes (nf_conntrack_icmpv4_error) and NAT rewrites both the outer header and the quoted packet
// (nf_nat_icmp_reply_translation), so the client's socket learns its datagram was refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import { read16, read32 } from '../../src/wire/checksum.ts';
import { formatIpv4 } from '../../src/wire/addr.ts';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.ts';
import { udpChecksumOk } from '../../src/wire/udp.ts';
import { checksum } from '../../src/wire/checksum.ts';

const scenario = (extra: string): string => `
name: masq-udp-closed-port
hosts:
  router:
    interfaces:
      lan: { addresses: [192.168.1.1/24] }
      wan: { addresses: [203.0.113.22/24] }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -o wan -j MASQUERADE
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  wanhost:
    interfaces: { eth0: 203.0.113.50/24 }
    listen: [udp/5000]
links:
  - [client:eth0, router:lan]
  - [wanhost:eth0, router:wan]
flows:
${extra}`;

test('a port unreachable through MASQUERADE is un-NATed, outer and quoted header, and reaches the client socket', () => {
  const text = scenario(
    `  - { name: closed port, from: client, proto: udp, to: 203.0.113.50:9999, sport: 40001, timeout: 1, expect: unreachable }\n`,
  );
  const r = simulateScenario(text, 'icmp-error.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const [f] = r.sim.results;
  // A connected UDP socket reports port unreachable as ECONNREFUSED (__udp4_lib_err).
  assert.equal(f!.verdict, 'refused');
  assert.equal(f!.errno, 'ECONNREFUSED');
  assert.match(f!.detail, /destination unreachable code 3 \(from 203\.0\.113\.50\)/);
  // What the WAN host sent, and what the client received after the router translated it.
  const icmpAt = (host: string, dir: 'in' | 'out') =>
    r.sim.steps.find(
      (s) =>
        s.kind === 'packet' && s.host === host && s.dir === dir && describeFrame(s.frame).proto === 'icmp',
    );
  const sent = icmpAt('wanhost', 'out');
  const got = icmpAt('client', 'in');
  assert.ok(sent && sent.kind === 'packet' && got && got.kind === 'packet');
  const quoted = (f: Uint8Array) => {
    const q = 14 + 20 + 8;
    return `${formatIpv4(read32(f, q + 12))}:${read16(f, q + 20)} > ${formatIpv4(read32(f, q + 16))}:${read16(f, q + 22)}`;
  };
  const outer = (f: Uint8Array) => `${formatIpv4(read32(f, 26))} > ${formatIpv4(read32(f, 30))}`;
  assert.equal(outer(sent.frame), '203.0.113.50 > 203.0.113.22');
  assert.equal(quoted(sent.frame), '203.0.113.22:40001 > 203.0.113.50:9999');
  assert.equal(outer(got.frame), '203.0.113.50 > 192.168.1.10');
  assert.equal(quoted(got.frame), '192.168.1.10:40001 > 203.0.113.50:9999');
  // Every checksum is right after the rewrite: outer IP, ICMP, quoted IP, quoted UDP.
  const ip = got.frame.subarray(14);
  assert.ok(ipv4ChecksumOk(ip, 0), 'outer IP checksum');
  assert.equal(checksum(ip, 20, ip.length - 20), 0, 'ICMP checksum');
  assert.ok(ipv4ChecksumOk(ip, 28), 'quoted IP checksum');
  // The quote holds the whole datagram here, so its UDP checksum can be checked too.
  assert.ok(udpChecksumOk(ip, 48, read16(ip, 52), read32(ip, 40), read32(ip, 44)), 'quoted UDP checksum');
  assert.notEqual(read16(ip, 54), 0, 'the quoted UDP datagram carries a checksum');
  // conntrack saw the error as RELATED to the UDP entry (no entry of its own).
  const states = r.sim.steps
    .filter((s) => s.kind === 'conntrack' && s.host === 'router')
    .map((s) => (s.kind === 'conntrack' ? s.state : ''));
  assert.deepEqual(states, ['NEW', 'RELATED']);
  assert.equal(r.sim.world.host('router').conntrackList().length, 1);
});

test('the answer from an open port through MASQUERADE comes back translated', () => {
  const text = scenario(
    `  - { name: open port, from: client, proto: udp, to: 203.0.113.50:5000, sport: 40001, timeout: 1, expect: { verdict: reply, server_sees: 203.0.113.22:40001 } }\n`,
  );
  const r = simulateScenario(text, 'icmp-error.yaml');
  assert.ok(r.ok);
  assert.deepEqual(r.sim.results[0]!.mismatches, []);
});
