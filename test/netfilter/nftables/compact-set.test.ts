// The compact layout of small exact-key sets (set-index.ts CompactSet, sets.ts RtSet.small: key,
// slot, expiry and timeout in one array; issue 16, "Speed") against the general one (a HashIndex
// with per-slot expiries and timeouts): the same random sequences of nft_dynset adds and updates
// (with their timeouts and the refresh of nft_dynset_eval), deletes, lookups and the passing of
// time answer the same slots, expiries, timeouts and listing order in both, across the compact
// set's move to a HashIndex when its elements outgrow it. A planted bug (a deleted entry marked
// empty, not a tombstone) is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompactSet, HashIndex } from '../../../src/netfilter/nftables/set-index.ts';
import { RtSet, type SetConfig } from '../../../src/netfilter/nftables/sets.ts';
import { fcOpts } from '../helpers.ts';

const cfgOf = (words: number, maxSize = 65535): SetConfig => ({
  name: 'affinity',
  strFields: Array.from({ length: words }, () => false),
  interval: false,
  dataFields: 0,
  verdictMap: false,
  timeout: 0,
  maxSize,
  counters: false,
});

type Op =
  | { kind: 'add' | 'update'; key: number[]; timeout: number }
  | { kind: 'delete'; key: number[] }
  | { kind: 'lookup'; key: number[] }
  | { kind: 'wait'; dt: number };

const opArb = (words: number): fc.Arbitrary<Op> => {
  // Few distinct keys (collisions, re-adds after expiry or delete), words past 2^31 among them.
  const key = fc.array(fc.constantFrom(0, 1, 2, 0x80000001, 0xffffffff), {
    minLength: words,
    maxLength: words,
  });
  return fc.oneof(
    fc.record({
      kind: fc.constantFrom('add' as const, 'update' as const),
      key,
      timeout: fc.constantFrom(0, 3, 10),
    }),
    fc.record({ kind: fc.constant('delete' as const), key }),
    fc.record({ kind: fc.constant('lookup' as const), key }),
    fc.record({ kind: fc.constant('wait' as const), dt: fc.constantFrom(1, 4, 11) }),
  );
};

/** Runs ops on both sets (as compile.ts's dynset closure does); throws at the first difference. */
function runBoth(a: RtSet, b: RtSet, ops: readonly Op[]): void {
  let now = 100;
  const k = new Uint32Array(a.cfg.strFields.length);
  ops.forEach((op, i) => {
    if (op.kind === 'wait') {
      now += op.dt;
      return;
    }
    k.set(op.key);
    if (op.kind === 'delete') {
      a.deleteKey(k);
      b.deleteKey(k);
    } else if (op.kind === 'lookup') {
      assert.equal(a.lookup(k, now), b.lookup(k, now), `op ${i}: lookup`);
    } else {
      const sa = a.addKey(k, now, op.timeout);
      const sb = b.addKey(k, now, op.timeout);
      assert.equal(sa, sb, `op ${i}: addKey`);
      assert.equal(a.fresh, b.fresh, `op ${i}: fresh`);
      if (op.kind === 'update' && sa >= 0 && !a.fresh && op.timeout > 0) {
        a.refresh(sa, now + op.timeout);
        b.refresh(sb, now + op.timeout);
      }
    }
    assert.equal(a.slots, b.slots, `op ${i}: slots`);
    for (let s = 0; s < a.slots; s++) {
      assert.equal(a.expiryOf(s), b.expiryOf(s), `op ${i}: slot ${s} expiry`);
      // A deleted slot's timeout is never read (the listing leaves it out).
      if (!Number.isNaN(a.expiryOf(s)))
        assert.equal(a.timeoutOf(s), b.timeoutOf(s), `op ${i}: slot ${s} timeout`);
    }
    assert.deepEqual(a.added, b.added, `op ${i}: added`);
  });
}

test('nft compact set: starts compact, an empty one answers a lookup from its size', () => {
  const a = new RtSet(cfgOf(1), 0);
  assert.ok(a.small && !a.hash);
  assert.equal(a.lookup(new Uint32Array([7]), 0), -1);
  const s = a.addKey(new Uint32Array([7]), 0, 10800);
  assert.equal(s, 0);
  assert.equal(a.lookup(new Uint32Array([7]), 10799), 0);
  assert.equal(a.lookup(new Uint32Array([7]), 10800), -1); // nft_set_elem_expired: expiry <= now
  assert.equal(a.expiryOf(0), 10800);
  assert.equal(a.timeoutOf(0), 10800);
  // Past CompactSet.CAP elements it moves to a HashIndex with the same slots and expiries.
  for (let i = 1; i <= CompactSet.CAP; i++) a.addKey(new Uint32Array([7 + i]), 1, 0);
  assert.ok((a.hash as HashIndex | undefined) !== undefined && a.small === undefined);
  assert.equal(a.lookup(new Uint32Array([7]), 5), 0);
  assert.equal(a.expiryOf(0), 10800);
  assert.equal(a.expiryOf(1), Infinity);
  assert.equal(a.lookup(new Uint32Array([7 + CompactSet.CAP]), 5), CompactSet.CAP);
});

for (const words of [1, 2]) {
  test(`nft compact set: ${words}-word keys answer as the general layout on random dynset sequences (property)`, () => {
    fc.assert(
      fc.property(fc.array(opArb(words), { maxLength: 60 }), fc.constantFrom(2, 3, 65535), (ops, max) => {
        const a = new RtSet(cfgOf(words, max), 0);
        const b = new RtSet(cfgOf(words, max), 1); // capacity 1: a HashIndex from the start
        assert.ok(a.small !== undefined && b.hash !== undefined);
        runBoth(a, b, ops);
      }),
      fcOpts,
    );
  });
}

test('nft compact set: a planted bug (a deleted entry marked empty) is caught', () => {
  class Buggy extends CompactSet {
    override remove(e: number): void {
      this.tab[e + this.words] = -1; // EMPTY, not a tombstone: a probe stops there
      this.tab[this.base]!--;
    }
  }
  const r = fc.check(
    fc.property(fc.array(opArb(1), { maxLength: 60 }), (ops) => {
      const a = new RtSet(cfgOf(1), 0);
      a.small = new Buggy(1);
      runBoth(a, new RtSet(cfgOf(1), 1), ops);
    }),
    { numRuns: 2000, seed: 16 },
  );
  assert.ok(r.failed, 'the planted bug went unnoticed');
});
