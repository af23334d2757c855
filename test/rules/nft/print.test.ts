// nft text read and printed back byte for byte as nft 1.0.6 prints it: each fixture's input gives
// the listing the real nft printed (fixtures.ts says how it was captured), with and without -a,
// and each listing read back prints itself again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNft, printNft, printNftRule } from '../../../src/rules/nft/index.ts';
import { formatDiagnostic } from '../../../src/rules/diagnostics.ts';
import type { NftRuleset } from '../../../src/rules/nft/model.ts';
import { fixtureNames, lines, read } from './fixtures.ts';

function parse(text: string, file = 'in.nft'): NftRuleset {
  const r = parseNft(lines(text, file));
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.ruleset;
}

for (const name of fixtureNames()) {
  test(`nft fixture ${name}: the listing read back prints itself (nft list ruleset, -a)`, () => {
    assert.equal(printNft(parse(read(`${name}.list`))), read(`${name}.list`));
    assert.equal(printNft(parse(read(`${name}.list-a`)), { handles: true }), read(`${name}.list-a`));
  });
  // Every fixture, hash sets of concatenations and strings too: nft lists every set sorted
  // (mergesort.c), which natbox reproduces.
  test(`nft fixture ${name}: nft -f input prints as nft list ruleset and nft -a list ruleset`, () => {
    const rs = parse(read(`${name}.nft`), `${name}.nft`);
    assert.equal(printNft(rs), read(`${name}.list`));
    assert.equal(printNft(rs, { handles: true }), read(`${name}.list-a`));
  });
}

test('nft normalisations as the real nft lists them (observed with nft 1.0.6)', () => {
  const cases: [string, string][] = [
    ['ip protocol tcp tcp dport 22 accept', 'tcp dport 22 accept'],
    ['meta l4proto tcp th dport 80 accept', 'tcp dport 80 accept'],
    ['tcp dport { 22 } accept', 'tcp dport 22 accept'],
    ['ip saddr != { 10.0.0.0/8 } drop', 'ip saddr != 10.0.0.0/8 drop'],
    ['icmp type { echo-request, echo-reply } accept', 'icmp type { echo-reply, echo-request } accept'],
    ['tcp flags & (syn|ack) == syn drop', 'tcp flags syn / syn,ack drop'],
    ['meta mark & 0xff00 == 0x100 accept', 'meta mark & 0x0000ff00 == 0x00000100 accept'],
    ['ct state == established accept', 'ct state == established accept'],
    ['limit rate 10/second burst 5 packets accept', 'limit rate 10/second accept'],
    ['mark set mark or 0x4000', 'meta mark set meta mark | 0x00004000'],
    ['reject with icmp type port-unreachable', 'reject'],
    // In an ip table nft lists the `meta l4proto tcp` it runs first without it (the real nft 1.0.6
    // here, 2026-12-03; tests/py ip-reject.t too), and with a statement between them with it.
    ['reject with tcp reset', 'reject with tcp reset'],
    ['counter reject with tcp reset', 'meta l4proto tcp counter packets 0 bytes 0 reject with tcp reset'],
    ['tcp dport ssh accept', 'tcp dport 22 accept'],
    ['meta oif "lo" accept', 'oif "lo" accept'],
    ['jhash ip saddr mod 4 seed 0x1 offset 1 == 2 accept', 'jhash ip saddr mod 4 seed 0x1 offset 1 2 accept'],
  ];
  for (const [input, want] of cases) {
    const rs = parse(`table ip t {\n\tchain c {\n\t\t${input}\n\t}\n}\n`);
    const t = rs.tables[0]!;
    assert.equal(printNftRule(t, t.chains[0]!, t.chains[0]!.rules[0]!), want, input);
  }
});

test('nft priorities print as names where nft names them (dstnat only at prerouting)', () => {
  const rs = parse(
    'table ip t {\n\tchain a { type nat hook output priority -100; }\n\tchain b { type filter hook forward priority -155; }\n\tchain c { type nat hook postrouting priority 110; }\n}\n',
  );
  const out = printNft(rs);
  assert.match(out, /type nat hook output priority -100; policy accept;/);
  assert.match(out, /type filter hook forward priority mangle - 5; policy accept;/);
  assert.match(out, /type nat hook postrouting priority srcnat \+ 10; policy accept;/);
});

test('nft -a handles: a listing with gaps in its handles keeps them', () => {
  const text = 'table ip t { # handle 7\n\tchain c { # handle 3\n\t\taccept # handle 9\n\t}\n}\n';
  assert.equal(printNft(parse(text), { handles: true }), text);
});

test('nft -s -p: no counter or quota state, protocols as numbers (nft 1.0.6 printed this listing)', () => {
  // Loaded with `nft -f` into a throwaway namespace, then `nft -s -p list ruleset` (2026-12-03).
  const rs = parse(
    'table ip t {\n\tcounter c { packets 1 bytes 2 }\n\tquota q { 25 mbytes used 1 mbytes }\n' +
      '\tset s { type ipv4_addr; flags dynamic; counter; elements = { 1.2.3.4 counter packets 1 bytes 2 } }\n' +
      '\tchain x {\n\t\ttype filter hook input priority 0;\n\t\tcounter packets 5 bytes 6 meta l4proto tcp\n' +
      '\t\tip protocol { tcp, 17 } quota 5 mbytes used 1 mbytes\n\t\tct protocol tcp limit rate 1/second\n\t}\n}\n',
  );
  assert.equal(
    printNft(rs, { stateless: true, numericProto: true }),
    'table ip t {\n\tcounter c {\n\t}\n\n\tquota q {\n\t\t25 mbytes\n\t}\n\n\tset s {\n\t\ttype ipv4_addr\n' +
      '\t\tflags dynamic\n\t\tcounter\n\t\telements = { 1.2.3.4 counter }\n\t}\n\n\tchain x {\n' +
      '\t\ttype filter hook input priority filter; policy accept;\n\t\tcounter meta l4proto 6\n' +
      '\t\tip protocol { 6, 17 } quota 5 mbytes\n\t\tct protocol 6 limit rate 1/second\n\t}\n}\n',
  );
  // Without the options, the state and the names are back.
  assert.match(printNft(rs), /counter packets 5 bytes 6 meta l4proto tcp\n/);
});
