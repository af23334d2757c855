// -m u32 (xt_u32.c u32_match_it): each test reads 4 bytes at its first number, applies & << >>
// and @ (move the base by the value, read 4 bytes at the next number) and must land in one of
// its ranges; every read past the packet's end (or an overflowing base) makes the match false.
import { read32 } from '../../wire/checksum.ts';
import type { Skb } from '../core/skb.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

type U32Test = MatchOf<'u32'>['tests'][number];

/** The value a test computes, or -1 when a read falls outside the packet. */
function u32Value(t: U32Test, skb: Skb): number {
  const b = skb.buf;
  const base = skb.off;
  const len = Math.min(skb.len, b.length - base);
  let pos = t.first;
  if (len < 4 || pos > len - 4) return -1;
  let val = read32(b, base + pos);
  let at = 0;
  for (let i = 0; i < t.ops.length; i++) {
    const { op, n } = t.ops[i]!;
    if (op === '&') val = (val & n) >>> 0;
    else if (op === '<<') val = (val << (n & 31)) >>> 0;
    else if (op === '>>') val = val >>> (n & 31);
    else {
      if (at + val > 0xffffffff) return -1;
      at += val;
      pos = n;
      if (at + 4 > 0xffffffff || len < at + 4 || pos > len - at - 4) return -1;
      val = read32(b, base + at + pos);
    }
  }
  return val;
}

/** The index of the first test that fails, or -1 when all hold (u32_match_it is then true). */
function failingTest(m: MatchOf<'u32'>, skb: Skb): number {
  for (let k = 0; k < m.tests.length; k++) {
    const t = m.tests[k]!;
    const v = u32Value(t, skb);
    if (v < 0) return k;
    let ok = false;
    for (let i = 0; i < t.values.length; i++) {
      const r = t.values[i]!;
      if (r.min <= v && v <= r.max) {
        ok = true;
        break;
      }
    }
    if (!ok) return k;
  }
  return -1;
}

export const u32Match: XtMatch<MatchOf<'u32'>> = {
  match: (m, skb) => failingTest(m, skb) < 0 !== m.invert,
  describe(m, skb) {
    const k = failingTest(m, skb);
    if (k < 0) return '! --u32: every test holds';
    const v = u32Value(m.tests[k]!, skb);
    return v < 0
      ? `--u32 test ${k + 1}: a read falls outside the packet (${skb.len} bytes)`
      : `--u32 test ${k + 1}: the value is 0x${v.toString(16)}, in none of its ranges`;
  },
};
