// Declared elements of sets with a timeout (nft_add_set_elem: an element without a timeout of its
// own takes the set's, and expires that long after it was added). The expected listings are what
// nft 1.0.6 printed on Linux 6.18 for the same file (`nft -f` in a netns, then `nft list ruleset`
// 20 ms, about 4 s and 11 s later), with natbox's times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../../src/netfilter/core/engine.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import { loadNftRules } from '../../../src/rules/load.ts';
import { listedRuleset } from '../../../src/netfilter/nftables/listing.ts';
import { nftFrontEnd } from '../../../src/netfilter/nftables/index.ts';
import { SeededRng } from '../../../src/netfilter/nat/nat-core.ts';
import { HOST, ruleset } from '../helpers.ts';
import { nftEngine, parseNftText, udpVerdict } from './dsl.ts';
import type { NftRuleset } from '../../../src/rules/nft/model.ts';

const SETS = `table ip t {
	set s {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.1 }
	}

	set f {
		type ipv4_addr
		flags timeout
		elements = { 10.0.0.2, 10.0.0.3 timeout 5s }
	}

	set g {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.4 timeout 3s, 10.0.0.5 timeout 10s }
	}

	map m {
		type ipv4_addr : ipv4_addr
		timeout 4s
		elements = { 10.0.0.6 : 1.2.3.4 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr @s drop
		ip saddr @f drop
		ip saddr @g drop
	}
}
`;

/** The sets part of a listing at `now`. */
const sets = (rs: NftRuleset, nf: Netfilter, now: number): string =>
  printNft(listedRuleset(rs, nf.frontEndTables, now)).split('\n\tchain forward')[0]!;

const verdict = (nf: Netfilter, src: string, dst: string, now: number): number =>
  udpVerdict(nf, src, dst, now);

test('nft set timeout: declared elements take the set timeout and are listed with their time left', () => {
  const rs = parseNftText(SETS);
  const nf = nftEngine(rs);
  assert.equal(
    sets(rs, nf, 0.02),
    `table ip t {
	set s {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.1 expires 9s980ms }
	}

	set f {
		type ipv4_addr
		flags timeout
		elements = { 10.0.0.2, 10.0.0.3 timeout 5s expires 4s980ms }
	}

	set g {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.4 timeout 3s expires 2s980ms, 10.0.0.5 expires 9s980ms }
	}

	map m {
		type ipv4_addr : ipv4_addr
		timeout 4s
		elements = { 10.0.0.6 expires 3s980ms : 1.2.3.4 }
	}
`,
  );
  assert.equal(
    sets(rs, nf, 4.048),
    `table ip t {
	set s {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.1 expires 5s952ms }
	}

	set f {
		type ipv4_addr
		flags timeout
		elements = { 10.0.0.2, 10.0.0.3 timeout 5s expires 952ms }
	}

	set g {
		type ipv4_addr
		timeout 10s
		elements = { 10.0.0.5 expires 5s952ms }
	}

	map m {
		type ipv4_addr : ipv4_addr
		timeout 4s
	}
`,
  );
  assert.equal(
    sets(rs, nf, 11),
    `table ip t {
	set s {
		type ipv4_addr
		timeout 10s
	}

	set f {
		type ipv4_addr
		flags timeout
		elements = { 10.0.0.2 }
	}

	set g {
		type ipv4_addr
		timeout 10s
	}

	map m {
		type ipv4_addr : ipv4_addr
		timeout 4s
	}
`,
  );
});

test('nft set timeout: a lookup after the element expired misses', () => {
  const nf = nftEngine(parseNftText(SETS));
  assert.equal(verdict(nf, '10.0.0.1', '10.9.0.1', 9.9), NF_DROP);
  assert.equal(verdict(nf, '10.0.0.1', '10.9.0.1', 10.1), NF_ACCEPT);
  assert.equal(verdict(nf, '10.0.0.3', '10.9.0.1', 4.9), NF_DROP);
  assert.equal(verdict(nf, '10.0.0.3', '10.9.0.1', 5.1), NF_ACCEPT);
  assert.equal(verdict(nf, '10.0.0.2', '10.9.0.1', 100), NF_DROP, 'no timeout: never expires');
  assert.equal(verdict(nf, '10.0.0.4', '10.9.0.1', 3.1), NF_ACCEPT, "its own 3 s, not the set's 10 s");
  assert.equal(verdict(nf, '10.0.0.5', '10.9.0.1', 9.9), NF_DROP);
});

test('nft set timeout: elements loaded later count from then; those already there keep their expiry', () => {
  const rs = parseNftText(SETS);
  const nf = nftEngine(rs);
  // `nft add element ip t s { 10.0.0.7 }` at 3 s.
  const r = loadNftRules([{ text: 'add element ip t s { 10.0.0.7 }', file: 'ev', line: 1, column: 1 }], {
    base: rs,
  });
  assert.ok(r.ok);
  const next = new Netfilter({
    ruleset: ruleset(''),
    frontEnds: [nftFrontEnd(r.ruleset)],
    host: { ...HOST, now: () => 3 },
    rng: new SeededRng(1),
    previous: nf,
  });
  assert.match(sets(r.ruleset, next, 4), /elements = \{ 10\.0\.0\.1 expires 6s, 10\.0\.0\.7 expires 9s \}/);
  assert.equal(verdict(next, '10.0.0.1', '10.9.0.1', 10.1), NF_ACCEPT);
  assert.equal(verdict(next, '10.0.0.7', '10.9.0.1', 12.9), NF_DROP);
  assert.equal(verdict(next, '10.0.0.7', '10.9.0.1', 13.1), NF_ACCEPT);
  // An engine rebuilt at 11 s (another event): 10.0.0.1, gone at 10 s, stays gone (the set's gc
  // removed it; the model still declares it).
  const again = new Netfilter({
    ruleset: ruleset(''),
    frontEnds: [nftFrontEnd(r.ruleset)],
    host: { ...HOST, now: () => 11 },
    rng: new SeededRng(1),
    previous: next,
  });
  assert.match(sets(r.ruleset, again, 11), /elements = \{ 10\.0\.0\.7 expires 2s \}/);
  assert.equal(verdict(again, '10.0.0.1', '10.9.0.1', 11.5), NF_ACCEPT);
});
