// What the protocol-header matches (sctp, dccp, esp, ah, tcpmss, ecn) share: the fragment offset
// (par->fragoff: a non-first fragment has no transport header) and the end of the packet's bytes.
import { read16 } from '../../wire/checksum.ts';
import type { Skb } from '../core/skb.ts';

/** par->fragoff != 0. */
export const nonFirstFragment = (skb: Skb): boolean => (read16(skb.buf, skb.off + 6) & 0x1fff) !== 0;

/** The end of the IP packet in skb.buf (skb->len from the IP header). */
export const pktEnd = (skb: Skb): number => Math.min(skb.off + skb.len, skb.buf.length);

/** skb_header_pointer(skb, off, n) != NULL: `n` bytes at `off` are inside the packet. */
export const have = (skb: Skb, off: number, n: number): boolean => off >= 0 && off + n <= pktEnd(skb);
