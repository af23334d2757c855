// Payload and mark writes as the real nft 1.0.6 reads, runs and lists them (issue 16). Every
// expected listing, JSON and bytecode below was printed by nft 1.0.6 (Debian, Linux 6.18) on
// 2026-12-04 for the same rule (`nft -f`, `nft list ruleset`, `nft -j list ruleset`, `nft
// --debug=netlink list ruleset` in a network namespace); the random ones are in
// listing-fuzz-write.txt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import { printNftJsonText } from '../../../src/rules/nft/json-print.ts';
import type { NftStmt } from '../../../src/rules/nft/model.ts';
import { envOf, fwd, nftEngine, parseNftText } from '../../netfilter/nftables/dsl.ts';
import { ip } from '../../netfilter/helpers.ts';

const table = (rules: string[]): string =>
  `table ip t {\n\tchain c {\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`;

/** Each rule (written) and nft's listing of it. */
const CASES: readonly [string, string][] = [
  // Off byte bounds: bitwise reg 1 = ( reg 1 & 0x3f ) ^ 0x40, read back as `& (m | o) | o`.
  ['@nh,80,2 set 1', '@nh,80,8 set @nh,80,8 & 0x7f | 0x40'],
  // ( reg 1 & 0x3f ) ^ 0: nft 1.0.6 lists the mask inverted (not restored when no field is found).
  ['@nh,80,2 set 0', '@nh,80,8 set @nh,80,8 & 0xc0'],
  ['@nh,80,8 set @nh,80,8 & 0xc0', '@nh,80,8 set @nh,80,8 & 0x3f'],
  ['@nh,80,8 set @nh,88,8 & 3', '@nh,80,8 set @nh,88,8 & 0xfc'],
  // The bits written are one field: named.
  ['@nh,8,6 set 3', 'ip dscp set 0x03'],
  ['@nh,8,6 set 0', 'ip dscp set cs0'],
  ['@nh,4,4 set 0xf', 'ip hdrlength set 15'],
  ['@nh,0,8 set @nh,0,8 & 0xf3 | 0x3', 'ip hdrlength set 3'],
  // payload_expr_trim looks at the lowest run of ones only.
  ['meta l4proto udp @nh,0,8 set @nh,0,8 | 0x8f', 'meta l4proto udp ip hdrlength set 143'],
  // Whole bytes that are one field are named; constants take the field's type.
  ['@nh,64,8 set @nh,72,8', 'ip ttl set ip protocol'],
  ['@nh,96,32 set @nh,96,32 & 4015934659', 'ip saddr set ip saddr & 239.94.76.195'],
  ['@nh,80,16 set @nh,80,16 & 0xff00 | 0x12', 'ip checksum set ip checksum & 65298 | 18'],
  // An XOR the mask keeps stays one (netlink_parse_bitwise_bool: `& (m|o) ^ (x&m) | o`).
  ['@nh,80,8 set @nh,80,8 & 0xf0 ^ 0x11', '@nh,80,8 set @nh,80,8 & 0xf1 ^ 0x10 | 0x1'],
  // nft's precedence: `&` binds tighter than `^`, `^` than `|`.
  ['udp sport set udp sport | 0xa7d ^ 56772', 'udp sport set udp sport | 55225'],
  ['meta mark set meta mark | 1 ^ 3', 'meta mark set meta mark | 0x00000002'],
  ['meta mark set meta mark ^ 4 & 12', 'meta mark set meta mark ^ 0x00000004'],
  ['meta mark set meta mark & 0xff00 | 0x1', 'meta mark set meta mark & 0x0000ff01 | 0x00000001'],
  // Flags: an OR of each.
  ['tcp flags set 0x3', 'tcp flags set fin | syn'],
  ['tcp dport 1 @th,104,8 set @th,104,8 & 0x3', 'tcp dport 1 tcp flags set tcp flags & (fin | syn)'],
  // The dependency before a write is dropped, as before a match; a statement between keeps it.
  ['meta l4proto tcp tcp dport set 5', 'tcp dport set 5'],
  [
    'meta l4proto tcp meta mark set 1 tcp dport set 5',
    'meta l4proto tcp meta mark set 0x00000001 tcp dport set 5',
  ],
  [
    'meta l4proto tcp @th,128,32 set @th,64,32 ^ 0xd4c77579 ^ 0x2d6e7280',
    '@th,128,32 set tcp ackseq ^ 4188604409',
  ],
];

test('payload and mark writes list as nft 1.0.6 lists them', () => {
  const listed = printNft(parseNftText(table(CASES.map((c) => c[0]))))
    .split('\n')
    .slice(2, -3);
  assert.deepEqual(
    listed.map((l) => l.trim()),
    CASES.map((c) => c[1]),
  );
});

test('payload writes in nft -j as nft 1.0.6 gives them', () => {
  const rs = parseNftText(
    table([
      '@nh,80,2 set 1',
      '@nh,80,2 set 0',
      '@nh,64,8 set @nh,72,8',
      'tcp dport 1 @th,104,8 set @th,104,8 ^ 0xcb | 247',
    ]),
  );
  const exprs = (JSON.parse(printNftJsonText(rs)).nftables as { rule?: { expr: unknown } }[])
    .filter((x) => x.rule)
    .map((x) => JSON.stringify(x.rule!.expr));
  const raw80 = '{"payload":{"base":"nh","offset":80,"len":8}}';
  const flags = '{"payload":{"protocol":"tcp","field":"flags"}}';
  assert.deepEqual(exprs, [
    `[{"mangle":{"key":${raw80},"value":{"|":[{"&":[${raw80},127]},64]}}}]`,
    `[{"mangle":{"key":${raw80},"value":{"&":[${raw80},192]}}}]`,
    '[{"mangle":{"key":{"payload":{"protocol":"ip","field":"ttl"}},"value":{"payload":{"protocol":"ip","field":"protocol"}}}}]',
    '[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":1}},' +
      `{"mangle":{"key":${flags},"value":{"|":[{"^":[${flags},"psh"]},` +
      '{"|":[{"|":[{"|":[{"|":[{"|":[{"|":["fin","syn"]},"rst"]},"ack"]},"urg"]},"ecn"]},"cwr"]}]}}}]',
  ]);
});

test('a raw payload on the right of a write is a load, not a named set', () => {
  const rs = parseNftText(table(['@nh,64,8 set @nh,72,8 & 0xfe']));
  const st = rs.tables[0]!.chains[0]!.rules[0]!.stmts[0] as Extract<NftStmt, { kind: 'set' }>;
  assert.equal(st.value.kind, 'binop');
  assert.deepEqual(st.value.kind === 'binop' && st.value.left, {
    kind: 'rawpayload',
    base: 'nh',
    offset: 72,
    len: 8,
    pos: st.value.left.pos,
  });
});

test('operator precedence is evaluated as nft gives it to the kernel: meta mark | 1 ^ 3 sets mark | 2', () => {
  // nft --debug=netlink: [ bitwise reg 1 = ( reg 1 & 0xfffffffd ) ^ 0x00000002 ] (not `(mark | 1) ^ 3`).
  const rs = parseNftText(`table ip t {
	chain p {
		type filter hook prerouting priority filter; policy accept;
		meta mark set 0x101
	}
	chain f {
		type filter hook forward priority filter; policy accept;
		meta mark set meta mark | 1 ^ 3
		meta mark set meta mark ^ 0x10 & 0x30
	}
}
`);
  const nf = nftEngine(rs);
  const skb = new Skb();
  skb.env = envOf(nf);
  const buf = buildUdpPacket(
    { src: ip('10.0.1.10'), dst: ip('198.51.100.80'), id: 1 },
    { srcPort: 1, dstPort: 2 },
    new Uint8Array(2),
  );
  fwd(nf, skb, buf, 'lan', 'wan', 1);
  // 0x101 | 2 = 0x103, then ^ (0x10 & 0x30) = 0x113 (read left to right: 0x102, then 0x10).
  assert.equal(skb.mark, 0x113);
});

/** Writes nft 1.0.6 refuses, as `nft -f` of the rule (two tabs before it, line 3) reported it. */
const REFUSED: readonly [string, string][] = [
  // `ip ttl` is written with the byte after it (the checksum is updated a word at a time).
  ['ip ttl set ip ttl & 3', '3:3: Left shift of 8 bits is undefined for type of 8 bits width'],
  ['ip ttl set @nh,72,8', '3:3: Left shift of 8 bits is undefined for type of 8 bits width'],
  ['ip protocol set ip protocol | 17', '3:19: Right hand side of binary operation (^) must be constant'],
  ['tcp flags set tcp flags ^ 0xf5', '3:17: Right hand side of binary operation (^) must be constant'],
  ['ip dscp set ip dscp & 3', '3:3: Right hand side of binary operation (^) must be constant'],
  [
    '@nh,64,8 set ip protocol',
    '3:16: datatype mismatch: expected integer, expression has type Internet protocol',
  ],
  ['@nh,96,32 set ip daddr', '3:17: datatype mismatch: expected integer, expression has type IPv4 address'],
  [
    '@th,104,16 set @th,16,16 | 34938',
    '3:18: datatype mismatch: expected integer, expression has type internet network service',
  ],
  // A protocol conflict in the write's field comes first.
  ['udp sport 2 tcp flags set tcp flags ^ 212', '3:15: conflicting protocols specified: udp vs. tcp'],
];

test('writes nft refuses are refused with its message, at its place', () => {
  for (const [rule, want] of REFUSED) {
    const text = `table ip t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
    const r = parseNft(text.split('\n').map((t, i) => ({ text: t, file: 'w.nft', line: i + 1, column: 1 })));
    assert.ok(!r.ok, `${rule} was taken`);
    const d = r.diagnostics[0]!;
    assert.equal(`${d.line}:${d.column}: ${d.message}`, want, rule);
  }
  // Taken: the same fields where no read-modify-write is needed, and matching types.
  for (const rule of [
    'ip6 hoplimit set ip6 hoplimit & 3',
    'ip id set ip id & 3',
    'tcp dport set tcp sport',
    'tcp dport set @nh,0,16',
    '@th,0,16 set @th,0,16 ^ 0xa6e1',
    'meta mark set @nh,96,32',
  ]) {
    const fam = rule.startsWith('ip6') ? 'ip6' : 'ip';
    const text = `table ${fam} t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
    const r = parseNft(text.split('\n').map((t, i) => ({ text: t, file: 'w.nft', line: i + 1, column: 1 })));
    assert.ok(r.ok, `${rule}: ${!r.ok && r.diagnostics[0]!.message}`);
  }
});

test('in bridge and netdev tables the link layer protocol before a write is dropped from the listing', () => {
  // nft 1.0.6 here lists each of these rules, in a bridge and in a netdev table, as the part after `=>`.
  for (const fam of ['bridge', 'netdev'])
    for (const [rule, listed] of [
      ['ether type arp @nh,0,16 set 50312', 'arp htype set 50312'],
      ['meta protocol arp arp htype set 1', 'arp htype set 1'],
      ['ether type ip ip ttl set 3', 'ip ttl set 3'],
    ] as const) {
      const text = `table ${fam} t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
      assert.equal(printNft(parseNftText(text)).split('\n')[2]!.trim(), listed, `${fam}: ${rule}`);
    }
});
