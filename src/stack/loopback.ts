// The loopback device: a host's packets to itself (any of its addresses, 127.0.0.0/8, or what
// OUTPUT's DNAT/REDIRECT turned into one). As in Linux, such a packet leaves by the local routing
// table's `dev lo` route: OUTPUT (raw, conntrack, mangle, nat), the reroute, filter OUTPUT,
// POSTROUTING (mangle, nat, confirm), then loopback_xmit puts it on the device's backlog
// (netif_rx), and net_rx_action takes it in again on `lo`: PREROUTING, the local delivery, INPUT,
// the socket. The skb keeps what it had on the way out (loopback_xmit scrubs nothing): its
// conntrack entry (nf_conntrack_in at PREROUTING sees it attached and leaves it: one entry,
// confirmed at POSTROUTING), its ctinfo (a connection's first packet is NEW in INPUT too), its
// mark, and its route (ip_rcv_finish makes no input route lookup for a packet that has one, so
// rp_filter and the martian checks do not run on `lo`). The NAT hook binds each manip type once:
// DNAT at OUTPUT and SNAT at POSTROUTING, so the nat table's PREROUTING and INPUT chains never see
// a loopback packet (measured: their counters stay 0), though the packet is rewritten from the
// entry there as always.
//
// The backlog is a queue drained by one timer at the current time (process_backlog): a packet the
// host sends while it handles a looped one (a SYN-ACK for the SYN) joins the queue and is taken in
// after it, never inside it. tcpdump sees each loopback packet once, as it is taken in on `lo`
// (`lo In` with -i any), and so does natbox's trace: one packet step per packet, dir `in`.
//
// route_localnet (net.ipv4.conf.DEV.route_localnet, `all` or the device) is Linux's permission
// for 127.0.0.0/8 away from `lo`: a packet arriving on another device with a loopback destination
// or source is a martian (ip_route_input_slow: SKB_DROP_REASON_IP_LOCALNET), and a packet of the
// host's own with a loopback source routed out of another device is refused (__mkroute_output:
// -EINVAL; after nat OUTPUT's DNAT, ip_route_me_harder fails and the nat hook drops the packet
// with that error: sendto() says EINVAL, a SYN is retransmitted until connect() times out).
import { ETHERTYPE_IPV4 } from '../wire/ethernet.ts';
import { formatIpv4 } from '../wire/addr.ts';
import type { Netfilter } from '../netfilter/core/engine.ts';
import { NF_ACCEPT } from '../netfilter/core/verdict.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import type { Skb } from '../netfilter/core/skb.ts';
import type { Step } from './steps.ts';

/** Is `a` in 127.0.0.0/8 (ipv4_is_loopback)? */
export const isLoopbackAddr = (a: number): boolean => a >>> 24 === 127;

/** The loopback device's name, as routes and rules (`-i lo`, `-o lo`) say it. */
export const LO = 'lo';

/** Packets the backlog takes in per event before it yields (the kernel's netdev_budget is 300). */
const BACKLOG_BUDGET = 4096;
const EMPTY = new Uint8Array(0);

/** The loopback device's MTU (Linux's default for `lo`). */
export const LO_MTU = 65536;

/** What the loopback path needs of its host (ip4.ts gives it). */
export interface LoopbackHost {
  readonly name: string;
  readonly tracing: boolean;
  readonly env: { now(): number; timer(at: number, fn: () => void): void };
  readonly nf: Netfilter | undefined;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
  sysctl(name: string, dflt: number): number;
}

/** What the loopback path needs of the IPv4 layer (ip4.ts). */
export interface LoopbackIp {
  /** The receive skb (one packet at a time). */
  readonly skb: Skb;
  /** Fill in skb.srcMac and skb.pktType (only when a rule reads them). */
  readonly linkLayer: boolean;
  /** Netfilter dropped a received packet: count, trace, answer a REJECT. */
  nfDrop(skb: Skb, ifname: string): void;
  /** A packet for this host passed INPUT: to the sockets. */
  deliverLocal(ip: Uint8Array, ifname: string): void;
}

/**
 * net.ipv4.conf.DEV.route_localnet as the kernel reads it (IN_DEV_NET_ROUTE_LOCALNET: `all` or
 * the device).
 */
export function routeLocalnet(host: { sysctl(name: string, dflt: number): number }, dev: string): boolean {
  return (
    host.sysctl('net.ipv4.conf.all.route_localnet', 0) !== 0 ||
    host.sysctl(`net.ipv4.conf.${dev}.route_localnet`, 0) !== 0
  );
}

/**
 * ip_route_input_slow's loopback check for a packet that came in on `dev` (not `lo`): 'dst' when
 * its destination is in 127.0.0.0/8, 'src' when its source is, and route_localnet is off; else
 * undefined.
 */
export function martianLocalnet(
  host: { sysctl(name: string, dflt: number): number },
  dev: string,
  src: number,
  dst: number,
): 'dst' | 'src' | undefined {
  if (!isLoopbackAddr(dst) && !isLoopbackAddr(src)) return undefined;
  if (routeLocalnet(host, dev)) return undefined;
  return isLoopbackAddr(dst) ? 'dst' : 'src';
}

/**
 * __mkroute_output's check: a packet from a loopback source may leave only by `lo`, unless the
 * device it is routed out of has route_localnet. True when the route is refused (EINVAL).
 */
export function loopbackSourceRefused(
  host: { sysctl(name: string, dflt: number): number },
  src: number,
  dev: string,
): boolean {
  return isLoopbackAddr(src) && dev !== LO && !routeLocalnet(host, dev);
}

/** The 14 bytes loopback_xmit's frames carry: zero MACs and the IPv4 ethertype. */
function loFrame(ip: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f[12] = ETHERTYPE_IPV4 >> 8;
  f[13] = ETHERTYPE_IPV4 & 0xff;
  f.set(ip, 14);
  return f;
}

/**
 * The loopback device of one host: loopback_xmit (the packet joins the backlog with its conntrack
 * attachment and mark) and the backlog's drain (each packet taken in on `lo`).
 */
export class Loopback {
  /** The backlog: packets and what their skb carried, in order. */
  private readonly q: Uint8Array[] = [];
  private readonly ct: number[] = [];
  private readonly ctDir: number[] = [];
  private readonly ctinfo: number[] = [];
  private readonly mark: number[] = [];
  private head = 0;
  private draining = false;
  private readonly drain = (): void => this.run();
  /** Packets sent and taken in (`ip -s link show lo`'s TX and RX packets). */
  txPackets = 0;
  rxPackets = 0;

  constructor(
    private readonly host: LoopbackHost,
    private readonly ip: LoopbackIp,
  ) {}

  /**
   * loopback_xmit: the packet as POSTROUTING left it (`skb`), with its conntrack entry, ctinfo and
   * mark, joins the backlog; it is taken in after the current event.
   */
  xmit(skb: Skb): void {
    this.q.push(skb.buf.slice(skb.off, skb.off + skb.len));
    this.ct.push(skb.ct);
    this.ctDir.push(skb.ctDir);
    this.ctinfo.push(skb.ctinfo);
    this.mark.push(skb.mark);
    this.txPackets++;
    if (!this.draining) {
      this.draining = true;
      this.host.env.timer(this.host.env.now(), this.drain);
    }
  }

  /**
   * process_backlog: the packets queued, those queued meanwhile included, in order; at most
   * BACKLOG_BUDGET in one event (netdev_budget's role), the rest in the next one at the same time,
   * so that the simulator's bounds on events see a host that loops packets to itself forever.
   */
  private run(): void {
    for (let n = 0; this.head < this.q.length && n < BACKLOG_BUDGET; n++) {
      const i = this.head++;
      const ip = this.q[i]!;
      this.q[i] = EMPTY;
      this.receive(ip, this.ct[i]!, this.ctDir[i]!, this.ctinfo[i]!, this.mark[i]!);
    }
    if (this.head < this.q.length) {
      this.host.env.timer(this.host.env.now(), this.drain);
      return;
    }
    this.q.length = 0;
    this.ct.length = 0;
    this.ctDir.length = 0;
    this.ctinfo.length = 0;
    this.mark.length = 0;
    this.head = 0;
    this.draining = false;
  }

  /**
   * __netif_receive_skb on `lo` → ip_rcv → PREROUTING (the entry already attached) → the route
   * the packet kept (local) → INPUT → the socket.
   */
  private receive(ip: Uint8Array, ct: number, ctDir: number, ctinfo: number, mark: number): void {
    const host = this.host;
    this.rxPackets++;
    if (host.tracing)
      host.trace({ kind: 'packet', host: host.name, ifname: LO, dir: 'in', frame: loFrame(ip) });
    const nf = host.nf;
    const skb = this.ip.skb.load(ip, 0, LO, '');
    skb.ct = ct;
    skb.ctDir = ctDir;
    skb.ctinfo = ctinfo;
    skb.mark = mark;
    if (this.ip.linkLayer) {
      skb.srcMac = '00:00:00:00:00:00'; // eth_type_trans: PACKET_HOST
      skb.llSrc = skb.llDst = 0;
    }
    const now = host.env.now();
    if (nf && nf.prerouting(skb, now) !== NF_ACCEPT) return this.ip.nfDrop(skb, LO);
    if (host.tracing)
      host.trace({ kind: 'route', host: host.name, dst: formatIpv4(skb.dst), decision: 'local', dev: LO });
    if (nf && nf.input(skb, now) !== NF_ACCEPT) return this.ip.nfDrop(skb, LO);
    this.ip.deliverLocal(skb.buf.subarray(skb.off, skb.off + skb.len), LO);
  }
}

/** The trace's words for a route_localnet refusal (DropReason.IP_LOCALNET), by `detail`. */
export function localnetWords(detail: string | undefined, addr: string, dev: string): string {
  const sysctl = `net.ipv4.conf.${dev}.route_localnet is 0`;
  if (detail === 'src')
    return `martian source ${addr} on ${dev}: a loopback address may arrive only on lo (${sysctl})`;
  if (detail === 'reroute')
    return `source ${addr} routed out of ${dev}: a loopback address may not leave lo (${sysctl}; ip_route_me_harder: EINVAL)`;
  return `martian destination ${addr} on ${dev}: a loopback address may arrive only on lo (${sysctl})`;
}
