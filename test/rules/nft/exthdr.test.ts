// nft's option and chunk headers (issue 16): `tcp option`, `ip option`, `sctp chunk`, `exthdr`
// (src/rules/nft/exthdr.ts). Origin of every expected answer: the real nft 1.0.6 on Linux 6.18
// (`nft -c -f` of each rule in `table inet t { chain c { … } }`, and `nft -f` + `nft list
// ruleset` for the listing), 2026-12-03; the tcp option cases after nftables' own
// tests/py/any/tcpopt.t (nftables 1.0.6). "refused" marks a case nft refuses at another place or
// with other words than natbox (or crashes on: `tcp option 6 length 1`); natbox must refuse it too.
// Found by the nft -c parity fuzz (seed 11): natbox refused `tcp option maxseg exists`, took
// `sctp chunk init num-inbouneams 3` and unknown fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNftRules } from '../../../src/rules/load.ts';
import { printRuleset } from '../../../src/rules/nft/print.ts';

const CASES: ReadonlyArray<readonly [string, string]> = [
  ['tcp option eol exists accept', 'ok'],
  ['tcp option nop exists accept', 'ok'],
  ['tcp option maxseg exists accept', 'ok'],
  ['tcp option maxseg missing accept', 'ok'],
  ['tcp option maxseg 1 accept', 'ok'],
  ['tcp option sack-permitted exists accept', 'ok'],
  ['tcp option noop exists accept', 'ok'],
  ['tcp option 255 missing', 'ok'],
  ['tcp option 6 exists', 'ok'],
  ['tcp option 2 exists accept', 'ok'],
  ['tcp option 2 length 1 accept', 'ok'],
  ['tcp option mss size 1 accept', 'ok'],
  ['tcp option sack0 left 1 accept', 'ok'],
  ['tcp option sack3 right 1 accept', 'ok'],
  ['tcp option timestamp tsecr 1', 'ok'],
  ['tcp option mptcp subtype 1 accept', 'ok'],
  ['tcp option foobar', '3:14: syntax error, unexpected string'],
  ['tcp option foo bar', '3:14: syntax error, unexpected string'],
  ['tcp option eol left', '3:18: syntax error, unexpected left'],
  ['tcp option eol left 1', '3:18: syntax error, unexpected left'],
  ['tcp option sack window', 'refused'], // nft: 3:19: syntax error, unexpected window
  ['tcp option sack window 1', 'refused'], // nft: 3:19: syntax error, unexpected window
  ['tcp option 256 exists', '3:14: value too large'],
  ['tcp option maxseg count 1 accept', '3:21: syntax error, unexpected count'],
  ['tcp option 2 size 1 accept', '3:16: syntax error, unexpected size'],
  ['tcp option 0 length 1 accept', '3:23: No symbol type information'],
  ['tcp option 6 length 1 accept', 'refused'], // nft: (crashes)
  ['tcp option maxseg foo accept', '3:21: Could not parse boolean type'],
  ['tcp option maxseg accept', '3:21: syntax error, unexpected accept'],
  ['tcp option maxseg size set 1360', 'ok'],
  ['tcp option timestamp tsval set 1', 'ok'],
  ['tcp option sack left set 1', 'ok'],
  ['tcp option window count set 1', '3:3: Could not process rule: Operation not supported'],
  ['tcp option maxseg length set 1', '3:3: Could not process rule: Operation not supported'],
  ['tcp option mptcp subtype set 1', '3:3: Could not process rule: Operation not supported'],
  ['ip option ra exists accept', 'ok'],
  ['ip option lsrr addr 1 accept', 'ok'],
  ['ip option ra value 1 accept', 'ok'],
  ['ip option foo accept', '3:13: syntax error, unexpected string, expecting lsrr or rr or ssrr or ra'],
  ['ip option type exists accept', '3:13: syntax error, unexpected type, expecting lsrr or rr or ssrr or ra'],
  ['ip option lsrr value 1 accept', '3:3: unknown ip option type/field'],
  ['meta mark 1 ip option rr value 1 accept', '3:15: unknown ip option type/field'],
  ['ip option ra foo 1 accept', '3:22: syntax error, unexpected accept'],
  ['ip option ra type set 1', '3:3: Could not process rule: Operation not supported'],
  ['sctp chunk init exists accept', 'ok'],
  ['sctp chunk data missing drop', 'ok'],
  ['sctp chunk init 1 accept', 'ok'],
  ['sctp chunk init-ack a-rwnd 5 accept', 'ok'],
  ['sctp chunk data ppid 5 accept', 'ok'],
  ['sctp chunk shutdown cum-tsn-ack 1 accept', 'ok'],
  ['sctp chunk foo accept', '3:14: syntax error, unexpected string'],
  ['sctp chunk DATA exists accept', '3:14: syntax error, unexpected string'],
  ['sctp chunk data init-tag 3 accept', '3:19: syntax error, unexpected init-tag'],
  ['sctp chunk init tsn 1 accept', '3:19: syntax error, unexpected tsn'],
  ['sctp chunk init foo accept', '3:19: Could not parse boolean type'],
  ['sctp chunk init num-inbouneams 3 accept', '3:36: syntax error, unexpected accept'],
  ['sctp chunk init flags set 1', 'refused'], // nft: 3:14: Could not process rule: Operation not supported
  ['exthdr frag exists accept', 'ok'],
  ['exthdr hbh missing accept', 'ok'],
  ['exthdr frag 1 accept', 'ok'],
  ['exthdr foo exists accept', '3:10: syntax error, unexpected string'],
  ['exthdr frag frag-off 1 accept', '3:26: syntax error, unexpected accept'],
  ['frag frag-off 1 accept', 'ok'],
  ['tcp dport accept', '3:13: syntax error, unexpected accept'],
  ['fib daddr oif accept', '3:17: syntax error, unexpected accept'],
  ['ct state counter', '3:12: syntax error, unexpected counter'],
  ['meta mark quota 1 bytes', '3:13: syntax error, unexpected quota'],
  ['tcp dport redirect', 'refused'], // nft: 3:13: datatype mismatch, expected internet network service, expression has type ICMP type
];

function load(text: string): ReturnType<typeof loadNftRules> {
  return loadNftRules(
    text.split('\n').map((t, i) => ({ text: t, file: 'z.nft', line: i + 1, column: 1 })),
    { wholeFile: true },
  );
}

test('option and chunk headers: natbox takes what nft 1.0.6 takes, and refuses where it does', () => {
  for (const [rule, want] of CASES) {
    const r = load(`table inet t {\n\tchain c {\n\t\t${rule}\n\t}\n}\n`);
    const got = r.ok
      ? 'ok'
      : `${r.diagnostics[0]!.line}:${r.diagnostics[0]!.column}: ${r.diagnostics[0]!.message}`;
    if (want === 'refused') assert.notEqual(got, 'ok', rule);
    else assert.equal(got, want, rule);
  }
});

const LISTED = `table inet t {
	chain c {
		tcp option sack1 left 1 accept
		tcp option sack2 right 1 accept
		tcp option sack3 left 1 accept
		tcp option noop exists accept
		tcp option 3 length 1 accept
		tcp option 0 exists accept
		tcp option 1 exists accept
		tcp option 2 exists accept
		tcp option 30 exists accept
		tcp option 19 exists accept
		tcp option 4 exists accept
		tcp option timestamp tsecr set 5
		tcp option mptcp subtype 2 accept
		ip option lsrr addr 1 accept
		ip option ssrr ptr 1 accept
		ip option rr type 7 accept
		ip option ra value 1 accept
		sctp chunk init-ack a-rwnd 5 accept
		sctp chunk data ppid 5 accept
	}
}
`;
/** `nft -f` of LISTED, then `nft list ruleset` (nft 1.0.6): names and presence tests as nft lists them. */
const NFT_LISTS = `table inet t {
	chain c {
		tcp option sack1 left 1 accept
		tcp option sack2 right 1 accept
		tcp option sack3 left 1 accept
		tcp option nop exists accept
		tcp option window length 1 accept
		tcp option eol exists accept
		tcp option nop exists accept
		tcp option maxseg exists accept
		tcp option mptcp exists accept
		tcp option md5sig exists accept
		tcp option sack-perm exists accept
		tcp option timestamp tsecr set 5
		tcp option mptcp subtype 2 accept
		ip option lsrr addr 1 accept
		ip option ssrr ptr 1 accept
		ip option rr type 7 accept
		ip option ra value 1 accept
		sctp chunk init-ack a-rwnd 5 accept
		sctp chunk data ppid 5 accept
	}
}
`;

test('option and chunk headers list as nft lists them (sack0 → sack, 5 → sack, 1 → exists)', () => {
  const r = load(LISTED);
  assert.ok(r.ok, r.ok ? '' : r.diagnostics[0]!.message);
  assert.equal(printRuleset(r.ruleset), NFT_LISTS);
});
