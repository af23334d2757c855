// The corpus (test/rules/nft-corpus/, real-world rulesets with what the real nft 1.0.6 printed for
// them): every `nft -j list ruleset` output there reads into the model and prints back byte for
// byte, and what is read from the JSON is what is read again from natbox's own output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNftJson, printNftJson } from '../../../src/rules/nft/index.ts';

const DIR = join(import.meta.dirname, '..', 'nft-corpus');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('nft json corpus: there are rulesets to check', () => {
  assert.ok(files.length >= 25, `${files.length} JSON files in ${DIR}`);
});

for (const f of files) {
  test(`nft json corpus: ${f} reads and prints back byte for byte`, () => {
    const text = readFileSync(join(DIR, f), 'utf8');
    const r = parseNftJson(text, f);
    assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`).join('\n'));
    const out = printNftJson(r.ruleset);
    if (out !== text) {
      const a = JSON.parse(text).nftables as unknown[];
      const b = JSON.parse(out).nftables as unknown[];
      const i = a.findIndex((x, k) => JSON.stringify(x) !== JSON.stringify(b[k]));
      assert.fail(`item ${i} differs:\n  nft:    ${JSON.stringify(a[i])}\n  natbox: ${JSON.stringify(b[i])}`);
    }
    const again = parseNftJson(out, f);
    assert.ok(again.ok);
    assert.equal(JSON.stringify(again.ruleset), JSON.stringify(r.ruleset));
  });
}
