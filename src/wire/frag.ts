// IPv4 fragments at the byte level: splitting a packet to fit an MTU as the kernel's
// ip_do_fragment does (net/ipv4/ip_output.c, the slow path; the fast path for a socket's frag list
// cuts at the same places: __ip_append_data's maxfraglen = ((mtu - hlen) & ~7) + hlen), and
// putting fragments back together as ip_frag_queue / ip_frag_reasm do (net/ipv4/ip_fragment.c,
// net/ipv4/inet_fragment.c). Pure: bytes in, bytes out; the caller keeps the clock, the limits'
// policy and the counters (stack/frag.ts).
import { checksum, read16, write16 } from './checksum.ts';
import { IPV4_DF, IPV4_MF, IPV4_OFFMASK, ipv4HeaderLength, ipv4TotalLength } from './ipv4.ts';

/** The largest IPv4 datagram (IP_MAX_MTU's payload bound: the total length field). */
export const IPV4_MAX_DATAGRAM = 65535;

/** Is this packet a fragment (MF set or a non-zero offset)? */
export const isFragment = (b: Uint8Array, o = 0): boolean =>
  (read16(b, o + 6) & (IPV4_MF | IPV4_OFFMASK)) !== 0;

/**
 * ip_options_fragment: the header of every fragment after the first keeps only the options whose
 * "copied" bit (0x80) is set; the others become NOOPs (the header keeps its length).
 */
function optionsFragment(h: Uint8Array, hl: number): void {
  let i = 20;
  while (i < hl) {
    const t = h[i]!;
    if (t === 0) break; // IPOPT_END
    if (t === 1) {
      i++;
      continue;
    }
    const l = h[i + 1] ?? 0;
    if (l < 2 || i + l > hl) break;
    if ((t & 0x80) === 0) h.fill(1, i, i + l);
    i += l;
  }
}

/**
 * ip_do_fragment: `ip` (its total length counts) cut into fragments whose total length is at most
 * `mtu` (less when `maxFrag`, IPCB's frag_max_size, is smaller: a reassembled packet leaves in the
 * sizes it came in). Each fragment but the last carries a multiple of 8 data bytes; the ID, TTL
 * and the other header fields are kept; MF is set on all but the last (and on the last too when
 * `ip` was itself a non-last fragment); offsets continue from `ip`'s own. `keepDf`
 * (IPSKB_FRAG_PMTU: every fragment of a reassembled packet had DF) keeps DF on each fragment.
 * Returns [] when the MTU cannot carry 8 data bytes after the header.
 */
export function fragmentPacket(ip: Uint8Array, mtu: number, maxFrag = 0, keepDf = false): Uint8Array[] {
  const hl = ipv4HeaderLength(ip, 0);
  const total = ipv4TotalLength(ip, 0);
  if (maxFrag > 0 && maxFrag < mtu) mtu = maxFrag;
  const room = mtu - hl;
  if (room < 8) return [];
  const ff = read16(ip, 6);
  const notLast = (ff & IPV4_MF) !== 0;
  let offset = (ff & IPV4_OFFMASK) * 8;
  let left = total - hl;
  let ptr = hl;
  const out: Uint8Array[] = [];
  const header = ip.slice(0, hl);
  while (left > 0) {
    let len = left > room ? room : left;
    if (len < left) len &= ~7;
    const f = new Uint8Array(hl + len);
    f.set(header, 0);
    f.set(ip.subarray(ptr, ptr + len), hl);
    left -= len;
    ptr += len;
    let word = (offset >>> 3) & IPV4_OFFMASK;
    if (keepDf) word |= IPV4_DF;
    if (left > 0 || notLast) word |= IPV4_MF;
    write16(f, 2, hl + len);
    write16(f, 6, word);
    write16(f, 10, 0);
    write16(f, 10, checksum(f, 0, hl));
    out.push(f);
    if (out.length === 1 && hl > 20) {
      // Later fragments carry only the copied options.
      optionsFragment(header, hl);
    }
    offset += len;
  }
  return out;
}

/** Why a fragment did not go into its queue. */
export const FRAG_OK = 0;
/** It overlaps data already queued (the whole queue is dropped: RFC 5722, as Linux since 4.19). */
export const FRAG_OVERLAP = 1;
/** It repeats data already queued exactly (dropped alone). */
export const FRAG_DUP = 2;
/** Bad: past 65535 bytes, data not a multiple of 8 before the end, or a second end. */
export const FRAG_INVALID = 3;

/** One datagram being reassembled (struct ipq). */
export class FragQueue {
  /** Fragments by offset: [offset, end, packet]. */
  private readonly parts: { start: number; end: number; ip: Uint8Array }[] = [];
  /** The datagram's length, known once the last fragment (MF clear) arrived; -1 before. */
  len = -1;
  /** Data bytes queued. */
  meat = 0;
  /** The largest fragment received (total length): IPCB's frag_max_size after reassembly. */
  maxSize = 0;
  /** The largest fragment that had DF (max_df_size). */
  maxDfSize = 0;
  /** The first fragment (offset 0) arrived. */
  haveFirst = false;
  constructor(readonly expires: number) {}

  /** ip_frag_queue: adds one fragment (its total length counts). */
  add(ip: Uint8Array): number {
    const hl = ipv4HeaderLength(ip, 0);
    const total = ipv4TotalLength(ip, 0);
    const ff = read16(ip, 6);
    const start = (ff & IPV4_OFFMASK) * 8;
    let end = start + total - hl;
    const last = (ff & IPV4_MF) === 0;
    if (end > IPV4_MAX_DATAGRAM) return FRAG_INVALID;
    if (last) {
      // A second end, or an end before data already queued, is corrupt.
      if (end < this.endOfData() || (this.len >= 0 && end !== this.len)) return FRAG_INVALID;
      this.len = end;
    } else {
      if (end & 7) end &= ~7; // ip_frag_queue: trim to a multiple of 8 (the checksum is left alone)
      if (this.len >= 0 && end > this.len) return FRAG_INVALID;
    }
    if (end === start) return FRAG_INVALID;
    for (const p of this.parts) {
      if (p.start === start && p.end === end) return FRAG_DUP;
      if (start < p.end && p.start < end) return FRAG_OVERLAP;
    }
    this.parts.push({ start, end, ip: ip.slice(0, hl + (end - start)) });
    this.parts.sort((a, b) => a.start - b.start);
    this.meat += end - start;
    if (total > this.maxSize) this.maxSize = total;
    if (ff & IPV4_DF && total > this.maxDfSize) this.maxDfSize = total;
    if (start === 0) this.haveFirst = true;
    return FRAG_OK;
  }

  private endOfData(): number {
    let e = 0;
    for (const p of this.parts) if (p.end > e) e = p.end;
    return e;
  }

  /** Every byte from 0 to the end has arrived. */
  complete(): boolean {
    return this.len >= 0 && this.haveFirst && this.meat === this.len;
  }

  /** The first fragment as queued (for an ICMP time exceeded about it), if it arrived. */
  first(): Uint8Array | undefined {
    return this.haveFirst ? this.parts[0]!.ip : undefined;
  }

  /**
   * ip_frag_reasm: the datagram with the first fragment's header, its total length, offset 0 and
   * no MF; DF when every fragment of the largest size had DF (IPSKB_FRAG_PMTU), as Linux sets it.
   */
  reassemble(): Uint8Array {
    const head = this.parts[0]!.ip;
    const hl = ipv4HeaderLength(head, 0);
    const out = new Uint8Array(hl + this.len);
    out.set(head.subarray(0, hl), 0);
    for (const p of this.parts) {
      const phl = ipv4HeaderLength(p.ip, 0);
      out.set(p.ip.subarray(phl, phl + (p.end - p.start)), hl + p.start);
    }
    write16(out, 2, hl + this.len);
    write16(out, 6, this.pmtuDf() ? IPV4_DF : 0);
    write16(out, 10, 0);
    write16(out, 10, checksum(out, 0, hl));
    return out;
  }

  /** IPSKB_FRAG_PMTU: the largest fragments had DF (max_df_size == max_size). */
  pmtuDf(): boolean {
    return this.maxDfSize === this.maxSize;
  }
}
