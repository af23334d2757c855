// `auto-merge` sets and anonymous interval sets: nft merges overlapping and adjacent intervals
// (intervals.c set_automerge / setelem_automerge; maps are not merged, and a map block refuses
// `auto-merge`). Expected listings: nft 1.0.6 on Linux 6.18, this machine (2026-12-03, root, a
// fresh `ip netns`): `nft -f` of the input, then `nft list ruleset`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import { loadNftRules } from '../../../src/rules/load.ts';
import { nftEngine, udpVerdict } from '../../netfilter/nftables/dsl.ts';

const load = (text: string) => {
  const r = loadNftRules(
    text.split('\n').map((t, i) => ({ text: t, file: 'in.nft', line: i + 1, column: 1 })),
    {},
  );
  assert.ok(r.ok, r.ok ? '' : r.diagnostics[0]!.message);
  return r.ruleset;
};

const NAMED = `table inet t {
  set a { type ipv4_addr; flags interval; auto-merge; elements = { 10.0.0.0/25, 10.0.0.128/25, 10.0.1.0, 10.0.1.1, 192.168.0.0/16, 192.168.3.0/24 } }
  set b { type ipv6_addr; flags interval; auto-merge; elements = { 2001:db8::/33, 2001:db8:8000::/33, ::1 } }
  set c { type inet_service; flags interval; auto-merge; elements = { 10, 1-5, 6 } }
  set d { type inet_service; flags interval; auto-merge; }
  set e { type inet_service; flags interval; auto-merge; elements = { 1-100 } }
  set f { type ipv4_addr; flags interval; auto-merge; elements = { 10.0.0.0-10.0.0.5, 10.0.0.6-10.0.0.7 } }
  set g { type inet_service; flags interval; elements = { 1-10, 11-20, 30, 31, 32 } }
  chain c {
    ip6 saddr { 2001:db8::/33, 2001:db8:8000::/33, ::1 } accept
    ip saddr { 10.0.0.1, 10.0.0.2, 10.0.0.0/30 } accept
    tcp dport { 1, 2, 3 } accept
    tcp dport { 1, 2, 3, 7-9 } accept
    tcp dport { 5-20, 1-10 } accept
    tcp dport vmap { 1-10 : accept, 11-20 : accept }
    ip daddr . tcp dport { 10.0.0.1 . 1-10, 10.0.0.1 . 11-20 } accept
    ip saddr { 0.0.0.0/1, 128.0.0.0/1 } accept
  }
}
add element inet t c { 7-9 }
add element inet t d { 1-5 }
add element inet t d { 6-8 }
add element inet t d { 20 }`;

const NAMED_NFT = `table inet t {
	set a {
		type ipv4_addr
		flags interval
		auto-merge
		elements = { 10.0.0.0-10.0.1.1, 192.168.0.0/16 }
	}

	set b {
		type ipv6_addr
		flags interval
		auto-merge
		elements = { ::1,
			     2001:db8::/32 }
	}

	set c {
		type inet_service
		flags interval
		auto-merge
		elements = { 1-10 }
	}

	set d {
		type inet_service
		flags interval
		auto-merge
		elements = { 1-8, 20 }
	}

	set e {
		type inet_service
		flags interval
		auto-merge
		elements = { 1-100 }
	}

	set f {
		type ipv4_addr
		flags interval
		auto-merge
		elements = { 10.0.0.0/29 }
	}

	set g {
		type inet_service
		flags interval
		elements = { 1-10, 11-20, 30, 31, 32 }
	}

	chain c {
		ip6 saddr { ::1, 2001:db8::/32 } accept
		ip saddr { 10.0.0.0/30 } accept
		tcp dport { 1, 2, 3 } accept
		tcp dport { 1-3, 7-9 } accept
		tcp dport { 1-20 } accept
		tcp dport vmap { 1-10 : accept, 11-20 : accept }
		ip daddr . tcp dport { 10.0.0.1 . 1-10, 10.0.0.1 . 11-20 } accept
		ip saddr { 0.0.0.0/0 } accept
	}
}
`;

test('auto-merge sets and anonymous interval sets list merged, as nft 1.0.6 lists them', () => {
  assert.equal(printNft(load(NAMED)), NAMED_NFT);
});

test('a merged element keeps the first one comment and timeout (nft 1.0.6)', () => {
  // nft listed: `10.0.0.0/24 comment "x"` and `1-20 timeout 1h expires 59m59s996ms`.
  const out = printNft(
    load(`table ip t {
  set a { type ipv4_addr; flags interval; auto-merge; elements = { 10.0.0.128/25, 10.0.0.0/25 comment "x" } }
  set b { type inet_service; flags interval,timeout; auto-merge; elements = { 1-10 timeout 1h, 11-20 timeout 1h } }
  set d { type ipv4_addr; flags interval; auto-merge; elements = { 10.0.0.0/24, 10.0.0.5 } }
}`),
  );
  assert.match(out, /elements = \{ 10\.0\.0\.0\/24 comment "x" \}/);
  assert.match(out, /elements = \{ 1-20 timeout 1h \}/);
  assert.match(
    out,
    /set d \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = \{ 10\.0\.0\.0\/24 \}/,
  );
});

test('a merged auto-merge set matches the packets its elements matched', () => {
  const rs = load(`table ip t {
	set a {
		type ipv4_addr
		flags interval
		auto-merge
		elements = { 10.0.0.0/25, 10.0.0.128/25, 10.0.1.0, 10.0.1.1, 192.168.3.0/24 }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr @a drop
	}
}
add element ip t a { 192.168.0.0/16 }`);
  assert.match(printNft(rs), /elements = \{ 10\.0\.0\.0-10\.0\.1\.1, 192\.168\.0\.0\/16 \}/);
  const nf = nftEngine(rs);
  for (const [src, v] of [
    ['10.0.0.0', NF_DROP],
    ['10.0.0.127', NF_DROP],
    ['10.0.0.128', NF_DROP],
    ['10.0.1.1', NF_DROP],
    ['10.0.1.2', NF_ACCEPT],
    ['192.168.200.1', NF_DROP],
    ['192.169.0.1', NF_ACCEPT],
    ['9.255.255.255', NF_ACCEPT],
  ] as const)
    assert.equal(udpVerdict(nf, src, '10.9.0.1', 1), v, src);
});

test('a map block refuses auto-merge, with nft 1.0.6 words', () => {
  // nft -c: `/tmp/m5.nft:2:56-65: Error: syntax error, unexpected auto-merge`.
  const r = loadNftRules(
    [
      'table ip t {',
      '  map m { type inet_service : verdict; flags interval; auto-merge; elements = { 1-10 : accept, 11-20 : accept } }',
      '}',
    ].map((text, i) => ({ text, file: 'in.nft', line: i + 1, column: 1 })),
    {},
  );
  assert.ok(!r.ok);
  assert.equal(r.diagnostics[0]!.message, 'syntax error, unexpected auto-merge');
  assert.equal(r.diagnostics[0]!.line, 2);
  assert.equal(r.diagnostics[0]!.column, 56);
});

test('an anonymous verdict map with overlapping intervals is refused where nft 1.0.6 refuses it', () => {
  // nft -c -f on Linux 6.18, each rule alone on line 4 of an inet nat chain (column 3).
  const at = (rule: string): string => {
    const r = loadNftRules(
      [
        'table inet t {',
        ' chain c {',
        '  type nat hook prerouting priority dstnat;',
        `  ${rule}`,
        ' }',
        '}',
      ].map((text, i) => ({ text, file: 's4.nft', line: i + 1, column: 1 })),
      {},
    );
    return r.ok ? 'ok' : `${r.diagnostics[0]!.line}:${r.diagnostics[0]!.column} ${r.diagnostics[0]!.message}`;
  };
  const C = 'conflicting intervals specified';
  assert.equal(at('ip saddr vmap { 10.0.1.0-10.0.1.255 : accept, 10.0.1.1-10.0.2.255 : drop }'), `4:49 ${C}`);
  assert.equal(
    at('ip saddr vmap { 3.3.3.3-3.3.3.4 : accept, 1.1.1.1-1.1.1.255 : accept, 1.1.1.0-1.1.2.1 : drop}'),
    `4:45 ${C}`,
  );
  assert.equal(at('tcp dport vmap { 1-10 : accept, 5 : drop }'), `4:35 ${C}`);
  assert.equal(at('tcp dport vmap { 1-10 : accept, 10-20 : drop }'), `4:35 ${C}`);
  assert.equal(at('tcp dport vmap { 1-10 : accept, 11-20 : drop }'), 'ok');
});
