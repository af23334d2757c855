// natbox lists raw payload matches as the real nft 1.0.6 listed them (issue 16):
// listing-fuzz-raw.txt holds nft's own listings of 1,082 random raw payload rules
// (scripts/nft-listing-fuzz.ts --pool raw; its head says how): masks off byte bounds, header
// fields named back and split, `th dport`, values past 2^53, bridge and netdev dependencies.
// What natbox does not list as nft yet is named here, each with why; anything else must be alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { natboxListing } from '../../../scripts/nft-listing-fuzz.ts';

const lines = readFileSync(new URL('./listing-fuzz-raw.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('['));

/** Rules natbox lists otherwise than nft, and why (docs/nftables.md's remaining differences). */
const KNOWN: Readonly<Record<string, string>> = {
  // nft merges a raw load with an adjacent field into one load (payload-merge.ts joins named fields only).
  '[ip] ip protocol 17 @nh,56,16 0xc6db': 'merge of a raw payload',
  '[netdev] ip protocol 17 @nh,32,40 0xee7657030b counter': 'merge of a raw payload',
  '[bridge] ether type ip @ll,72,24 0x16fb7b counter': 'merge of a raw payload',
  // nft lists a range of flags under a mask as an OR of flag values.
  '[inet] ip protocol 6 @th,104,5 11-19': 'flags range under a mask',
  // nft moves a link layer offset past the VLAN header it takes away (vlan offload).
  '[bridge] ether type 8021q @ll,160,16 8991 counter': 'link layer offset after a VLAN tag',
  '[bridge] ether type 8021q @ll,160,32 != 3072516842': 'link layer offset after a VLAN tag',
};

test('random raw payload rules: natbox lists each as the real nft 1.0.6 did', () => {
  assert.ok(lines.length > 1000, `only ${lines.length} listings read`);
  const differ: string[] = [];
  let alike = 0;
  let rmw = 0;
  for (const line of lines) {
    const m = /^\[(\w+)\] (.*) => (.*)$/.exec(line);
    assert.ok(m, line);
    const got = natboxListing(m[1]!, m[2]!);
    if (got === m[3]) alike++;
    // A `set` off byte bounds is the kernel's read-modify-write, which nft lists as such
    // (`@th,64,8 set @th,64,8 & 0xd7 | 0x10`): natbox lists the statement as written.
    else if (/ set \S+ & | set \S+ \| | set (ip6?|udp|tcp) \w+ [&|] /.test(m[3]!)) rmw++;
    else if (!(`[${m[1]}] ${m[2]}` in KNOWN))
      differ.push(`[${m[1]}] ${m[2]}\n  nft:    ${m[3]}\n  natbox: ${got}`);
  }
  assert.deepEqual(differ, []);
  // Measured 2026-12-04: 962 alike, 114 read-modify-write `set` listings, 6 known.
  assert.ok(alike >= 962, `${alike} alike`);
  assert.ok(rmw <= 114, `${rmw} set statements listed otherwise`);
});
