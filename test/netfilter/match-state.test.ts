// Per-rule match state (xt_limit's token bucket, xt_statistic's nth counter) belongs to the engine
// instance, as each kernel's rules own theirs (xt_limit.c keeps `master` per rule, xt_statistic.c
// its `master->count`): two Netfilter engines built from the same ruleset object must not share a
// bucket or a counter. Before the state moved into the compiled chains it was a module-global
// WeakMap keyed by the Match object, and these tests failed (the second engine saw the first's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { forward, HOST, ip, ruleset } from './helpers.ts';
import type { Ruleset } from '../../src/rules/iptables/model.ts';

const make = (rs: Ruleset): Netfilter => new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(1) });

/** One new TCP connection (its own source port) forwarded from br-lan to wan at `now`. */
function send(nf: Netfilter, sport: number, now: number): number {
  const pkt = buildTcpPacket(
    { src: ip('192.168.1.10'), dst: ip('198.51.100.7'), id: 1 },
    { srcPort: sport, dstPort: 80, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );
  return forward(nf, pkt, 'br-lan', 'wan', now);
}

test('match state: two engines on one ruleset keep their own nth counters (xt_statistic)', () => {
  const rs = ruleset(
    '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m statistic --mode nth --every 2 --packet 0 -j DROP\nCOMMIT\n',
  );
  const a = make(rs);
  const b = make(rs);
  const got: number[][] = [[], []];
  for (let k = 0; k < 4; k++) {
    got[0]!.push(send(a, 40000 + k, 0));
    got[1]!.push(send(b, 41000 + k, 0));
  }
  // Each engine drops its own 1st and 3rd packet (--packet 0 is the first, as in the kernel:
  // match-statistic.test.ts), whatever the other one saw.
  const each = [NF_DROP, NF_ACCEPT, NF_DROP, NF_ACCEPT];
  assert.deepEqual(got, [each, each]);
});

test('match state: two engines on one ruleset keep their own token buckets (xt_limit)', () => {
  const rs = ruleset(
    [
      '*filter',
      ':FORWARD DROP [0:0]',
      '-A FORWARD -m limit --limit 1/hour --limit-burst 2 -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const a = make(rs);
  const b = make(rs);
  const got: number[][] = [[], []];
  for (let k = 0; k < 3; k++) {
    got[0]!.push(send(a, 40000 + k, 0));
    got[1]!.push(send(b, 41000 + k, 0));
  }
  // A burst of 2 per engine: each engine accepts two packets, then drops.
  const each = [NF_ACCEPT, NF_ACCEPT, NF_DROP];
  assert.deepEqual(got, [each, each]);
});

test('match state: one engine keeps its bucket across packets and its rules each their own', () => {
  // `-s a,b` makes two rules from one line; each has its own bucket in the kernel.
  const rs = ruleset(
    [
      '*filter',
      ':FORWARD DROP [0:0]',
      '-A FORWARD -s 192.168.1.10,192.168.1.11 -m limit --limit 1/hour --limit-burst 1 -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const nf = make(rs);
  const from = (src: string, sport: number): number =>
    forward(
      nf,
      buildTcpPacket(
        { src: ip(src), dst: ip('198.51.100.7'), id: 1 },
        { srcPort: sport, dstPort: 80, seq: 1, ack: 0, flags: 0x02, window: 100 },
      ),
      'br-lan',
      'wan',
      0,
    );
  assert.deepEqual(
    [from('192.168.1.10', 40000), from('192.168.1.11', 40001), from('192.168.1.10', 40002)],
    [NF_ACCEPT, NF_ACCEPT, NF_DROP],
  );
});
