// The TCPMSS target, transcribed from net/netfilter/xt_TCPMSS.c (tcpmss_mangle_packet and
// tcpmss_tg4, Linux 6.18) and checked byte for byte against that kernel on crafted SYNs
// (test/kernel/tcpmss.test.ts):
//
// - the packet is dropped when its TCP header is shorter than 20 bytes or longer than the packet;
// - options are walked as the kernel's optlen() walks them: EOL and NOP advance one byte, as does a
//   length of 0; an MSS option counts only when all 4 of its bytes lie inside the header;
// - the MSS is only ever lowered; the checksum is updated with inet_proto_csum_replace2 on the old
//   and new MSS *as if the option were 16-bit aligned*. At an odd offset the MSS bytes straddle two
//   checksum words and the result is wrong: Linux 6.18 puts a bad checksum on such a SYN and the
//   receiver drops it (measured; a fix, "netfilter: TCPMSS: handle packets with unaligned MSS
//   option", was under review upstream in 2026). natbox writes what the kernel writes, so a
//   simulation shows the SYN dropped at the receiver, as on a real router.
//   checksumUpdateAt (wire/checksum.ts) is the right arithmetic, for comparison;
// - a packet with no MSS option, no payload and room for 4 more header bytes gets an MSS option
//   (at most 536, RFC 1122's default) in front of its other options;
// - the target does not look at the TCP flags: iptables-legacy refuses the rule without a SYN
//   match, iptables-nft (nft_compat) does not, and then any TCP packet it matches is mangled.
import { read16, write16 } from '../../wire/checksum.ts';
import { IPPROTO_TCP, ipv4IsLaterFragment, ipv4SetTotalLength } from '../../wire/ipv4.ts';
import type { Skb } from '../core/skb.ts';

/** tcpmss_mangle_packet's answers: drop the packet, nothing (or an in-place change), add an option. */
export const TCPMSS_DROP = -1;
export const TCPMSS_DONE = 0;
export const TCPMSS_ADD = 4;

/**
 * --clamp-mss-to-pmtu when the host gives no MTUs (XtEnv.clampMtu absent: MTU 1500 both ways):
 * min_mtu - sizeof(iph) - sizeof(tcph).
 */
export const TCPMSS_CLAMP_MSS = 1500 - 40;

/**
 * The kernel's inet_proto_csum_replace4 with a checksum that is not offloaded: csum_fold of
 * ~csum_unfold(check) + ~from + to, summed as 32-bit words. From and to are given as their two
 * 16-bit halves. The same value as RFC 1624 eqn. 3 except that a sum of +0 is -0 (0xffff).
 */
function csumReplace(hc: number, fromHi: number, fromLo: number, toHi: number, toLo: number): number {
  let sum = 0xffff + (~hc & 0xffff) + (~fromHi & 0xffff) + (~fromLo & 0xffff) + toHi + toLo;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** inet_proto_csum_replace2: the same with 16-bit values (the other halves are 0). */
export const csumReplace2 = (hc: number, from: number, to: number): number => csumReplace(hc, from, 0, to, 0);

/**
 * tcpmss_mangle_packet's first part, on the IPv4 packet at `o` (header and total length valid):
 * lowers an MSS option in place to `newmss` (with the kernel's checksum arithmetic), or says that
 * the packet must be dropped (TCPMSS_DROP) or needs an MSS option added (TCPMSS_ADD, see
 * tcpmssAddOption). Later fragments are left alone by the caller.
 */
export function tcpmssMangle(b: Uint8Array, o: number, newmss: number): number {
  const tcphoff = o + (b[o]! & 0x0f) * 4;
  const len = read16(b, o + 2) - (tcphoff - o);
  if (len < 20) return TCPMSS_DROP;
  const hdrlen = (b[tcphoff + 12]! >> 4) * 4;
  if (len < hdrlen || hdrlen < 20) return TCPMSS_DROP;
  for (let i = 20; i <= hdrlen - 4;) {
    const kind = b[tcphoff + i]!;
    const olen = b[tcphoff + i + 1]!;
    if (kind === 2 && olen === 4) {
      lowerMss(b, tcphoff, tcphoff + i + 2, newmss);
      return TCPMSS_DONE;
    }
    i += kind <= 1 || olen === 0 ? 1 : olen;
  }
  // Data after the header: the option cannot be added without moving it. doff has 4 bits.
  if (len > hdrlen || hdrlen >= 60) return TCPMSS_DONE;
  return TCPMSS_ADD;
}

/**
 * The MSS value at b[p] of the TCP header at `th` lowered to `newmss`, never raised ("Never increase
 * MSS, even when setting it", xt_TCPMSS; "increase can cause connection to stall", nft_exthdr),
 * with the TCP checksum updated by inet_proto_csum_replace2.
 */
function lowerMss(b: Uint8Array, th: number, p: number, newmss: number): void {
  const old = read16(b, p);
  if (old <= newmss) return;
  write16(b, p, newmss);
  write16(b, th + 16, csumReplace2(read16(b, th + 16), old, newmss));
}

/**
 * tcpmss_mangle_packet's second part and tcpmss_tg4: puts an MSS option of min(newmss, 536) in
 * front of the options of the packet at `o` (after TCPMSS_ADD), moving them 4 bytes on, and fixes
 * the TCP checksum (length, option, data offset), the IP total length and the IP checksum. `b`
 * must have 4 bytes of room after the packet.
 */
export function tcpmssAddOption(b: Uint8Array, o: number, newmss: number): void {
  const tot = read16(b, o + 2);
  const tcphoff = o + (b[o]! & 0x0f) * 4;
  const len = tot - (tcphoff - o);
  const mss = Math.min(newmss, 536);
  const ck = tcphoff + 16;
  const opt = tcphoff + 20;
  b.copyWithin(opt + 4, opt, tcphoff + len);
  write16(b, ck, csumReplace2(read16(b, ck), len, len + 4)); // the pseudo-header's TCP length
  b[opt] = 2;
  b[opt + 1] = 4;
  write16(b, opt + 2, mss);
  write16(b, ck, csumReplace(read16(b, ck), 0, 0, 0x0204, mss));
  const oldval = read16(b, tcphoff + 12);
  b[tcphoff + 12] = b[tcphoff + 12]! + 0x10; // doff += 1
  write16(b, ck, csumReplace2(read16(b, ck), oldval, read16(b, tcphoff + 12)));
  // tcpmss_tg4: csum_replace2 on the IP header, as ipv4SetTotalLength does.
  ipv4SetTotalLength(b, o, tot + 4);
}

/**
 * tcpmss_tg4 on a packet in the hooks: XT_CONTINUE (true) or NF_DROP (false). A packet that gets
 * an MSS option added and has no room after it moves to a larger buffer (pskb_expand_head): the
 * caller reads `skb.buf` afterwards. `mss` is --set-mss, or 'clamp' for --clamp-mss-to-pmtu.
 */
export function tcpmssTarget(skb: Skb, mss: number | 'clamp'): boolean {
  const o = skb.off;
  // par->fragoff: a later fragment has no TCP header.
  if (skb.proto !== IPPROTO_TCP || ipv4IsLaterFragment(skb.buf, o)) return true;
  let newmss = mss === 'clamp' ? TCPMSS_CLAMP_MSS : mss;
  if (mss === 'clamp' && skb.env?.clampMtu) {
    // min(dst_mtu(skb_dst), tcpmss_reverse_mtu) - sizeof(iph) - sizeof(tcph); an MTU of 40 or
    // less is "unknown or invalid path-MTU" and the packet is dropped.
    const mtu = clampMtu(skb);
    if (mtu <= 40) return false;
    newmss = mtu - 40;
  }
  const r = tcpmssMangle(skb.buf, o, newmss);
  if (r === TCPMSS_DROP) return false;
  if (r === TCPMSS_ADD) {
    const end = o + skb.len;
    if (skb.buf.length < end + 4) {
      const nb = new Uint8Array(end + 4);
      nb.set(skb.buf.subarray(0, end));
      skb.buf = nb;
    }
    tcpmssAddOption(skb.buf, o, newmss);
    skb.parse();
  }
  return true;
}

/**
 * The smaller of dst_mtu of the packet's route and of the route back to its source (the MTU both
 * TCPMSS --clamp-mss-to-pmtu and nft's `rt mtu` take): XtEnv.clampMtu, 1500 without it.
 */
function clampMtu(skb: Skb): number {
  return skb.env?.clampMtu ? skb.env.clampMtu(skb.src, skb.dst) : 1500;
}

/** TCP_MSS_DEFAULT (include/net/tcp.h). */
const TCP_MSS_DEFAULT = 536;

/**
 * nft's `rt mtu` (nft_rt.c, NFT_RT_TCPMSS: get_tcpmss for IPv4): the MTU clampMtu gives less the
 * IP and TCP headers (40); TCP_MSS_DEFAULT when that MTU is 40 or less or above 65535 (where
 * TCPMSS drops the packet instead).
 */
export function rtTcpMss(skb: Skb): number {
  const mtu = clampMtu(skb);
  return mtu <= 40 || mtu > 0xffff ? TCP_MSS_DEFAULT : mtu - 40;
}

/**
 * nft_exthdr_tcp_set_eval for `tcp option maxseg size set V` (net/netfilter/nft_exthdr.c): the
 * first option of kind 2 (walked as its optlen() walks: EOL, NOP and a length of 0 advance one
 * byte) has its 16-bit value at offset 2 lowered to `newmss` in place, with
 * inet_proto_csum_replace2 (the same arithmetic as TCPMSS, also at an odd offset); never raised;
 * no option is added. False is NFT_BREAK: not a TCP packet with its whole header (a later
 * fragment has none), or an MSS option longer than the header or shorter than 4 bytes.
 */
export function tcpOptionMssSet(skb: Skb, newmss: number): boolean {
  const b = skb.buf;
  const th = skb.l4off;
  const end = skb.off + skb.len;
  if (skb.proto !== IPPROTO_TCP || ipv4IsLaterFragment(b, skb.off) || th + 20 > end) return false;
  const hl = (b[th + 12]! >> 4) * 4;
  if (hl < 20 || th + hl > end) return false;
  for (let i = 20; i < hl - 1;) {
    const kind = b[th + i]!;
    const optl = kind <= 1 || b[th + i + 1] === 0 ? 1 : b[th + i + 1]!;
    if (kind !== 2) {
      i += optl;
      continue;
    }
    if (i + optl > hl || optl < 4) return false;
    lowerMss(b, th, th + i + 2, newmss);
    return true;
  }
  return true;
}
