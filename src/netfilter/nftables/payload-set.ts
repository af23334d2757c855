// Stateless payload writes: `ip daddr set 10.0.0.2`, `tcp dport set 8080`, `ether daddr set
// aa:bb:cc:dd:ee:ff` (nft_payload_set_eval, net/netfilter/nft_payload.c). What nft gives the kernel
// for each field (netlink_linearize.c, payload_stmt): an IPv4 header field is written with
// csum_type INET at the header checksum (offset 10), and `ip saddr`/`ip daddr` also with
// NFT_PAYLOAD_L4CSUM_PSEUDOHDR (the TCP or UDP checksum covers them through the pseudo-header;
// nft_payload_l4csum_update skips a later fragment and a UDP datagram without checksum, and writes
// CSUM_MANGLED_0 for a UDP sum that comes out 0); a tcp/udp/icmp field at its own header's checksum;
// `th` and `ether` fields with no checksum. A packet without the header (a later fragment for a
// transport field, a frame without IPv4 in a netdev chain) ends the rule (NFT_BREAK).
import type { NftExpr, NftStmt } from '../../rules/nft/model.ts';
import { checksumUpdate16, read16, write16 } from '../../wire/checksum.ts';
import type { Skb } from '../core/skb.ts';
import { laterFragment, NftRefusal, type ExprCtx, type NumGetter } from './expr.ts';

const R_GO = 0;
const R_BREAK = 1;
const ETH_HLEN = 14;

/** Field: [bit offset, bit length] in its header. */
const IP_FIELDS: Readonly<Record<string, readonly [number, number]>> = {
  dscp: [8, 6],
  ecn: [14, 2],
  length: [16, 16],
  id: [32, 16],
  'frag-off': [48, 16],
  ttl: [64, 8],
  protocol: [72, 8],
  saddr: [96, 32],
  daddr: [128, 32],
};
/** Transport fields: [bit offset, bit length], the protocol, the checksum's byte offset (-1 none). */
const L4_FIELDS: Readonly<
  Record<string, { proto: number; csum: number; f: Record<string, [number, number]> }>
> = {
  tcp: { proto: 6, csum: 16, f: { sport: [0, 16], dport: [16, 16], window: [112, 16], urgptr: [144, 16] } },
  udp: { proto: 17, csum: 6, f: { sport: [0, 16], dport: [16, 16] } },
  icmp: { proto: 1, csum: 2, f: { type: [0, 8], code: [8, 8], id: [32, 16], sequence: [48, 16] } },
  th: { proto: -1, csum: -1, f: { sport: [0, 16], dport: [16, 16] } },
};
const ETHER_FIELDS: Readonly<Record<string, readonly [number, number]>> = {
  daddr: [0, 48],
  saddr: [48, 48],
  type: [96, 16],
};

/** Words (16 bits, even offsets from `h`) of bytes [p, p+n) before the write. */
const before = new Uint16Array(8);

/**
 * Writes `len` bits at bit `off` of the header at `h` with `v`, then updates the checksum at
 * `csumAt` (-1 none) and, for the pseudo-header, at `l4At` (-1 none; `udp`: a 0 sum stays 0 and a
 * computed 0 becomes 0xffff), over every 16-bit word that changed.
 */
function write(
  b: Uint8Array,
  h: number,
  off: number,
  len: number,
  v: number,
  csumAt: number,
  l4At: number,
  udp: boolean,
): void {
  const first = h + ((off >>> 3) & ~1);
  const last = h + ((((off + len + 7) >>> 3) + 1) & ~1);
  const nw = (last - first) >>> 1;
  for (let i = 0; i < nw; i++) before[i] = (b[first + 2 * i]! << 8) | b[first + 2 * i + 1]!;
  const byte = h + (off >>> 3);
  const nbytes = ((off & 7) + len + 7) >>> 3;
  if ((off & 7) === 0 && (len & 7) === 0) {
    let x = v;
    for (let i = nbytes - 1; i >= 0; i--) {
      b[byte + i] = x % 256;
      x = Math.floor(x / 256);
    }
  } else {
    let cur = 0;
    for (let i = 0; i < nbytes; i++) cur = cur * 256 + b[byte + i]!;
    const shift = nbytes * 8 - (off & 7) - len;
    const next = cur - (Math.floor(cur / 2 ** shift) % 2 ** len) * 2 ** shift + (v % 2 ** len) * 2 ** shift;
    let x = next;
    for (let i = nbytes - 1; i >= 0; i--) {
      b[byte + i] = x % 256;
      x = Math.floor(x / 256);
    }
  }
  for (let i = 0; i < nw; i++) {
    const w = (b[first + 2 * i]! << 8) | b[first + 2 * i + 1]!;
    const o = before[i]!;
    if (w === o) continue;
    if (csumAt >= 0) write16(b, csumAt, checksumUpdate16(read16(b, csumAt), o, w));
    if (l4At >= 0) {
      const s = read16(b, l4At);
      if (udp && s === 0) continue;
      const n = checksumUpdate16(s, o, w);
      write16(b, l4At, udp && n === 0 ? 0xffff : n);
    }
  }
}

/** `PAYLOAD set VALUE` as an op, or a refusal for a field natbox does not write. */
export function payloadSetOp(
  t: Extract<NftExpr, { kind: 'payload' }>,
  vg: NumGetter,
  ctx: ExprCtx,
  s: NftStmt,
): (skb: Skb) => number {
  const what = `${t.proto} ${t.field}`;
  if (t.proto === 'ether') {
    const f = ETHER_FIELDS[t.field];
    if (!f || ctx.family !== 'netdev')
      throw new NftRefusal(`${what} set is simulated in netdev tables only`, s, what);
    const [off, len] = f;
    return (skb) => {
      const v = vg(skb);
      if (v < 0) return R_BREAK;
      write(skb.buf, skb.off - ETH_HLEN, off, len, v, -1, -1, false);
      return R_GO;
    };
  }
  if (t.proto === 'ip') {
    const f = IP_FIELDS[t.field];
    if (!f) throw new NftRefusal(`${what} set is not simulated`, s, what);
    const [off, len] = f;
    const pseudo = t.field === 'saddr' || t.field === 'daddr';
    return (skb) => {
      const v = vg(skb);
      if (v < 0 || skb.len < 20) return R_BREAK;
      const b = skb.buf;
      let l4 = -1;
      if (pseudo && !laterFragment(skb)) {
        const room = skb.off + skb.len - skb.l4off;
        if (skb.proto === 6 && room >= 18) l4 = skb.l4off + 16;
        else if (skb.proto === 17 && room >= 8) l4 = skb.l4off + 6;
      }
      write(b, skb.off, off, len, v, skb.off + 10, l4, skb.proto === 17);
      skb.parse();
      return R_GO;
    };
  }
  const l4 = L4_FIELDS[t.proto];
  const f = l4?.f[t.field];
  if (!l4 || !f) throw new NftRefusal(`${what} set is not simulated`, s, what);
  const [off, len] = f;
  const { proto, csum } = l4;
  return (skb) => {
    const v = vg(skb);
    if (v < 0 || skb.len < 20 || (proto >= 0 && skb.proto !== proto) || laterFragment(skb)) return R_BREAK;
    const end = skb.l4off + ((off + len + 7) >>> 3);
    if (end > skb.off + skb.len || (csum >= 0 && skb.l4off + csum + 2 > skb.off + skb.len)) return R_BREAK;
    const b = skb.buf;
    // A UDP datagram without checksum keeps none (the sum of its words is not kept).
    const at = csum < 0 || (proto === 17 && read16(b, skb.l4off + 6) === 0) ? -1 : skb.l4off + csum;
    write(b, skb.l4off, off, len, v, at, -1, false);
    skb.parse();
    return R_GO;
  };
}
