// -m statistic --mode nth against the kernel's own sequence. Expected values measured on Linux 6.18
// with iptables 1.8.9 (nf_tables) in a namespace: six OUTPUT rules `-p udp --dport 9 -m statistic
// --mode nth ...`, seven datagrams to 127.0.0.1:9, each rule's packet counter read after each one.
// libxt_statistic starts the counter at every - packet (every already decreased by one) and
// xt_statistic matches the packet that wraps it to 0: --packet 0 is the first packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statisticMatch } from '../../src/netfilter/xtables/match-statistic.ts';
import type { MatchOf } from '../../src/netfilter/xtables/xt-match.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';

const nth = (every: number, packet: number, invert = false): MatchOf<'statistic'> => ({
  module: 'statistic',
  mode: 'nth',
  probability: 0,
  every,
  packet,
  invert,
});

/** The 1-based numbers of the packets (of 7) the rule matched, in the kernel's run. */
const KERNEL: ReadonlyArray<readonly [MatchOf<'statistic'>, readonly number[]]> = [
  [nth(2, 0), [1, 3, 5, 7]],
  [nth(3, 0), [1, 4, 7]],
  [nth(3, 1), [2, 5]],
  [nth(3, 2), [3, 6]],
  [nth(3, 2, true), [1, 2, 4, 5, 7]],
  [nth(1, 0), [1, 2, 3, 4, 5, 6, 7]],
];

test('statistic nth: the packets the kernel matches (--packet 0 is the first)', () => {
  const skb = new Skb();
  for (const [m, want] of KERNEL) {
    const st = statisticMatch.newState!(m, undefined as never);
    const got: number[] = [];
    for (let n = 1; n <= 7; n++) if (statisticMatch.match(m, skb, st)) got.push(n);
    assert.deepEqual(got, want, `--every ${m.every} --packet ${m.packet}${m.invert ? ' (inverted)' : ''}`);
  }
});
