// The nft set lookup structures against a plain walk over the elements (the reference answer of
// nft_lookup: the element holding the key; for intervals, the one whose every field's range holds
// the key's field): exact keys by hash with inserts and deletes, intervals of one and several fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HashIndex, IntervalIndex, type IntervalElem } from '../../../src/netfilter/nftables/set-index.ts';
import { fcOpts } from '../helpers.ts';

test('nft set-index: exact 3-word keys (ip daddr . l4proto . dport) found, absent ones not', () => {
  const h = new HashIndex(3);
  for (let i = 0; i < 10_000; i++) h.insert([0x0a000000 + i, 6, 80 + (i % 3)], 0, i);
  assert.equal(h.size, 10_000);
  assert.equal(h.lookup([0x0a000000 + 1234, 6, 80 + (1234 % 3)]), 1234);
  assert.equal(h.lookup([0x0a000000 + 1234, 17, 80 + (1234 % 3)]), -1);
  assert.equal(h.lookup([0x0a000000 + 1234, 6, 81 + (1234 % 3)]), -1);
  // Words above 2^31 (addresses 128.0.0.0 and up) are keys like any other.
  h.insert([0xcb007116, 17, 53], 0, 99_999);
  assert.equal(h.lookup(new Uint32Array([0xcb007116, 17, 53])), 99_999);
});

test('nft set-index: inserts and deletes agree with a Map (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 })), {
        maxLength: 300,
      }),
      (ops) => {
        const h = new HashIndex(2, 2);
        const ref = new Map<string, number>();
        ops.forEach(([add, a, b], i) => {
          const k = [a * 0x10001 + 0x80000000, b];
          if (add) {
            assert.equal(h.insert(k, 0, i), ref.get(k.join()) ?? -1);
            ref.set(k.join(), i);
          } else {
            assert.equal(h.delete(k), ref.get(k.join()) ?? -1);
            ref.delete(k.join());
          }
        });
        assert.equal(h.size, ref.size);
        for (let a = 0; a <= 40; a++)
          for (let b = 0; b <= 3; b++) {
            const k = [a * 0x10001 + 0x80000000, b];
            assert.equal(h.lookup(k), ref.get(k.join()) ?? -1);
          }
      },
    ),
    fcOpts,
  );
});

test('nft set-index: a mapValues copy answers f(value) for every key, as a walk does, until a change (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 2 })), {
        maxLength: 300,
      }),
      fc.integer({ min: 1, max: 1 << 20 }),
      (ops, mul) => {
        const h = new HashIndex(3, 2);
        const elems: { key: number[]; value: number }[] = [];
        const f = (v: number): number => (v * mul + 7) % 0x7fffffff;
        ops.forEach(([add, a, b], i) => {
          const k = [a * 0x01000193 + 0xac1e0000, b === 0 ? 6 : 17, 80 + a];
          const at = elems.findIndex((e) => e.key.every((x, j) => x === k[j]));
          if (add) {
            h.insert(k, 0, i);
            if (at >= 0) elems[at]!.value = i;
            else elems.push({ key: k, value: i });
          } else {
            h.delete(k);
            if (at >= 0) elems.splice(at, 1);
          }
        });
        const before = h.version;
        const copy = h.mapValues(f);
        const regs = new Float64Array(3);
        for (let a = 0; a <= 60; a++)
          for (const p of [6, 17]) {
            const k = [(a * 0x01000193 + 0xac1e0000) >>> 0, p, 80 + a];
            const e = elems.find((x) => x.key.every((y, j) => y >>> 0 === k[j]));
            for (let j = 0; j < 3; j++) regs[j] = k[j]!;
            assert.equal(copy.lookupRegs(regs), e ? f(e.value) : -1);
            assert.equal(h.lookupRegs(regs), e ? e.value : -1);
          }
        // The copy is current while the index's version is the one copied.
        assert.equal(h.version, before);
        h.insert([1, 2, 3], 0, 5);
        assert.notEqual(h.version, before);
      },
    ),
    fcOpts,
  );
});

/** The reference: the first element whose ranges hold every field of the key. */
function walk(elems: readonly IntervalElem[], key: readonly number[]): number {
  for (const e of elems) if (key.every((x, f) => e.lo[f]! <= x && x <= e.hi[f]!)) return e.value;
  return -1;
}

test('nft set-index: one-field intervals (prefixes and ranges) as a walk answers them', () => {
  const elems: IntervalElem[] = [
    { lo: [0x0a000000], hi: [0x0affffff], value: 0 }, // 10.0.0.0/8
    { lo: [0xc0a80100], hi: [0xc0a801ff], value: 1 }, // 192.168.1.0/24
    { lo: [0xffffff00], hi: [0xffffffff], value: 2 }, // up to the top of the range
  ];
  const ix = new IntervalIndex(1, elems);
  for (const x of [0, 0x09ffffff, 0x0a000000, 0x0a123456, 0x0affffff, 0x0b000000, 0xc0a80101, 0xffffffff])
    assert.equal(ix.lookup([x]), walk(elems, [x]), `key ${x.toString(16)}`);
});

test('nft set-index: concatenated intervals agree with a walk (property)', () => {
  const range = fc
    .tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 10 }))
    .map(([lo, len]) => [lo, lo + len] as const);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(range, range, range), { maxLength: 25 }),
      fc.array(fc.tuple(fc.nat(62), fc.nat(62), fc.nat(62)), { maxLength: 40 }),
      (boxes, keys) => {
        const elems: IntervalElem[] = boxes.map((b, i) => ({
          lo: b.map((r) => r[0]),
          hi: b.map((r) => r[1]),
          value: i,
        }));
        const ix = new IntervalIndex(3, elems);
        for (const k of keys) assert.equal(ix.lookup(k), walk(elems, k));
      },
    ),
    fcOpts,
  );
});
