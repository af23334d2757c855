// natbox verify compares the counters of nft's listing after a run (issue 16): each rule's
// `counter` and each named counter, read from `nft list ruleset` text (the kernel's, here a
// listing of nft 1.0.6's shape) as natbox's own listing gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setListingsOfText } from '../../../src/rules/nft/set-listing.ts';

const LISTING = `table ip t {
	counter seen {
		packets 3 bytes 252
	}

	set s {
		type ipv4_addr
		elements = { 10.0.0.1 }
	}

	chain c {
		type filter hook forward priority filter; policy accept;
		ip saddr @s counter packets 2 bytes 168 accept
		counter packets 5 bytes 420 counter name "seen"
		tcp dport 22 drop
	}
}
`;

test('verify: rule and named counters listed as one-element sets, by chain, rule and place', () => {
  assert.deepEqual(setListingsOfText(LISTING, 'kernel'), [
    { set: '@s (ip t)', elements: [{ text: '10.0.0.1' }] },
    { set: 'chain c (ip t) rule 1 counter 1', elements: [{ text: 'packets 2 bytes 168' }] },
    { set: 'chain c (ip t) rule 2 counter 1', elements: [{ text: 'packets 5 bytes 420' }] },
    { set: 'counter seen (ip t)', elements: [{ text: 'packets 3 bytes 252' }] },
  ]);
});
