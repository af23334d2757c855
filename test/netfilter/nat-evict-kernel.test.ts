// nf_nat_used_tuple_harder's eviction: in the last 32 attempts of a port search for a TCP SYN,
// a connection holding the candidate reply tuple is killed when it is closing (TCP state TIME_WAIT
// or later: TIME_WAIT, CLOSE), source NATed, and the new SYN's sequence number is past the old
// connection's seen[0].td_end (nf_seq_has_advanced). Origin: kernel commit "netfilter: snat: evict
// closing tcp entries on reply tuple collision" (Florian Westphal, Linux 6.5; net/netfilter/
// nf_nat_core.c: nf_nat_may_kill, nf_seq_has_advanced, nf_nat_used_tuple_harder). Its scenario, an
// SNAT whose every port is taken by closing connections to the same server ("tcp-rpc workloads"),
// with one port (the search has 1 attempt, inside the 32): the live test runs the same segments
// through a router namespace and compares what the server got, `conntrack -L` and `conntrack -S`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connSeg, handshake, kernelRun, natboxRun, type Seg } from './live-tcp-segments.ts';
import { liveNatMissing } from './live-env.ts';

const RULES = ['-t nat -A POSTROUTING -o wan -p tcp -j SNAT --to-source 198.51.100.1:1024'];

const syn = (sport: number, seq: number): Seg => ({
  from: 'c',
  src: '10.0.1.2',
  sport,
  dst: '198.51.100.2',
  dport: 80,
  flags: 'S',
  seq,
  ack: 0,
});
const rst = (seq: number): Seg => ({
  from: 's',
  src: '198.51.100.2',
  sport: 80,
  dst: '198.51.100.1',
  dport: 1024,
  flags: 'RA',
  seq: 0,
  ack: seq + 1,
});

// A connection the client aborts after the SYN/ACK (an RST in the original direction after a reply:
// CLOSE, td_end 1001; an RST that is the only reply would kill the entry at once); a SYN from
// another port whose sequence number is behind (not advanced: the tuple stays taken, the SYN is
// refused at confirm); one ahead (the CLOSE entry is evicted, the SYN takes port 1024).
const CLOSE_SEGS: Seg[] = [
  syn(40000, 1000),
  { ...rst(1000), flags: 'SA', seq: 7000 },
  { ...syn(40000, 1001), flags: 'R' },
  syn(40001, 500),
  syn(40002, 5000),
];

const CLOSE_EXPECTED = {
  list: [
    'tcp      6 SYN_SENT src=10.0.1.2 dst=198.51.100.2 sport=40002 dport=80 [UNREPLIED] src=198.51.100.2 dst=198.51.100.1 sport=80 dport=1024 mark=0',
  ],
  stats:
    'found=0 invalid=0 insert=0 insert_failed=1 drop=1 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0',
  got: {
    c: ['198.51.100.2:80>10.0.1.2:40000 SA 7000 1001 0'],
    s: [
      '198.51.100.1:1024>198.51.100.2:80 S 1000 0 0',
      '198.51.100.1:1024>198.51.100.2:80 R 1001 0 0',
      '198.51.100.1:1024>198.51.100.2:80 S 5000 0 0',
    ],
  },
};

test('a CLOSE entry holding the only SNAT port: evicted by a SYN whose sequence has advanced', () => {
  assert.deepEqual(natboxRun(RULES, CLOSE_SEGS), CLOSE_EXPECTED);
});

// A whole connection closed in order (TIME_WAIT), then SYNs from other ports.
const seg = (from: 'c' | 's', flags: string, seq: number, ack: number, len = 0): Seg =>
  connSeg(1024, from, flags, seq, ack, len);
const TIME_WAIT_SEGS: Seg[] = [
  ...handshake(1024),
  seg('c', 'PA', 1001, 7001, 10),
  seg('s', 'A', 7001, 1011),
  seg('c', 'FA', 1011, 7001),
  seg('s', 'FA', 7001, 1012),
  seg('c', 'A', 1012, 7002),
  // td_end of the old connection is 1012: 1011 + 1 = 1012 has not advanced, 1012 + 1 has.
  syn(40001, 1011),
  syn(40002, 1012),
];

test('a TIME_WAIT entry: a SYN ending at its td_end is refused, one past it evicts it', () => {
  const r = natboxRun(RULES, TIME_WAIT_SEGS);
  assert.deepEqual(r.list, [
    'tcp      6 SYN_SENT src=10.0.1.2 dst=198.51.100.2 sport=40002 dport=80 [UNREPLIED] src=198.51.100.2 dst=198.51.100.1 sport=80 dport=1024 mark=0',
  ]);
  assert.match(r.stats, /^found=0 invalid=0 insert=0 insert_failed=1 drop=1 /);
  assert.deepEqual(r.got.s.slice(-1), ['198.51.100.1:1024>198.51.100.2:80 S 1012 0 0']);
});

// The client's own port is 1024 and its address in the range: the first connection keeps its
// tuple (a null binding, no SRC_NAT); the second SYN's only candidate is taken and may not be killed.
const OWN_RULES = ['-t nat -A POSTROUTING -o wan -p tcp -j SNAT --to-source 10.0.1.2:1024'];
const own = (g: Seg): Seg => ({ ...g, sport: 1024 });
const OWN_SEGS: Seg[] = [
  own(syn(0, 1000)),
  { ...rst(1000), dst: '10.0.1.2', flags: 'SA', seq: 7000 },
  own({ ...syn(0, 1001), flags: 'R' }),
  syn(40002, 5000),
];

test('an entry not source NATed is not evicted (nf_nat_may_kill needs IPS_SRC_NAT)', () => {
  const r = natboxRun(OWN_RULES, OWN_SEGS);
  assert.deepEqual(r.list, [
    'tcp      6 CLOSE src=10.0.1.2 dst=198.51.100.2 sport=1024 dport=80 src=198.51.100.2 dst=10.0.1.2 sport=80 dport=1024 mark=0',
  ]);
  assert.match(r.stats, /insert_failed=1 drop=1 /);
});

const why = liveNatMissing;

test(
  'TIME_WAIT/CLOSE eviction: natbox agrees with the live kernel',
  why() ? { skip: why() } : {},
  async () => {
    const k = await kernelRun(RULES, CLOSE_SEGS);
    assert.deepEqual(k, CLOSE_EXPECTED);
    const n = natboxRun(RULES, TIME_WAIT_SEGS);
    assert.deepEqual(await kernelRun(RULES, TIME_WAIT_SEGS), n);
    assert.deepEqual(await kernelRun(OWN_RULES, OWN_SEGS), natboxRun(OWN_RULES, OWN_SEGS));
  },
);
