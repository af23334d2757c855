// TTL (xt_HL.c ttl_tg), TOS (xt_DSCP.c tos_tg), DSCP (xt_DSCP.c dscp_tg) and ECN (ipt_ECN.c
// ecn_tg): the IPv4 header (and for ECN the TCP flags) rewritten in place with the kernel's own
// checksum arithmetic: csum_replace2 for TTL and the ECN codepoint (wire's checksumUpdate16, RFC
// 1624 eqn. 3), ipv4_change_dsfield's for TOS and DSCP, inet_proto_csum_replace2 for TCP's ECE/CWR.
import { checksumUpdate16, read16, write16 } from '../../wire/checksum.ts';
import { IPPROTO_TCP, ipv4IsLaterFragment } from '../../wire/ipv4.ts';
import type { Skb } from '../core/skb.ts';
import { csumReplace2 } from './tcpmss.ts';
import { onlyTables, XT_CONTINUE, type TargetOf, type XtTarget } from './xt-target.ts';

const mangleOnly =
  (name: string) =>
  (_t: unknown, table: Parameters<typeof onlyTables>[1]): string | undefined =>
    onlyTables(name, table, 'mangle');

/** ipv4_change_dsfield (include/net/dsfield.h): tos = (tos & mask) | value, its checksum arithmetic. */
export function ipv4ChangeDsfield(b: Uint8Array, o: number, mask: number, value: number): void {
  let check = read16(b, o + 10);
  const tos = b[o + 1]!;
  const ds = ((tos & mask) | value) & 0xff;
  check += tos;
  if ((check + 1) >>> 16) check = (check + 1) & 0xffff;
  check = (check - ds) >>> 0;
  check = (check + (check >>> 16)) >>> 0;
  write16(b, o + 10, check & 0xffff);
  b[o + 1] = ds;
}

export const ttlTarget: XtTarget<TargetOf<'TTL'>> = {
  check: mangleOnly('TTL'),
  run(t, skb) {
    const b = skb.buf;
    const o = skb.off;
    const ttl = b[o + 8]!;
    const nt =
      t.mode === 'set' ? t.ttl : t.mode === 'inc' ? Math.min(255, ttl + t.ttl) : Math.max(0, ttl - t.ttl);
    if (nt !== ttl) {
      write16(b, o + 10, checksumUpdate16(read16(b, o + 10), ttl << 8, nt << 8));
      b[o + 8] = nt;
    }
    return XT_CONTINUE;
  },
};

export const tosTarget: XtTarget<TargetOf<'TOS'>> = {
  check: mangleOnly('TOS'),
  run(t, skb) {
    const o = skb.off;
    const orig = skb.buf[o + 1]!;
    const nv = ((orig & ~t.mask) ^ t.value) & 0xff;
    if (orig !== nv) ipv4ChangeDsfield(skb.buf, o, 0, nv);
    return XT_CONTINUE;
  },
};

export const dscpTarget: XtTarget<TargetOf<'DSCP'>> = {
  check: mangleOnly('DSCP'),
  run(t, skb) {
    const o = skb.off;
    if (skb.buf[o + 1]! >> 2 !== t.dscp) ipv4ChangeDsfield(skb.buf, o, 0x03, t.dscp << 2);
    return XT_CONTINUE;
  },
};

const ECN_OP_SET_IP = 0x10;
const ECN_OP_SET_ECE = 0x20;
const ECN_OP_SET_CWR = 0x40;
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;

function ecnTcp(t: TargetOf<'ECN'>, skb: Skb): void {
  const b = skb.buf;
  const o = skb.off;
  // skb_header_pointer of a whole TCP header: a later fragment or a short segment is left alone.
  if (ipv4IsLaterFragment(b, o) || skb.off + skb.len - skb.l4off < 20) return;
  const th = skb.l4off;
  const flags = b[th + 13]!;
  const ece = flags & TCP_ECE ? 1 : 0;
  const cwr = flags & TCP_CWR ? 1 : 0;
  if (
    (!(t.operation & ECN_OP_SET_ECE) || ece === t.ece) &&
    (!(t.operation & ECN_OP_SET_CWR) || cwr === t.cwr)
  )
    return;
  const old = read16(b, th + 12);
  let nf = flags;
  if (t.operation & ECN_OP_SET_ECE) nf = t.ece ? nf | TCP_ECE : nf & ~TCP_ECE;
  if (t.operation & ECN_OP_SET_CWR) nf = t.cwr ? nf | TCP_CWR : nf & ~TCP_CWR;
  b[th + 13] = nf;
  write16(b, th + 16, csumReplace2(read16(b, th + 16), old, read16(b, th + 12)));
  skb.tcpFlags = nf;
}

export const ecnTarget: XtTarget<TargetOf<'ECN'>> = {
  check: mangleOnly('ECN'),
  run(t, skb) {
    const b = skb.buf;
    const o = skb.off;
    if (t.operation & ECN_OP_SET_IP) {
      const tos = b[o + 1]!;
      if ((tos & 3) !== (t.ipEct & 3)) {
        const nt = (tos & ~3) | (t.ipEct & 3);
        b[o + 1] = nt;
        write16(b, o + 10, checksumUpdate16(read16(b, o + 10), tos, nt));
      }
    }
    if (t.operation & (ECN_OP_SET_ECE | ECN_OP_SET_CWR) && skb.proto === IPPROTO_TCP) ecnTcp(t, skb);
    return XT_CONTINUE;
  },
};
