// The batched fast path for forwarded packets (forwardEstablished): a burst of packets read from
// one device and routed out of one device, as a gateway's data plane hands them over. Established
// TCP/UDP packets go a short way, straight from their conntrack entry; everything else goes
// through the hooks. A property test (test/netfilter/batch.test.ts) holds it equal to the hooks.
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.ts';
import {
  IPS_CONFIRMED,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  type ConntrackTable,
  REC_EXPIRES,
  REC_META,
} from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY } from '../conntrack/tuple.ts';
import { tcpPacketTick, TCP_VERDICT_INVALID, TCP_VERDICT_OK } from '../conntrack/proto-tcp.ts';
import { tcpWindowAck, tcpWindowPacket } from '../conntrack/tcp-window.ts';
import { udpPacketTick } from '../conntrack/proto-udp-icmp.ts';
import type { TimeoutTicks } from '../conntrack/timeouts.ts';
import { setAddr, setL4Port } from '../nat/nat-hook.ts';
import type { MasqueradeNotifier } from '../nat/masquerade.ts';
import { CT_INVALID, IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_NEW, Skb } from './skb.ts';
import type { NfTracer } from './trace-events.ts';
import { NF_ACCEPT } from './verdict.ts';

/** The hooks a forwarded packet passes (the engine's public methods). */
export interface ForwardHooks {
  prerouting(skb: Skb, now: number): number;
  forward(skb: Skb, now: number): number;
  postrouting(skb: Skb, now: number): number;
}

/** established(): the packet is not one the short way takes (nothing was changed). */
const NOT_SHORT = -1;

/** Packets whose lookups forwardEstablished makes together. */
const BATCH = 32;

export class FastPath {
  tracer: NfTracer | undefined;
  /** Packets forwardEstablished took the short way (the rest went through the hooks). */
  shortWayPackets = 0;
  /** forwardEstablished's scratch: one chunk's tuples, slot words and lookup results. */
  private readonly bSrc = new Uint32Array(BATCH);
  private readonly bDst = new Uint32Array(BATCH);
  private readonly bPorts = new Uint32Array(BATCH);
  private readonly bProto = new Uint8Array(BATCH);
  private readonly bSlot = new Uint32Array(BATCH);
  private readonly bEd = new Int32Array(BATCH);
  /** MasqueradeNotifier.tagOf(outIf) of the burst being forwarded (0: none). */
  private outTag = 0;
  readonly batchSkb = new Skb();
  /** A DataView of the last burst's buffer (dvBuf). */
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private dvBuf: Uint8Array | undefined = undefined;

  constructor(
    private readonly conntrack: ConntrackTable,
    private readonly timeoutTicks: TimeoutTicks,
    private readonly hooks: ForwardHooks,
    /**
     * Whether the short way may be taken at all: conntrack runs, and PREROUTING and POSTROUTING
     * hold nothing but conntrack, NAT and confirm (no raw or mangle table, no other front end's).
     */
    private readonly allowed: boolean,
    /** Whether FORWARD has entries (filter, security): the short way runs them between rewrites. */
    private readonly filtered: boolean,
  ) {}

  /** The MASQUERADE bindings (nf_nat_oif_changed), set by the engine. */
  masq: MasqueradeNotifier | undefined = undefined;

  /** Netfilter.forwardEstablished (see there). */
  forwardEstablished(
    buf: Uint8Array,
    offs: ArrayLike<number>,
    start: number,
    n: number,
    inIf: string,
    outIf: string,
    now: number,
    verdicts: Uint8Array | undefined,
    skb: Skb,
  ): number {
    let ok = 0;
    if (n <= 0) return 0;
    if (this.tracer || !this.allowed) {
      for (let k = 0; k < n; k++) {
        const v = this.forwardOne(skb, buf, offs[start + k]!, inIf, outIf, now);
        if (verdicts) verdicts[k] = v;
        ok += v;
      }
      return ok;
    }
    const ct = this.conntrack;
    const nowTick = ct.tick(now);
    this.outTag = this.masq?.tagOf(outIf) ?? 0;
    if (buf !== this.dvBuf) {
      // The burst's 32-bit header words (sequence and acknowledgement numbers) are read through
      // a DataView (one bounds check and a byte swap each, not four byte loads), made per buffer.
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.dvBuf = buf;
    }
    const bSrc = this.bSrc;
    const bDst = this.bDst;
    const bPorts = this.bPorts;
    const bProto = this.bProto;
    const bEd = this.bEd;
    for (let c = 0; c < n; c += BATCH) {
      const m = n - c < BATCH ? n - c : BATCH;
      // The tuples of the packets that may take the short way (proto 0: the hooks' way).
      for (let k = 0; k < m; k++) {
        const o = offs[start + c + k]!;
        const p = buf[o + 9]!;
        const l4len = ((buf[o + 2]! << 8) | buf[o + 3]!) - 20;
        if (
          buf[o] !== 0x45 ||
          (buf[o + 6]! & 0x3f) !== 0 ||
          buf[o + 7] !== 0 ||
          !(p === IPPROTO_UDP ? l4len >= 8 : p === IPPROTO_TCP && l4len >= 20)
        ) {
          bProto[k] = 0;
          continue;
        }
        bProto[k] = p;
        bSrc[k] = ((buf[o + 12]! << 24) | (buf[o + 13]! << 16) | (buf[o + 14]! << 8) | buf[o + 15]!) >>> 0;
        bDst[k] = ((buf[o + 16]! << 24) | (buf[o + 17]! << 16) | (buf[o + 18]! << 8) | buf[o + 19]!) >>> 0;
        bPorts[k] = ((buf[o + 20]! << 24) | (buf[o + 21]! << 16) | (buf[o + 22]! << 8) | buf[o + 23]!) >>> 0;
      }
      let version = ct.version;
      // (With window tracking, tcpWindowAck's words, flags word included, are in the record's
      // line, which the lookup read.)
      ct.lookupBatch(0, bSrc, bDst, bPorts, bProto, m, nowTick, this.bSlot, bEd);
      for (let k = 0; k < m; k++) {
        const o = offs[start + c + k]!;
        if (ct.version !== version) {
          // A packet before this one changed what a lookup finds: look the rest up again.
          version = ct.version;
          ct.lookupBatch(k, bSrc, bDst, bPorts, bProto, m, nowTick, this.bSlot, bEd);
        }
        const ed = bEd[k]!;
        let v = ed >= 0 ? this.established(buf, o, ed, k, nowTick, skb, inIf, outIf, now) : NOT_SHORT;
        if (v === NOT_SHORT) v = this.forwardOne(skb, buf, o, inIf, outIf, now);
        else this.shortWayPackets++;
        if (verdicts) verdicts[c + k] = v;
        ok += v;
      }
    }
    return ok;
  }

  /** One packet through prerouting, forward and postrouting, as forwardEstablished describes. */
  private forwardOne(
    skb: Skb,
    buf: Uint8Array,
    off: number,
    inIf: string,
    outIf: string,
    now: number,
  ): number {
    skb.load(buf, off, inIf, '');
    let v = this.hooks.prerouting(skb, now);
    if (v !== NF_ACCEPT) return v;
    skb.outIf = outIf;
    v = this.hooks.forward(skb, now);
    if (v !== NF_ACCEPT) return v;
    return this.hooks.postrouting(skb, now);
  }

  /**
   * The short way for the packet at `o` (TCP or UDP, 20-byte header, not a fragment, its
   * addresses in bSrc[k] and bDst[k]: read here, not passed, since a 32-bit number passed to a
   * call that is not inlined is boxed) of entry/direction `ed`, found live: what prerouting,
   * forward and postrouting do for it when PREROUTING and POSTROUTING hold only conntrack, NAT and
   * confirm and there is no tracer (nf_conntrack_in's update, the NAT hook's nf_nat_packet for
   * PREROUTING then POSTROUTING; confirm has nothing to do), with the FORWARD entries in between
   * when there are any (forwardChains). Returns NOT_SHORT, having changed nothing, when the packet
   * is not that simple case (the hooks take it then); its verdict otherwise.
   */
  private established(
    b: Uint8Array,
    o: number,
    ed: number,
    k: number,
    nowTick: number,
    skb: Skb,
    inIf: string,
    outIf: string,
    now: number,
  ): number {
    const ct = this.conntrack;
    const rec = ct.rec;
    const e = ed >>> 1;
    const dir = ed & 1;
    const base = e * ct.rw;
    const m = base + REC_META;
    const before = rec[m]!;
    // Both NAT bindings made (so that the NAT hook runs no nat table, whatever the ctinfo),
    // and still live at this tick (an earlier packet of the batch may have shortened its timeout).
    if ((before & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) !== (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE))
      return NOT_SHORT;
    if (rec[base + REC_EXPIRES]! <= nowTick) return NOT_SHORT;
    // A masqueraded connection leaving by another device than MASQUERADE bound it through: the NAT
    // hook kills it (nf_nat_oif_changed), the long way.
    // (outTag: the tag of outIf's bindings, read once per burst; an entry carrying it was bound
    // through outIf, so the device's name is compared only for other tags.)
    if (dir === DIR_ORIGINAL) {
      const mq = ct.masq[e]!;
      if (mq !== 0 && mq !== this.outTag && this.masq?.boundDevice(e) !== outIf) return NOT_SHORT;
    }
    // An entry with a timeout policy (nft `ct timeout set`) takes the full path (conntrack-in).
    if (ct.timeoutPolicy !== undefined && ct.timeoutPolicy[e] !== undefined) return NOT_SHORT;
    const proto = b[o + 9]!;
    const l4 = o + 20;
    const filtered = this.filtered;
    if (proto === IPPROTO_TCP) {
      // An ACK without SYN, FIN or RST: no reopen, no kill, no sequence number to keep.
      const flags = b[l4 + 13]!;
      if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) !== TCP_ACK) return NOT_SHORT;
      // With window tracking: its common case in one call (tcpWindowAck), else the general way.
      const dv = this.dv;
      const v =
        ct.tcpWin === undefined
          ? tcpPacketTick(ct, e, dir, flags, 0, nowTick, this.timeoutTicks, false)
          : tcpWindowAck(
                ct,
                e,
                dir,
                b,
                l4,
                ((b[o + 2]! << 8) | b[o + 3]!) - 20,
                nowTick,
                this.timeoutTicks,
                dv.getInt32(l4 + 4),
                dv.getInt32(l4 + 8),
                dv.getInt32(l4 + 12),
              ) === TCP_VERDICT_OK
            ? TCP_VERDICT_OK
            : tcpWindowPacket(
                ct,
                e,
                dir,
                b,
                l4,
                ((b[o + 2]! << 8) | b[o + 3]!) - 20,
                nowTick,
                this.timeoutTicks,
                false,
              );
      if (v === TCP_VERDICT_INVALID) {
        // setCt(-1, CT_INVALID): no NAT, nothing to confirm; FORWARD sees an INVALID packet.
        ct.stats.invalid++;
        return filtered ? this.forwardChains(skb, b, o, inIf, outIf, now, -1, 0, CT_INVALID) : NF_ACCEPT;
      }
    } else {
      udpPacketTick(ct, e, nowTick, this.timeoutTicks);
    }
    if (ct.acct !== undefined) ct.account(e, dir, (b[o + 2]! << 8) | b[o + 3]!);
    if (dir === DIR_REPLY) rec[m]! |= IPS_SEEN_REPLY;
    const after = rec[m]!;
    if ((after & IPS_CONFIRMED) !== 0 && ((before ^ after) & 0x0fffffff) !== 0) ct.listener?.('UPDATE', e);
    // nf_nat_packet at PREROUTING (destination), then at POSTROUTING (source), from the other
    // direction's tuple, as the NAT hook's manipPacket does.
    const status = after;
    const other = base + (dir ^ 1) * 3;
    const otherPorts = rec[other + 2]!;
    if ((status & (dir === DIR_REPLY ? IPS_SRC_NAT : IPS_DST_NAT)) !== 0) {
      const addr = rec[other]!;
      if (this.bDst[k] !== addr) setAddr(b, o, l4, proto, 16, addr >>> 16, addr & 0xffff);
      setL4Port(b, l4, proto, 2, otherPorts >>> 16);
    }
    if (filtered) {
      // nf_conntrack_in's ctinfo: a reply, or the original direction once a reply was seen.
      const ctinfo =
        dir === DIR_REPLY ? IP_CT_ESTABLISHED_REPLY : status & IPS_SEEN_REPLY ? IP_CT_ESTABLISHED : IP_CT_NEW;
      const v = this.forwardChains(skb, b, o, inIf, outIf, now, e, dir, ctinfo);
      if (v !== NF_ACCEPT) return v;
    }
    if ((status & (dir === DIR_REPLY ? IPS_DST_NAT : IPS_SRC_NAT)) !== 0) {
      const addr = rec[other + 1]!;
      if (this.bSrc[k] !== addr) setAddr(b, o, l4, proto, 12, addr >>> 16, addr & 0xffff);
      setL4Port(b, l4, proto, 0, otherPorts & 0xffff);
    }
    return NF_ACCEPT;
  }

  /**
   * The short way's forward hook: `skb` loaded with the packet at `o` (as rewritten so far) and
   * its conntrack entry, then the FORWARD entries (filter and security; never mangle: the short
   * way is not taken with one).
   */
  private forwardChains(
    skb: Skb,
    b: Uint8Array,
    o: number,
    inIf: string,
    outIf: string,
    now: number,
    e: number,
    dir: number,
    ctinfo: number,
  ): number {
    skb.load(b, o, inIf, '');
    skb.outIf = outIf;
    skb.ct = e;
    skb.ctDir = dir;
    skb.ctinfo = ctinfo;
    return this.hooks.forward(skb, now);
  }
}
