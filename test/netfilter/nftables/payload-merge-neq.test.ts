// nft's payload merge joins adjacent `!=` payload matches into one load and one `cmp neq` over
// their bytes (nft 1.0.6 here, `nft --debug=netlink -f` of `udp dport != 5002 udp sport != 41001`:
// `payload load 4b @ transport header + 0 => reg 1`, `cmp neq reg 1 …`), from text and from JSON
// (`nft -j -f` alike): the rule holds when any of the fields differs. natbox had evaluated two
// compares (both must differ). Live: test/conformance/nft/payload-merge-neq.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/verdict.ts';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { parseNftJson, printNft } from '../../../src/rules/nft/index.ts';
import type { NftRuleset } from '../../../src/rules/nft/model.ts';
import { envOf, fwd, nftEngine, parseNftText } from './dsl.ts';
import { ip } from '../helpers.ts';

const TEXT = `table ip t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport != 5002 udp sport != 41001 counter drop
	}
}
`;

/** The same rule as `nft -j list ruleset` gives it, with the two matches in the order written. */
const JSON_TEXT = JSON.stringify({
  nftables: [
    { table: { family: 'ip', name: 't', handle: 1 } },
    {
      chain: {
        family: 'ip',
        table: 't',
        name: 'forward',
        handle: 1,
        type: 'filter',
        hook: 'forward',
        prio: 0,
        policy: 'accept',
      },
    },
    {
      rule: {
        family: 'ip',
        table: 't',
        chain: 'forward',
        handle: 2,
        expr: [
          { match: { op: '!=', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 5002 } },
          { match: { op: '!=', left: { payload: { protocol: 'udp', field: 'sport' } }, right: 41001 } },
          { counter: { packets: 0, bytes: 0 } },
          { drop: null },
        ],
      },
    },
  ],
});

function verdicts(rs: NftRuleset): number[] {
  const nf = nftEngine(rs);
  return [
    [41001, 5002],
    [41001, 5003],
    [41002, 5002],
    [41002, 5003],
  ].map(([sport, dport]) => {
    const skb = new Skb();
    skb.env = envOf(nf);
    const buf = buildUdpPacket(
      { src: ip('10.0.1.10'), dst: ip('198.51.100.80'), id: 1 },
      { srcPort: sport!, dstPort: dport! },
      new Uint8Array(2),
    );
    return fwd(nf, skb, buf, 'lan', 'wan', 1);
  });
}

test('joined != port matches: the rule holds when either port differs (text)', () => {
  const rs = parseNftText(TEXT);
  assert.deepEqual(verdicts(rs), [NF_ACCEPT, NF_DROP, NF_DROP, NF_DROP]);
  // Listed in header order, as nft 1.0.6 lists it.
  assert.match(printNft(rs), /\t\tudp sport != 41001 udp dport != 5002 counter packets 3 bytes \d+ drop\n/);
});

test('joined != port matches read from nft -j JSON evaluate and list alike', () => {
  const r = parseNftJson(JSON_TEXT, 'rules.json');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  assert.deepEqual(verdicts(r.ruleset), [NF_ACCEPT, NF_DROP, NF_DROP, NF_DROP]);
  assert.match(
    printNft(r.ruleset),
    /\t\tudp sport != 41001 udp dport != 5002 counter packets 3 bytes \d+ drop\n/,
  );
});

test('== matches joined alike still need every field equal', () => {
  const rs = parseNftText(TEXT.replace(/ != /g, ' '));
  assert.deepEqual(verdicts(rs), [NF_DROP, NF_ACCEPT, NF_ACCEPT, NF_ACCEPT]);
});
