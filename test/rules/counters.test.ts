// Rule and policy counters: u64 as in the kernel, read from `[packets:bytes]` and `-c P B`, printed
// as iptables-save -c and iptables -L -v [-x] print them, and counted by the engine without losing
// exactness past 2^53. Expected texts are iptables 1.8.9 (nf_tables) output on Linux 6.18,
// measured in a throwaway namespace with `iptables-restore -c`; the last test repeats that
// measurement live when it can (root, ip netns, iptables-nft).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadRulesText } from '../../src/rules/load.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';
import { printList } from '../../src/rules/iptables/print-list.ts';
import {
  byteCount,
  COUNTER_MAX,
  countPacket,
  makeCounters,
  packetCount,
  parseCounter,
} from '../../src/rules/counters.ts';
import type { Ruleset } from '../../src/rules/iptables/model.ts';
import { engine, forward, ip } from '../netfilter/helpers.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';

const BIG = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [18446744073709551615:18446744073709551615]',
  ':OUTPUT ACCEPT [0:0]',
  '[18446744073709551615:9007199254740993] -A FORWARD -j ACCEPT',
  '[9007199254740993:123456789012345678] -A FORWARD -s 192.0.2.0/24 -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

function load(text: string): Ruleset {
  const r = loadRulesText(text, 'rules.save', undefined, { counters: true });
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.ruleset;
}

function errors(text: string): string[] {
  const r = loadRulesText(text, 'rules.save');
  assert.ok(!r.ok, 'refused');
  return r.diagnostics.map(formatDiagnostic);
}

test('counters: iptables-save -c prints 64-bit counters exactly, past 2^53 up to 2^64 - 1', () => {
  assert.equal(printSave(load(BIG), { counters: true }), BIG);
});

// `iptables -L FORWARD -n -v --line-numbers` and the same with -x, after iptables-restore -c of BIG
// (measured, trailing blanks included).
const LIST_FORWARD = [
  'Chain FORWARD (policy ACCEPT 0K packets, 0K bytes)',
  'num   pkts bytes target     prot opt in     out     source               destination         ',
  '1       0K 9007T ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           ',
  '2    9007T 123457T ACCEPT     0    --  *      *       192.0.2.0/24         0.0.0.0/0           ',
];
const LIST_FORWARD_X = [
  'Chain FORWARD (policy ACCEPT 18446744073709551615 packets, 18446744073709551615 bytes)',
  'num      pkts      bytes target     prot opt in     out     source               destination         ',
  '1    18446744073709551615 9007199254740993 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0           ',
  '2    9007199254740993 123456789012345678 ACCEPT     0    --  *      *       192.0.2.0/24         0.0.0.0/0           ',
];

const forwardPart = (list: string): string[] => {
  const lines = list.split('\n');
  const i = lines.findIndex((l) => l.startsWith('Chain FORWARD'));
  return lines.slice(i, i + 4);
};

test('counters: iptables -L -v rounds as xtables_print_num, with its u64 wrap (2^64 - 1 is 0K)', () => {
  assert.deepEqual(forwardPart(printList(load(BIG).tables.get('filter')!)), LIST_FORWARD);
});

test('counters: iptables -L -v -x prints them whole', () => {
  assert.deepEqual(forwardPart(printList(load(BIG).tables.get('filter')!, true)), LIST_FORWARD_X);
});

test('counters: above 2^64 - 1, or not a number, is refused at the number', () => {
  assert.deepEqual(errors('*filter\n[18446744073709551616:5] -A FORWARD -j ACCEPT\nCOMMIT\n'), [
    'rules.save:2:2: bad packet counter "18446744073709551616" in "[18446744073709551616:5]": larger than 18446744073709551615, the largest 64-bit counter',
  ]);
  assert.deepEqual(errors('*filter\n:FORWARD ACCEPT [1:99999999999999999999999]\nCOMMIT\n'), [
    'rules.save:2:20: bad byte counter "99999999999999999999999" in "[1:99999999999999999999999]": larger than 18446744073709551615, the largest 64-bit counter',
  ]);
  assert.deepEqual(errors('*filter\n[-1:5] -A FORWARD -j ACCEPT\nCOMMIT\n'), [
    'rules.save:2:2: bad packet counter "-1" in "[-1:5]": expected a number',
  ]);
  assert.deepEqual(errors('iptables -A FORWARD -c 18446744073709551616 1 -j ACCEPT\n'), [
    'rules.save:1:24: bad packet counter "18446744073709551616" (larger than 18446744073709551615, the largest 64-bit counter)',
  ]);
  const ok = load('iptables -A FORWARD -c 18446744073709551615 9007199254740993 -j ACCEPT\n');
  assert.match(
    printSave(ok, { counters: true }),
    /^\[18446744073709551615:9007199254740993\] -A FORWARD -j ACCEPT$/m,
  );
});

test('counters: parseCounter, makeCounters and the bigint views agree at the edges', () => {
  for (const v of [0n, 1n, (1n << 52n) - 1n, 1n << 52n, (1n << 53n) + 1n, 123456789012345678n, COUNTER_MAX]) {
    const c = makeCounters(v, COUNTER_MAX - v);
    assert.equal(packetCount(c), v);
    assert.equal(byteCount(c), COUNTER_MAX - v);
    assert.equal(parseCounter(String(v)), v);
  }
  assert.deepEqual(makeCounters(5n, 300n), { packets: 5, bytes: 300 }, 'small values: the plain shape');
  assert.equal(
    parseCounter('18446744073709551616'),
    'larger than 18446744073709551615, the largest 64-bit counter',
  );
  assert.equal(parseCounter('0x10'), 'expected a number');
});

test('counters: countPacket stays exact across 2^52 and 2^53 and wraps at 2^64 as a u64', () => {
  const c = makeCounters((1n << 53n) - 2n, (1n << 53n) - 100n);
  for (let i = 0; i < 4; i++) countPacket(c, 60);
  assert.equal(packetCount(c), (1n << 53n) + 2n);
  assert.equal(byteCount(c), (1n << 53n) + 140n);
  const top = makeCounters(COUNTER_MAX, COUNTER_MAX - 10n);
  countPacket(top, 60);
  assert.equal(packetCount(top), 0n, 'the kernel adds in u64: 2^64 - 1 + 1 is 0');
  assert.equal(byteCount(top), 49n);
});

test('counters: the engine counts past 2^53 exactly (a rule restored with big counters)', () => {
  const rules = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [9007199254740992:18446744073709551000]',
    ':OUTPUT ACCEPT [0:0]',
    '[9007199254740992:9007199254740992] -A FORWARD -p udp -j RETURN',
    'COMMIT',
    '',
  ].join('\n');
  const nf = engine(rules);
  const pkt = (): Uint8Array =>
    buildUdpPacket(
      { src: ip('192.0.2.2'), dst: ip('198.51.100.2'), id: 1 },
      { srcPort: 1000, dstPort: 53 },
      new Uint8Array(32),
    );
  for (let i = 0; i < 3; i++) forward(nf, pkt(), 'r0', 'r1', 0);
  const fwd = (
    nf as unknown as { tables: Map<string, Map<string, { counters: never; rules: { counters: never }[] }>> }
  ).tables
    .get('filter')!
    .get('FORWARD')!;
  assert.equal(packetCount(fwd.rules[0]!.counters), 9007199254740995n);
  assert.equal(byteCount(fwd.rules[0]!.counters), 9007199254740992n + 3n * 60n);
  assert.equal(packetCount(fwd.counters), 9007199254740995n);
  assert.equal(byteCount(fwd.counters), 18446744073709551000n + 180n);
});

const liveSkip = ((): string | undefined => {
  if (process.platform !== 'linux') return 'kernel test: needs Linux';
  if (process.getuid?.() !== 0) return 'kernel test: needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'kernel test: "ip netns" is not available (install iproute2)';
  const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0 || !/nf_tables/.test(ipt.stdout))
    return 'kernel test: needs iptables-nft (1.8.x, nf_tables)';
  return undefined;
})();

test(
  'kernel: iptables-restore -c of big counters, then iptables-save -c and -L -v [-x] = natbox',
  liveSkip ? { skip: liveSkip } : {},
  () => {
    const ns = `nbx-cnt-${process.pid}`;
    const run = (args: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', ns, ...args], {
        encoding: 'utf8',
        ...(input ? { input } : {}),
      });
      if (r.error) throw r.error;
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    spawnSync('ip', ['netns', 'del', ns]);
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
    try {
      run(['iptables-restore', '-c'], BIG);
      const save = run(['iptables-save', '-c'])
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
      assert.equal(printSave(load(BIG), { counters: true }), save);
      assert.deepEqual(
        LIST_FORWARD,
        forwardPart(run(['iptables', '-L', 'FORWARD', '-n', '-v', '--line-numbers'])),
      );
      assert.deepEqual(
        LIST_FORWARD_X,
        forwardPart(run(['iptables', '-L', 'FORWARD', '-n', '-v', '-x', '--line-numbers'])),
      );
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  },
);
