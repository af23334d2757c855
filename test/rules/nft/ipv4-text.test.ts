// parseIpv4 (read without a regex since the kube-proxy speed work, issue 16) against the regex it
// replaced: four dot-separated runs of 1 to 3 decimal digits, each at most 255, nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpv4, parseIpv4 } from '../../../src/rules/nft/types.ts';
import { fcOpts } from '../../netfilter/helpers.ts';

function reference(w: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(w);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

test('nft parseIpv4: every address reads back from its text', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      assert.equal(parseIpv4(formatIpv4(n)), n);
    }),
    fcOpts,
  );
});

test('nft parseIpv4: any word answers as the regex does (property)', () => {
  const part = fc.oneof(
    fc.integer({ min: 0, max: 999 }).map(String),
    fc.stringMatching(/^[0-9]{0,5}$/),
    fc.constantFrom('', 'a', '-', '/', ' ', '0x1'),
  );
  fc.assert(
    fc.property(
      fc.array(part, { minLength: 1, maxLength: 6 }),
      fc.constantFrom('.', '.', '.', ':', '..'),
      (ps, sep) => {
        const w = ps.join(sep);
        assert.equal(parseIpv4(w), reference(w), JSON.stringify(w));
      },
    ),
    fcOpts,
  );
});
