// `conntrack -L` lines exactly as conntrack-tools prints them (netfilter-facts §6): protocol name
// padded to 8, number, seconds left ((timeout - now) / HZ, truncated), TCP state, original tuple,
// [UNREPLIED], reply tuple, [ASSURED], mark=, use=. ICMP shows type= code= id=.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConntrackTable, IPS_ASSURED, IPS_SEEN_REPLY } from '../../src/netfilter/conntrack/table.ts';
import {
  TCP_CONNTRACK_ESTABLISHED,
  TCP_CONNTRACK_SYN_SENT,
} from '../../src/netfilter/conntrack/proto-tcp.ts';
import { entryJson, formatConntrackLine, formatProcLine } from '../../src/netfilter/conntrack/format.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { tuple } from './helpers.ts';

function entry(ct: ConntrackTable, orig: ReturnType<typeof tuple>, reply: ReturnType<typeof tuple>): number {
  const e = ct.alloc(orig, reply, 0);
  ct.confirm(e, 0);
  return e;
}

test('conntrack -L: the DNAT-only hairpin line from the spec, character for character', () => {
  const ct = new ConntrackTable(8);
  const e = entry(
    ct,
    tuple('192.168.1.10', '82.120.11.22', IPPROTO_TCP, 40000, 80),
    tuple('192.168.1.200', '192.168.1.10', IPPROTO_TCP, 80, 40000),
  );
  ct.state[e] = TCP_CONNTRACK_SYN_SENT;
  ct.expires[e] = 120;
  assert.equal(
    formatConntrackLine(ct, e, 2.5), // 117.5 s left: printed 117
    'tcp      6 117 SYN_SENT src=192.168.1.10 dst=82.120.11.22 sport=40000 dport=80 [UNREPLIED] src=192.168.1.200 dst=192.168.1.10 sport=80 dport=40000 mark=0 use=1',
  );
});

test('conntrack -L: an assured TCP entry shows [ASSURED] after the reply tuple and no [UNREPLIED]', () => {
  const ct = new ConntrackTable(8);
  const e = entry(
    ct,
    tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80),
    tuple('192.168.1.200', '192.168.1.1', IPPROTO_TCP, 80, 40000),
  );
  ct.state[e] = TCP_CONNTRACK_ESTABLISHED;
  ct.status[e]! |= IPS_SEEN_REPLY | IPS_ASSURED;
  ct.expires[e] = 432000;
  ct.mark[e] = 7;
  assert.equal(
    formatConntrackLine(ct, e, 0),
    'tcp      6 432000 ESTABLISHED src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED] mark=7 use=1',
  );
});

test('conntrack -L: UDP has no state field', () => {
  const ct = new ConntrackTable(8);
  const e = entry(
    ct,
    tuple('192.168.1.10', '203.0.113.50', IPPROTO_UDP, 40001, 5000),
    tuple('203.0.113.50', '203.0.113.22', IPPROTO_UDP, 5000, 40001),
  );
  ct.expires[e] = 30;
  assert.equal(
    formatConntrackLine(ct, e, 0.2),
    'udp      17 29 src=192.168.1.10 dst=203.0.113.50 sport=40001 dport=5000 [UNREPLIED] src=203.0.113.50 dst=203.0.113.22 sport=5000 dport=40001 mark=0 use=1',
  );
});

test('conntrack -L: ICMP shows type, code and id in both tuples', () => {
  const ct = new ConntrackTable(8);
  const e = entry(
    ct,
    tuple('192.168.1.10', '203.0.113.50', IPPROTO_ICMP, 20306, 8 << 8),
    tuple('203.0.113.50', '203.0.113.22', IPPROTO_ICMP, 20306, 0 << 8),
  );
  ct.status[e]! |= IPS_SEEN_REPLY;
  ct.expires[e] = 30;
  assert.equal(
    formatConntrackLine(ct, e, 1),
    'icmp     1 29 src=192.168.1.10 dst=203.0.113.50 type=8 code=0 id=20306 src=203.0.113.50 dst=203.0.113.22 type=0 code=0 id=20306 mark=0 use=1',
  );
  assert.deepEqual(entryJson(ct, e, 1), {
    proto: 'icmp',
    orig: { src: '192.168.1.10', dst: '203.0.113.50', type: 8, code: 0, id: 20306 },
    reply: { src: '203.0.113.50', dst: '203.0.113.22', type: 0, code: 0, id: 20306 },
    flags: [],
    mark: 0,
    timeout: 29,
  });
});

test('/proc/net/nf_conntrack: family prefix and zone', () => {
  const ct = new ConntrackTable(8);
  const e = entry(
    ct,
    tuple('192.168.1.10', '203.0.113.50', IPPROTO_UDP, 40001, 5000),
    tuple('203.0.113.50', '203.0.113.22', IPPROTO_UDP, 5000, 40001),
  );
  ct.expires[e] = 30;
  assert.match(
    formatProcLine(ct, e, 0),
    /^ipv4 {5}2 udp {6}17 30 src=192\.168\.1\.10 .* mark=0 zone=0 use=2$/,
  );
});
