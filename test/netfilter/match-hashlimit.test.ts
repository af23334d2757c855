// -m hashlimit evaluated as xt_hashlimit.c does, through the engine (tables named and shared by
// the rules of one engine, a bucket per key of --hashlimit-mode, on the simulation clock). The
// expected counts come from the kernel: the same rules and packets in network namespaces (Linux
// 6.18, HZ 250, iptables 1.8.9 nf_tables), UDP datagrams from 192.0.2.1 and 192.0.2.3 to
// 192.0.2.2 over a veth pair, sent by one python3 process (its sleeps give the times), the
// counters read with `iptables -L -n -v -x` afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/engine.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { loadRulesText } from '../../src/rules/load.ts';
import { describeMismatch, newRuleState, ruleMismatch } from '../../src/netfilter/xtables/match.ts';
import { engine, forward, ip } from './helpers.ts';

const A = NF_ACCEPT;
const D = NF_DROP;

function setup(
  lines: string[],
): (dport: number, n: number, now: number, src?: string, len?: number) => number[] {
  const nf = engine(['*filter', ':FORWARD ACCEPT [0:0]', ...lines, 'COMMIT', ''].join('\n'));
  return (dport, n, now, src = '192.0.2.1', len = 1) =>
    Array.from({ length: n }, () =>
      forward(
        nf,
        buildUdpPacket(
          { src: ip(src), dst: ip('192.0.2.2'), id: 1 },
          { srcPort: 40000, dstPort: dport },
          new Uint8Array(len),
        ),
        'br-lan',
        'wan',
        now,
      ),
    );
}

test('hashlimit: burst, then the refill of 2/sec, a bucket per source (--hashlimit-mode srcip)', () => {
  // Kernel: 5 from .1, 4 from .3, 1.1 s later 3 from .1: accepted 8 (3 + 3 + 2), dropped 4.
  const send = setup([
    '-A FORWARD -p udp --dport 9 -m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name t --hashlimit-htable-expire 10000 -j ACCEPT',
    '-A FORWARD -p udp --dport 9 -j DROP',
  ]);
  assert.deepEqual(send(9, 5, 0), [A, A, A, D, D]);
  assert.deepEqual(send(9, 4, 0, '192.0.2.3'), [A, A, A, D]);
  assert.deepEqual(send(9, 3, 1.1), [A, A, D]);
});

test('hashlimit: without a mode one bucket serves every packet; an idle entry expires (htable-expire)', () => {
  // Kernel: 5 at 0 and 5 at 3.6 s: accepted 6, dropped 4.
  const send = setup([
    '-A FORWARD -p udp --dport 10 -m hashlimit --hashlimit-upto 2/sec --hashlimit-burst 3 --hashlimit-name e -j ACCEPT',
    '-A FORWARD -p udp --dport 10 -j DROP',
  ]);
  assert.deepEqual(send(10, 3, 0), [A, A, A]);
  assert.deepEqual(send(10, 2, 0, '192.0.2.3'), [D, D]);
  assert.deepEqual(send(10, 5, 3.6), [A, A, A, D, D]);
});

test('hashlimit: an entry not yet expired keeps its credit; an expired one starts full', () => {
  // 1/min burst 3, expire 90 s: 60 s later one packet's credit, not a full bucket; after 91 s idle
  // the GC run of 150 s (every 1 s from the first packet) has removed the entry: full again.
  const send = setup([
    '-A FORWARD -p udp --dport 11 -m hashlimit --hashlimit-upto 1/min --hashlimit-burst 3 --hashlimit-htable-expire 90000 --hashlimit-name x -j ACCEPT',
    '-A FORWARD -p udp --dport 11 -j DROP',
  ]);
  assert.deepEqual(send(11, 4, 0), [A, A, A, D]);
  assert.deepEqual(send(11, 2, 60), [A, D]);
  assert.deepEqual(send(11, 4, 151), [A, A, A, D]);
});

test('hashlimit: --hashlimit-above --hashlimit-mode dstport: a bucket per destination port', () => {
  // Kernel: ports 20 20 20 21 21 21 20 against above 1/min burst 2: 3 dropped.
  const send = setup([
    '-A FORWARD -p udp --dport 20:21 -m hashlimit --hashlimit-above 1/min --hashlimit-burst 2 --hashlimit-mode dstport --hashlimit-name p -j DROP',
  ]);
  const got = [20, 20, 20, 21, 21, 21, 20].map((p) => send(p, 1, 0)[0]);
  assert.deepEqual(got, [A, A, D, A, A, D, D]);
});

test('hashlimit: byte mode (1kb/s, burst 2kb): a full bucket refilled twice, then drops', () => {
  // Kernel: ten 528-byte packets: accepted 3, dropped 7 (1 s of credit, then the 2 refills).
  const send = setup([
    '-A FORWARD -p udp --dport 30 -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 2kb --hashlimit-name b -j ACCEPT',
    '-A FORWARD -p udp --dport 30 -j DROP',
  ]);
  assert.deepEqual(send(30, 10, 0, '192.0.2.1', 500), [A, A, A, D, D, D, D, D, D, D]);
});

test('hashlimit: --hashlimit-srcmask groups sources; a table is shared by name between rules', () => {
  const send = setup([
    '-A FORWARD -p udp --dport 40 -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name s -j ACCEPT',
    '-A FORWARD -p udp --dport 41 -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name s -j ACCEPT',
    '-A FORWARD -p udp -j DROP',
  ]);
  assert.deepEqual(send(40, 1, 0, '192.0.2.1'), [A]);
  // Same /24, other rule, same table: the second token of that bucket, then none.
  assert.deepEqual(send(41, 2, 0, '192.0.2.200'), [A, D]);
  assert.deepEqual(send(40, 1, 0, '198.51.100.1'), [A]);
});

test('hashlimit: --hashlimit-rate-match matches while the previous window was within the rate', () => {
  // 2/sec rate-match, interval 1 s: rate 2, burst 5 + 2 = 7 packets per window. Kernel (counters
  // read after each step): 8 at 0 -> 7 accepted; 1 at 1.05 s -> dropped; 1 at 2.1 s -> accepted.
  const send = setup([
    '-A FORWARD -p udp --dport 50 -m hashlimit --hashlimit-upto 2/sec --hashlimit-rate-match --hashlimit-htable-expire 10000 --hashlimit-name r -j ACCEPT',
    '-A FORWARD -p udp --dport 50 -j DROP',
  ]);
  assert.deepEqual(send(50, 8, 0), [A, A, A, A, A, A, A, D]);
  // A new window: the last one had 8 packets in 1 s, over 2/s: no match for the whole window.
  assert.deepEqual(send(50, 1, 1.05), [D]);
  // The window after: 1 packet in 1 s, within.
  assert.deepEqual(send(50, 1, 2.1), [A]);
});

test('hashlimit: the trace names the bucket', () => {
  const r = loadRulesText(
    '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m hashlimit --hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode srcip,dstport --hashlimit-name ssh -j ACCEPT\nCOMMIT\n',
    't.rules',
  );
  assert.ok(r.ok);
  const rule = r.ruleset.tables.get('filter')!.chains.get('FORWARD')!.rules[0]!;
  const st = newRuleState(rule, undefined, new Map());
  const skb = new Skb();
  skb.load(
    buildUdpPacket({ src: ip('203.0.113.9'), dst: ip('192.0.2.2'), id: 1 }, { srcPort: 1, dstPort: 22 }),
    0,
    'br-lan',
    'wan',
  );
  assert.equal(ruleMismatch(rule, skb, st), -1);
  const fail = ruleMismatch(rule, skb, st);
  assert.equal(
    describeMismatch(rule, fail, skb, st),
    'hashlimit --hashlimit-upto --hashlimit-name ssh for src 203.0.113.9, dport 22: over the rate (bucket empty)',
  );
});

test('hashlimit: a full table (htable-max) drops a packet that needs a new entry, whatever the rule (hotdrop)', () => {
  // Kernel (same setup, one python3 process sending at once from .1, .3, .4, .1): the .4 datagram
  // was counted by neither rule (hotdropped: "max count of 2 reached"), the other three by ACCEPT;
  // /proc/net/ipt_hashlimit/m then listed .1 and .3 only.
  const send = setup([
    '-A FORWARD -p udp --dport 9 -m hashlimit --hashlimit-above 1000/sec --hashlimit-mode srcip --hashlimit-name full --hashlimit-htable-size 2 --hashlimit-htable-max 2 -j DROP',
    '-A FORWARD -p udp --dport 9 -j ACCEPT',
  ]);
  const got = ['192.0.2.1', '192.0.2.3', '192.0.2.4', '192.0.2.1'].map((src) => send(9, 1, 0, src)[0]);
  assert.deepEqual(got, [A, A, D, A]);
});
