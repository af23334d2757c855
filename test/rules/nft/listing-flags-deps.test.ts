// Listings checked against the real nft 1.0.6 on Linux 6.18 here (2026-12-04), each rule loaded
// with `nft -f` and listed with `nft list ruleset`: flag values compared whole, a range of flags,
// an ether type without a name, a set that keeps one element, and the link layer dependency nft
// drops in bridge and netdev tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natboxJson, natboxListing } from '../../../scripts/nft-listing-fuzz.ts';

const CASES: readonly [family: string, rule: string, nft: string][] = [
  // payload_match_expand leaves a header field's value a value: several flags list in hex.
  ['ip', 'tcp flags == fin|psh', 'tcp flags == 0x9'],
  ['ip', 'tcp flags != syn|ack', 'tcp flags != 0x12'],
  ['ip', 'tcp flags == syn', 'tcp flags == syn'],
  ['ip', 'tcp flags == 0', 'tcp flags == 0x0'],
  // ct's value goes through bitmask_expr_to_binops: its flags joined by ` | `, no `==`.
  ['ip', 'ct state == established|related', 'ct state established | related'],
  ['ip', 'ct status == dnat|snat', 'ct status snat | dnat'],
  ['ip', 'ct state != established|related', 'ct state != established | related'],
  ['ip', 'ct state == established', 'ct state == established'],
  ['ip', 'tcp flags 1-64', 'tcp flags 0x1-0x40'],
  ['ip', 'ct state 2-4', 'ct state 0x2-0x4'],
  // The same element twice is one in the kernel; the set stays a set.
  ['ip', 'tcp dport { 22, 22 }', 'tcp dport { 22 }'],
  ['ip', 'ip saddr { 1.2.3.4, 1.2.3.4 }', 'ip saddr { 1.2.3.4 }'],
  // ethertype_tbl is hexadecimal.
  ['netdev', 'ether type 0x4257', 'ether type 0x4257'],
  // A link layer protocol match before a match of that network header is nft's dependency.
  ['netdev', 'ether type ip ip saddr 1.2.3.4', 'ip saddr 1.2.3.4'],
  ['bridge', 'ether type ip ip saddr 1.2.3.4', 'ip saddr 1.2.3.4'],
  ['bridge', 'ether type arp arp operation 1', 'arp operation request'],
  ['bridge', 'ether type ip ip protocol 6 tcp dport 22', 'ip protocol tcp tcp dport 22'],
  ['bridge', 'meta protocol ip ip saddr 1.2.3.4', 'ip saddr 1.2.3.4'],
  ['netdev', 'ether type ip ip id & 508 == 440', 'ip id & 508 == 440'],
  ['bridge', 'ether type ip counter', 'ether type ip counter packets 0 bytes 0'],
  // Under a mask: `==` printed, a set's elements as integers, a range in hex.
  ['ip', '@th,64,8 & 0x0f { 1, 2 }', '@th,64,8 & 0xf == { 1, 2 }'],
  ['ip', '@th,64,8 & 0x0f 1-2', '@th,64,8 & 0xf == 0x1-0x2'],
  ['ip', 'meta mark & 0xff == { 1, 2 }', 'meta mark & 0x000000ff == { 0x00000001, 0x00000002 }'],
  ['ip', '@th,0,3 { 1, 2 }', '@th,0,8 & 0xe0 == { 32, 64 }'],
  ['ip', '@nh,0,4 4', 'ip version 4'],
  ['ip', '@nh,8,6 10', 'ip dscp af11'],
  ['ip', '@nh,64,1 1', 'ip ttl & 128 == 128'],
  ['ip', '@nh,72,8 6', 'ip protocol tcp'],
  ['ip', '@nh,0,12 0x453', '@nh,0,16 & 0xfff0 == 0x4530'],
  ['netdev', '@ll,0,128 0xfedcba987654321001234567890abcde', '@ll,0,128 0xfedcba987654321001234567890abcde'],
  ['netdev', '@ll,0,60 1152921504606846975', '@ll,0,64 & 0xfffffffffffffff0 == 0xfffffffffffffff0'],
  // A range end of several flags lists them in hex joined by `|`, but against a header field.
  ['ip', 'ct state 3-5', 'ct state 0x1 | 0x2-0x1 | 0x4'],
  ['ip', 'tcp flags & (syn|ack|fin) == 3-18', 'tcp flags & (fin | syn | ack) == 0x1 | 0x2-0x2 | 0x10'],
  ['ip', 'tcp flags 3-5', 'tcp flags 0x3-0x5'],
  // Named types' range ends as numbers; dscp, ecn and ether types in hex.
  ['ip', 'ip dscp 8-24', 'ip dscp 0x08-0x18'],
  ['ip', 'ip ecn 0-3', 'ip ecn 0x0-0x3'],
  ['netdev', 'ether type 0x800-0x806', 'ether type 0x0800-0x0806'],
  ['ip', 'ip protocol 6-17', 'ip protocol 6-17'],
  // A raw load beside a header field is one load: split into fields, or raw.
  ['ip', 'ip protocol 17 @nh,56,16 0xc6db', '@nh,56,24 0xc6db11'],
  ['arp', 'arp ptype ip @nh,0,16 0xb11', 'arp htype 2833 arp ptype ip'],
  ['ip', '@th,0,16 1 udp dport 2', '@th,0,32 0x10002 meta l4proto udp'],
  ['inet', 'meta l4proto udp @th,0,16 1 udp dport 2', 'udp sport 1 udp dport 2'],
  ['inet', 'meta l4proto udp udp dport 2 udp sport 1', 'udp sport 1 udp dport 2'],
  // After a VLAN, a whole-byte link layer load against a value lists 112 bits lower.
  ['bridge', 'ether type 8021q @ll,200,8 5', 'ether type 8021q @ll,88,8 0x5'],
  ['netdev', 'vlan id 5 @ll,200,8 5', 'vlan id 5 @ll,88,8 0x5'],
  ['bridge', 'ether type 8021q @ll,200,8 { 5, 6 }', 'ether type 8021q @ll,200,8 { 0x5, 0x6 }'],
  ['bridge', 'ether type ip @ll,200,8 5', 'ether type ip @ll,200,8 0x5'],
];

/** The same rules' `nft -j list ruleset` forms (their "expr"), by nft 1.0.6 here. */
const JSON_CASES: readonly [family: string, rule: string, nft: string][] = [
  [
    'ip',
    'ct state 2-4',
    '[{"match": {"op": "==", "left": {"ct": {"key": "state"}}, "right": {"range": [2, 4]}}}]',
  ],
  [
    'ip',
    'ct state 3-5',
    '[{"match": {"op": "==", "left": {"ct": {"key": "state"}}, "right": {"range": [{"|": [1, 2]}, {"|": [1, 4]}]}}}]',
  ],
  [
    'ip',
    'tcp flags 3-5',
    '[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "flags"}}, "right": {"range": [3, 5]}}}]',
  ],
  [
    'ip',
    'ip protocol 6-17',
    '[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "protocol"}}, "right": {"range": [6, 17]}}}]',
  ],
  [
    'ip',
    'igmp type 17',
    '[{"match": {"op": "==", "left": {"payload": {"protocol": "igmp", "field": "type"}}, "right": "membership-query"}}]',
  ],
];

// Several flags compared whole: a header field's value stays a number, under a mask their list.
const FLAG_JSON: readonly [string, string][] = [
  ['tcp flags == fin|psh', '"right": 9}'],
  ['tcp flags & (syn|ack) == syn|ack', '"right": ["syn", "ack"]}'],
  ['ct state == established|related', '"right": {"|": ["established", "related"]}}'],
];

test('several flags compared whole in nft -j as nft 1.0.6 prints them', () => {
  for (const [r, want] of FLAG_JSON)
    assert.ok(natboxJson('ip', r).includes(want), `${r}: ${natboxJson('ip', r)}`);
});

test('flag and named range ends in nft -j as nft 1.0.6 prints them', () => {
  for (const [f, r, want] of JSON_CASES) assert.equal(natboxJson(f, r), `"expr": ${want}}}]}`, `[${f}] ${r}`);
});

test('flags, ether types, one-element sets, raw payloads and bridge dependencies list as nft 1.0.6 lists them', () => {
  const differ = CASES.filter(([f, r, want]) => natboxListing(f, r) !== want).map(
    ([f, r, want]) => `[${f}] ${r}\n  nft:    ${want}\n  natbox: ${natboxListing(f, r)}`,
  );
  assert.deepEqual(differ, []);
});
