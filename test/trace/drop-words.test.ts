// Drop reasons are numbers in the stack (DropReason, with the fields a reason needs) and words only
// in the trace (trace/drop-words.ts). The expected words are the strings the stack itself built
// before issue 12 (src/stack/host.ts, bridge.ts and sockets.ts at commit 412ac7d): what users read
// in the trace text, the story, the explanations and the natbox-trace/1 document must not change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DROP_REASON_COUNT, DROP_TABLES, DropReason } from '../../src/netfilter/core/drop.ts';
import { BR_STATE_BLOCKING, BR_STATE_DISABLED, BR_STATE_LISTENING } from '../../src/stack/bridge.ts';
import { sendErrorText } from '../../src/stack/sockets.ts';
import type { DropStep } from '../../src/stack/steps.ts';
import { dropWords } from '../../src/trace/drop-words.ts';
import { netfilterDropWords } from '../../src/netfilter/core/drop.ts';

const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const step = (reason: DropReason, more: Partial<DropStep> = {}): DropStep => ({
  kind: 'drop',
  host: 'router',
  ifname: 'lan',
  reason,
  ...more,
});

test('drop words: every reason the stack reports, as the stack said it before', () => {
  const cases: [DropStep, string][] = [
    [step(DropReason.IP_INHDR, { detail: 'truncated' }), 'malformed IPv4 header (truncated)'],
    [step(DropReason.IP_CSUM), 'bad IPv4 header checksum'],
    [
      step(DropReason.IP_RPFILTER, { addr: ip(192, 168, 1, 10) }),
      'rp_filter: no route back to the source 192.168.1.10 (reverse path check)',
    ],
    [
      step(DropReason.IP_RPFILTER, { addr: ip(192, 168, 1, 10), dev: 'dmz' }),
      'rp_filter=1: the route back to 192.168.1.10 leaves by dmz, not by lan where the packet came in',
    ],
    [
      step(DropReason.IP_NOT_FORWARDING, { addr: ip(10, 99, 99, 99) }),
      '10.99.99.99 is not an address of router and IP forwarding is off',
    ],
    [step(DropReason.IP_INNOROUTES, { addr: ip(10, 99, 99, 99) }), 'no route to 10.99.99.99'],
    [step(DropReason.IP_TTL_EXPIRED, { addr: ip(203, 0, 113, 9) }), 'TTL expired in transit to 203.0.113.9'],
    [
      step(DropReason.NEIGH_FAILED, { addr: ip(192, 168, 1, 42), count: 3 }),
      'neighbour 192.168.1.42 unreachable: no answer to 3 ARP requests',
    ],
    [{ kind: 'drop', host: 'server', reason: DropReason.TCP_CSUM }, 'TCP segment with a bad checksum'],
    [
      step(DropReason.STP_PORT_STATE, { dev: 'br0', port: 'p3', state: BR_STATE_BLOCKING }),
      'br0 port p3 is blocking (STP)',
    ],
    [
      step(DropReason.STP_PORT_STATE, { dev: 'br0', port: 'p1', state: BR_STATE_LISTENING }),
      'br0 port p1 is listening (STP)',
    ],
    [
      step(DropReason.STP_PORT_STATE, { dev: 'br0', port: 'p2', state: BR_STATE_DISABLED }),
      'br0 port p2 is disabled (STP)',
    ],
    [
      step(DropReason.STP_LEARNING, { dev: 'br0', port: 'p2' }),
      'br0 port p2 is learning (STP): source learned, frame not forwarded',
    ],
    [step(DropReason.NETFILTER_DROP, { table: 4 }), 'dropped by the filter table'],
    [step(DropReason.NETFILTER_DROP, { table: 3 }), 'dropped by the nat table'],
    [step(DropReason.NETFILTER_REJECT, { table: 4 }), 'rejected by the filter table'],
    [
      step(DropReason.NF_CT_TABLE_FULL, { count: 2 }),
      'conntrack: table full (nf_conntrack_max 2), packet dropped',
    ],
    [step(DropReason.NF_CT_INSERT_FAILED), 'conntrack: insert failed (tuple clash)'],
    [step(DropReason.NF_NAT_NO_FREE_TUPLE), 'nat: no free tuple'],
    [
      step(DropReason.NF_NAT_ICMP_REDIRECT),
      'nat: an ICMP redirect about a NATed connection is dropped (it would name a translated address)',
    ],
    [
      step(DropReason.NF_NAT_ICMP_UNTRANSLATABLE),
      'nat: ICMP error about a NATed connection could not be translated',
    ],
    [step(DropReason.NOT_SPECIFIED), 'dropped by netfilter'],
    [
      step(DropReason.PKT_TOO_BIG, { addr: ip(10, 0, 2, 20), count: 1400 }),
      'too big for the next hop to 10.0.2.20 (MTU 1400) and DF set: fragmentation needed',
    ],
    [
      step(DropReason.FRAG_REASM_TIMEOUT, { addr: ip(10, 0, 1, 10) }),
      'fragments of a datagram from 10.0.1.10 did not all arrive in time (reassembly timeout)',
    ],
    [
      step(DropReason.DUP_FRAG, { addr: ip(10, 0, 1, 10) }),
      'a fragment from 10.0.1.10 overlaps or repeats one already queued: the datagram is dropped',
    ],
    [
      step(DropReason.FRAG_TOO_FAR, { addr: ip(10, 0, 1, 10) }),
      'too many datagrams from 10.0.1.10 being reassembled at once: fragment dropped',
    ],
    [
      step(DropReason.IP_LOCALNET, { addr: ip(127, 0, 0, 1), dev: 'lan', detail: 'dst' }),
      'martian destination 127.0.0.1 on lan: a loopback address may arrive only on lo (net.ipv4.conf.lan.route_localnet is 0)',
    ],
    // New with SYNPROXY (no string before issue 12): the words of trace/drop-words.ts.
    [step(DropReason.NF_STOLEN), 'taken by SYNPROXY, which answers it in the place of the other end'],
    // New with accept_local (issue 15): fib_validate_source's local source.
    [
      step(DropReason.IP_LOCAL_SOURCE, { addr: ip(10, 8, 0, 1), ifname: 'lan2', host: 'r' }),
      'martian source 10.8.0.1: an address of r came in on lan2 (accept_local is 0)',
    ],
    // New with nf_nat_oif_changed (issue 14): a masqueraded connection routed out of another device.
    [
      step(DropReason.NF_NAT_MASQ_OIF_CHANGED),
      'nat: a masqueraded connection now leaves by another interface: its conntrack entry is deleted and the packet dropped',
    ],
    // New with the exact fib_validate_source (issue 15): a source whose route back is a broadcast.
    [
      step(DropReason.IP_INVALID_SOURCE, { addr: ip(10, 7, 0, 255), ifname: 'lan2', host: 'r' }),
      'martian source 10.7.0.255 on lan2: the route back to it on r is not unicast (a broadcast address)',
    ],
  ];
  for (const [s, words] of cases) assert.equal(dropWords(s), words);
  // Every reason has words of its own (a reason added without words would say "dropped by netfilter").
  const said = new Set(cases.map(([s]) => s.reason));
  for (let r = 0; r < DROP_REASON_COUNT; r++) {
    if (r === DropReason.IP_OUTNOROUTES) continue; // never traced: the socket's error says it
    assert.ok(said.has(r as DropReason), `reason ${r} has no case here`);
  }
});

test('drop words: a socket told of a netfilter drop of its packet reads the trace words (EPERM otherwise)', () => {
  const netfilter = [
    DropReason.NETFILTER_DROP,
    DropReason.NETFILTER_REJECT,
    DropReason.NF_CT_TABLE_FULL,
    DropReason.NF_CT_INSERT_FAILED,
    DropReason.NF_NAT_NO_FREE_TUPLE,
    DropReason.NF_NAT_ICMP_REDIRECT,
    DropReason.NF_NAT_ICMP_UNTRANSLATABLE,
  ];
  for (const reason of netfilter)
    for (let table = 1; table < DROP_TABLES.length; table++)
      assert.equal(sendErrorText({ reason, table, ctMax: 7 }), netfilterDropWords(reason, table, 7));
  // Before issue 12: a netfilter verdict with no reason set gave the socket this, and the trace
  // "dropped by netfilter"; no route on output gave ENETUNREACH's words.
  assert.equal(
    sendErrorText({ reason: DropReason.NOT_SPECIFIED, table: 0, ctMax: 0 }),
    'operation not permitted (netfilter)',
  );
  assert.equal(
    sendErrorText({ reason: DropReason.IP_OUTNOROUTES, table: 0, ctMax: 0 }),
    'network is unreachable',
  );
});
