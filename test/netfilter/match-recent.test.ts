// -m recent evaluated as xt_recent.c does, through the engine (named tables shared by the rules of
// one engine, on the simulation clock). The expected counters come from the kernel: the same
// rules and packet sequence run in a network namespace (Linux 6.18, iptables 1.8.9 nf_tables),
// UDP datagrams from 192.0.2.1 to 192.0.2.2 sent with python3 over a veth pair, `iptables -L -n -v`
// read afterwards (the script is in the comment of the first test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { loadRulesText } from '../../src/rules/load.ts';
import { ruleMismatch, describeMismatch, newRuleState } from '../../src/netfilter/xtables/match.ts';
import { RECENT_LIST_TOT } from '../../src/netfilter/xtables/match-recent.ts';
import { engine, forward, HOST, ip } from './helpers.ts';

const udp = (src: string, dport: number, ttl = 64): Uint8Array =>
  buildUdpPacket({ src: ip(src), dst: ip('198.51.100.7'), id: 1, ttl }, { srcPort: 40000, dstPort: dport });

/** An engine on `text`, and a sender of UDP datagrams through its forward path. */
function setup(text: string): {
  nf: Netfilter;
  send: (dports: number[], now: number, src?: string) => number[];
} {
  const nf = engine(text);
  return {
    nf,
    send: (dports, now, src = '192.0.2.1') =>
      dports.map((d) => forward(nf, udp(src, d), 'br-lan', 'wan', now)),
  };
}

test('recent: --set then --update --seconds --hitcount, --rcheck, --remove: the kernel counters', () => {
  // Kernel run (filter INPUT there, FORWARD here: the match reads the same fields):
  //   -A INPUT -p udp --dport 9 -m recent --set
  //   -A INPUT -p udp --dport 9 -m recent --update --seconds 2 --hitcount 3 -j DROP
  //   -A INPUT -p udp --dport 10 -m recent --rcheck --seconds 2 --hitcount 3 -j DROP
  //   -A INPUT -p udp --dport 11 -m recent --remove
  //   -A INPUT -p udp --dport 12 -m recent --rcheck
  //   send 9 9 9 10; sleep 2.5; send 10 9 9 9 10; send 12 11 12 10
  //   counters: 6 2 2 1 1
  const text = [
    '*filter',
    ':FORWARD ACCEPT [0:0]',
    '-A FORWARD -p udp --dport 9 -m recent --set',
    '-A FORWARD -p udp --dport 9 -m recent --update --seconds 2 --hitcount 3 -j DROP',
    '-A FORWARD -p udp --dport 10 -m recent --rcheck --seconds 2 --hitcount 3 -j DROP',
    '-A FORWARD -p udp --dport 11 -m recent --remove',
    '-A FORWARD -p udp --dport 12 -m recent --rcheck',
    'COMMIT',
    '',
  ].join('\n');
  const r = loadRulesText(text, 't.rules');
  assert.ok(r.ok);
  const rs = r.ruleset;
  const nf = new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(1) });
  const send = (dports: number[], now: number): number[] =>
    dports.map((d) => forward(nf, udp('192.0.2.1', d), 'br-lan', 'wan', now));
  const A = NF_ACCEPT;
  const D = NF_DROP;
  assert.deepEqual(send([9, 9, 9, 10], 100), [A, A, D, D]);
  assert.deepEqual(send([10, 9, 9, 9, 10], 102.5), [A, A, A, D, D]);
  assert.deepEqual(send([12, 11, 12, 10], 102.6), [A, A, A, A]);
  const fwd = rs.tables.get('filter')!.chains.get('FORWARD')!.rules;
  assert.deepEqual(
    fwd.map((x) => x.counters.packets),
    [6, 2, 2, 1, 1],
  );
});

test("recent: ufw's limit (--set, then --update --seconds 30 --hitcount 6): the 6th new connection in 30 s is refused", () => {
  // ufw writes the --set rule first, then the --update rule jumping to ufw-user-limit (user.rules
  // of test/rules/corpus-wild/ufw-user-limit-*.rules). Both count the packet of this rule, so the
  // 6th packet sees 6 times (5 earlier and its own --set).
  const { send } = setup(
    [
      '*filter',
      ':FORWARD DROP [0:0]',
      ':ufw-user-limit - [0:0]',
      '-A FORWARD -p udp --dport 22 -m recent --set',
      '-A FORWARD -p udp --dport 22 -m recent --update --seconds 30 --hitcount 6 -j ufw-user-limit',
      '-A FORWARD -p udp --dport 22 -j ACCEPT',
      '-A ufw-user-limit -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const A = NF_ACCEPT;
  const D = NF_DROP;
  // Five within 30 s pass, the sixth is dropped, and each dropped one counts too (--update).
  assert.deepEqual(send([22, 22, 22, 22, 22], 0), [A, A, A, A, A]);
  assert.deepEqual(send([22], 29), [D]);
  // Another source has its own entry.
  assert.deepEqual(send([22], 29, '192.0.2.9'), [A]);
  // At 59 the window starts at 29: the five times of 0 are out, the two of 29 (its --set and its
  // --update) are in (exactly 30 s old: time_after() is strict), so the 4th packet makes 6.
  assert.deepEqual(send([22, 22, 22, 22], 59), [A, A, A, D]);
});

test('recent: a table is shared by the rules of one engine, not between engines', () => {
  const text = [
    '*filter',
    ':FORWARD ACCEPT [0:0]',
    '-A FORWARD -p udp --dport 1 -m recent --name seen --set',
    '-A FORWARD -p udp --dport 2 -m recent --name seen --rcheck -j DROP',
    '-A FORWARD -p udp --dport 3 -m recent --name other --rcheck -j DROP',
    'COMMIT',
    '',
  ].join('\n');
  const a = setup(text);
  const b = setup(text);
  assert.deepEqual(a.send([2, 1, 2, 3], 0), [NF_ACCEPT, NF_ACCEPT, NF_DROP, NF_ACCEPT]);
  // Engine b never saw the --set.
  assert.deepEqual(b.send([2], 0), [NF_ACCEPT]);
});

test('recent: --mask groups sources, --rdest keys on the destination, ! inverts', () => {
  const { send } = setup(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p udp --dport 1 -m recent --name net --set --mask 255.255.255.0',
      '-A FORWARD -p udp --dport 2 -m recent --name net --rcheck -j DROP',
      '-A FORWARD -p udp --dport 3 -m recent --name dst --set --rdest',
      '-A FORWARD -p udp --dport 4 -m recent --name dst ! --rcheck --rdest -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  // The table's mask is its first rule's: 192.0.2.77 is in 192.0.2.0 of 192.0.2.1's --set.
  assert.deepEqual(send([1], 0), [NF_ACCEPT]);
  assert.deepEqual(send([2], 0, '192.0.2.77'), [NF_DROP]);
  assert.deepEqual(send([2], 0, '192.0.3.1'), [NF_ACCEPT]);
  // ! --rcheck --rdest: 198.51.100.7 not seen yet, so the inverted match drops; then seen.
  assert.deepEqual(send([4, 3, 4], 0), [NF_DROP, NF_ACCEPT, NF_ACCEPT]);
});

test('recent: --rttl compares the TTL as seen before forwarding (one more than in FORWARD)', () => {
  const nf = engine(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p udp --dport 1 -m recent --set',
      '-A FORWARD -p udp --dport 2 -m recent --rcheck --rttl -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const go = (dport: number, ttl: number): number =>
    forward(nf, udp('192.0.2.1', dport, ttl), 'br-lan', 'wan', 0);
  assert.equal(go(1, 64), NF_ACCEPT);
  assert.equal(go(2, 63), NF_ACCEPT);
  assert.equal(go(2, 64), NF_DROP);
});

test('recent: --reap removes the oldest entry when its last time is out of the window', () => {
  const { send } = setup(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p udp --dport 1 -m recent --name r --set',
      '-A FORWARD -p udp --dport 2 -m recent --name r --rcheck --seconds 10 --reap',
      '-A FORWARD -p udp --dport 3 -m recent --name r --rcheck -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  send([1], 0, '192.0.2.1');
  send([1], 5, '192.0.2.2');
  // At 12, a --reap rule that finds 192.0.2.2 (its entry) reaps the oldest, 192.0.2.1 (last seen 0).
  send([2], 12, '192.0.2.2');
  assert.deepEqual(send([3], 12, '192.0.2.1'), [NF_ACCEPT]);
  assert.deepEqual(send([3], 12, '192.0.2.2'), [NF_DROP]);
});

test(`recent: a table holds ${RECENT_LIST_TOT} addresses (ip_list_tot), the least recently seen goes`, () => {
  const { send } = setup(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p udp --dport 1 -m recent --set',
      '-A FORWARD -p udp --dport 2 -m recent --rcheck -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const addr = (i: number): string => `10.0.${i >> 8}.${i & 255}`;
  for (let i = 0; i <= RECENT_LIST_TOT; i++) send([1], i, addr(i));
  assert.deepEqual(send([2], 200, addr(0)), [NF_ACCEPT]);
  assert.deepEqual(send([2], 200, addr(1)), [NF_DROP]);
  assert.deepEqual(send([2], 200, addr(RECENT_LIST_TOT)), [NF_DROP]);
});

test('recent: the trace says how often the source was seen and how often it must be', () => {
  const r = loadRulesText(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -m recent --set',
      '-A FORWARD -m recent --update --seconds 30 --hitcount 6 -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
    't.rules',
  );
  assert.ok(r.ok);
  const [set, upd] = r.ruleset.tables.get('filter')!.chains.get('FORWARD')!.rules as [never, never];
  const shared = new Map<string, unknown>();
  const sSet = newRuleState(set, undefined, shared);
  const sUpd = newRuleState(upd, undefined, shared);
  const skb = new Skb();
  skb.load(udp('203.0.113.9', 22), 0, 'br-lan', 'wan');
  for (let t = 0; t < 5; t++) {
    skb.now = t;
    ruleMismatch(set, skb, sSet);
  }
  const fail = ruleMismatch(upd, skb, sUpd);
  assert.notEqual(fail, -1);
  assert.equal(
    describeMismatch(upd, fail, skb, sUpd),
    'recent --update --name DEFAULT: 203.0.113.9 seen 5 times in the last 30 s, needs 6',
  );
});
