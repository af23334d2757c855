// Connection tracking on the way in and its confirmation on the way out: nf_conntrack_in (the
// lookup, a new entry for a packet that may start one, the per-protocol update and the packet's
// ctinfo), ICMP errors RELATED to the connection they quote (nf_conntrack_icmpv4_error), and
// __nf_conntrack_confirm. The hook entries (core/hooks.ts) call it at its priorities.
import { sctpCheck, sctpNewOk, sctpPacketTick, SCTP_OK } from '../conntrack/proto-sctp.ts';
import { IPPROTO_SCTP } from '../../wire/sctp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { read16, read32 } from '../../wire/checksum.ts';
import { TCP_SYN } from '../../wire/tcp.ts';
import {
  IPS_CONFIRMED,
  IPS_EXPECTED,
  IPS_NAT_CLASH,
  IPS_SEQ_ADJUST,
  IPS_SEEN_REPLY,
  type ConntrackTable,
  REC_META,
} from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, icmpIsQuery, invertTuple, TupleBuf } from '../conntrack/tuple.ts';
import {
  tcpNewState,
  tcpPacketTick,
  TCP_VERDICT_INVALID,
  TCP_VERDICT_KILLED,
  TCP_VERDICT_REOPEN,
} from '../conntrack/proto-tcp.ts';
import { tcpSynproxyKeepAlive, tcpWindowPacket } from '../conntrack/tcp-window.ts';
import { genericPacket, icmpPacket, udpPacketTick } from '../conntrack/proto-udp-icmp.ts';
import type { TimeoutTicks } from '../conntrack/timeouts.ts';
import { zoneKeyOf } from '../conntrack/zone.ts';
import { IPS_HELPER, type CtHelpers } from '../conntrack/helper.ts';
import {
  CT_INVALID,
  CT_UNTRACKED,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  type Skb,
} from './skb.ts';
import type { NfTracer } from './trace-events.ts';
import { DropReason } from './drop.ts';
import { NF_ACCEPT, NOTRACK, type Drops } from './verdict.ts';
import { HOOK_NAMES, NF_INET_PRE_ROUTING } from './hook-numbers.ts';

export class ConntrackIn {
  tracer: NfTracer | undefined;
  /** Set by run() when the packet could not get an entry because the table is full. */
  tableFull = false;
  /** The conntrack helpers and expectations (conntrack/helper.ts), set by the engine. */
  helpers: CtHelpers | undefined = undefined;
  private readonly tA = new TupleBuf();
  private readonly tB = new TupleBuf();

  constructor(
    private readonly conntrack: ConntrackTable,
    /** The timeouts an entry gets at its next packet (`sysctl -w` may change them: setSysctl). */
    public timeoutTicks: TimeoutTicks,
    /** nf_conntrack_tcp_loose: pick up a TCP connection in the middle. */
    public loose: boolean,
    private readonly drops: Drops,
  ) {}

  /** nf_conntrack_in at `hook` (NF_INET_*). */
  run(skb: Skb, now: number, hook: number): void {
    if (skb.ct === NOTRACK) {
      this.tracer?.conntrack(HOOK_NAMES[hook]!, CT_UNTRACKED, -1, false);
      return;
    }
    if (skb.ct >= 0) {
      // Already attached (an ICMP error or reset the host made about a tracked packet).
      this.tracer?.conntrack(HOOK_NAMES[hook]!, skb.ctinfo, skb.ct, false);
      return;
    }
    const ct = this.conntrack;
    const proto = skb.proto;
    const nowTick = ct.tick(now);
    // The zone of a template the raw table attached (CT --zone, ct zone set): 0 without one.
    const zone = skb.ctZone === 0 ? 0 : zoneKeyOf(skb.ctZone, skb.mark);
    let ed: number;
    if (zone !== 0) {
      if (proto === IPPROTO_ICMP && (skb.icmpType > NR_ICMP_TYPES || icmpIsError(skb.icmpType)))
        return this.icmpErrorIn(skb, now, hook);
      if (!zoneTuple(skb, this.tA)) return this.invalid(skb, hook);
      ed = ct.lookupZoneTick(this.tA, zone, nowTick);
      if (ed >= 0) return this.ctPacket(skb, ed >>> 1, ed & 1, false, nowTick, now, hook);
    } else if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      // The common case: the tuple is the packet's own fields, no TupleBuf needed for the lookup.
      ed = ct.lookupTick(skb.src | 0, skb.dst | 0, proto, skb.sport, skb.dport, nowTick);
      if (ed >= 0) return this.ctPacket(skb, ed >>> 1, ed & 1, false, nowTick, now, hook);
      this.tA.set(skb.src, skb.dst, proto, skb.sport, skb.dport);
    } else {
      const t = this.tA;
      if (proto === IPPROTO_ICMP) {
        if (skb.icmpType > NR_ICMP_TYPES || icmpIsError(skb.icmpType))
          return this.icmpErrorIn(skb, now, hook);
        if (!icmpIsQuery(skb.icmpType)) return this.invalid(skb, hook);
        t.set(skb.src, skb.dst, IPPROTO_ICMP, skb.sport, (skb.icmpType << 8) | skb.icmpCode);
      } else if (proto === IPPROTO_SCTP) {
        // sctp_error and the tuple's ports (nf_conntrack_proto_sctp.c: proto-sctp.ts).
        const end = skb.off + skb.len;
        if (sctpCheck(skb.buf, skb.l4off, end, hook === NF_INET_PRE_ROUTING) !== SCTP_OK)
          return this.invalid(skb, hook);
        t.set(skb.src, skb.dst, proto, read16(skb.buf, skb.l4off), read16(skb.buf, skb.l4off + 2));
      } else {
        t.set(skb.src, skb.dst, proto, 0, 0);
      }
      ed = ct.lookupTick(t.src, t.dst, t.proto, t.sport, t.dport, nowTick);
      if (ed >= 0) return this.ctPacket(skb, ed >>> 1, ed & 1, false, nowTick, now, hook);
    }
    // nf_conntrack_icmp_packet: only a request starts an ICMP connection; a lone reply does not.
    if (proto === IPPROTO_ICMP && !icmpIsRequest(skb.icmpType)) return this.invalid(skb, hook);
    if (proto === IPPROTO_SCTP && !sctpNewOk(skb.buf, skb.l4off, skb.off + skb.len))
      return this.invalid(skb, hook);
    const t = this.tA;
    let e: number;
    if (zone === 0 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && ct.layout.addrWords === 1) {
      // The tuple is the packet's own fields (above), its inverse a swap: no TupleBufs.
      e = ct.alloc4(skb.src | 0, skb.dst | 0, proto, skb.sport, skb.dport, nowTick);
    } else {
      invertTuple(this.tB, t);
      e = ct.alloc(t, this.tB, now);
    }
    if (e < 0) {
      // The table is full and nothing could be evicted (alloc counted `drop`): nf_conntrack_in
      // drops the packet.
      this.tableFull = true;
      return this.setCt(skb, -1, 0, CT_INVALID, hook);
    }
    if (zone !== 0) ct.setZone(e, zone);
    // init_conntrack: an expected connection (RELATED to its master), or the template's helper.
    const hp = this.helpers;
    if (hp !== undefined && (skb.ctHelper !== 0 || hp.expect.count !== 0))
      hp.initConntrack(e, t.src, t.dst, t.proto, t.sport, t.dport, zone, skb.ctHelper, now);
    // The synproxy extension (SYNPROXY's template), or none: an entry freed keeps its extension
    // until it is made again, as a killed entry's packet still holds it (synproxy-ext.ts).
    if (skb.ctSynproxy) hp?.synproxy.add(e);
    else hp?.synproxy.clear(e);
    if (proto === IPPROTO_TCP) {
      const st = tcpNewState(skb.tcpFlags, this.loose);
      if (st > 9) {
        ct.release(e);
        ct.stats.invalid++;
        return this.setCt(skb, -1, 0, CT_INVALID, hook);
      }
      ct.setTcpState(e, st);
    }
    this.ctPacket(skb, e, DIR_ORIGINAL, true, nowTick, now, hook);
  }

  /** ctPacket for an entry a lookup found (core/first-packet.ts: its lookup missed nothing). */
  packet(skb: Skb, e: number, dir: number, nowTick: number, now: number, hook: number): void {
    this.ctPacket(skb, e, dir, false, nowTick, now, hook);
  }

  /** The per-protocol update of entry `e` for this packet (nf_conntrack_in after the lookup). */
  private ctPacket(
    skb: Skb,
    e: number,
    dir: number,
    created: boolean,
    nowTick: number,
    now: number,
    hook: number,
  ): void {
    const ct = this.conntrack;
    const m = e * ct.rw + REC_META;
    const before = ct.rec[m]!;
    const proto = skb.proto;
    // nf_ct_timeout_lookup: the entry's timeout policy (nft `ct timeout set`), else the netns's.
    const pol = ct.timeoutPolicy?.[e];
    const to = pol === undefined ? this.timeoutTicks : (pol.over(this.timeoutTicks) as TimeoutTicks);
    let acct = true;
    if (proto === IPPROTO_TCP) {
      const flags = skb.tcpFlags;
      // The sequence number matters only for a SYN (tcpPacket keeps the last one).
      const seq = flags & TCP_SYN ? read32(skb.buf, skb.l4off + 4) : 0;
      const v =
        ct.tcpWin === undefined
          ? tcpPacketTick(ct, e, dir, flags, seq, nowTick, to, created)
          : tcpWindowPacket(
              ct,
              e,
              dir,
              skb.buf,
              skb.l4off,
              skb.off + skb.len - skb.l4off,
              nowTick,
              to,
              created,
            );
      if (v === TCP_VERDICT_REOPEN) {
        ct.remove(e);
        return this.run(skb, now, hook);
      }
      if (v === TCP_VERDICT_INVALID) {
        // SYNPROXY's client keep-alive in SYN_SENT (nf_conntrack_tcp_packet's special case):
        // NF_ACCEPT as it is, neither `invalid` nor refreshed (no nf_ct_refresh_acct).
        if (
          created ||
          this.helpers?.synproxy.is(e) !== true ||
          !tcpSynproxyKeepAlive(ct, e, dir, skb.buf, skb.l4off)
        ) {
          ct.stats.invalid++;
          return this.setCt(skb, -1, 0, CT_INVALID, hook);
        }
        acct = false;
      }
      if (v === TCP_VERDICT_KILLED) {
        // The entry is gone from the table, but this packet still carries it (and its NAT).
      }
    } else if (proto === IPPROTO_UDP) {
      udpPacketTick(ct, e, nowTick, to);
    } else if (proto === IPPROTO_ICMP) {
      icmpPacket(ct, e, nowTick, to);
    } else if (proto === IPPROTO_SCTP) {
      if (sctpPacketTick(ct, e, dir, skb.buf, skb.l4off, skb.off + skb.len, nowTick) !== SCTP_OK) {
        if (created) ct.release(e);
        return this.invalid(skb, hook);
      }
    } else {
      genericPacket(ct, e, nowTick, to);
    }
    // nf_ct_refresh_acct (or nf_ct_kill_acct): the packet counts before any rule sees it.
    if (acct) ct.account(e, dir, skb.len);
    let ctinfo: number;
    if (dir === DIR_REPLY) {
      ctinfo = IP_CT_ESTABLISHED_REPLY;
      ct.rec[m]! |= IPS_SEEN_REPLY;
    } else {
      const st = ct.rec[m]!;
      ctinfo = st & IPS_SEEN_REPLY ? IP_CT_ESTABLISHED : st & IPS_EXPECTED ? IP_CT_RELATED : IP_CT_NEW;
    }
    skb.ct = e;
    skb.ctDir = dir;
    skb.ctinfo = ctinfo;
    if (this.tracer) this.tracer.conntrack(HOOK_NAMES[hook]!, ctinfo, e, created);
    // An event when the state or the status changed (the top 4 bits are last_index, not state).
    const after = ct.rec[m]!;
    if (!created && (after & IPS_CONFIRMED) !== 0 && ((before ^ after) & 0x0fffffff) !== 0) {
      ct.listener?.('UPDATE', e);
      this.tracer?.ctEvent('UPDATE', e);
    }
  }

  /**
   * No entry for this packet and none made (an ICMP type that cannot start one: init_conntrack
   * cannot invert it, or nf_conntrack_icmp_packet's valid_new refuses it): nf_conntrack_in counts
   * it `invalid`.
   */
  private invalid(skb: Skb, hook: number): void {
    this.conntrack.stats.invalid++;
    this.setCt(skb, -1, 0, CT_INVALID, hook);
  }

  private setCt(skb: Skb, e: number, dir: number, ctinfo: number, hook: number, created = false): void {
    skb.ct = e;
    skb.ctDir = dir;
    skb.ctinfo = ctinfo;
    this.tracer?.conntrack(HOOK_NAMES[hook]!, ctinfo, e, created);
  }

  /**
   * nf_conntrack_icmpv4_error / icmp_error_message: an ICMP error is RELATED to the connection
   * whose packet it quotes. The quoted tuple, inverted, is looked up; its direction gives RELATED
   * or RELATED_REPLY. An error that quotes no known connection, or whose outer destination is not
   * that connection's, is left without an entry (INVALID).
   */
  private icmpErrorIn(skb: Skb, now: number, hook: number): void {
    // A type above NR_ICMP_TYPES is refused before the error test (the same `error` count).
    if (skb.icmpType > NR_ICMP_TYPES) return this.icmpError(skb, hook);
    const q = quotedTuple(skb, this.tA);
    if (!q || !invertTuple(this.tB, this.tA)) return this.icmpError(skb, hook);
    const t = this.tB;
    // nf_conntrack_find_get in the error's own zone (its template's; 0 without one): the bucket of
    // the zone's original id, then its reply id's.
    const zone = skb.ctZone === 0 ? 0 : zoneKeyOf(skb.ctZone, skb.mark);
    const ed =
      zone === 0
        ? this.conntrack.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now)
        : this.conntrack.lookupZoneTick(t, zone, this.conntrack.tick(now));
    if (ed < 0) return this.icmpError(skb, hook);
    const e = ed >>> 1;
    const dir = ed & 1;
    if (this.conntrack.dst(e, dir) !== skb.dst) return this.icmpError(skb, hook);
    this.setCt(skb, e, dir, dir === DIR_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED, hook);
  }

  /**
   * nf_conntrack_handle_icmp: the ICMP error callback refused the packet (-NF_ACCEPT: an unknown
   * type, a quote that is no tuple, no connection, or one whose destination is not the error's);
   * nf_conntrack_in counts `error` (not `invalid`) and the packet goes on without an entry.
   */
  private icmpError(skb: Skb, hook: number): void {
    this.conntrack.stats.error++;
    this.setCt(skb, -1, 0, CT_INVALID, hook);
  }

  /** __nf_conntrack_confirm: NF_ACCEPT, or NF_DROP when the tuple was taken meanwhile. */
  confirm(skb: Skb, now: number, k0 = -1, epoch = 0): number {
    const e = skb.ct;
    // nf_confirm: a helped connection's helper, and the sequence adjustment, before confirming.
    const hp = this.helpers;
    if (
      hp !== undefined &&
      hp.active &&
      e >= 0 &&
      (this.conntrack.statusOf(e) & (IPS_HELPER | IPS_SEQ_ADJUST)) !== 0 &&
      !hp.confirmHook(skb, now)
    )
      return this.drops.drop(skb, DropReason.NETFILTER_DROP);
    // Only a packet in the original direction confirms an entry.
    if (e < 0 || skb.ctDir !== DIR_ORIGINAL || this.conntrack.isConfirmed(e)) return NF_ACCEPT;
    const ct = this.conntrack;
    if (!(k0 >= 0 ? ct.confirmAfter(e, k0, epoch, now) : ct.confirm(e, now))) {
      ct.stats.insert_failed++;
      skb.ct = -1;
      return this.drops.drop(skb, DropReason.NF_CT_INSERT_FAILED);
    }
    if (ct.confirmedAs !== e) {
      // nf_ct_resolve_clash merged it: the packet goes on with the entry that won (nf_ct_set, the
      // same ctinfo), its own entry freed.
      skb.ct = ct.confirmedAs;
      return NF_ACCEPT;
    }
    if ((ct.statusOf(e) & IPS_NAT_CLASH) !== 0) return NF_ACCEPT; // reply direction only: no event
    this.tracer?.ctEvent('NEW', e);
    return NF_ACCEPT;
  }
}

/** NR_ICMP_TYPES: the highest ICMP type nf_conntrack_icmpv4_error knows ("anything else is a mystery"). */
const NR_ICMP_TYPES = 18;
const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);
/** The error types conntrack relates to a connection (icmp_error_message's list). */
const icmpIsError = (type: number): boolean => ICMP_ERROR_TYPES.has(type);

/**
 * The tuple of a packet that is not an ICMP error (the zone path's: TCP, UDP, an ICMP query, other
 * protocols without ports), into `out`; false for an ICMP type conntrack does not track.
 */
function zoneTuple(skb: Skb, out: TupleBuf): boolean {
  const proto = skb.proto;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) out.set(skb.src, skb.dst, proto, skb.sport, skb.dport);
  else if (proto === IPPROTO_SCTP && skb.len - (skb.l4off - skb.off) >= 12)
    out.set(skb.src, skb.dst, proto, read16(skb.buf, skb.l4off), read16(skb.buf, skb.l4off + 2));
  else if (proto === IPPROTO_ICMP) {
    if (!icmpIsQuery(skb.icmpType)) return false;
    out.set(skb.src, skb.dst, IPPROTO_ICMP, skb.sport, (skb.icmpType << 8) | skb.icmpCode);
  } else out.set(skb.src, skb.dst, proto, 0, 0);
  return true;
}

/** ICMP types that may start a connection (nf_conntrack_icmp_packet's valid_new). */
const icmpIsRequest = (type: number): boolean => type === 8 || type === 13 || type === 15 || type === 17;

/**
 * The tuple of the packet an ICMP error quotes (IP header + at least 8 bytes), into `out`.
 * Returns false when the quote is too short or not something conntrack tracks.
 */
export function quotedTuple(skb: Skb, out: TupleBuf): boolean {
  const b = skb.buf;
  const end = skb.off + skb.len;
  const q = skb.l4off + 8;
  if (end - q < 20 || b[q]! >> 4 !== 4) return false;
  const qhl = (b[q]! & 0x0f) * 4;
  if (qhl < 20 || end - q < qhl + 8) return false;
  const proto = b[q + 9]!;
  const src = read32(b, q + 12);
  const dst = read32(b, q + 16);
  const l4 = q + qhl;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP)
    out.set(src, dst, proto, read16(b, l4), read16(b, l4 + 2));
  else if (proto === IPPROTO_ICMP) {
    if (!icmpIsQuery(b[l4]!)) return false; // an error about an error is not tracked
    out.set(src, dst, proto, read16(b, l4 + 4), (b[l4]! << 8) | b[l4 + 1]!);
  } else out.set(src, dst, proto, 0, 0);
  return true;
}
