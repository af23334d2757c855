// IPv4 in and out of one host, through the netfilter hooks: receive (ip_rcv: header checks,
// PREROUTING, rp_filter, the route decision), local delivery (INPUT, then the sockets), forward
// (TTL, ICMP redirects, FORWARD, POSTROUTING), local output (OUTPUT, reroute, POSTROUTING) and
// the ICMP errors and REJECT answers these paths send. Every drop is counted by its DropReason and,
// when tracing, reported as a step with what its words need (trace/drop-words.ts says it).
import { inputFlowKey } from './route-key.ts';
import { formatIpv4, formatMac, prefixMask } from '../wire/addr.ts';
import { ethIsBroadcast } from '../wire/ethernet.ts';
import { read16, read32, readBE } from '../wire/checksum.ts';
import { IPPROTO_TCP, ipv4ChecksumOk, ipv4DecTtl, ipv4Dst, ipv4Ttl, parseIpv4Header } from '../wire/ipv4.ts';
import { TCP_RST } from '../wire/tcp.ts';
import { tcpSetClosing } from '../netfilter/conntrack/proto-tcp.ts';
import type { Fib4, Route } from '../route/table.ts';
import { ROUTE_TOS_MASK, RouteResult, newFlowKey, type FlowKey } from '../route/policy.ts';
import { outputRoute, type OutputHost } from '../route/output.ts';
import { isLocalType, ROUTE_ICMP_CODE, routeErrorText } from '../route/errors.ts';
import { type Netfilter, NF_ACCEPT, NOTRACK } from '../netfilter/core/engine.ts';
import {
  Skb,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  type XtEnv,
} from '../netfilter/core/skb.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import { DIR_ORIGINAL } from '../netfilter/conntrack/tuple.ts';
import { macKey, type Iface } from './iface.ts';
import type { Neighbours } from './neigh.ts';
import { hasPendingConfirm, markPendingConfirm } from './neigh.ts';
import type { Attach, BridgedIn, SendError } from './sockets.ts';
import type { DropStep, Step } from './steps.ts';
import type { InetPeers } from './inetpeer.ts';
import { DEFRAG_CONNTRACK_IN, DEFRAG_LOCAL_DELIVER, HostFrag, isFragment } from './frag.ts';
import { Loopback, loopbackSourceRefused, martianLocalnet, LO } from './loopback.ts';

/** Host.validateSource's answers: valid, or the martian's drop (fib_validate_source's errno). */
export const FVS_OK = 0;
/** -EINVAL, SKB_DROP_REASON_IP_LOCAL_SOURCE: one of the host's addresses, accept_local 0. */
export const FVS_LOCAL_SOURCE = 1;
/** -EINVAL, SKB_DROP_REASON_IP_INVALID_SOURCE: the route back is neither unicast nor local. */
export const FVS_INVALID_SOURCE = 2;
/** -EXDEV, SKB_DROP_REASON_IP_RPFILTER: rp_filter refused it. */
export const FVS_RPF = 3;

/** What the IPv4 layer hands up to the sockets (sockets.ts implements it). */

/**
 * fib_multipath_hash, policy 1, for a forwarded packet: `if (skb->l4_hash) return
 * skb_get_hash_raw(skb) >> 1`. A Linux TCP socket's packets and a connected UDP socket's carry its
 * random sk_txhash (skb_set_hash_from_sk), which veths and bridges keep: their path is random.
 */
const RANDOM_SOCKET_HASH =
  "fib_multipath_hash_policy 1: Linux forwards a packet that carries its sender's socket hash (a TCP or connected UDP socket's random sk_txhash) by that hash, so its path is random there; natbox takes the flow's hash";
export interface Ip4Transport {
  /** A packet for this host passed INPUT. */
  deliver(ip: Uint8Array, ifname: string, skPort?: number, skAddr?: number): void;
  /** icmp_send: an ICMP error about `orig`. */
  sendIcmpError(orig: Uint8Array, type: number, code: number, info: number, attach?: Attach): void;
  /** REJECT's answer (--reject-with); `bridged`: the packet came in by a bridge port. */
  reject(orig: Uint8Array, withWhat: string, attach?: Attach, bridged?: BridgedIn): void;
}

/** What the IPv4 layer needs of its host. */
export interface Ip4Host {
  readonly name: string;
  readonly tracing: boolean;
  readonly env: { now(): number; timer(at: number, fn: () => void): void };
  readonly ifaces: ReadonlyMap<string, Iface>;
  readonly routes: Fib4;
  readonly nf: Netfilter | undefined;
  readonly neigh: Neighbours;
  readonly sockets: Ip4Transport;
  /** The host's inet_peer records (redirect and error rate limits). */
  readonly peers: InetPeers;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
  sysctl(name: string, dflt: number): number;
  /** A device's net.ipv4.conf setting as the kernel combines all and the device (host.ts conf). */
  conf(dev: string, key: 'rp_filter'): number;
  isLocal(addr: number): boolean;
  /** fib_validate_source (host.ts): FVS_OK or why the source is a martian. */
  validateSource(src: number, dst: number, inDev: string, tos: number, mark?: number): number;
  /** After FVS_RPF: the device the route back leaves by ('' for none). */
  readonly validateDev: string;
  /** Policy routing (fib_lookup) for a flow key. */
  routeLookup(k: FlowKey, out: RouteResult): number;
  /** The multipath hash's policy, and the packet it hashes when not the flow's own. */
  readonly policy: { hashFrom: FlowKey | undefined; readonly hashPolicy: number };
  /** What the output route lookup needs (route/output.ts). */
  readonly routeView: OutputHost;
}

export class Ip4 {
  /** The packet being received or forwarded (one at a time: the host handles one event). */
  readonly skb = new Skb();
  /** A packet of the host's own (it may be sent in the middle of forwarding another one). */
  private readonly outSkb = new Skb();
  /** MTUs, learned path MTUs, fragmentation and reassembly (frag.ts). */
  readonly frag: HostFrag;
  /** The flow key and answer of the route lookups (one packet at a time). */
  private readonly key: FlowKey = newFlowKey();
  private readonly res = new RouteResult();
  /** The same for the host's own packets (they may be sent while a packet is forwarded). */
  private readonly outKey: FlowKey = newFlowKey();
  private readonly outRes = new RouteResult();
  /** The next hop of the packet being sent (neigh.output reads via and dev). */
  private readonly outHop = { via: 0, dev: '' };
  /** The loopback device: the host's packets to itself (loopback.ts). */
  readonly loopback: Loopback;

  /**
   * `linkLayer`: a rule matches on the link layer (-m mac, -m pkttype), so skb.srcMac and
   * skb.pktType are filled in; `xt`: what the matches ask of the host and engine.
   */
  constructor(
    private readonly host: Ip4Host,
    public linkLayer: boolean,
    xt: XtEnv | undefined,
  ) {
    if (xt) {
      this.skb.env = xt;
      this.outSkb.env = xt;
    }
    this.frag = new HostFrag({
      name: host.name,
      env: host.env,
      ifaces: host.ifaces,
      trace: (s) => host.trace(s),
      countDrop: (r) => host.countDrop(r),
      sysctl: (n, d) => host.sysctl(n, d),
      sendIcmpError: (orig, type, code, info, attach) =>
        host.sockets.sendIcmpError(orig, type, code, info, attach),
    });
    this.frag.refresh(host.routes.list());
    this.loopback = new Loopback(host, this);
  }

  /** A packet for this host passed INPUT: to the sockets (the loopback path's way up). */
  deliverLocal(ip: Uint8Array, ifname: string): void {
    this.host.sockets.deliver(ip, ifname);
  }

  /** The host's netfilter engine was replaced (an event's iptables command): what matches ask now. */
  setXtEnv(xt: XtEnv, linkLayer: boolean): void {
    this.skb.env = xt;
    this.outSkb.env = xt;
    this.linkLayer = linkLayer;
  }

  /** skb.srcMac and skb.pktType from the frame's Ethernet header (only when a rule reads them). */
  setLinkLayer(skb: Skb, frame: Uint8Array, dev: Iface): void {
    skb.srcMac = formatMac(frame, 6);
    skb.llDst = readBE(frame, 0, 6);
    skb.llSrc = readBE(frame, 6, 6);
    if (ethIsBroadcast(frame)) skb.pktType = PACKET_BROADCAST;
    else if (frame[0]! & 1) skb.pktType = PACKET_MULTICAST;
    else skb.pktType = macKey(frame, 0) === macKey(dev.mac) ? PACKET_HOST : PACKET_OTHERHOST;
  }

  /** ip_rcv_core: a well-formed header with a good checksum (else the packet is dropped). */
  validIp(ip: Uint8Array, ifname: string): boolean {
    const host = this.host;
    const h = parseIpv4Header(ip, 0, ip.length);
    if (!h.ok) {
      if (host.countDrop(DropReason.IP_INHDR))
        host.trace({ kind: 'drop', host: host.name, ifname, reason: DropReason.IP_INHDR, detail: h.error });
      return false;
    }
    if (!ipv4ChecksumOk(ip, 0)) {
      if (host.countDrop(DropReason.IP_CSUM))
        host.trace({ kind: 'drop', host: host.name, ifname, reason: DropReason.IP_CSUM });
      return false;
    }
    return true;
  }

  /**
   * ip_rcv → PREROUTING → ip_route_input → INPUT or FORWARD. `pre`: the skb of a frame bridge
   * netfilter passed up after its PREROUTING (br_nf_pre_routing_finish, then ip_sabotage_in skips
   * PREROUTING here and calls ip_rcv_finish): the packet keeps what PREROUTING gave it (its
   * conntrack entry, skb->mark, skb->priority; not a socket TPROXY assigned: ip_rcv_core orphans
   * the skb on br0 before that hook) and its nf_bridge state (`physIn`), so the input route lookup
   * sees the mark (ip_rcv_finish_core: the fake rtable is no valid dst, ip_route_input_noref with
   * skb->mark), and -m physdev and REJECT's reset see the port in INPUT and FORWARD. `pre` may be
   * this.skb itself: its fields are read before the reload.
   */
  input(dev: Iface, ipIn: Uint8Array, pre: Skb | undefined, frame?: Uint8Array, physIn = ''): void {
    const host = this.host;
    const nf = host.nf;
    let ip: Uint8Array = ipIn.slice(0, read16(ipIn, 2)); // own copy, trimmed to the IP total length
    if (hasPendingConfirm(ipIn)) markPendingConfirm(ip); // the skb's dst_pending_confirm (neigh.ts)
    const now = host.env.now();
    // nf_defrag_ipv4 (priority -400): conntrack sees whole datagrams; they leave in the sizes
    // they came in (frag_max_size), and DF alone no longer stops them (ignore_df).
    let fragMax = 0;
    let pmtuDf = false;
    const prerouted = pre !== undefined;
    // What PREROUTING left on the bridged skb (read before this.skb, which it may be, is reloaded).
    const ct = prerouted ? pre.ct : -1;
    const ctDir = prerouted ? pre.ctDir : 0;
    const ctinfo = prerouted ? pre.ctinfo : 0;
    const mark = prerouted ? pre.mark : 0;
    const priority = prerouted ? pre.priority : 0;
    if (!prerouted && nf?.tracking && isFragment(ip)) {
      const whole = this.frag.gather(ip, DEFRAG_CONNTRACK_IN, dev.name);
      if (!whole) return;
      ip = whole;
      fragMax = this.frag.maxSize;
      pmtuDf = this.frag.pmtuDf;
    }
    let skb = this.skb.load(ip, 0, dev.name, '');
    skb.physIn = physIn;
    if (frame && this.linkLayer) this.setLinkLayer(skb, frame, dev);
    if (prerouted) {
      skb.ct = ct;
      skb.ctDir = ctDir;
      skb.ctinfo = ctinfo;
      skb.mark = mark;
      skb.priority = priority;
    } else if (nf && nf.prerouting(skb, now) !== NF_ACCEPT) {
      return this.nfDrop(skb, dev.name);
    }
    ip = skb.buf; // TCPMSS may have moved the packet to a larger buffer (an MSS option added)
    const dst = skb.dst;
    // ip_route_input_slow: 127.0.0.0/8 away from lo is a martian unless route_localnet allows it.
    const martian = martianLocalnet(host, dev.name, skb.src, dst);
    if (martian !== undefined) {
      nf?.abandon(skb);
      if (host.countDrop(DropReason.IP_LOCALNET))
        host.trace({
          kind: 'drop',
          host: host.name,
          ifname: dev.name,
          reason: DropReason.IP_LOCALNET,
          addr: martian === 'dst' ? dst : skb.src,
          dev: dev.name,
          detail: martian,
        });
      return;
    }
    // ip_route_input_slow: the flow key of the packet (its mark as PREROUTING left it).
    let local = host.isLocal(dst) || dst === 0xffffffff;
    let err = 0;
    const res = this.res;
    if (!local) {
      const k = inputFlowKey(this.key, skb, dst, ip[1]!, dev.name);
      // ip_multipath_l3_keys (policy 0): a forwarded ICMP error's path is hashed from the header
      // it quotes, so that it follows the connection it is about.
      const hl = (ip[0]! & 15) * 4;
      const t = skb.proto === 1 && host.policy.hashPolicy === 0 && skb.len >= hl + 28 ? ip[hl]! : -1;
      if ((t === 3 || t === 4 || t === 5 || t === 11 || t === 12) && (read16(ip, 6) & 0x1fff) === 0) {
        const q = (this.quotedKey ??= newFlowKey());
        q.src = read32(ip, hl + 8 + 12);
        q.dst = read32(ip, hl + 8 + 16);
        host.policy.hashFrom = q;
        err = host.routeLookup(k, res);
        host.policy.hashFrom = undefined;
      } else err = host.routeLookup(k, res);
      if (err === 0 && isLocalType(res.route)) local = true;
    }
    if (local) {
      if (this.martianSource(skb, dev.name, dst)) return;
      if (host.tracing)
        host.trace({ kind: 'route', host: host.name, dst: formatIpv4(dst), decision: 'local' });
      if (isFragment(skb.buf)) {
        // ip_local_deliver: a fragment waits for the rest of its datagram before INPUT.
        const whole = this.frag.gather(skb.buf.slice(0, skb.len), DEFRAG_LOCAL_DELIVER, dev.name);
        if (!whole) return nf?.abandon(skb);
        // ip_defrag keeps the skb's mark and priority (skb_morph takes the offset-0 fragment's; here
        // the completing fragment's: the same unless a rule marks a flow's fragments differently).
        const { ct: c, ctDir: d, ctinfo: i, skPort: sp, skAddr: sa, mark: m, priority: pr } = skb;
        skb = this.skb.load(whole, 0, dev.name, '');
        [skb.ct, skb.ctDir, skb.ctinfo, skb.skPort, skb.skAddr] = [c, d, i, sp, sa];
        skb.mark = m;
        skb.priority = pr;
        skb.physIn = physIn;
      }
      if (nf && nf.input(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, dev.name, frame);
      return host.sockets.deliver(skb.buf, dev.name, skb.skPort, skb.skAddr);
    }
    if (host.sysctl('net.ipv4.ip_forward', 0) !== 1) {
      nf?.abandon(skb);
      if (host.countDrop(DropReason.IP_NOT_FORWARDING))
        host.trace({
          kind: 'drop',
          host: host.name,
          ifname: dev.name,
          reason: DropReason.IP_NOT_FORWARDING,
          addr: dst,
        });
      return;
    }
    if (err !== 0) {
      if (host.tracing)
        host.trace({
          kind: 'route',
          host: host.name,
          dst: formatIpv4(dst),
          decision: 'unreachable',
          why: `${routeErrorText(err, res)}${skb.mark !== 0 ? `, mark 0x${skb.mark.toString(16)}` : ''}`,
        });
      if (host.countDrop(DropReason.IP_INNOROUTES))
        host.trace({
          kind: 'drop',
          host: host.name,
          ifname: dev.name,
          reason: DropReason.IP_INNOROUTES,
          addr: dst,
        });
      // ip_error: unreachable (host, code 1), no route or an unreachable rule (net, code 0),
      // prohibit (code 13); a blackhole drops in silence. At most 5 at once per sender, then 1/s.
      // Sent while the packet still holds its entry: NAT translates it back as the connection.
      const code = ROUTE_ICMP_CODE[err];
      if (code !== undefined && host.peers.errorAllow(skb.src, host.env.now()))
        host.sockets.sendIcmpError(ip, 3, code, 0, attachOf(skb));
      nf?.abandon(skb);
      return;
    }
    if (this.martianSource(skb, dev.name, dst)) return;
    const r = res;
    // ip_forward: a frame sent to a group address (pkt_type broadcast or multicast) is not forwarded.
    if (frame !== undefined && (frame[0]! & 1) !== 0) return nf?.abandon(skb);
    if (host.tracing)
      host.trace({
        kind: 'route',
        host: host.name,
        dst: formatIpv4(dst),
        decision: 'forward',
        via: r.via ? formatIpv4(r.via) : undefined,
        dev: r.dev,
        ...(host.sysctl('net.ipv4.fib_multipath_hash_policy', 0) === 1 &&
        r.route?.nexthops !== undefined &&
        r.route.nexthops.length > 1 &&
        (skb.proto === 6 || skb.proto === 17)
          ? { random: RANDOM_SOCKET_HASH }
          : {}),
      });
    if (ipv4Ttl(ip, 0) <= 1) {
      if (host.countDrop(DropReason.IP_TTL_EXPIRED))
        host.trace({
          kind: 'drop',
          host: host.name,
          ifname: dev.name,
          reason: DropReason.IP_TTL_EXPIRED,
          addr: dst,
        });
      host.sockets.sendIcmpError(ip, 11, 0, 0, attachOf(skb));
      nf?.abandon(skb);
      return;
    }
    const len = skb.len;
    if (len > this.frag.floor) {
      // ip_exceeds_mtu: DF and too big for the next hop: fragmentation needed, from this router.
      const mtu = this.frag.forwardMtu(mtuRoute(r), dst);
      if (HostFrag.exceeds(ip, len, mtu, fragMax, fragMax > 0)) {
        this.frag.tooBig(ip, mtu, dev.name, attachOf(skb));
        nf?.abandon(skb);
        return;
      }
    }
    ipv4DecTtl(ip, 0); // ip_forward decrements before the FORWARD hook
    if (dev.name === r.dev) this.maybeRedirect(ip, r, skb, now);
    skb.outIf = r.dev;
    if (nf) {
      if (nf.forward(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, dev.name, frame);
      if (nf.postrouting(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, dev.name, frame);
    }
    if (skb.len > this.frag.floor || fragMax > 0) {
      // ip_finish_output: too big, or a datagram that came in fragments: it leaves in fragments.
      const mtu = this.frag.forwardMtu(mtuRoute(r), skb.dst);
      const frags = this.frag.fragment(
        skb.buf.subarray(0, skb.len),
        mtu,
        fragMax,
        pmtuDf,
        fragMax > 0,
        attachOf(skb),
      );
      for (const f of frags) host.neigh.output(r, f);
      return;
    }
    // The packet holds its entry while it waits for the neighbour (ipv4_link_failure's error).
    host.neigh.output(r, skb.buf, skb.ct, skb.ctDir, skb.ct >= 0 && nf ? nf.conntrack.id[skb.ct]! : 0);
  }

  /**
   * fib_validate_source (host.ts validateSource) of a packet ip_route_input_slow found a route for:
   * a source that is one of this host's addresses (unless accept_local), whose route back is not
   * unicast, or that rp_filter refuses is a martian, dropped after PREROUTING (true). The kernel
   * validates only a local destination (RTN_LOCAL, brd_input) and a route to forward by
   * (__mkroute_input): a packet with no route, or with forwarding off, goes to ip_error unchecked,
   * which answers a source of its own with ICMP net unreachable through lo (gen-2203-4).
   * 127.0.0.0/8 is martianLocalnet's, before the lookup; a 0.0.0.0 source is not checked.
   */
  private martianSource(skb: Skb, ifname: string, dst: number): boolean {
    const host = this.host;
    const src = skb.src;
    const fvs =
      ifname === LO || src === 0
        ? FVS_OK
        : host.validateSource(src, dst, ifname, skb.buf[1]! & ROUTE_TOS_MASK, skb.mark);
    if (fvs === FVS_OK) return false;
    host.nf?.abandon(skb);
    const reason =
      fvs === FVS_RPF
        ? DropReason.IP_RPFILTER
        : fvs === FVS_LOCAL_SOURCE
          ? DropReason.IP_LOCAL_SOURCE
          : DropReason.IP_INVALID_SOURCE;
    if (host.countDrop(reason)) {
      const back = host.validateDev;
      host.trace({
        kind: 'drop',
        host: host.name,
        ifname,
        reason,
        addr: src,
        ...(fvs === FVS_RPF && back ? { dev: back } : {}),
      });
    }
    return true;
  }

  /**
   * ip_forward → ip_rt_send_redirect: a packet forwarded out of the device it came in on, from a
   * sender on that link, gets an ICMP redirect (host) naming the better next hop, when
   * send_redirects is on, as the sender's inet_peer allows (inetpeer.ts: at most 9 in a row, the
   * n-th only 20 ms << n after the last, the count forgotten after 20.48 s of quiet). The redirect carries the packet's conntrack
   * entry, so NAT drops it for a NATed connection (nf_nat_icmp_reply_translation).
   */
  private maybeRedirect(ip: Uint8Array, r: { via: number; dev: string }, skb: Skb, now: number): void {
    // IN_DEV_TX_REDIRECTS is IN_DEV_ORCONF: `all` OR the device's own setting (1 by default), so
    // net.ipv4.conf.all.send_redirects=0 alone does not stop them (the device's must be 0 too).
    const h = this.host;
    if (
      h.sysctl('net.ipv4.conf.all.send_redirects', 1) === 0 &&
      h.sysctl(`net.ipv4.conf.${r.dev}.send_redirects`, 1) === 0
    )
      return;
    const src = skb.src;
    const dev = this.host.ifaces.get(r.dev);
    const gw = r.via || skb.dst;
    const onLink = (a: number): boolean =>
      !!dev && dev.addrs.some((x) => ((a ^ x.addr) & prefixMask(x.len)) === 0);
    if (!onLink(src) || !onLink(gw)) return;
    if (h.peers.redirectAllow(src, now)) this.host.sockets.sendIcmpError(ip, 5, 1, gw, attachOf(skb));
  }

  /**
   * Netfilter dropped a received packet: count, trace, and answer a REJECT. `frame`: the frame it
   * came in, for the reset of a packet that came in by a bridge port (skb.physIn).
   */
  nfDrop(skb: Skb, ifname: string, frame?: Uint8Array): void {
    if (this.host.countDrop(skb.dropReason as DropReason)) this.host.trace(this.nfDropStep(skb, ifname));
    if (!skb.rejectWith) return;
    // nf_send_reset / nf_send_unreach: the answer carries the rejected packet's entry (nf_ct_attach,
    // still held, confirmed or not), so NAT translates it back as the connection; then the entry
    // of a packet that never left is released.
    const bridged = skb.physIn !== '' && frame ? { port: skb.physIn, frame } : undefined;
    this.host.sockets.reject(skb.buf.slice(0, skb.len), skb.rejectWith, attachOf(skb), bridged);
    const nf = this.host.nf;
    if (!nf) return;
    // nf_send_reset then marks a confirmed TCP entry closing (nf_ct_set_closing): CLOSE, 10 s.
    if (
      skb.rejectWith === 'tcp-reset' &&
      skb.ct >= 0 &&
      skb.proto === IPPROTO_TCP &&
      !(skb.tcpFlags & TCP_RST)
    )
      tcpSetClosing(nf.conntrack, skb.ct, this.host.env.now(), nf.timeouts.nf_conntrack_tcp_timeout_close);
    nf.abandon(skb);
  }

  /** The drop step of a packet netfilter dropped (`ifname` absent for one of the host's own). */
  private nfDropStep(skb: Skb, ifname: string | undefined): DropStep {
    const reason = skb.dropReason as DropReason;
    return {
      kind: 'drop',
      host: this.host.name,
      ...(ifname !== undefined ? { ifname } : {}),
      reason,
      ...(skb.dropTable !== 0 ? { table: skb.dropTable } : {}),
      ...(reason === DropReason.NF_CT_TABLE_FULL ? { count: this.host.nf?.conntrack.max ?? 0 } : {}),
    };
  }

  /**
   * Sends a locally generated IPv4 packet (header and checksums already filled, source chosen):
   * OUTPUT, reroute if DNAT changed the destination, filter OUTPUT, POSTROUTING, neighbour.
   * Returns why it cannot leave, or undefined.
   */
  output(ip: Uint8Array, attach?: Attach, owned = false, mark = 0): SendError | undefined {
    const host = this.host;
    const nf = host.nf;
    const now = host.env.now();
    const k = this.outKey;
    const res = this.outRes;
    const proto = ip[9]!;
    const hl = (ip[0]! & 15) * 4;
    const ports = proto === 6 || proto === 17;
    k.dst = ipv4Dst(ip, 0);
    k.src = read32(ip, 12);
    k.tos = ip[1]! & ROUTE_TOS_MASK;
    k.mark = mark;
    k.iif = 'lo';
    k.oif = '';
    k.proto = proto;
    k.sport = ports ? read16(ip, hl) : 0;
    k.dport = ports ? read16(ip, hl + 2) : 0;
    const err = outputRoute(host.routeView, k, res, false);
    if (err !== 0) return this.noRoute(err);
    if (loopbackSourceRefused(host, k.src, res.dev)) return this.noRoute(22); // __mkroute_output: EINVAL
    const r = this.outHop;
    r.via = res.via;
    r.dev = res.dev;
    const skb = this.outSkb.load(ip, 0, '', r.dev);
    skb.mark = mark;
    if (owned) {
      // Every simulated application runs as root (-m owner --uid-owner 0 matches it).
      skb.uid = 0;
      skb.gid = 0;
    }
    if (attach) {
      // nf_ct_attach: an error about a tracked packet belongs to that packet's connection, in the
      // direction back towards its sender.
      skb.ct = attach.ct;
      skb.ctDir = attach.dir ^ 1;
      skb.ctinfo = attach.dir === 0 ? IP_CT_RELATED_REPLY : IP_CT_RELATED;
    }
    if (nf) {
      if (nf.output(skb, now) !== NF_ACCEPT) return this.nfDropLocal(skb);
      // ip_route_me_harder: OUTPUT's DNAT may have changed the destination, mangle the mark or
      // the TOS; the route is looked up again with them, the source address kept.
      k.dst = skb.dst;
      k.src = skb.src;
      k.tos = skb.buf[skb.off + 1]! & ROUTE_TOS_MASK;
      k.mark = skb.mark;
      const err2 = outputRoute(host.routeView, k, res, false);
      if (err2 !== 0) {
        nf.abandon(skb);
        return this.noRoute(err2);
      }
      r.via = res.via;
      r.dev = res.dev;
      skb.outIf = r.dev;
      if (loopbackSourceRefused(host, skb.src, r.dev)) return this.localnetRefused(skb, r.dev);
      if (nf.outputFilter(skb, now) !== NF_ACCEPT) return this.nfDropLocal(skb);
      if (nf.postrouting(skb, now) !== NF_ACCEPT) return this.nfDropLocal(skb);
      ip = skb.buf; // TCPMSS may have moved the packet to a larger buffer
    }
    if (r.dev === LO) {
      // loopback_xmit: taken in again on lo, PREROUTING and INPUT, after this event (loopback.ts).
      this.loopback.xmit(skb);
      return undefined;
    }
    if (read16(ip, 2) > this.frag.floor) {
      // ip_finish_output: longer than the path MTU: fragments (DF: fragmentation needed, to itself).
      const mtu = this.frag.outputMtu(mtuRoute(this.outRes), ipv4Dst(ip, 0));
      for (const f of this.frag.fragment(ip.subarray(0, read16(ip, 2)), mtu, 0, false, false))
        host.neigh.output(r, f);
      return undefined;
    }
    // The packet holds its entry while it waits for the neighbour (ipv4_link_failure's error).
    host.neigh.output(r, ip, skb.ct, skb.ctDir, skb.ct >= 0 && nf ? nf.conntrack.id[skb.ct]! : 0);
    return undefined;
  }

  /**
   * nf_dup_ipv4's send: a copy TEE made (core/dup.ts: untracked, DF, TTL already adjusted) routed
   * to `gw` as a known next hop (FLOWI_FLAG_KNOWN_NH; `oif` restricts the lookup when the host has
   * that device; no mark in the key), then ip_local_out: OUTPUT and POSTROUTING without a reroute,
   * and out. The frame goes to `gw` itself when the route to it is direct (__mkroute_output does not
   * cache such a route, and rt_set_nexthop's uncached rtable takes rt_gw4 = fl4->daddr, the
   * gateway); a route through a gateway of its own (nhc_gw_family, scope link) keeps that gateway
   * as rt_gw4, and the copy goes to it (gen-1801-87: r2's route to the TEE gateway was the default
   * one once its LAN went down: the kernel's ARP asked for 10.1.0.1, not 10.2.0.11). Nothing is
   * sent when there is no route (kfree_skb) or a hook drops it.
   */
  sendDup(ip: Uint8Array, gw: number, oif: string, mark: number, orig?: Uint8Array): void {
    const host = this.host;
    // pskb_copy copies the skb's headers, dst_pending_confirm with them: a copy of a segment its
    // sender marked (kept across veth, neigh.ts) confirms the TEE gateway's neighbour at
    // ip_finish_output2 (sock_confirm_neigh), which then leaves DELAY without a probe (gen-1802-28).
    if (orig && hasPendingConfirm(orig)) markPendingConfirm(ip);
    const k = (this.dupKey ??= newFlowKey());
    const res = (this.dupRes ??= new RouteResult());
    k.dst = gw;
    k.src = 0;
    k.tos = ip[1]! & ROUTE_TOS_MASK;
    k.mark = 0;
    k.iif = 'lo';
    k.oif = oif !== '' && host.ifaces.has(oif) ? oif : '';
    k.proto = 0;
    k.sport = 0;
    k.dport = 0;
    if (outputRoute(host.routeView, k, res, false) !== 0 || isLocalType(res.route)) return;
    const hop = { via: res.via || gw, dev: res.dev };
    const skb = (this.dupSkb ??= new Skb()).load(ip, 0, '', hop.dev);
    skb.ct = NOTRACK;
    skb.mark = mark;
    if (!this.localOutPasses(skb)) return;
    if (hop.dev === LO) return;
    host.neigh.output(hop, skb.buf);
  }
  private dupKey: FlowKey | undefined;
  private quotedKey: FlowKey | undefined;
  private dupRes: RouteResult | undefined;
  private dupSkb: Skb | undefined;

  /**
   * synproxy_send_tcp: a packet SYNPROXY made (netfilter/core/synproxy.ts), routed by its
   * destination (ip_route_me_harder: any source, FLOWI_FLAG_ANYSRC) and sent as the host's own
   * (ip_local_out: OUTPUT, POSTROUTING) with its conntrack attachment: entry `ct` in direction
   * `dir` (NOTRACK: untracked; -1: none), or the synproxy template (`tmpl`). Nothing is sent when
   * there is no route or a hook drops it.
   */
  sendSynproxy(ip: Uint8Array, ct: number, dir: number, ctinfo: number, tmpl: boolean): void {
    const host = this.host;
    const k = (this.spKey ??= newFlowKey());
    const res = (this.spRes ??= new RouteResult());
    k.dst = ipv4Dst(ip, 0);
    k.src = 0;
    k.tos = 0;
    k.mark = 0;
    k.iif = 'lo';
    k.oif = '';
    k.proto = IPPROTO_TCP;
    k.sport = read16(ip, 20);
    k.dport = read16(ip, 22);
    if (outputRoute(host.routeView, k, res, false) !== 0) return;
    const hop = { via: res.via, dev: res.dev };
    const skb = (this.spSkb ??= new Skb()).load(ip, 0, '', hop.dev);
    if (ct !== -1) {
      skb.ct = ct;
      skb.ctDir = dir;
      skb.ctinfo = ctinfo;
    }
    skb.ctSynproxy = tmpl;
    if (!this.localOutPasses(skb)) return;
    if (hop.dev === LO) {
      this.loopback.xmit(skb);
      return;
    }
    host.neigh.output(hop, skb.buf);
  }
  private spKey: FlowKey | undefined;
  private spRes: RouteResult | undefined;
  private spSkb: Skb | undefined;

  /**
   * ip_local_out's hooks for a packet the host made itself (a TEE copy, SYNPROXY's answers): nat and
   * filter OUTPUT, then POSTROUTING. False, the drop traced, when one of them took it.
   */
  private localOutPasses(skb: Skb): boolean {
    const nf = this.host.nf;
    if (!nf) return true;
    const now = this.host.env.now();
    if (
      nf.output(skb, now) === NF_ACCEPT &&
      nf.outputFilter(skb, now) === NF_ACCEPT &&
      nf.postrouting(skb, now) === NF_ACCEPT
    )
      return true;
    this.nfDropLocal(skb);
    return false;
  }

  /**
   * ip_route_me_harder after nat OUTPUT: a loopback source routed out of another device than lo
   * without route_localnet (__mkroute_output: -EINVAL). The nat hook drops the packet with that
   * error (NF_DROP_ERR), so the socket's send says EINVAL and TCP retransmits its SYN.
   */
  private localnetRefused(skb: Skb, dev: string): SendError {
    const host = this.host;
    host.nf?.abandon(skb);
    if (host.countDrop(DropReason.IP_LOCALNET))
      host.trace({
        kind: 'drop',
        host: host.name,
        reason: DropReason.IP_LOCALNET,
        addr: skb.src,
        dev,
        detail: 'reroute',
      });
    return { reason: DropReason.NETFILTER_DROP, table: 3, ctMax: host.nf?.conntrack.max ?? 0, errno: 22 };
  }

  /** The route's errno for the socket (counted, not traced: the socket's failure says it). */
  private noRoute(errno = 101): SendError {
    this.host.countDrop(DropReason.IP_OUTNOROUTES);
    return { reason: DropReason.IP_OUTNOROUTES, table: 0, ctMax: 0, errno };
  }

  /**
   * Netfilter dropped one of the host's own packets: count, trace, answer a REJECT, and tell the
   * socket why. REJECT's answer (nf_send_reset / nf_send_unreach in OUTPUT) is for this host: it
   * comes back through lo after this event, carrying the rejected packet's entry (nf_ct_attach
   * holds it, so NAT translates it back); an entry never confirmed goes once the answer is in.
   */
  private nfDropLocal(skb: Skb): SendError {
    const nf = this.host.nf;
    if (this.host.countDrop(skb.dropReason as DropReason)) this.host.trace(this.nfDropStep(skb, undefined));
    const e: SendError = {
      reason: skb.dropReason as DropReason,
      table: skb.dropTable,
      ctMax: nf?.conntrack.max ?? 0,
    };
    if (!nf || skb.rejectWith === '') {
      nf?.abandon(skb);
      return e;
    }
    const ct = skb.ct;
    const owner = ct >= 0 && skb.ctDir === DIR_ORIGINAL && !nf.conntrack.isConfirmed(ct);
    // The answer's own output reuses this skb (outSkb): take what it needs first.
    this.host.sockets.reject(skb.buf.slice(skb.off, skb.off + skb.len), skb.rejectWith, attachOf(skb));
    if (owner)
      this.host.env.timer(this.host.env.now(), () => {
        if (!nf.conntrack.isConfirmed(ct)) nf.conntrack.release(ct);
      });
    return e;
  }
}

/** The conntrack entry an ICMP error or reset about a packet carries along (nf_ct_attach). */
export const attachOf = (skb: Skb): Attach | undefined =>
  skb.ct >= 0 ? { ct: skb.ct, dir: skb.ctDir } : undefined;

/** The route a lookup answered, with the device of the path it took (a multipath route's). */
function mtuRoute(res: RouteResult): Route {
  const r = res.route!;
  return r.dev === res.dev ? r : { ...r, dev: res.dev, via: res.via };
}
