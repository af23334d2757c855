// A nat address in an inet table needs its family (evaluate.c stmt_evaluate_addr). Expected
// answers: nft 1.0.6 on Linux 6.18, this machine (2026-12-03, `nft -c -f` in a fresh `ip netns`),
// each rule alone in `table inet t { chain c { type nat hook postrouting priority srcnat; RULE } }`
// on line 4 at column 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNftRules } from '../../../src/rules/load.ts';

const MSG = 'ip or ip6 must be specified with address for inet tables.';

function check(rule: string): string {
  const lines = [
    'table inet t {',
    ' chain c {',
    '  type nat hook postrouting priority srcnat;',
    `  ${rule}`,
    ' }',
    '}',
  ];
  const r = loadNftRules(
    lines.map((text, i) => ({ text, file: 's3.nft', line: i + 1, column: 1 })),
    {},
  );
  return r.ok ? 'ok' : `${r.diagnostics[0]!.line}:${r.diagnostics[0]!.column} ${r.diagnostics[0]!.message}`;
}

const CASES: [string, string][] = [
  ['snat to 10.0.0.1', `4:3 ${MSG}`],
  ['snat to 10.0.0.1-10.0.0.5', `4:3 ${MSG}`],
  ['snat to 10.0.0.1:80', `4:3 ${MSG}`],
  ['snat to numgen inc mod 2 map { 0 : 1.1.1.1, 1 : 1.1.1.2 }', `4:3 ${MSG}`],
  ['snat to jhash ip saddr mod 2 map { 0 : 1.1.1.1, 1 : 1.1.1.2 }', `4:3 ${MSG}`],
  ['snat to ip saddr map { 10.0.0.1 : 1.1.1.1 } comment "x"', `4:3 ${MSG}`],
  ['dnat to ip daddr map { 10.0.0.1 : 1.1.1.1 } : 80', `4:3 ${MSG}`],
  ['meta l4proto tcp snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', `4:20 ${MSG}`],
  ['ct original ip saddr 1.1.1.1 snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', `4:32 ${MSG}`],
  ['ether saddr 00:11:22:33:44:55 snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', `4:33 ${MSG}`],
  [
    'ip6 saddr ::1 snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }',
    '4:25 conflicting protocols specified: ip6 vs. ip',
  ],
  [
    'meta nfproto ipv6 snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }',
    '4:29 conflicting protocols specified: ip6 vs. ip',
  ],
  ['dnat to :80', '4:12 transport protocol mapping is only valid after transport protocol match'],
  ['icmp type echo-request snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', 'ok'],
  ['ip protocol tcp snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', 'ok'],
  ['meta nfproto ipv4 snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', 'ok'],
  ['ip daddr 1.2.3.4 snat to ip saddr map { 10.0.0.1 : 1.1.1.1 }', 'ok'],
  ['snat ip to ip saddr map { 10.0.0.1 : 1.1.1.1 }', 'ok'],
  ['snat to ip saddr . tcp dport map { 10.0.0.1 . 80 : 1.1.1.1 . 90 }', 'ok'],
  ['snat ip to ip saddr . tcp dport map { 10.0.0.1 . 80 : 1.1.1.1 . 90 }', 'ok'],
];

for (const [rule, want] of CASES)
  test(`nft inet nat family: ${rule}`, () => {
    assert.equal(check(rule), want);
  });
