// An element added again to a set that holds it, with a timeout (issue 16). Linux 6.12+
// (nf_tables_api.c nft_add_set_elem, commit 4201f3938914): `nft add element` sends NEWSETELEM
// without NLM_F_EXCL; an element with a timeout whose new timeout (its own, else the set's)
// differs takes it and a fresh expiry; the same timeout changes nothing. Captured on Linux
// 6.18.44 with nft 1.0.6 (2026-12-03, root, a fresh `ip netns`): `nft -f` of SETS, `sleep 3`, the
// four `nft add element` commands of READD, then `nft list ruleset`:
//
//   table ip t {
//   	set s {
//   		type ipv4_addr
//   		timeout 10s
//   		elements = { 10.0.0.1 expires 6s936ms, 10.0.0.2 expires 9s980ms,
//   			     10.0.0.3 expires 6s936ms, 10.0.0.4 timeout 20s expires 19s992ms }
//   	}
//   }
//
// (natbox lists at whole milliseconds of its own clock: 7s, 10s, 7s, 20s below.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../../src/netfilter/core/engine.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import { loadNftRules } from '../../../src/rules/load.ts';
import { listedRuleset } from '../../../src/netfilter/nftables/listing.ts';
import { nftFrontEnd } from '../../../src/netfilter/nftables/index.ts';
import { SeededRng } from '../../../src/netfilter/nat/nat-core.ts';
import { HOST, ruleset } from '../../netfilter/helpers.ts';
import { nftEngine, parseNftText, udpVerdict } from '../../netfilter/nftables/dsl.ts';

const SETS = `table ip t {
	set s {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.1, 10.0.0.2 timeout 30s, 10.0.0.3, 10.0.0.4 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr @s drop
	}
}
`;

const READD = [
  'add element ip t s { 10.0.0.1 }',
  'add element ip t s { 10.0.0.2 }',
  'add element ip t s { 10.0.0.3 timeout 10s }',
  'add element ip t s { 10.0.0.4 timeout 20s }',
];

const verdict = (nf: Netfilter, src: string, now: number): number => udpVerdict(nf, src, '10.9.0.1', now);

test('nft add element again: a new timeout refreshes the expiry, the same one does not (Linux 6.18)', () => {
  const rs = parseNftText(SETS);
  const nf = nftEngine(rs);
  const r = loadNftRules(
    READD.map((text, i) => ({ text, file: 'ev', line: i + 1, column: 1 })),
    { base: rs },
  );
  assert.ok(r.ok, r.ok ? '' : r.diagnostics[0]!.message);
  const next = new Netfilter({
    ruleset: ruleset(''),
    frontEnds: [nftFrontEnd(r.ruleset)],
    host: { ...HOST, now: () => 3 },
    rng: new SeededRng(1),
    previous: nf,
  });
  assert.equal(
    printNft(listedRuleset(r.ruleset, next.frontEndTables, 3)).split('\n\tchain forward')[0],
    `table ip t {
	set s {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.1 expires 7s, 10.0.0.2 expires 10s,
			     10.0.0.3 expires 7s, 10.0.0.4 timeout 20s expires 20s }
	}
`,
  );
  // The packet path agrees: 10.0.0.1 and .3 go at 10 s, .2 (its 30 s now the set's 10 s) at 13 s,
  // .4 at 23 s.
  assert.equal(verdict(next, '10.0.0.1', 9.9), NF_DROP);
  assert.equal(verdict(next, '10.0.0.1', 10.1), NF_ACCEPT);
  assert.equal(verdict(next, '10.0.0.3', 10.1), NF_ACCEPT);
  assert.equal(verdict(next, '10.0.0.2', 12.9), NF_DROP);
  assert.equal(verdict(next, '10.0.0.2', 13.1), NF_ACCEPT);
  assert.equal(verdict(next, '10.0.0.4', 22.9), NF_DROP);
  assert.equal(verdict(next, '10.0.0.4', 23.1), NF_ACCEPT);
});

test('nft set with counter: its declared elements list the set counter, from 0', () => {
  // nft 1.0.6 on Linux 6.18 (same day, a netns) listed the same set, loaded by `nft -f` in a
  // netdev table, as `elements = { 203.0.113.50 counter packets 0 bytes 0, 203.0.113.51 counter
  // packets 0 bytes 0 }` (nf_tables_api.c nft_set_elem_expr_setup gives each element the set's
  // counter).
  const rs = parseNftText(`table ip t {
	set src {
		type ipv4_addr
		counter
		elements = { 203.0.113.50, 203.0.113.51 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr @src accept
	}
}
`);
  const nf = nftEngine(rs);
  assert.match(
    printNft(listedRuleset(rs, nf.frontEndTables, 1)),
    /elements = \{ 203\.0\.113\.50 counter packets 0 bytes 0, 203\.0\.113\.51 counter packets 0 bytes 0 \}/,
  );
});
