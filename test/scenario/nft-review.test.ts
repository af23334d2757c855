// reviewNft (src/scenario/nft.ts): what of an nft ruleset natbox notes, leaves out with
// --skip-unsupported, or refuses; the one list a scenario, `natbox import` and `natbox rules` use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNftRules } from '../../src/rules/language.ts';
import { printNft, printNftJson } from '../../src/rules/nft/index.ts';
import type { NftRuleset } from '../../src/rules/nft/model.ts';
import { reviewNft, tableNotes } from '../../src/scenario/nft.ts';

const load = (text: string, file: string): NftRuleset => {
  const r = loadNftRules(text.split('\n').map((t, k) => ({ text: t, file, line: k + 1, column: 1 })));
  if (!r.ok) assert.fail(JSON.stringify(r.diagnostics));
  return r.ruleset;
};

/** A rule with two statements natbox does not simulate between two it does. */
const TEXT = `table inet f {
	chain input {
		type filter hook input priority filter; policy drop;
		tcp dport 80 accept
		tcp dport 22 meta iifkind "vrf" meta ipsec exists drop
		tcp dport 443 accept
	}
}
`;

const INET_NOTE =
  'table inet f: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)';

test('reviewNft without skip: the inet note, and both problems of the rule refused, each skippable', () => {
  const rs = load(TEXT, 'r.nft');
  const r = reviewNft(rs, false);
  assert.deepEqual(r.notes, [
    { file: 'r.nft', line: 1, column: 1, message: INET_NOTE, what: 'table inet f' },
  ]);
  assert.deepEqual(r.leftOut, []);
  assert.deepEqual(
    r.errors.map((e) => [e.line, e.column, e.message, e.skippable]),
    [
      [5, 16, 'meta iifkind is read and printed but not simulated ("meta iifkind")', true],
      [5, 35, 'meta ipsec is read and printed but not simulated ("meta ipsec")', true],
    ],
  );
  assert.equal(printNft(rs), TEXT); // nothing taken out
});

test('reviewNft with skip: a rule with two problems goes once, its neighbours stay (text and one-line JSON)', () => {
  const want = TEXT.replace('\t\ttcp dport 22 meta iifkind "vrf" meta ipsec exists drop\n', '');
  const rs = load(TEXT, 'r.nft');
  const r = reviewNft(rs, true);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.leftOut.map((l) => [l.line, l.what]),
    [[5, 'tcp dport 22 meta iifkind "vrf" meta ipsec exists drop']],
  );
  assert.equal(printNft(rs), want);
  // The same from nft -j: every rule on line 1, each at its object's column.
  const json = load(printNftJson(load(TEXT, 'r.nft')), 'r.json');
  const j = reviewNft(json, true);
  assert.deepEqual(j.errors, []);
  assert.deepEqual(
    j.leftOut.map((l) => [l.line, l.what]),
    [[1, 'tcp dport 22 meta iifkind "vrf" meta ipsec exists drop']],
  );
  assert.equal(printNft(json), want);
});

test('tableNotes: inet, ip6, arp and bridge tables noted without checking a rule; ip and netdev not', () => {
  const rs = load(
    'table ip a {\n}\ntable inet b {\n}\ntable ip6 c {\n}\ntable arp d {\n}\ntable bridge e {\n}\ntable netdev g {\n}\n',
    'n.nft',
  );
  assert.deepEqual(
    tableNotes(rs).map((n) => [n.line, n.message]),
    [
      [
        3,
        'table inet b: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)',
      ],
      [
        5,
        'table ip6 c is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)',
      ],
      [
        7,
        'table arp d is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)',
      ],
      [
        9,
        'table bridge e is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)',
      ],
    ],
  );
});
