// The kernel's Bob Jenkins hash (include/linux/jhash.h) and reciprocal_scale
// (include/linux/math.h), on unsigned 32-bit numbers: what xt_cluster, xt_HMARK and other modules
// hash with, so natbox picks the same node or mark as the kernel for the same input.

const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** __jhash_nwords + __jhash_final: a, b, c each plus `iv`, then the final mix; returns c. */
function jhashFinal(a: number, b: number, c: number, iv: number): number {
  a = (a + iv) >>> 0;
  b = (b + iv) >>> 0;
  c = (c + iv) >>> 0;
  c = ((c ^ b) - rol32(b, 14)) >>> 0;
  a = ((a ^ c) - rol32(c, 11)) >>> 0;
  b = ((b ^ a) - rol32(a, 25)) >>> 0;
  c = ((c ^ b) - rol32(b, 16)) >>> 0;
  a = ((a ^ c) - rol32(c, 4)) >>> 0;
  b = ((b ^ a) - rol32(a, 14)) >>> 0;
  c = ((c ^ b) - rol32(b, 24)) >>> 0;
  return c;
}

/** jhash_3words(a, b, c, initval). */
export const jhash3words = (a: number, b: number, c: number, initval: number): number =>
  jhashFinal(a, b, c, (initval + JHASH_INITVAL + (3 << 2)) >>> 0);

/** jhash_1word(a, initval). */
export const jhash1word = (a: number, initval: number): number =>
  jhashFinal(a, 0, 0, (initval + JHASH_INITVAL + (1 << 2)) >>> 0);

/** reciprocal_scale: (u64)val * n >> 32, exactly (split so no product passes 2^53). */
export function reciprocalScale(val: number, n: number): number {
  const x = (val >>> 16) * n + Math.floor(((val & 0xffff) * n) / 65536);
  return Math.floor(x / 65536) >>> 0;
}
