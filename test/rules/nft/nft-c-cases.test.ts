// Rules and what the real nft 1.0.6 says of them (`nft -c -f` of each in `table ip t { chain c
// { … } }`, the NAT ones in a `type nat hook prerouting priority 0` chain; Linux 6.18,
// 2026-12-03), issue 16. Found through nftables' own tests/py (test/rules/nft/py/) and the
// `nft -c` parity fuzz: constant operators in values, a map element's `KEY:DATA` without spaces,
// a NAT port without a transport protocol before it. "refused": nft refuses at another place or
// with other words (`meta mark set 1 << 8` stops nft with "BUG: invalid basetype invalid");
// natbox must refuse it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNftRules } from '../../../src/rules/load.ts';

const VALUES: ReadonlyArray<readonly [string, string]> = [
  ['meta mark set 0xffffffc8 xor 0x16', 'ok'],
  ['meta mark set 0x16 and 0x16', 'ok'],
  ['meta mark set 0x32 or 0xfffff', 'ok'],
  ['ct mark set 0x11 xor 0x1331', 'ok'],
  ['ct event set new | related | destroy | label', 'ok'],
  ['ct event set new,destroy', 'ok'],
  ['ct event set new or related or destroy or foobar', '3:45: Could not parse conntrack event bits'],
  ['meta mark set 1 << 8', 'refused'], // nft: BUG: invalid basetype invalid; natbox: 3:19: nft cannot shift a constant (nft 1.0.6: "BUG: invalid basetype invalid")
  ['meta mark set 0x10 | 0x1 & 0x3', 'ok'],
  ['tcp dport counter', '3:13: syntax error, unexpected counter'],
  ['ct state quota 1 bytes', '3:12: syntax error, unexpected quota'],
  ['ct mark set (meta mark | 0x10) << 8', 'ok'],
];

const NAT: ReadonlyArray<readonly [string, string]> = [
  ['dnat to 1.2.3.4:80', '4:19: transport protocol mapping is only valid after transport protocol match'],
  ['redirect to :80', '4:16: transport protocol mapping is only valid after transport protocol match'],
  ['masquerade to :1024', '4:18: transport protocol mapping is only valid after transport protocol match'],
  ['meta l4proto tcp dnat to 1.2.3.4:80', 'ok'],
  ['ip protocol 6 redirect to :80', 'ok'],
  ['meta l4proto { tcp, udp } dnat to 1.2.3.4:80', 'ok'],
  [
    'th dport 22 dnat to 1.2.3.4:80',
    '4:31: transport protocol mapping is only valid after transport protocol match',
  ],
  [
    'dnat to 1.2.3.4:tcp dport map { 22 : 80 }',
    '4:19: transport protocol mapping is only valid after transport protocol match',
  ],
  [
    'dnat ip addr . port to ip saddr map { 1.2.3.4 : 5.6.7.8 . 80 }',
    '4:26: transport protocol mapping is only valid after transport protocol match',
  ],
  ['ct protocol tcp dnat to 1.2.3.4:80', 'ok'],
  ['udp dport 53 dnat to 1.2.3.4:5353', 'ok'],
  [
    'redirect to :tcp dport map { 22 : 80 }',
    '4:16: transport protocol mapping is only valid after transport protocol match',
  ],
  ['ip protocol 6 redirect to :tcp dport map { 22 : 8000, 80 : 8080}', 'ok'],
  ['dnat to tcp dport map { 1000 : 1.1.1.1 } : tcp dport map { 1000 : 1234 }', 'ok'],
  ['dnat ip addr . port to meta l4proto . th dport map { tcp . 80 : 1.2.3.4 . 8080 }', 'ok'],
  ['tcp dport 1 dnat to 1.2.3.4:http', 'ok'],
  ['tcp dport vmap { 25:accept, 28:drop }', 'ok'],
  ['tcp dport vmap { 25: accept }', 'ok'],
  ['meta mark vmap { 1:accept }', 'ok'],
  ['ip saddr vmap { 1.2.3.4:accept }', 'ok'],
];

function check(cases: ReadonlyArray<readonly [string, string]>, head: string): void {
  for (const [rule, want] of cases) {
    const text = `table ip t {\n\tchain c {\n${head}\t\t${rule}\n\t}\n}\n`;
    const r = loadNftRules(
      text.split('\n').map((t, i) => ({ text: t, file: 'z.nft', line: i + 1, column: 1 })),
      { wholeFile: true },
    );
    const got = r.ok
      ? 'ok'
      : `${r.diagnostics[0]!.line}:${r.diagnostics[0]!.column}: ${r.diagnostics[0]!.message}`;
    if (want === 'refused') assert.notEqual(got, 'ok', rule);
    else assert.equal(got, want, rule);
  }
}

test('values with constant operators, statement keywords where a value belongs: as nft 1.0.6 -c', () => {
  check(VALUES, '');
});

test('NAT ports need a transport protocol before them; map elements written KEY:DATA: as nft 1.0.6 -c', () => {
  check(NAT, '\t\ttype nat hook prerouting priority 0;\n');
});
