// What the comparison reads from an IPv4 packet's bytes beyond src/wire/decode.ts: fragmentation
// (offset in bytes and the more-fragments flag, from the header's flags/fragment-offset word), the
// next-hop MTU of an ICMP "fragmentation needed" (type 3 code 4, RFC 1191: the low 16 bits of the
// word after the checksum) and the type and id of an ICMP echo an error quotes. The kernel reference
// keeps all three (README of the reference, "Result fields": `frag`, `ip-fragment`, `mtu`,
// `inner.type`/`inner.id`). Pure: bytes in, values out.
import { read16 } from '../wire/checksum.ts';
import { IPPROTO_ICMP } from '../wire/ipv4.ts';

export interface Ipv4Details {
  /** Fragment offset in bytes (0 for a first fragment and an unfragmented packet). */
  readonly fragOffset: number;
  /** More fragments follow (IP_MF). */
  readonly mf: boolean;
  /** IPv4 payload bytes (total length less the header). */
  readonly payload: number;
  /** ICMP type 3 code 4: the next-hop MTU. */
  readonly mtu?: number;
  /** An ICMP error quoting an ICMP echo: the quoted echo's type and id. */
  readonly quotedIcmp?: { readonly type: number; readonly id: number };
}

/** The details of the IPv4 packet at `o`; undefined when the bytes hold no whole header. */
export function ipv4Details(b: Uint8Array, o: number): Ipv4Details | undefined {
  if (b.length < o + 20) return undefined;
  const hl = (b[o]! & 0x0f) * 4;
  const fw = read16(b, o + 6);
  const fragOffset = (fw & 0x1fff) * 8;
  const out: { -readonly [K in keyof Ipv4Details]: Ipv4Details[K] } = {
    fragOffset,
    mf: (fw & 0x2000) !== 0,
    payload: read16(b, o + 2) - hl,
  };
  const l4 = o + hl;
  if (fragOffset !== 0 || b[o + 9] !== IPPROTO_ICMP || b.length < l4 + 8) return out;
  const type = b[l4]!;
  const code = b[l4 + 1]!;
  if (type === 3 && code === 4) out.mtu = read16(b, l4 + 6);
  if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
    const q = l4 + 8;
    if (b.length >= q + 20 && b[q + 9] === IPPROTO_ICMP) {
      const ql4 = q + (b[q]! & 0x0f) * 4;
      {
        const qt = b[ql4]!;
        if ((qt === 0 || qt === 8) && b.length >= ql4 + 6)
          out.quotedIcmp = { type: qt, id: read16(b, ql4 + 4) };
      }
    }
  }
  return out;
}
