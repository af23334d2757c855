// The kernel's IPv4 multipath hash (net/ipv4/route.c fib_multipath_hash, as
// include/net/ip_fib.h fib_multipath_hash_from_keys computes it): a `struct flow_keys` zeroed,
// then the fields the policy takes written into it (0: the addresses; 1: addresses, protocol and
// ports; 2: the inner addresses of an encapsulated packet, else the addresses; 3: those of
// net.ipv4.fib_multipath_hash_fields), __flow_hash_consistentify (net/core/flow_dissector.c: the
// smaller address first, the smaller port first, each compared as the raw big-endian value loaded
// on a little-endian machine), and siphash-2-4 (lib/siphash.c) over the 48 bytes from `basic` for
// an IPv4 key (flow_keys_hash_length: sizeof(struct flow_keys) 80 less the offset of `basic` 8
// and of the unused 24 bytes of the address union; the layout checked in the BTF of Linux 6.18),
// under the key fib_multipath_hash_construct_key makes of the 32-bit seed: both 64-bit words are
// seed:seed. The 32-bit result (never 0: 0 becomes 1) is shifted right once: a 31-bit hash that
// fib_select_multipath compares with the paths' upper bounds. Policy 3 for a forwarded packet
// (fib_multipath_custom_hash_skb) mixes the outer fields' hash with the inner ones' (0 here: natbox
// has no encapsulation) by jhash_2words before the shift; for a locally generated one
// (fib_multipath_custom_hash_fl4) it takes the outer hash alone. A mask without outer fields
// hashes to 0 (every flow takes the first path).
//
// The seed is net.ipv4.fib_multipath_hash_seed (proc_fib_multipath_hash_set_seed), or when that
// is 0 a random value drawn once at boot for every namespace (proc_fib_multipath_hash_rand_seed):
// natbox then uses UNSEEDED_STANDIN, so which path a flow takes is the kernel's only with a seed.
// No allocation: 64-bit words as pairs of uint32 in locals.

import { jhash2words } from '../wire/jhash.ts';

/** What natbox uses for the kernel's random boot seed when the sysctl is 0 (any value would do). */
export const UNSEEDED_STANDIN = 0x6e617462; // "natb"

const bswap32 = (x: number): number =>
  (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

/** The message words (lo, hi pairs) of one hash; module scope, reused. */
const M = new Uint32Array(12);

/**
 * fib_multipath_hash_from_keys for an IPv4 flow: `src`, `dst` as uint32 (host order, as natbox
 * keeps addresses), `proto`, `sport`, `dport` (0 for policy 0) under `seed` (the mp_seed). Returns
 * the 31-bit multipath hash (fib_multipath_hash's `mhash >> 1`).
 */
export function fibMultipathHash(
  seed: number,
  src: number,
  dst: number,
  proto: number,
  sport: number,
  dport: number,
): number {
  return flowHashFromKeys(seed, src, dst, proto, sport, dport) >>> 1;
}

// net.ipv4.fib_multipath_hash_fields (include/net/ip_fib.h FIB_MULTIPATH_HASH_FIELD_*).
export const FIB_MULTIPATH_HASH_FIELD_SRC_IP = 0x1;
export const FIB_MULTIPATH_HASH_FIELD_DST_IP = 0x2;
export const FIB_MULTIPATH_HASH_FIELD_IP_PROTO = 0x4;
export const FIB_MULTIPATH_HASH_FIELD_SRC_PORT = 0x10;
export const FIB_MULTIPATH_HASH_FIELD_DST_PORT = 0x20;
/** The outer fields (FIB_MULTIPATH_HASH_FIELD_OUTER_MASK: addresses, protocol, flow label, ports). */
export const FIB_MULTIPATH_HASH_FIELD_OUTER_MASK = 0x3f;
/** Every field, inner ones included (the sysctl's maximum). */
export const FIB_MULTIPATH_HASH_FIELD_ALL_MASK = 0xfff;
/** The sysctl's default: source and destination address and protocol. */
export const FIB_MULTIPATH_HASH_FIELD_DEFAULT_MASK = 0x7;

/**
 * fib_multipath_hash for policy 3 (fib_multipath_custom_hash_skb when `forwarded`, else
 * _fl4): the fields of `fields` only, hashed as fib_multipath_hash_from_keys; a forwarded
 * packet's hash is jhash_2words(outer, inner 0, 0). Returns the 31-bit hash.
 */
export function fibMultipathCustomHash(
  seed: number,
  fields: number,
  forwarded: boolean,
  src: number,
  dst: number,
  proto: number,
  sport: number,
  dport: number,
): number {
  const outer =
    (fields & FIB_MULTIPATH_HASH_FIELD_OUTER_MASK) === 0
      ? 0
      : flowHashFromKeys(
          seed,
          fields & FIB_MULTIPATH_HASH_FIELD_SRC_IP ? src : 0,
          fields & FIB_MULTIPATH_HASH_FIELD_DST_IP ? dst : 0,
          fields & FIB_MULTIPATH_HASH_FIELD_IP_PROTO ? proto : 0,
          fields & FIB_MULTIPATH_HASH_FIELD_SRC_PORT ? sport : 0,
          fields & FIB_MULTIPATH_HASH_FIELD_DST_PORT ? dport : 0,
        );
  return (forwarded ? jhash2words(outer, 0, 0) : outer) >>> 1;
}

/**
 * __flow_hash_from_keys under fib_multipath_hash_from_keys's key: the 32-bit hash (never 0) of
 * the IPv4 flow keys (host-order addresses; 0 for a field not taken).
 */
function flowHashFromKeys(
  seed: number,
  src: number,
  dst: number,
  proto: number,
  sport: number,
  dport: number,
): number {
  // The raw values as a little-endian load of the big-endian fields sees them.
  let s = bswap32(src >>> 0);
  let d = bswap32(dst >>> 0);
  if (d < s) {
    const t = s;
    s = d;
    d = t;
  }
  let sp = bswap16(sport & 0xffff);
  let dp = bswap16(dport & 0xffff);
  if (dp < sp) {
    const t = sp;
    sp = dp;
    dp = t;
  }
  // Bytes 8..55 of struct flow_keys as six little-endian 64-bit words: basic (n_proto 0,
  // ip_proto, padding) and tags; vlan; cvlan; keyid and ports; icmp and v4 src; v4 dst and 4 bytes
  // of the zeroed union.
  M[0] = (proto & 0xff) << 16;
  M[1] = 0;
  M[2] = 0;
  M[3] = 0;
  M[4] = 0;
  M[5] = 0;
  M[6] = 0;
  M[7] = (sp | (dp << 16)) >>> 0;
  M[8] = 0;
  M[9] = s;
  M[10] = d;
  M[11] = 0;
  const h = siphash24(M, 6, 48, seed >>> 0, seed >>> 0, seed >>> 0, seed >>> 0);
  return h === 0 ? 1 : h;
}

/**
 * siphash-2-4 of `n` little-endian 64-bit words of `m` (lo, hi pairs), `len` bytes in all (a
 * multiple of 8 here: no tail bytes), under the key k0 = k0hi:k0lo, k1 = k1hi:k1lo. Returns the low
 * 32 bits of the 64-bit result (what `u32 hash = siphash(...)` keeps).
 */
export function siphash24(
  m: Uint32Array,
  n: number,
  len: number,
  k0lo: number,
  k0hi: number,
  k1lo: number,
  k1hi: number,
): number {
  // "somepseudorandomlygeneratedbytes"
  let v0l = (0x70736575 ^ k0lo) >>> 0;
  let v0h = (0x736f6d65 ^ k0hi) >>> 0;
  let v1l = (0x6e646f6d ^ k1lo) >>> 0;
  let v1h = (0x646f7261 ^ k1hi) >>> 0;
  let v2l = (0x6e657261 ^ k0lo) >>> 0;
  let v2h = (0x6c796765 ^ k0hi) >>> 0;
  let v3l = (0x79746573 ^ k1lo) >>> 0;
  let v3h = (0x74656462 ^ k1hi) >>> 0;
  let t: number;
  let u: number;
  // The words, then the final word (the length in its top byte), each with 2 rounds; then 4.
  for (let i = 0; i <= n + 1; i++) {
    let ml = 0;
    let mh = 0;
    let rounds = 2;
    if (i < n) {
      ml = m[2 * i]!;
      mh = m[2 * i + 1]!;
    } else if (i === n) {
      mh = ((len & 0xff) << 24) >>> 0;
    } else {
      v2l = (v2l ^ 0xff) >>> 0;
      rounds = 4;
    }
    v3l = (v3l ^ ml) >>> 0;
    v3h = (v3h ^ mh) >>> 0;
    for (let r = 0; r < rounds; r++) {
      // SIPROUND: v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);
      t = (v0l + v1l) >>> 0;
      v0h = (v0h + v1h + (t < v0l ? 1 : 0)) >>> 0;
      v0l = t;
      t = ((v1l << 13) | (v1h >>> 19)) >>> 0;
      v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0;
      v1l = t;
      v1l = (v1l ^ v0l) >>> 0;
      v1h = (v1h ^ v0h) >>> 0;
      t = v0l;
      v0l = v0h;
      v0h = t;
      // v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;
      t = (v2l + v3l) >>> 0;
      v2h = (v2h + v3h + (t < v2l ? 1 : 0)) >>> 0;
      v2l = t;
      t = ((v3l << 16) | (v3h >>> 16)) >>> 0;
      v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0;
      v3l = t;
      v3l = (v3l ^ v2l) >>> 0;
      v3h = (v3h ^ v2h) >>> 0;
      // v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;
      t = (v0l + v3l) >>> 0;
      v0h = (v0h + v3h + (t < v0l ? 1 : 0)) >>> 0;
      v0l = t;
      t = ((v3l << 21) | (v3h >>> 11)) >>> 0;
      v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0;
      v3l = t;
      v3l = (v3l ^ v0l) >>> 0;
      v3h = (v3h ^ v0h) >>> 0;
      // v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);
      t = (v2l + v1l) >>> 0;
      v2h = (v2h + v1h + (t < v2l ? 1 : 0)) >>> 0;
      v2l = t;
      t = ((v1l << 17) | (v1h >>> 15)) >>> 0;
      v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0;
      v1l = t;
      v1l = (v1l ^ v2l) >>> 0;
      v1h = (v1h ^ v2h) >>> 0;
      u = v2l;
      v2l = v2h;
      v2h = u;
    }
    v0l = (v0l ^ ml) >>> 0;
    v0h = (v0h ^ mh) >>> 0;
  }
  lastHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

/** The high 32 bits of the last siphash24 result (for tests against 64-bit vectors). */
export let lastHi = 0;
