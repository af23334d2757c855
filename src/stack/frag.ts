// A host's MTUs and fragments: the MTU a packet leaves with (the device's `mtu`, the route's `mtu`
// attribute, the learned path MTU: route/pmtu.ts), ip_fragment / ip_do_fragment after POSTROUTING
// (net/ipv4/ip_output.c), ip_exceeds_mtu before FORWARD (net/ipv4/ip_forward.c), and reassembly
// (ip_defrag, net/ipv4/ip_fragment.c) for its two users here: conntrack's defragmentation before
// connection tracking (nf_defrag_ipv4, priority -400 at PREROUTING and OUTPUT, which also sets
// ignore_df) and local delivery (ip_local_deliver, before INPUT). The byte work is wire/frag.ts.
//
// The hot path pays one compare: a packet no longer than `floor` (the smallest MTU this host has
// anywhere: devices, route attributes, learned PMTUs) fits; only a longer one looks its MTU up.
import { read16 } from '../wire/checksum.ts';
import { FRAG_DUP, FRAG_OK, FragQueue, fragmentPacket, isFragment } from '../wire/frag.ts';
import { IPV4_DF, ipv4Dst, ipv4Id, ipv4Protocol, ipv4Src } from '../wire/ipv4.ts';
import { tcpOptionAt } from '../wire/tcp.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import { PmtuCache, routeMtu } from '../route/pmtu.ts';
import { RTN_LOCAL, type Route } from '../route/table.ts';
import { LO_MTU } from './loopback.ts';
import type { Iface } from './iface.ts';
import type { Step } from './steps.ts';

/** The conntrack entry an error carries along (sockets.ts Attach; declared here, no import cycle). */
type Attach = { readonly ct: number; readonly dir: number };

export { isFragment };

/** A device's MTU when the scenario gives none (Ethernet, a veth). */
export const DEFAULT_MTU = 1500;
/** The smallest MTU a device may have (IPV4_MIN_MTU). */
export const MIN_MTU = 68;

/** net.ipv4.ipfrag_time: seconds a datagram's fragments may take to arrive. */
export const IPFRAG_TIME = 30;
/** The most datagrams being reassembled at once per host (ipfrag_high_thresh, 4 MiB, as a count). */
export const MAX_FRAG_QUEUES = 1024;

/** Reassembly users (enum ip_defrag_users): conntrack's at PREROUTING and OUTPUT, local delivery. */
export const DEFRAG_CONNTRACK_IN = 0;
export const DEFRAG_CONNTRACK_OUT = 1;
export const DEFRAG_LOCAL_DELIVER = 2;

/** What the fragment code needs of its host. */
export interface FragHost {
  readonly name: string;
  readonly env: { now(): number; timer(at: number, fn: () => void): void };
  readonly ifaces: ReadonlyMap<string, Iface>;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
  sysctl(name: string, dflt: number): number;
  /** icmp_send about `orig` (a fragment, the datagram, a packet too big), with its connection. */
  sendIcmpError(orig: Uint8Array, type: number, code: number, info: number, attach?: Attach): void;
}

/** The MTU of a device (an interface or a bridge). */
export const devMtu = (dev: Iface | undefined): number => dev?.mtu ?? DEFAULT_MTU;

export class HostFrag {
  /** The learned path MTUs (ip route get's `cache expires … mtu N`). */
  readonly pmtu = new PmtuCache();
  /** No packet this long or shorter can be too big anywhere on this host. */
  floor = DEFAULT_MTU;
  /** After `gather` returned a datagram: the largest fragment it came in (IPCB frag_max_size). */
  maxSize = 0;
  /** … and whether the largest fragments all had DF (IPSKB_FRAG_PMTU). */
  pmtuDf = false;
  private readonly queues = new Map<string, FragQueue>();

  constructor(private readonly host: FragHost) {
    this.refresh([]);
  }

  /**
   * Recomputes `floor` from the devices and `routes` (their `mtu` attributes): after a device's
   * MTU or the routes changed. A learned PMTU lowers it as it is learned.
   */
  refresh(routes: readonly Route[]): void {
    let f = 0xffff;
    for (const i of this.host.ifaces.values()) f = Math.min(f, devMtu(i));
    for (const r of routes) {
      const m = routeMtu(r).mtu;
      if (m > 0) f = Math.min(f, m);
    }
    this.floor = f;
  }

  /** `ip link set DEV mtu N`: the device's MTU (a bridge's follows its smallest port). */
  setDevMtu(ifname: string, mtu: number): void {
    const d = this.host.ifaces.get(ifname);
    if (!d) return;
    d.mtu = mtu;
    if (d.master !== undefined) {
      const br = this.host.ifaces.get(d.master);
      if (br) br.mtu = Math.min(...br.ports.map((p) => devMtu(this.host.ifaces.get(p))));
    }
    if (mtu < this.floor) this.floor = mtu;
  }

  /** ip_dst_mtu_maybe_forward: the MTU a forwarded packet to `dst` by `r` must fit. */
  forwardMtu(r: Route, dst: number): number {
    const usePmtu = this.host.sysctl('net.ipv4.ip_forward_use_pmtu', 0) === 1;
    return this.pmtu.forwardMtu(r, dst, devMtu(this.host.ifaces.get(r.dev)), usePmtu, this.host.env.now());
  }

  /** ipv4_mtu (dst_mtu): the MTU a packet this host sends to `dst` by `r` leaves with. */
  outputMtu(r: Route, dst: number): number {
    // A local route's packets leave by lo (ip_route_output_key: dev_out = the loopback device),
    // whose MTU is 65536: Linux 6.18 announces MSS 65495 there (65535 - 40), so no IP_MAX_MTU cap.
    if (r.type === RTN_LOCAL && !r.mtu) return LO_MTU;
    return this.pmtu.outputMtu(r, dst, devMtu(this.host.ifaces.get(r.dev)), this.host.env.now());
  }

  /**
   * TCPMSS --clamp-mss-to-pmtu: the smaller of the MTU towards `dst` and back towards `src`
   * (dst_mtu of each route, learned path MTUs included); 0 when neither has a route.
   */
  clampMtu(routes: { lookup(dst: number): Route | undefined }, src: number, dst: number): number {
    const out = routes.lookup(dst);
    const back = routes.lookup(src);
    const a = out ? this.outputMtu(out, dst) : 0xffffffff;
    const b = back ? this.outputMtu(back, src) : 0xffffffff;
    const m = Math.min(a, b);
    return m === 0xffffffff ? 0 : m;
  }

  /**
   * An ICMP fragmentation needed (`mtu`, 0 when it carried none) about a packet to `dst` reached
   * a socket (ipv4_sk_update_pmtu → __ip_rt_update_pmtu). Returns whether the cache changed.
   */
  learn(r: Route, dst: number, mtu: number): boolean {
    const now = this.host.env.now();
    const old = this.outputMtu(r, dst);
    const changed = this.pmtu.update(dst, mtu, old, routeMtu(r).locked, now);
    const e = this.pmtu.get(dst, now);
    if (e && e.mtu < this.floor) this.floor = e.mtu;
    if (changed && e)
      this.host.trace({
        kind: 'config',
        host: this.host.name,
        text: `learns path MTU ${e.locked ? 'lock ' : ''}${e.mtu} for ${fmt(dst)} (ICMP fragmentation needed), for ${Math.round(e.expires - now)} s`,
      });
    return changed;
  }

  /**
   * ip_forward's ip_exceeds_mtu: `ip` (total length `len`) with DF is longer than `mtu`. A
   * reassembled datagram (`maxSize` > 0, conntrack's ignore_df) exceeds only when one of its
   * fragments was longer than the MTU.
   */
  static exceeds(ip: Uint8Array, len: number, mtu: number, maxSize: number, ignoreDf: boolean): boolean {
    if (len <= mtu) return false;
    if ((read16(ip, 6) & IPV4_DF) === 0) return false;
    if (maxSize > mtu) return true;
    return !ignoreDf;
  }

  /**
   * ip_finish_output's fragmentation (ip_fragment): `ip`, longer than `mtu` or a reassembled
   * datagram (`maxSize`), in the pieces it leaves in. With DF (and not ignore_df, or a fragment
   * longer than the MTU) nothing leaves: the sender gets fragmentation needed with the MTU and
   * the packet is dropped ([] returned).
   */
  fragment(
    ip: Uint8Array,
    mtu: number,
    maxSize: number,
    pmtuDf: boolean,
    ignoreDf: boolean,
    attach?: Attach,
  ): Uint8Array[] {
    const len = read16(ip, 2);
    if (len <= mtu && maxSize === 0) return [ip];
    if ((read16(ip, 6) & IPV4_DF) !== 0 && (!ignoreDf || (maxSize > 0 && maxSize > mtu))) {
      this.tooBig(ip, mtu, undefined, attach);
      return [];
    }
    // A datagram that came in fragments leaves in pieces no larger than they were.
    return fragmentPacket(ip, mtu, maxSize, pmtuDf);
  }

  /** Fragmentation needed: count, trace, and tell the sender the MTU (icmp_send). */
  tooBig(ip: Uint8Array, mtu: number, ifname: string | undefined, attach?: Attach): void {
    if (this.host.countDrop(DropReason.PKT_TOO_BIG))
      this.host.trace({
        kind: 'drop',
        host: this.host.name,
        ...(ifname !== undefined ? { ifname } : {}),
        reason: DropReason.PKT_TOO_BIG,
        addr: ipv4Dst(ip, 0),
        count: mtu,
      });
    this.host.sendIcmpError(ip, 3, 4, mtu, attach);
  }

  /**
   * A frame longer than the receiving device's MTU allows (is_skb_forwardable: MTU + Ethernet
   * header + VLAN tag): the veth drops it before anyone sees it (so no capture shows it).
   */
  tooLongFrame(dev: Iface, frame: Uint8Array): void {
    if (this.host.countDrop(DropReason.PKT_TOO_BIG))
      this.host.trace({
        kind: 'drop',
        host: this.host.name,
        ifname: dev.name,
        reason: DropReason.PKT_TOO_BIG,
        ...(frame.length >= 34 && read16(frame, 12) === 0x0800 ? { addr: ipv4Dst(frame, 14) } : {}),
        count: dev.mtu,
      });
  }

  /**
   * ip_defrag: queues a fragment for `user`; returns the whole datagram once every fragment is
   * there (then `maxSize` and `pmtuDf` describe it), else undefined (the fragment is kept or,
   * when corrupt, dropped with its queue).
   */
  gather(ip: Uint8Array, user: number, ifname: string): Uint8Array | undefined {
    const now = this.host.env.now();
    const key = `${user}:${ipv4Src(ip, 0)}:${ipv4Dst(ip, 0)}:${ipv4Id(ip, 0)}:${ipv4Protocol(ip, 0)}`;
    let q = this.queues.get(key);
    if (q && now >= q.expires) {
      this.queues.delete(key);
      q = undefined;
    }
    if (!q) {
      if (this.queues.size >= MAX_FRAG_QUEUES) {
        this.dropFrag(DropReason.FRAG_TOO_FAR, ip, ifname);
        return undefined;
      }
      const time = this.host.sysctl('net.ipv4.ipfrag_time', IPFRAG_TIME);
      const nq = new FragQueue(now + time);
      q = nq;
      this.queues.set(key, nq);
      this.host.env.timer(now + time, () => this.expire(key, nq, user, ifname));
    }
    const r = q.add(ip);
    if (r !== FRAG_OK) {
      // A duplicate is dropped alone; an overlap or a corrupt fragment takes its queue with it.
      if (r !== FRAG_DUP) this.queues.delete(key);
      this.dropFrag(DropReason.DUP_FRAG, ip, ifname);
      return undefined;
    }
    if (!q.complete()) return undefined;
    this.queues.delete(key);
    this.maxSize = q.maxSize;
    this.pmtuDf = q.pmtuDf();
    return q.reassemble();
  }

  /**
   * ip_expire: the datagram's time is up. Its fragments are dropped; a host reassembling for
   * local delivery that got the first fragment answers ICMP time exceeded (fragment reassembly
   * time exceeded); conntrack's reassembly of a packet passing through stays silent.
   */
  private expire(key: string, q: FragQueue, user: number, ifname: string): void {
    if (this.queues.get(key) !== q) return;
    this.queues.delete(key);
    const first = q.first();
    this.dropFrag(DropReason.FRAG_REASM_TIMEOUT, first, ifname);
    if (first && user === DEFRAG_LOCAL_DELIVER) this.host.sendIcmpError(first, 11, 1, 0);
  }

  private dropFrag(reason: DropReason, ip: Uint8Array | undefined, ifname: string): void {
    if (this.host.countDrop(reason))
      this.host.trace({
        kind: 'drop',
        host: this.host.name,
        ifname,
        reason,
        ...(ip ? { addr: ipv4Src(ip, 0) } : {}),
      });
  }

  /** Datagrams being reassembled now. */
  get pending(): number {
    return this.queues.size;
  }
}

const fmt = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

// ---- what sockets need of MTUs -------------------------------------------------------------

/** A flow's payload size and IP_MTU_DISCOVER (`df`: true DO, false DONT, absent WANT). */
export interface SizeDf {
  readonly size?: number;
  readonly df?: boolean;
}

/** IP_PMTUDISC_DONT, _WANT (the default: net.ipv4.ip_no_pmtu_disc 0), _DO. */
export const PMTUDISC_DONT = 0;
export const PMTUDISC_WANT = 1;
export const PMTUDISC_DO = 2;

export const pmtudiscOf = (o: SizeDf | undefined): number =>
  o?.df === true ? PMTUDISC_DO : o?.df === false ? PMTUDISC_DONT : PMTUDISC_WANT;

const PING_LINE = new TextEncoder().encode('ping\n');

/**
 * The payload of `size` bytes the clients send (as the kernel reference's clients): `ping`, then
 * `-` up to the size, then a newline; shorter sizes cut `ping\n`. Absent: `ping\n`.
 */
export function linePayload(size: number | undefined): Uint8Array {
  if (size === undefined) return PING_LINE;
  if (size <= PING_LINE.length) return PING_LINE.slice(0, size);
  const b = new Uint8Array(size).fill(0x2d);
  b.set(PING_LINE.subarray(0, 4), 0);
  b[size - 1] = 0x0a;
  return b;
}

/**
 * __ip_append_data's check for a socket that may not fragment (IP_PMTUDISC_DO): `l4len` bytes
 * (transport header and data) after a 20-byte IP header must fit the path MTU, else EMSGSIZE.
 * Returns whether the datagram carries DF: DO always, WANT when it fits (else the host
 * fragments it), DONT never.
 */
export function datagramDf(pmtudisc: number, l4len: number, mtu: number): boolean | 'EMSGSIZE' {
  const fits = 20 + l4len <= mtu;
  if (pmtudisc === PMTUDISC_DO) return fits ? true : 'EMSGSIZE';
  return pmtudisc === PMTUDISC_WANT && fits;
}

/** ip_rt_min_advmss: the smallest MSS a host advertises (256). */
export const MIN_ADVMSS = 256;

/**
 * The MSS a host advertises in its SYN or SYN-ACK (tcp_advertise_mss → dst_metric_advmss): the
 * route's `advmss`, else the path MTU less 40 (ipv4_default_advmss), at least 256.
 */
export function advertisedMss(frag: HostFrag, r: Route, dst: number, advmss: number): number {
  if (advmss > 0) return advmss;
  return Math.min(Math.max(frag.outputMtu(r, dst) - 40, MIN_ADVMSS), 0xffff - 40);
}

/**
 * tcp_sync_mss: the data a segment carries: the path MTU less 40, no more than the peer's MSS,
 * less the options every segment has (`optLen`: 12 with timestamps).
 */
export const segmentSize = (pmtu: number, peerMss: number, optLen: number): number =>
  Math.max(Math.min(pmtu - 40, peerMss) - optLen, 8);

/** The MSS option of a SYN or SYN-ACK (TCP options between `start` and `end`), 536 when absent. */
export function mssOption(b: Uint8Array, start: number, end: number): number {
  const at = tcpOptionAt(b, start, end, 2, 4);
  return at < 0 ? 536 : read16(b, at);
}
