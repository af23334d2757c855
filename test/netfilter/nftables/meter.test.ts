// nft meters (`meter NAME [size N] { KEY [timeout T] STMT }`) on exact packets: nft 1.0.6 makes a
// dynamic set of the meter's name and size (flags timeout with a timeout) and a dynset on it,
// `add` without a timeout and `update` with one (netlink_gen_meter_stmt; `nft --debug=netlink`
// shows `dynset add reg_key 1 set m1 expr [ limit ... ]`); nft_dynset_eval then runs the
// statement as the element's own (a per-key limit), and a full set ends the rule (nft_dynset_new
// fails). `nft list ruleset` does not list the meter's set: natbox's listing neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { listedRuleset } from '../../../src/netfilter/nftables/listing.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import { nftEngine, parseNftText, udpVerdict } from './dsl.ts';

const RULES = `table ip t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 9 meter m1 size 65535 { ip saddr limit rate over 1/second burst 2 packets } counter packets 0 bytes 0 drop
	}
}
`;

test('meter { ip saddr limit rate over R burst B }: a bucket per source, as a per-element limit', () => {
  const rs = parseNftText(RULES);
  assert.deepEqual(checkNft(rs), []);
  assert.equal(printNft(rs), RULES);
  const nf = nftEngine(rs);
  // nft_limit's bucket starts full (nft_limit_init: burst x the cost of a packet: 2 packets within
  // the rate), then fills at one a second.
  const a = [0, 0.1, 0.2, 0.3, 0.4].map((t) => udpVerdict(nf, '10.0.0.1', '10.0.1.1', t));
  assert.deepEqual(a, [NF_ACCEPT, NF_ACCEPT, NF_DROP, NF_DROP, NF_DROP]);
  // Another source has its own bucket.
  assert.equal(udpVerdict(nf, '10.0.0.2', '10.0.1.1', 0.5), NF_ACCEPT);
  // A second later the first source has a token again.
  assert.equal(udpVerdict(nf, '10.0.0.1', '10.0.1.1', 1.45), NF_ACCEPT);
  assert.equal(udpVerdict(nf, '10.0.0.1', '10.0.1.1', 1.5), NF_DROP);
  // The listing shows the rule's counter, no set (nft list ruleset lists no meter's set).
  const listed = printNft(listedRuleset(rs, nf.frontEndTables, 1.6));
  assert.doesNotMatch(listed, /set m1/);
  assert.match(listed, /counter packets 4 bytes 120 drop\n/);
});

test('meter size N: a full meter ends the rule (nft_dynset_new fails); a timeout makes it an update', () => {
  const rs = parseNftText(`table ip t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 9 meter m2 size 1 { ip saddr counter } drop
		udp dport 9 meter m3 size 8 { ip saddr . udp dport timeout 2s counter }
	}
}
`);
  assert.deepEqual(checkNft(rs), []);
  const nf = nftEngine(rs);
  assert.equal(udpVerdict(nf, '10.0.0.1', '10.0.1.1', 0), NF_DROP, 'added to m2: dropped');
  assert.equal(udpVerdict(nf, '10.0.0.1', '10.0.1.1', 0.1), NF_DROP, 'in m2: dropped');
  assert.equal(udpVerdict(nf, '10.0.0.2', '10.0.1.1', 0.2), NF_ACCEPT, 'm2 is full: the rule ends');
});
