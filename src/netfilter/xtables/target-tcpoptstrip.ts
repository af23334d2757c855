// TCPOPTSTRIP (xt_TCPOPTSTRIP.c tcpoptstrip_mangle_packet): the listed TCP options overwritten
// with NOPs, the TCP checksum updated byte by byte with inet_proto_csum_replace2 as the kernel
// does. A later fragment is left alone; a TCP header shorter than 20 bytes, or longer than the
// packet, drops it.
import { read16, write16 } from '../../wire/checksum.ts';
import { IPPROTO_TCP, ipv4IsLaterFragment } from '../../wire/ipv4.ts';
import { T_DROP } from '../core/table.ts';
import type { Skb } from '../core/skb.ts';
import { csumReplace2 } from './tcpmss.ts';
import { onlyTables, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

const TCPOPT_NOP = 1;

/** The option length the kernel's optlen() gives: 1 for EOL, NOP and a length of 0. */
const optlen = (b: Uint8Array, at: number): number =>
  b[at]! <= TCPOPT_NOP || b[at + 1]! === 0 ? 1 : b[at + 1]!;

/** tcpoptstrip_mangle_packet on the IPv4 packet in `skb`: XT_CONTINUE or T_DROP. */
export function tcpoptstrip(skb: Skb, strip: readonly number[]): number {
  const b = skb.buf;
  const o = skb.off;
  if (skb.proto !== IPPROTO_TCP || ipv4IsLaterFragment(b, o)) return XT_CONTINUE;
  const th = skb.l4off;
  const len = o + skb.len - th;
  if (len < 20) return T_DROP;
  const hdrlen = (b[th + 12]! >> 4) * 4;
  if (len < hdrlen) return T_DROP;
  let check = read16(b, th + 16);
  for (let i = 20; i < hdrlen - 1;) {
    const l = optlen(b, th + i);
    if (i + l > hdrlen) break;
    if (strip.includes(b[th + i]!)) {
      for (let j = 0; j < l; j++) {
        let old = b[th + i + j]!;
        let nop = TCPOPT_NOP;
        if ((i + j) % 2 === 0) {
          old <<= 8;
          nop <<= 8;
        }
        check = csumReplace2(check, old, nop);
      }
      b.fill(TCPOPT_NOP, th + i, th + i + l);
    }
    i += l;
  }
  write16(b, th + 16, check);
  return XT_CONTINUE;
}

export const tcpoptstripTarget: XtTarget<TargetOf<'TCPOPTSTRIP'>> = {
  check: (_t, table) => onlyTables('TCPOPTSTRIP', table, 'mangle'),
  run: (t, skb) => tcpoptstrip(skb, t.options),
};
