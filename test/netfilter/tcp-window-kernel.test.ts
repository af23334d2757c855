// An out-of-window TCP segment through a NAT router, with window tracking on (the default):
// tcp_in_window finds the sequence number past the receiver's window (td_maxend), the segment is
// INVALID (nf_conntrack_in counts `invalid` and leaves the skb without a connection), so
// (a) `-m conntrack --ctstate INVALID -j DROP` drops it; (b) without that rule it is forwarded
// without NAT (nf_nat_inet_fn has no connection to take a mapping from: it leaves with the
// client's own address); (c) net.netfilter.nf_conntrack_tcp_be_liberal=1 accepts it (only
// out-of-window RSTs stay INVALID) and it is NATed as the rest of the connection.
// Origin: net/netfilter/nf_conntrack_proto_tcp.c (tcp_in_window, nf_tcp_log_invalid),
// net/netfilter/nf_conntrack_core.c (nf_conntrack_in: invalid), Documentation/networking/
// nf_conntrack-sysctl.rst (nf_conntrack_tcp_be_liberal: "Be conservative in what you do, be
// liberal in what you accept from others. If it's non-zero, we mark only out of window RST
// segments as INVALID."), and tools/testing/selftests/net/netfilter/conntrack_tcp_unreplied.sh for
// the shape (hand-made segments through a router namespace). The live test sends the same segments
// through a router namespace and compares what the ends got, `conntrack -L` and `conntrack -S`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connSeg, handshake, kernelRun, natboxRun, type Run, type Seg } from './live-tcp-segments.ts';
import { liveNatMissing } from './live-env.ts';

const SNAT = '-t nat -A POSTROUTING -o wan -p tcp -j SNAT --to-source 198.51.100.1';
const DROP_INVALID = '-A FORWARD -m conntrack --ctstate INVALID -j DROP';

const seg = (from: 'c' | 's', flags: string, seq: number, ack: number, len = 0): Seg =>
  connSeg(40000, from, flags, seq, ack, len);

/** A handshake, a segment 2^24 past the server's window (64240, no scaling), then one in window. */
const SEGS: Seg[] = [
  ...handshake(40000),
  seg('c', 'PA', 1001 + (1 << 24), 7001, 10),
  seg('c', 'PA', 1001, 7001, 10),
];

const ESTABLISHED =
  'tcp      6 ESTABLISHED src=10.0.1.2 dst=198.51.100.2 sport=40000 dport=80 src=198.51.100.2 dst=198.51.100.1 sport=80 dport=40000 [ASSURED] mark=0';
const stats = (invalid: number): string =>
  `found=0 invalid=${invalid} insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0`;
const NATED = [
  '198.51.100.1:40000>198.51.100.2:80 S 1000 0 0',
  '198.51.100.1:40000>198.51.100.2:80 A 1001 7001 0',
];
const TO_CLIENT = ['198.51.100.2:80>10.0.1.2:40000 SA 7000 1001 0'];
const OOW = `${16778217} 7001 10`; // 1001 + 2^24

const CASES: { name: string; rules: string[]; sysctls: string[]; want: Run }[] = [
  {
    name: '(a) INVALID, dropped by --ctstate INVALID -j DROP',
    rules: [SNAT, DROP_INVALID],
    sysctls: [],
    want: {
      list: [ESTABLISHED],
      stats: stats(1),
      got: { c: TO_CLIENT, s: [...NATED, '198.51.100.1:40000>198.51.100.2:80 PA 1001 7001 10'] },
    },
  },
  {
    name: '(b) INVALID, forwarded without NAT when no rule drops it',
    rules: [SNAT],
    sysctls: [],
    want: {
      list: [ESTABLISHED],
      stats: stats(1),
      got: {
        c: TO_CLIENT,
        s: [
          ...NATED,
          `10.0.1.2:40000>198.51.100.2:80 PA ${OOW}`,
          '198.51.100.1:40000>198.51.100.2:80 PA 1001 7001 10',
        ],
      },
    },
  },
  {
    name: '(c) nf_conntrack_tcp_be_liberal=1: accepted and NATed',
    rules: [SNAT, DROP_INVALID],
    sysctls: ['net.netfilter.nf_conntrack_tcp_be_liberal=1'],
    want: {
      list: [ESTABLISHED],
      stats: stats(0),
      got: {
        c: TO_CLIENT,
        s: [
          ...NATED,
          `198.51.100.1:40000>198.51.100.2:80 PA ${OOW}`,
          '198.51.100.1:40000>198.51.100.2:80 PA 1001 7001 10',
        ],
      },
    },
  },
];

const sysctlMap = (kv: readonly string[]): Map<string, number> =>
  new Map(kv.map((s) => [s.replace(/^net\.netfilter\./, '').split('=')[0]!, Number(s.split('=')[1])]));

for (const c of CASES)
  test(`out-of-window segment ${c.name}`, () => {
    assert.deepEqual(natboxRun(c.rules, SEGS, sysctlMap(c.sysctls)), c.want);
  });

const why = liveNatMissing;

for (const c of CASES)
  test(
    `out-of-window segment ${c.name}: natbox agrees with the live kernel`,
    why() ? { skip: why() } : {},
    async () => {
      assert.deepEqual(await kernelRun(c.rules, SEGS, c.sysctls), c.want);
    },
  );
