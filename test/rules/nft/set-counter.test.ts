// A set or map declared with `counter`: each element without statements of its own gets a counter
// of its own (nft_set_elem_expr_setup instantiates the set's expressions), listed from 0. Inputs
// and expected listings: nft 1.0.6 on Linux 6.18, this machine (2026-12-03, root, a fresh
// `ip netns`): `nft -f` of the input, then `nft list ruleset` and `nft -s list ruleset`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';

const read = (text: string) => {
  const r = parseNft(text.split('\n').map((t, i) => ({ text: t, file: 'in.nft', line: i + 1, column: 1 })));
  assert.ok(r.ok, r.ok ? '' : r.diagnostics[0]!.message);
  return r.ruleset;
};

const SETS = `table ip t {
	set s {
		type ipv4_addr
		counter
		elements = { 10.0.0.1, 10.0.0.2 counter packets 3 bytes 4 }
	}
	set q {
		type ipv4_addr
		flags interval
		counter
		elements = { 10.1.0.0/16 }
	}
	set n {
		type ipv4_addr
		elements = { 10.2.0.1 }
	}
}
add element ip t s { 10.0.0.3 }
`;

test('set counter: elements written without one list a counter from 0, their own counter kept', () => {
  const rs = read(SETS);
  assert.equal(
    printNft(rs),
    `table ip t {
	set s {
		type ipv4_addr
		counter
		elements = { 10.0.0.1 counter packets 0 bytes 0, 10.0.0.2 counter packets 3 bytes 4,
			     10.0.0.3 counter packets 0 bytes 0 }
	}

	set q {
		type ipv4_addr
		flags interval
		counter
		elements = { 10.1.0.0/16 counter packets 0 bytes 0 }
	}

	set n {
		type ipv4_addr
		elements = { 10.2.0.1 }
	}
}
`,
  );
  // nft -s: the counters bare.
  assert.match(
    printNft(rs, { stateless: true }),
    /elements = \{ 10\.0\.0\.1 counter, 10\.0\.0\.2 counter,\n\t+ +10\.0\.0\.3 counter \}/,
  );
  // The listing reads back to itself.
  assert.equal(printNft(read(printNft(rs))), printNft(rs));
});

test('map counter: the counter before the data, as nft lists it', () => {
  const rs = read(`table ip t {
	map m {
		type ipv4_addr . inet_service : verdict
		flags interval
		counter
		elements = { 10.0.0.0/8 . 80 : accept, 192.0.2.1 . 22 : drop }
	}
	chain c {
		ip saddr . tcp dport vmap @m
	}
}`);
  assert.equal(
    printNft(rs),
    `table ip t {
	map m {
		type ipv4_addr . inet_service : verdict
		flags interval
		counter
		elements = { 10.0.0.0/8 . 80 counter packets 0 bytes 0 : accept,
			     192.0.2.1 . 22 counter packets 0 bytes 0 : drop }
	}

	chain c {
		ip saddr . tcp dport vmap @m
	}
}
`,
  );
});
