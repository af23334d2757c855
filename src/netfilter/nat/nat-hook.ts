// The NAT hook (nf_nat_inet_fn): a connection's first packet runs the nat tables at this hook
// until one binds it, else it gets a null binding; every packet is then rewritten from its entry
// (nf_nat_packet), both directions. ICMP errors about a NATed connection are translated inside and
// out (nf_nat_icmp_reply_translation). The hook entries (core/hooks.ts) call run() at NAT_DST and
// NAT_SRC; the nat tables themselves are whatever front end gave them (core/table.ts).
import { IPPROTO_SCTP, sctpFillChecksum } from '../../wire/sctp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4SetDst, ipv4SetSrc } from '../../wire/ipv4.ts';
import { read16, read32, write16 } from '../../wire/checksum.ts';
import { tcpPseudoAddrChanged, tcpSetPort } from '../../wire/tcp.ts';
import { udpPseudoAddrChanged, udpSetPort } from '../../wire/udp.ts';
import { icmpFillChecksum, icmpSetEchoId } from '../../wire/icmp.ts';
import {
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  type ConntrackTable,
  REC_META,
} from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, invertTuple, TupleBuf } from '../conntrack/tuple.ts';
import type { MasqueradeNotifier } from './masquerade.ts';
import { MANIP_DST, MANIP_SRC, type NatCore } from './nat-core.ts';
import { IP_CT_NEW, IP_CT_RELATED, IP_CT_RELATED_REPLY, type Skb } from '../core/skb.ts';
import type { NfTracer } from '../core/trace-events.ts';
import { DropReason } from '../core/drop.ts';
import { T_DROP, type NfTable } from '../core/table.ts';
import { NF_ACCEPT, type Drops } from '../core/verdict.ts';
import { HOOK_NAMES, NF_INET_POST_ROUTING } from '../core/hook-numbers.ts';

export class NatHook {
  tracer: NfTracer | undefined;
  /**
   * The nat hooks are registered (nf_nat_register_fn): only once a nat table has a base chain, at
   * any hook, and then at all four (nf_nat_ipv4_ops), as iptable_nat and nft's nat chains do.
   * Without one the kernel has no NAT hook at all: no null bindings (no IPS_*_NAT_DONE, no
   * `found` from their clash checks, no source port moved off a clash), no ICMP translation.
   */
  registered = true;
  /** The MASQUERADE bindings (for nf_nat_oif_changed); set by the engine. */
  masq: MasqueradeNotifier | undefined = undefined;
  private readonly tB = new TupleBuf();
  private readonly tC = new TupleBuf();

  constructor(
    private readonly conntrack: ConntrackTable,
    private readonly nat: NatCore,
    private readonly drops: Drops,
  ) {}

  /**
   * nf_nat_inet_fn at `hook` (NF_INET_*) for manip type `manip`: bind a new connection once per
   * manip type (the nat tables in order, until one bound it; else the null binding), then rewrite
   * the packet from the entry. NF_ACCEPT, or NF_DROP with the reason counted.
   */
  run(skb: Skb, hook: number, manip: number, natTables: readonly NfTable[], now: number): number {
    const e = skb.ct;
    if (e < 0 || !this.registered) return NF_ACCEPT;
    if ((skb.ctinfo === IP_CT_RELATED || skb.ctinfo === IP_CT_RELATED_REPLY) && skb.proto === IPPROTO_ICMP) {
      return this.icmpReplyTranslation(skb, hook, manip)
        ? NF_ACCEPT
        : this.drops.drop(
            skb,
            skb.icmpType === 5 ? DropReason.NF_NAT_ICMP_REDIRECT : DropReason.NF_NAT_ICMP_UNTRANSLATABLE,
          );
    }
    const ct = this.conntrack;
    const doneBit = manip === MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
    let by: 'rule' | 'null-binding' | 'mapping' = 'mapping';
    // IP_CT_NEW, or IP_CT_RELATED: a helper's expected connection (its ICMP errors went above).
    if ((skb.ctinfo === IP_CT_NEW || skb.ctinfo === IP_CT_RELATED) && (ct.statusOf(e) & doneBit) === 0) {
      by = 'rule';
      for (let i = 0; i < natTables.length; i++) {
        const t = natTables[i]!;
        const v = t.run(hook, skb, now, this.tracer);
        if (v === T_DROP) return this.drops.drop(skb, DropReason.NETFILTER_DROP, t.dropTable);
        if ((ct.statusOf(e) & doneBit) !== 0) break;
      }
      const natBits = ct.statusOf(e) & (IPS_SRC_NAT | IPS_DST_NAT);
      if ((ct.statusOf(e) & doneBit) === 0) {
        // No rule bound it: the null binding (nf_nat_alloc_null_binding), still clash-checked.
        if (!this.nat.setup(e, undefined, manip, now))
          return this.drops.drop(skb, DropReason.NF_NAT_NO_FREE_TUPLE);
        by = 'null-binding';
        if (this.tracer)
          this.tracer.nullBinding(
            HOOK_NAMES[hook]!,
            manip === MANIP_SRC ? 'SNAT' : 'DNAT',
            (ct.statusOf(e) & ~natBits & (IPS_SRC_NAT | IPS_DST_NAT)) !== 0,
          );
      }
    } else if (
      hook === NF_INET_POST_ROUTING &&
      skb.ctDir === DIR_ORIGINAL &&
      ct.masq[e] !== 0 &&
      this.masq !== undefined &&
      this.masq.boundDevice(e) !== skb.outIf
    ) {
      // nf_nat_oif_changed: a masqueraded connection's packet leaving by another device than the
      // one MASQUERADE bound it through (a route changed under it) kills the entry
      // (nf_ct_kill_acct) and is dropped; the connection's next packet is tracked anew.
      ct.remove(e);
      return this.drops.drop(skb, DropReason.NF_NAT_MASQ_OIF_CHANGED);
    }
    // nf_nat_packet's test of the status bit, here too: no call for a packet with nothing to do
    // in this direction (a new connection's first packet at PREROUTING without DNAT).
    let statusBit = manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    if (skb.ctDir === DIR_REPLY) statusBit ^= IPS_SRC_NAT | IPS_DST_NAT;
    if ((ct.statusOf(e) & statusBit) !== 0) this.manipPacket(skb, hook, manip, by);
    return NF_ACCEPT;
  }

  /** nf_nat_packet: rewrite this packet if its direction needs this manip type. */
  manipPacket(skb: Skb, hook: number, manip: number, by: 'rule' | 'null-binding' | 'mapping'): void {
    const rec = this.conntrack.rec;
    const rw = this.conntrack.rw;
    const e = skb.ct;
    const dir = skb.ctDir;
    let statusBit = manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    if (dir === DIR_REPLY) statusBit ^= IPS_SRC_NAT | IPS_DST_NAT;
    if ((rec[e * rw + REC_META]! & statusBit) === 0) return;
    const proto = skb.proto;
    const before = this.tracer ? ([skb.src, skb.dst, skb.sport, skb.dport] as const) : undefined;
    const b = skb.buf;
    const o = skb.off;
    const l4 = skb.l4off;
    // The target is the inverse of the other direction's tuple: for a source manip, its
    // destination address and port; for a destination manip, its source (ICMP: the echo id, its
    // source "port", either way). Read from the record directly, nothing copied.
    const other = e * rw + (dir ^ 1) * 3;
    const otherPorts = rec[other + 2]!;
    const ports = proto === IPPROTO_TCP || proto === IPPROTO_UDP;
    if (manip === MANIP_SRC) {
      const addr = rec[other + 1]!;
      if (skb.src !== addr) setAddr(b, o, l4, proto, 12, addr >>> 16, addr & 0xffff);
      if (ports) setL4Port(b, l4, proto, 0, otherPorts & 0xffff);
    } else {
      const addr = rec[other]!;
      if (skb.dst !== addr) setAddr(b, o, l4, proto, 16, addr >>> 16, addr & 0xffff);
      if (ports) setL4Port(b, l4, proto, 2, otherPorts >>> 16);
    }
    if (proto === IPPROTO_SCTP && o + skb.len - l4 >= 12) {
      // sctp_manip_pkt: the port, then the CRC32c over the whole packet (not for a fragment).
      const which = manip === MANIP_SRC ? 0 : 2;
      const port = manip === MANIP_SRC ? otherPorts & 0xffff : otherPorts >>> 16;
      if (read16(b, l4 + which) !== port) {
        write16(b, l4 + which, port);
        if (!skb.fragment) sctpFillChecksum(b, l4, o + skb.len);
      }
    }
    if (proto === IPPROTO_ICMP) {
      // icmp_manip_pkt: the echo id is rewritten to the target's id for either manip type.
      if (read16(b, l4 + 4) !== otherPorts >>> 16) icmpSetEchoId(b, l4, otherPorts >>> 16);
    }
    if (ports && !skb.fragment) {
      // Only one address and one port changed, to the values just written: refresh those fields
      // as parse() would, without reading the bytes back.
      const l4len = o + skb.len - l4;
      const whole = proto === IPPROTO_UDP ? l4len >= 8 : l4len >= 14;
      if (manip === MANIP_SRC) {
        skb.src = rec[other + 1]!;
        if (whole) skb.sport = otherPorts & 0xffff;
      } else {
        skb.dst = rec[other]!;
        if (whole) skb.dport = otherPorts >>> 16;
      }
    } else {
      skb.parse();
    }
    if (this.tracer && before) {
      this.tracer.nat(HOOK_NAMES[hook]!, {
        manip: manip === MANIP_SRC ? 'SNAT' : 'DNAT',
        before,
        after: [skb.src, skb.dst, skb.sport, skb.dport],
        by,
      });
    }
  }

  /**
   * nf_nat_icmp_reply_translation: rewrite an ICMP error about a NATed connection as that
   * connection's own packets are rewritten. The quoted packet gets the opposite manip towards the
   * other direction's tuple; the ICMP checksum is recomputed; the outer header is changed like a
   * reply. Redirects about a NATed connection are dropped (they would mislead the sender).
   */
  private icmpReplyTranslation(skb: Skb, hook: number, manip: number): boolean {
    const ct = this.conntrack;
    const e = skb.ct;
    const dir = skb.ctDir;
    const status = ct.statusOf(e);
    if (skb.icmpType === 5) {
      if ((status & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) !== (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE))
        return false;
      if (status & (IPS_SRC_NAT | IPS_DST_NAT)) return false;
    }
    let statusBit = manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    if (dir === DIR_REPLY) statusBit ^= IPS_SRC_NAT | IPS_DST_NAT;
    if ((status & statusBit) === 0) return true;
    const b = skb.buf;
    const before = this.tracer ? ([skb.src, skb.dst, 0, 0] as const) : undefined;
    // The quoted packet: the other direction's tuple as is, with the opposite manip.
    ct.readTuple(e, dir ^ 1, this.tB);
    const inner = skb.l4off + 8;
    if (!manipQuoted(b, inner, skb.off + skb.len, this.tB, manip === MANIP_SRC ? MANIP_DST : MANIP_SRC))
      return false;
    icmpFillChecksum(b, skb.l4off, skb.off + skb.len - skb.l4off);
    // The outer header: like a reply to the other direction.
    invertTuple(this.tC, this.tB);
    if (manip === MANIP_SRC) ipv4SetSrc(b, skb.off, this.tC.src);
    else ipv4SetDst(b, skb.off, this.tC.dst);
    skb.parse();
    if (this.tracer && before) {
      this.tracer.nat(HOOK_NAMES[hook]!, {
        manip: manip === MANIP_SRC ? 'SNAT' : 'DNAT',
        before,
        after: [skb.src, skb.dst, 0, 0],
        by: 'mapping',
      });
    }
    return true;
  }
}

/**
 * Replaces the IPv4 address at `o + at` (12: source, 16: destination), given as two 16-bit
 * halves, and fixes the IP header checksum and the TCP/UDP pseudo-header checksum (RFC 1624), as
 * ipv4SetSrc/ipv4SetDst + tcpPseudoAddrChanged/udpPseudoAddrChanged do, with the same arithmetic.
 * Halves, because a 32-bit address passed to a call that is not inlined is boxed (an allocation
 * per packet); 16-bit values never are.
 */
export function setAddr(
  b: Uint8Array,
  o: number,
  l4: number,
  proto: number,
  at: number,
  nh: number,
  nl: number,
): void {
  const p = o + at;
  const oh = (b[p]! << 8) | b[p + 1]!;
  const ol = (b[p + 2]! << 8) | b[p + 3]!;
  // RFC 1624 eqn. 3 for both halves at once, ~m + m' summed once for both checksums: the same
  // value as two checksumUpdate16 calls in a row (one's-complement addition is associative, and a
  // folded non-zero sum is never 0, so folding early or late gives the same 16 bits).
  const d = (~oh & 0xffff) + (~ol & 0xffff) + nh + nl;
  write16(b, o + 10, addDelta(read16(b, o + 10), d));
  b[p] = nh >>> 8;
  b[p + 1] = nh & 0xff;
  b[p + 2] = nl >>> 8;
  b[p + 3] = nl & 0xff;
  if (proto === IPPROTO_TCP) {
    write16(b, l4 + 16, addDelta(read16(b, l4 + 16), d));
  } else if (proto === IPPROTO_UDP) {
    const hc = read16(b, l4 + 6);
    if (hc === 0) return; // no checksum: stays 0
    const c = addDelta(hc, d);
    write16(b, l4 + 6, c === 0 ? 0xffff : c);
  }
}

/** HC' = ~(~HC + d) with end-around carry, for d a sum of at most four 16-bit words. */
function addDelta(hc: number, d: number): number {
  let sum = (~hc & 0xffff) + d;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Sets a TCP/UDP port (`which` 0 = source, 2 = destination) and fixes the checksum. */
export function setL4Port(b: Uint8Array, l4: number, proto: number, which: 0 | 2, port: number): void {
  if (read16(b, l4 + which) === port) return;
  if (proto === IPPROTO_TCP) tcpSetPort(b, l4, which, port);
  else udpSetPort(b, l4, which, port);
}

/**
 * nf_nat_ipv4_manip_pkt on the quoted packet at `q`: set its source (or destination) address and
 * port from `t`, fixing the quoted IP header checksum and, when the quote holds it whole, the
 * quoted L4 checksum (a quoted TCP header cut at 8 bytes keeps its checksum, as in the kernel).
 */
function manipQuoted(b: Uint8Array, q: number, end: number, t: TupleBuf, manip: number): boolean {
  const qhl = (b[q]! & 0x0f) * 4;
  const proto = b[q + 9]!;
  const l4 = q + qhl;
  const oldAddr = read32(b, q + (manip === MANIP_SRC ? 12 : 16));
  const newAddr = manip === MANIP_SRC ? t.src : t.dst;
  if (manip === MANIP_SRC) ipv4SetSrc(b, q, newAddr);
  else ipv4SetDst(b, q, newAddr);
  if (proto === IPPROTO_TCP) {
    const whole = end - l4 >= 20;
    if (whole && oldAddr !== newAddr) tcpPseudoAddrChanged(b, l4, oldAddr, newAddr);
    const which = manip === MANIP_SRC ? 0 : 2;
    const port = manip === MANIP_SRC ? t.sport : t.dport;
    if (whole) tcpSetPort(b, l4, which, port);
    else write16(b, l4 + which, port);
  } else if (proto === IPPROTO_UDP) {
    if (oldAddr !== newAddr) udpPseudoAddrChanged(b, l4, oldAddr, newAddr);
    udpSetPort(b, l4, manip === MANIP_SRC ? 0 : 2, manip === MANIP_SRC ? t.sport : t.dport);
  } else if (proto === IPPROTO_ICMP) {
    if (read16(b, l4 + 4) !== t.sport) icmpSetEchoId(b, l4, t.sport);
  } else if (proto === IPPROTO_SCTP) {
    // sctp_manip_pkt on a quote: the port; with the whole common header quoted, the CRC32c
    // over what follows it to the end of the error (sctp_compute_cksum from hdroff).
    write16(b, l4 + (manip === MANIP_SRC ? 0 : 2), manip === MANIP_SRC ? t.sport : t.dport);
    if (end - l4 >= 12) sctpFillChecksum(b, l4, end);
  }
  return true;
}
