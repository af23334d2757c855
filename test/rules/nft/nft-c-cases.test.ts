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

/** Values that do not fit their expression; options nft's evaluation takes only apart. */
const CHECKS: ReadonlyArray<readonly [string, string]> = [
  ['ct mark set {0x11333, 0x11}', "3:15: syntax error, unexpected '{'"],
  ['tcp dport set {1, 2, 3}', "3:17: syntax error, unexpected '{'"],
  ['ct helper "12345678901234567"', '3:13: String exceeds maximum length of 16'],
  ['ct helper ""', '3:13: Empty string is not allowed'],
  ['ct zone 65536', '3:11: Value 65536 exceeds valid range 0-65535'],
  ['ct zone 65535', 'ok'],
  ['socket transparent 2', '3:22: Value 2 exceeds valid range 0-1'],
  ['meta iifname ""', '3:16: Empty string is not allowed'],
  ['meta day 7 drop', '3:12: Value 7 exceeds valid range 0-6'],
  ['meta day 6', 'ok'],
  ['@th,16,1 2', '3:12: Value 2 exceeds valid range 0-1'],
  ['ip dscp 64', '3:11: Value 64 exceeds valid range 0-63'],
  ['ip dscp 63', 'ok'],
  ['meta mark 0x100000000', '3:13: Value 4294967296 exceeds valid range 0-4294967295'],
  ['ip ttl 256', '3:10: Value 256 exceeds valid range 0-255'],
  ['ip ecn 4', '3:10: Value 4 exceeds valid range 0-3'],
  ['log level emerg group 2', '3:3: level and group are mutually exclusive'],
  ['log level audit prefix "foo"', "3:3: log level audit doesn't support any further options"],
  ['log flags all group 2', '3:3: flags and group are mutually exclusive'],
  ['log level audit', 'ok'],
  ['log group 2 prefix "x"', 'ok'],
  ['fib saddr . daddr oif lo', '3:7: fib: saddr and daddr are mutually exclusive'],
  ['fib mark oif lo', '3:7: fib: need either saddr or daddr'],
  ['fib daddr . oif type local', 'ok'],
  ['fib iif . oif . daddr oif lo', '3:7: fib: iif and oif are mutually exclusive'],
  ['fib saddr . iif oif ne 0', 'ok'],
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
  ['icmp type echo-request dnat to 1.2.3.4:80', 'ok'],
  ['ah spi 1 dnat to 1.2.3.4:80', 'ok'],
  ['igmp type 1 dnat to 1.2.3.4:80', 'ok'],
  [
    'ip protocol != tcp dnat to 1.2.3.4:80',
    '4:38: transport protocol mapping is only valid after transport protocol match',
  ],
  ['gre protocol ip dnat to 1.2.3.4:80', '4:19: syntax error, unexpected dnat'],
];

function check(cases: ReadonlyArray<readonly [string, string]>, head: string, family = 'ip'): void {
  for (const [rule, want] of cases) {
    const text = `table ${family} t {\n\tchain c {\n${head}\t\t${rule}\n\t}\n}\n`;
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

test("values out of their field's range, empty strings, log and fib options that exclude each other: as nft 1.0.6 -c", () => {
  check(CHECKS, '');
});

/**
 * Limit rates and bursts, log options, ct directions, dates and days, time ranges, ranges the wrong
 * way round, mark prefixes, `!` on a bitmask, rt and ipsec value types (tests/py any-limit, any-log,
 * any-ct, any-meta, inet-tcp, any-rt, ip-rt, inet-ipsec), meta nfproto outside inet, IPv4 addresses
 * written as inet_aton numbers (ip-ip).
 */
const READER: ReadonlyArray<readonly [string, string]> = [
  ['limit rate 1 bytes / second', 'ok'],
  ['limit rate 1 kbytes /second', 'ok'],
  ['limit rate 1 / second', 'ok'],
  ['limit rate 1 kbytes/ second', '3:14: Wrong rate format'],
  ['limit rate 1023/second burst 10 bytes', '3:35: syntax error, unexpected bytes, expecting packets'],
  ['limit rate 1023/second burst 10 kbytes', '3:35: syntax error, unexpected string, expecting packets'],
  [
    'limit rate 512 kbytes/second burst 5 packets',
    '3:40: syntax error, unexpected packets, expecting string or bytes',
  ],
  ['limit rate over 1 bytes / second burst 1 kbytes', 'ok'],
  ['log level audit queue-threshold 1337', '3:3: level and group are mutually exclusive'],
  ['log snaplen 10 flags all', '3:3: flags and group are mutually exclusive'],
  ['log group 1 snaplen 10', 'ok'],
  ['ct original mark 42', '3:15: syntax error, unexpected mark'],
  ['ct reply zone 1', 'ok'],
  ['meta day "Satturday" drop', '3:12: Could not parse Day of week of packet reception'],
  ['day "Saturday" drop', 'ok'],
  ['meta time "meh"', '3:13: Cannot parse date'],
  ['meta time "2022-07-01 11:00"', 'ok'],
  ['time < "2022-07-01 11:00:00" accept', 'ok'],
  ['hour "11:00"', 'ok'],
  ['ct expiration 1m-1h', 'ok'],
  ['ct expiration 33-45', 'ok'],
  ['ct expiration 1d-1h', '3:17: Range has zero or negative size'],
  ['tcp dport 30-20', '3:13: Range has zero or negative size'],
  ['tcp dport { 30-20 }', '3:15: Range has zero or negative size'],
  ['meta mark 5-5', 'ok'],
  ['ip saddr 10.0.0.5-10.0.0.1', '3:12: Range has zero or negative size'],
  ['meta mark 0xffffff00/24', 'ok'],
  ['ct mark != 0xff/8', 'ok'],
  ['meta mark 0xffffff00/33', '3:13: Prefix length 33 is invalid for type of 32 bits width'],
  ['ct status ! dnat', 'ok'],
  ['tcp flags ! fin,rst', 'ok'],
  ['ct state ! new,established', 'ok'],
  ['tcp dport ! 22', '3:3: negation can only be used with singleton bitmask values'],
  ['tcp flags ! { fin, rst }', '3:3: negation can only be used with singleton bitmask values'],
  ['tcp flags ! syn / fin,syn', '3:3: either == or != is allowed'],
  ['tcp flags != syn / fin,syn', 'ok'],
  ['rt ipsec exists', 'ok'],
  ['meta ipsec missing', 'ok'],
  ['rt ip nexthop 192.168.0.1', 'ok'],
  ['rt nexthop 192.168.0.1', 'ok'],
  ['ipsec in spnum 2 ip saddr { 1.2.3.4, 10.6.0.0/16 }', 'ok'],
  ['ipsec out ip daddr 192.168.1.2', 'ok'],
  ['ipsec i reqid 1', '3:9: Could not parse boolean type'],
  ['ipsec in spnum 256 reqid 1', '3:12: value too large'],
  ['ipsec in spnum 6 reqid 1', '3:3: Could not process rule: Numerical result out of range'],
  ['ipsec in spnum 5 reqid 1', 'ok'],
  ['meta nfproto ipv4', '3:3: meta nfproto is only useful in the inet family'],
  ['ip saddr & 0xff == 1', 'ok'],
  ['ip saddr 0xffff0000', 'ok'],
  ['ip saddr 4294967296', '3:12: Could not resolve hostname: Name or service not known'],
  ['ip saddr 1.2.3.4/33', '3:12: Prefix length 33 is invalid for type of 32 bits width'],
];

test('limit rates and bursts, log level with nflog options, ct directions, dates, days, ranges, mark prefixes: as nft 1.0.6 -c', () => {
  check(READER, '');
});

/** IPv6 NAT addresses: prefixes and ranges in brackets (tests/py ip6-dnat, ip6-snat); `table ip6 t`. */
const NAT6: ReadonlyArray<readonly [string, string]> = [
  ['dnat to [2001:838:35f:1::]/64', 'ok'],
  ['tcp dport 80-90 dnat to [2001:838:35f:1::]-[2001:838:35f:2::]:100', 'ok'],
  ['tcp dport 80-90 dnat to [2001:838:35f:1::]-[2001:838:35f:2::]:80-100', 'ok'],
  ['tcp dport 80-90 snat to [2001:838:35f:1::]-[2001:838:35f:2::]:100', 'ok'],
  ['tcp dport 80-90 dnat to [2001:838:35f:1::]:80-100', 'ok'],
  ['tcp dport 80-90 dnat to [2001:838:35f:2::]-[2001:838:35f:1::]', '4:27: Range has zero or negative size'],
  ['dnat to [2001:838:35f:1::]/129', '4:11: Prefix length 129 is invalid for type of 128 bits width'],
  [
    'tcp dport 80 dnat to [2001:838:35f:1::]/64:80',
    '4:43: syntax error, unexpected string, expecting number',
  ],
];

/** IPv6 prefixes in a match; `table ip6 t`. */
const IP6: ReadonlyArray<readonly [string, string]> = [
  ['ip6 saddr ::1/129', '3:13: Prefix length 129 is invalid for type of 128 bits width'],
];

/**
 * tproxy: a transport protocol before it, its family against the table's (tests/py ip6-tproxy);
 * dup's address in the table's family (ip6-dup).
 */
const TPROXY6: ReadonlyArray<readonly [string, string]> = [
  ['dup to abcd::1 device "lo"', 'ok'],
  ['tproxy to 192.0.2.1', '4:3: Transparent proxy support requires transport protocol match'],
  [
    'meta l4proto 6 tproxy to 192.0.2.1:50080',
    '4:28: Could not resolve hostname: Address family for hostname not supported',
  ],
  ['meta l4proto 17 tproxy ip6 to [2001:db8::1]:50080', 'ok'],
  ['meta l4proto 17 tproxy ip6 to :50080', 'ok'],
  ['meta l4proto 6 tproxy ip6 to [2001:db8::1]', 'ok'],
  ['meta l4proto 6 tproxy to [2001:db8::1]', 'ok'],
  ['meta l4proto 17 tproxy to [2001:db8::1]:50080', 'ok'],
  [
    'ip6 nexthdr 6 tproxy ip to 192.0.2.1',
    '4:17: conflicting protocols specified: ip6 vs. ip. You must specify ip or ip6 family in tproxy statement',
  ],
  [
    'meta l4proto 17 tproxy ip to 192.0.2.1',
    '4:19: conflicting protocols specified: ip6 vs. ip. You must specify ip or ip6 family in tproxy statement',
  ],
  ['tproxy to :50080', '4:3: Transparent proxy support requires transport protocol match'],
];

test('IPv6 NAT prefixes and ranges, IPv6 prefix lengths, tproxy families: as nft 1.0.6 -c (table ip6)', () => {
  check(TPROXY6, '\t\ttype filter hook prerouting priority 0;\n', 'ip6');
  check(NAT6, '\t\ttype nat hook prerouting priority 0;\n', 'ip6');
  check(IP6, '', 'ip6');
});
