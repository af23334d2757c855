// nfqueue_hash (include/net/netfilter/nf_queue.h) for IPv4: the queue of a balanced range
// (nft `queue num 1-3` without fanout, nft_queue_eval; iptables `--queue-balance` without
// --queue-cpu-fanout, nfqueue_tg_v3) is first + reciprocal_scale(hash_v4, total). hash_v4 is
// jhash_3words of the two addresses, the smaller first so both directions of a flow go to one
// queue, and the protocol, with a seed random at boot (init_hashrandom: a nonzero
// get_random_u32, one per module). The addresses are compared and hashed as the u32 the kernel
// reads from the header (`(__force u32)iph->saddr`): on a little-endian machine the network order
// address byte-swapped.
import { jhash3words, reciprocalScale } from '../../wire/jhash.ts';

const bswap32 = (x: number): number =>
  (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/** hash_v4(iph, initval) of a header with addresses `src`, `dst` (host order) and `proto`. */
export function nfqueueHashV4(src: number, dst: number, proto: number, initval: number): number {
  const s = bswap32(src);
  const d = bswap32(dst);
  return s < d ? jhash3words(s, d, proto, initval) : jhash3words(d, s, proto, initval);
}

/** nfqueue_hash for NFPROTO_IPV4: the queue of `first`'s range of `total` for the packet. */
export function nfqueueQueue(
  src: number,
  dst: number,
  proto: number,
  first: number,
  total: number,
  initval: number,
): number {
  return (first + reciprocalScale(nfqueueHashV4(src, dst, proto, initval), total)) & 0xffff;
}

/** init_hashrandom: a nonzero seed from `random32`. */
export function initHashrandom(random32: () => number): number {
  let v = 0;
  for (let i = 0; v === 0 && i < 64; i++) v = random32() >>> 0;
  return v || 1;
}
