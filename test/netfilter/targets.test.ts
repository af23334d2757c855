// The targets that rewrite packets, on the exact bytes Linux 6.18 wrote: each case is a packet sent
// through one mangle POSTROUTING rule of a namespace and captured on the far end of a veth
// (fixtures/targets-kernel-ref.py made fixtures/targets-kernel-ref.json, iptables 1.8.9). natbox
// runs the same rule on the same input bytes and must write the same bytes, checksums included.
// HMARK's marks were read back through `-m mark --mark N` counting rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulesText } from '../../src/rules/load.ts';
import { checkTarget, runXtTarget, XT_CONTINUE } from '../../src/netfilter/xtables/target.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { T_ACCEPT, T_DROP } from '../../src/netfilter/core/table.ts';
import { NF_INET_POST_ROUTING } from '../../src/netfilter/core/hooks.ts';
import { jhash3words as jhash3, reciprocalScale } from '../../src/wire/jhash.ts';
import type { Rule, Target } from '../../src/rules/iptables/model.ts';
import { assertChecksums, engine, forward, lastSkb } from './helpers.ts';
import { NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/verdict.ts';

const REF = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'targets-kernel-ref.json'), 'utf8'),
) as Record<string, string[]>;

// The input packets of targets-kernel-ref.py: a SYN (ECE|CWR, options MSS 1460, SACK-permitted,
// timestamp, NOP, window scale 7) and a UDP datagram with TOS 0x03; plain SYNs for HMARK.
const SYN =
  '4500003c0001000040068e84c0000201c63364029c400050000003e800000000a0c2ffffba8f0000020405b40402080a000000010000000001030307';
const UDP = '4503001d0001000040118e95c0000201c633640213880035000987e778';
const SYN_40000 = '450000280001000040068e98c0000201c63364029c400050000003e8000000005002ffff23330000';
const SYN_40001 = '450000280001000040068e98c0000201c63364029c410050000003e8000000005002ffff23320000';

const hex = (b: Uint8Array, n: number): string => Buffer.from(b.subarray(0, n)).toString('hex');

function rule(text: string, table = 'mangle', chain = 'POSTROUTING'): Rule {
  const r = loadRulesText(`iptables -t ${table} -A ${chain} ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get(table as 'mangle')!.chains.get(chain)!.rules[0]!;
}

function run(target: Target, packet: string): Skb {
  const s = new Skb().load(Uint8Array.from(Buffer.from(packet, 'hex')), 0, '', 'va');
  assert.equal(checkTarget(target, 'mangle', 'POSTROUTING'), undefined);
  assert.equal(runXtTarget(target, s, NF_INET_POST_ROUTING), XT_CONTINUE);
  return s;
}

const CASES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['ttl-set-5', '-j TTL --ttl-set 5', [SYN]],
  ['ttl-dec-3', '-j TTL --ttl-dec 3', [SYN]],
  ['ttl-inc-200', '-j TTL --ttl-inc 200', [SYN]],
  ['tos-set-0x10/0x3f', '-j TOS --set-tos 0x10/0x3f', [UDP]],
  ['tos-and-0x0f', '-j TOS --and-tos 0x0f', [UDP]],
  ['tos-xor-0xff', '-j TOS --xor-tos 0xff', [UDP]],
  ['dscp-0x2e', '-j DSCP --set-dscp 0x2e', [UDP]],
  ['ecn-tcp-remove', '-p tcp -j ECN --ecn-tcp-remove', [SYN]],
  ['ecn-cwr-only-0', '-p tcp -j ECN --ecn-tcp-cwr 0', [SYN]],
  ['ecn-ip-ect-1', '-j ECN --ecn-ip-ect 1', [UDP, SYN]],
  ['tcpoptstrip-sackperm-ts', '-p tcp -j TCPOPTSTRIP --strip-options sack-permitted,timestamp', [SYN]],
  ['tcpoptstrip-mss-wscale', '-p tcp -j TCPOPTSTRIP --strip-options mss,wscale', [SYN]],
];

for (const [name, text, inputs] of CASES) {
  test(`target rewrite ${name}: the bytes Linux wrote`, () => {
    const t = rule(text).target!;
    inputs.forEach((input, k) => {
      const s = run(t, input);
      assert.equal(hex(s.buf, s.len), REF[name]![k], `${name}, packet ${k + 1}`);
      assertChecksums(s.buf, name);
    });
  });
}

test('target rewrite: a field already at its value leaves the packet as it was', () => {
  for (const [text, input] of [
    ['-j TTL --ttl-set 64', SYN],
    ['-j DSCP --set-dscp 0', UDP],
    ['-j TOS --or-tos 0x03', UDP],
    ['-j ECN --ecn-ip-ect 3', UDP],
    ['-p tcp -j ECN --ecn-tcp-cwr 1 --ecn-tcp-ece 1', SYN],
    ['-p tcp -j TCPOPTSTRIP --strip-options md5', SYN],
  ] as const) {
    const s = run(rule(text).target!, input);
    assert.equal(hex(s.buf, s.len), input, text);
  }
});

test('TTL --ttl-dec stops at 0, as xt_HL does', () => {
  const s = run(rule('-j TTL --ttl-dec 255').target!, SYN);
  assert.equal(s.buf[8], 0);
  assertChecksums(s.buf, 'ttl 0');
});

test('HMARK: the marks Linux computed (jhash_3words, reciprocal_scale, offset)', () => {
  const hm =
    '-j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-mod 16 --hmark-rnd 0x12345678 --hmark-offset 100';
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['hmark-tcp-40000-80', hm, SYN_40000],
    ['hmark-tcp-40001-80', hm, SYN_40001],
    ['hmark-udp-5000-53', hm, UDP],
    [
      'hmark-src24-mod7',
      '-j HMARK --hmark-src-prefix 24 --hmark-dst-prefix 32 --hmark-mod 7 --hmark-rnd 0xdeadbeef',
      UDP,
    ],
    [
      'hmark-sportmask-mod64',
      '-j HMARK --hmark-tuple src,dst,dport --hmark-sport-mask 0xff00 --hmark-mod 64 --hmark-rnd 1',
      SYN_40000,
    ],
  ];
  for (const [name, text, input] of cases) {
    const s = run(rule(text).target!, input);
    assert.equal(`0x${s.mark.toString(16)}`, REF[name]![0], name);
  }
});

test('HMARK arithmetic: reciprocal_scale is (u64)val * n >> 32 exactly, jhash is 32-bit', () => {
  assert.equal(reciprocalScale(0xffffffff, 0xffffffff), 0xfffffffe);
  assert.equal(reciprocalScale(0x80000000, 7), 3);
  assert.equal(reciprocalScale(0, 1000), 0);
  const h = jhash3(1, 2, 3, 4);
  assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
});

test('CLASSIFY sets skb->priority; the accepted targets leave the packet alone', () => {
  const s = new Skb().load(Uint8Array.from(Buffer.from(UDP, 'hex')), 0, '', 'va');
  runXtTarget(rule('-j CLASSIFY --set-class 1:10').target!, s);
  assert.equal(s.priority, 0x00010010);
  for (const text of [
    '-j AUDIT --type accept',
    '-j CHECKSUM --checksum-fill',
    '-j IDLETIMER --timeout 5 --label t',
    '-j LED --led-trigger-id x',
    '-j SECMARK --selctx system_u:object_r:ssh_packet_t:s0',
    '-j CONNSECMARK --save',
  ]) {
    const t = rule(text).target!;
    assert.equal(checkTarget(t, 'mangle', 'POSTROUTING'), undefined, text);
    assert.equal(runXtTarget(t, s), XT_CONTINUE, text);
    assert.equal(hex(s.buf, s.len), UDP, text);
  }
});

test('NFQUEUE with no listener: --queue-bypass leaves the table accepted, else the packet is dropped', () => {
  const s = new Skb().load(Uint8Array.from(Buffer.from(UDP, 'hex')), 0, 'eth0', '');
  assert.equal(runXtTarget(rule('-j NFQUEUE --queue-num 3', 'filter', 'INPUT').target!, s), T_DROP);
  assert.equal(runXtTarget(rule('-j NFQUEUE --queue-bypass', 'filter', 'INPUT').target!, s), T_ACCEPT);
});

test('targets natbox reads and prints but does not run are refused by name, with the reason', () => {
  const cases: ReadonlyArray<readonly [string, string, string, string]> = [
    ['-j RATEEST --rateest-name r --rateest-interval 1s --rateest-ewmalog 8s', 'mangle', 'INPUT', 'RATEEST'],
    ['-d 192.0.2.1 -j CLUSTERIP', 'filter', 'INPUT', 'CLUSTERIP'],
    ['-j HMARK --hmark-tuple ct --hmark-mod 2 --hmark-rnd 1', 'mangle', 'PREROUTING', 'conntrack'],
    ['-p udp -j CT --helper sip', 'raw', 'PREROUTING', 'the ftp and tftp helpers only'],
  ];
  for (const [text, table, chain, why] of cases) {
    const p = checkTarget(rule(text, table, chain).target!, table as 'mangle', chain);
    assert.ok(p?.includes(why), `${text}: ${p}`);
  }
});

test('TEE runs in every table and chain (xt_TEE has no table restriction): nothing to refuse', () => {
  for (const [table, chain] of [
    ['mangle', 'PREROUTING'],
    ['filter', 'FORWARD'],
    ['raw', 'OUTPUT'],
  ] as const)
    assert.equal(
      checkTarget(rule('-j TEE --gateway 192.0.2.9', table, chain).target!, table, chain),
      undefined,
    );
});

test('the table walk runs the extension targets: a TTL rewrite goes on to the next rule, NFQUEUE ends the walk', () => {
  // mangle FORWARD: TTL --ttl-set 5 is non-terminal (the MARK after it runs too); filter FORWARD:
  // NFQUEUE without --queue-bypass drops (no listener), so the ACCEPT after it is never reached.
  const nf = engine(
    [
      'iptables -t mangle -A FORWARD -j TTL --ttl-set 5',
      'iptables -t mangle -A FORWARD -j MARK --set-mark 7',
      'iptables -A FORWARD -p udp -j NFQUEUE --queue-num 1',
      'iptables -A FORWARD -j ACCEPT',
    ].join('\n'),
  );
  const syn = Uint8Array.from(Buffer.from(SYN, 'hex'));
  assert.equal(forward(nf, syn, 'lan', 'wan', 1), NF_ACCEPT);
  assert.equal(syn[8], 5);
  assertChecksums(syn, 'forwarded SYN');
  assert.equal(lastSkb().mark, 7);
  const udp = Uint8Array.from(Buffer.from(UDP, 'hex'));
  assert.equal(forward(nf, udp, 'lan', 'wan', 2), NF_DROP);
  const bypass = engine('iptables -A FORWARD -p udp -j NFQUEUE --queue-bypass\niptables -A FORWARD -j DROP');
  assert.equal(forward(bypass, Uint8Array.from(Buffer.from(UDP, 'hex')), 'lan', 'wan', 1), NF_ACCEPT);
});
