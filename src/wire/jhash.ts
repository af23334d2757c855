// The kernel's Bob Jenkins hash (include/linux/jhash.h) and reciprocal_scale
// (include/linux/math.h), on unsigned 32-bit numbers: what xt_cluster, xt_HMARK and other modules
// hash with, so natbox picks the same node or mark as the kernel for the same input. In wire/ so
// that routing (the multipath hash's jhash_2words) and netfilter share it.

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
/** jhash_2words(a, b, initval): __jhash_nwords(a, b, 0, initval + JHASH_INITVAL + (2 << 2)). */
export const jhash2words = (a: number, b: number, initval: number): number =>
  jhashFinal(a, b, 0, (initval + JHASH_INITVAL + 8) >>> 0);

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

/**
 * jhash2(k, length, initval): the hash of `length` 32-bit words k[off..] (include/linux/jhash.h:
 * __jhash_mix for each full group of three, then the last one to three words and __jhash_final).
 * The words are the u32 values the kernel reads from memory: on a little-endian machine a network
 * order address reads byte-swapped (bswap32).
 */
export function jhash2(k: ArrayLike<number>, off: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + (length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = off;
  while (length > 3) {
    a = (a + k[i]!) >>> 0;
    b = (b + k[i + 1]!) >>> 0;
    c = (c + k[i + 2]!) >>> 0;
    // __jhash_mix
    a = ((a - c) ^ rol32(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rol32(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rol32(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = ((a - c) ^ rol32(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rol32(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rol32(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 3;
    i += 3;
  }
  if (length === 0) return c;
  if (length === 3) c = (c + k[i + 2]!) >>> 0;
  if (length >= 2) b = (b + k[i + 1]!) >>> 0;
  a = (a + k[i]!) >>> 0;
  return jhashFinal(a, b, c, 0);
}

/** The u32 a little-endian CPU reads from a big-endian (network order) word. */
export const bswap32 = (x: number): number =>
  (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
