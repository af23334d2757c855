// natbox lists random rules as the real nft 1.0.6 listed them (issue 16): listing-fuzz.txt holds
// nft's own listings of 1,032 random rules (scripts/nft-listing-fuzz.ts made the rules and the
// capture; its head says how), payload matches, dependencies, `th`, ranges, sets and fences
// mixed; this holds natbox's listing of each rule to nft's, without nft. A new capture (another
// seed, after a change) is made with the script's --save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { natboxListing } from '../../../scripts/nft-listing-fuzz.ts';

const lines = readFileSync(new URL('./listing-fuzz.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('['));

test('random rules: natbox lists each as the real nft 1.0.6 did', () => {
  assert.ok(lines.length > 1000, `only ${lines.length} listings read`);
  const differ: string[] = [];
  for (const line of lines) {
    const m = /^\[(\w+)\] (.*) => (.*)$/.exec(line);
    assert.ok(m, line);
    const got = natboxListing(m[1]!, m[2]!);
    if (got !== m[3]) differ.push(`[${m[1]}] ${m[2]}\n  nft:    ${m[3]}\n  natbox: ${got}`);
  }
  assert.deepEqual(differ, []);
});
