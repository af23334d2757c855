// One simulated Linux host: its devices (with bridges and their forwarding database), ARP
// neighbour resolution, the IPv4 receive/forward/output paths through the netfilter hooks, and
// local delivery to sockets (sockets.ts). Time, randomness and the wire come from a HostEnv, so
// the same host runs in the simulator and, later, on TUN devices.
import { formatIpv4, formatMac, inPrefix, prefixMask } from '../wire/addr.ts';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETH_HEADER_LEN,
  emitEthernet,
  ethIsBroadcast,
  ethType,
} from '../wire/ethernet.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { arpReplyFrame, arpRequestFrame } from '../wire/arp.ts';
import {
  IPPROTO_ICMP,
  ipv4ChecksumOk,
  ipv4DecTtl,
  ipv4Dst,
  ipv4Src,
  ipv4Ttl,
  parseIpv4Header,
} from '../wire/ipv4.ts';
import { RouteTable, type Route } from '../route/table.ts';
import type { Ruleset } from '../rules/iptables/model.ts';
import { Netfilter, NF_ACCEPT, checkRuleset, type RuleProblem } from '../netfilter/core/engine.ts';
import {
  Skb,
  CTINFO_NAMES,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  type XtEnv,
} from '../netfilter/core/skb.ts';
import { formatConntrackLine, entryJson } from '../netfilter/conntrack/format.ts';
import type { NfTracer } from '../netfilter/core/trace-events.ts';
import { DROP_TABLES, DropReason } from '../netfilter/core/drop.ts';
import type { SeededRng } from '../netfilter/nat/nat-core.ts';
import { makeIface, macKey, type Iface } from './iface.ts';
import { Bridge, type BridgeHost, type StpConfig } from './bridge.ts';
import type { Step, StackTracer } from './steps.ts';
import { Sockets } from './sockets.ts';

export interface HostEnv {
  /** Current virtual (or wall) time in seconds. */
  now(): number;
  /** Puts a frame on the wire attached to this host's interface. */
  transmit(host: Host, ifname: string, frame: Uint8Array): void;
  /** Runs `fn` at time `at` (not before the current event ends). */
  timer(at: number, fn: () => void): void;
  readonly rng: SeededRng;
  readonly tracer: StackTracer | undefined;
}

export interface HostConfig {
  readonly name: string;
  readonly ifaces: ReadonlyArray<{ name: string; mac: Uint8Array; addrs: { addr: number; len: number }[] }>;
  readonly bridges: ReadonlyArray<{
    name: string;
    mac: Uint8Array;
    addrs: { addr: number; len: number }[];
    ports: string[];
    /** The bridge runs the kernel's STP (stp_state 1) with these settings; absent: no STP. */
    stp?: StpConfig;
  }>;
  /** Routes with their device resolved (the builder checks gateways against connected routes). */
  readonly routes: ReadonlyArray<{
    addr: number;
    len: number;
    via: number;
    dev: string;
    src: number;
    metric: number;
  }>;
  /** Full sysctl names → numbers. */
  readonly sysctls: ReadonlyMap<string, number>;
  readonly ruleset?: Ruleset;
  /** ipset sets for -m set, by name. */
  readonly ipsets?: ReadonlyMap<string, { has(skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean }>;
}

interface Pending {
  ifname: string;
  packets: Uint8Array[];
  tries: number;
}

const ARP_RETRIES = 3; // neigh ucast/mcast_solicit

/** Frames whose headers the host built itself carry no Ethernet header yet. */
export class Host {
  readonly name: string;
  readonly ifaces = new Map<string, Iface>();
  /** The bridges' L2 side (ports, FDB, STP), by bridge name (bridge.ts). */
  readonly bridges = new Map<string, Bridge>();
  readonly routes = new RouteTable();
  readonly sysctls: ReadonlyMap<string, number>;
  readonly nf: Netfilter | undefined;
  readonly sockets: Sockets;
  readonly env: HostEnv;
  /** A tracer is attached: steps are built only then, so tracing costs nothing when off. */
  readonly tracing: boolean;
  /** ARP cache: address → MAC, and packets waiting for a resolution. */
  readonly neigh: Map<number, Uint8Array> = new Map();
  /**
   * Neighbours in NUD_REACHABLE (an ARP reply answered our request). The others are STALE (learned
   * from a request sent to us): usable, but not NUD_CONNECTED, which matters to bridge netfilter.
   */
  readonly neighReachable = new Set<number>();
  private readonly pending = new Map<number, Pending>();
  private readonly skb = new Skb();
  private readonly outSkb = new Skb();
  /** A rule matches on the link layer (-m mac, -m pkttype): fill skb.srcMac and skb.pktType. */
  private readonly linkLayer: boolean;
  /** ICMP redirect rate limiting per destination (inet_peer's rate_tokens / n_redirects). */
  private readonly redirectPeers = new Map<number, { n: number; last: number }>();
  private ipId = 1;

  constructor(cfg: HostConfig, env: HostEnv) {
    this.name = cfg.name;
    this.env = env;
    this.tracing = env.tracer !== undefined;
    this.sysctls = cfg.sysctls;
    for (const i of cfg.ifaces) this.ifaces.set(i.name, makeIface(i.name, 'eth', i.mac, [...i.addrs]));
    for (const b of cfg.bridges) {
      const br = makeIface(b.name, 'bridge', b.mac, [...b.addrs]);
      for (const p of b.ports) {
        const port = this.ifaces.get(p);
        if (!port) throw new Error(`bridge ${b.name}: no interface ${p}`);
        port.master = b.name;
        br.ports.push(p);
      }
      this.ifaces.set(b.name, br);
    }
    const bridgeHost: BridgeHost = {
      name: this.name,
      tracing: this.tracing,
      now: () => env.now(),
      timer: (at, fn) => env.timer(at, fn),
      send: (port, frame) => this.wireOut(port, frame),
      trace: (s) => this.trace(s),
    };
    for (const b of cfg.bridges) {
      const dev = this.ifaces.get(b.name)!;
      const ports = dev.ports.map((p) => this.ifaces.get(p)!);
      this.bridges.set(b.name, new Bridge(dev, ports, bridgeHost, b.stp));
    }
    // Connected routes first (proto kernel scope link src ADDR), then the configured ones.
    for (const i of this.ifaces.values()) for (const a of i.addrs) this.addConnectedRoute(i.name, a);
    for (const r of cfg.routes) {
      this.routes.add({
        addr: r.addr,
        mask: prefixMask(r.len),
        len: r.len,
        via: r.via,
        dev: r.dev,
        src: r.src,
        metric: r.metric,
        origin: 'static',
      });
    }
    if (cfg.ruleset && cfg.ruleset.tables.size > 0) {
      const nfSysctls = new Map<string, number>();
      for (const [k, v] of cfg.sysctls)
        if (k.startsWith('net.netfilter.')) nfSysctls.set(k.slice('net.netfilter.'.length), v);
      this.nf = new Netfilter({
        ruleset: cfg.ruleset,
        rng: env.rng,
        sysctls: nfSysctls,
        host: {
          masqueradeAddress: (outIf, dst) => this.sourceAddressFor(outIf, dst),
          primaryAddress: (inIf) => this.ifaces.get(inIf)?.addrs[0]?.addr ?? 0,
        },
      });
      if (env.tracer) this.nf.tracer = this.nfTracer(env.tracer);
    }
    this.linkLayer = cfg.ruleset !== undefined && usesLinkLayer(cfg.ruleset);
    if (this.nf) {
      // What -m addrtype, -m statistic --mode random and the conntrack/connmark matches ask of the
      // host and the engine.
      const nf = this.nf;
      const env: XtEnv = {
        addrType: (a, dev) => this.addrType(a, dev),
        random32: () => this.env.rng.u32(),
        conntrack: nf.conntrack,
        ...(cfg.ipsets ? { ipsets: cfg.ipsets } : {}),
      };
      this.skb.env = env;
      this.outSkb.env = env;
    }
    this.sockets = new Sockets(this);
  }

  /**
   * `ip addr` on a live host: `ifname` now has exactly `addrs`. Connected routes follow (proto
   * kernel), and for every address that went away MASQUERADE forgets the connections it bound to
   * it (the kernel's inetaddr notifier), so they are masqueraded anew with the address there is
   * now. Returns how many conntrack entries were deleted.
   */
  setAddresses(ifname: string, addrs: readonly { addr: number; len: number }[]): number {
    const dev = this.ifaces.get(ifname);
    if (!dev) throw new Error(`${this.name}: no interface ${ifname}`);
    const removed = dev.addrs.filter((a) => !addrs.some((b) => b.addr === a.addr && b.len === a.len));
    dev.addrs.splice(0, dev.addrs.length, ...addrs);
    this.routes.removeWhere((r) => r.origin === 'kernel' && r.dev === ifname);
    for (const a of addrs) this.addConnectedRoute(ifname, a);
    let n = 0;
    for (const a of removed) n += this.nf?.flushMasquerade(ifname, a.addr) ?? 0;
    if (this.tracing && removed.length > 0) {
      this.trace({
        kind: 'config',
        host: this.name,
        text: `address ${removed.map((a) => `${formatIpv4(a.addr)}/${a.len}`).join(', ')} removed from ${ifname}: ${n} masqueraded connection(s) forgotten`,
      });
    }
    return n;
  }

  /** The route an address brings with it (`proto kernel scope link src ADDR`). */
  private addConnectedRoute(dev: string, a: { addr: number; len: number }): void {
    const mask = prefixMask(a.len);
    this.routes.add({
      addr: (a.addr & mask) >>> 0,
      mask,
      len: a.len,
      via: 0,
      dev,
      src: a.addr,
      metric: 0,
      origin: 'kernel',
    });
  }

  /** Rules this host has that natbox cannot evaluate. */
  static problems(rs: Ruleset): RuleProblem[] {
    return checkRuleset(rs);
  }

  sysctl(name: string, dflt: number): number {
    return this.sysctls.get(name) ?? dflt;
  }

  /** Reports a step when a tracer is attached; packet steps keep a copy (NAT rewrites in place). */
  trace(s: Step): void {
    const t = this.env.tracer;
    if (!t) return;
    t.step(this.env.now(), s.kind === 'packet' ? { ...s, frame: s.frame.slice() } : s);
  }

  /**
   * inet_dev_addr_type: RTN_LOCAL for an address of this host (of `dev` only, when given),
   * RTN_BROADCAST for a subnet's broadcast address, else RTN_UNICAST.
   */
  addrType(addr: number, dev: string | undefined): number {
    for (const i of this.ifaces.values()) {
      if (dev !== undefined && i.name !== dev) continue;
      for (const a of i.addrs) {
        if (a.addr === addr) return RTN_LOCAL;
        const mask = prefixMask(a.len);
        if (a.len < 31 && ((a.addr & mask) | ~mask) >>> 0 === addr) return RTN_BROADCAST;
      }
    }
    if (dev === undefined && addr >>> 24 === 127) return RTN_LOCAL;
    return RTN_UNICAST;
  }

  /** skb.srcMac and skb.pktType from the frame's Ethernet header (only when a rule reads them). */
  private setLinkLayer(skb: Skb, frame: Uint8Array, dev: Iface): void {
    skb.srcMac = formatMac(frame, 6);
    if (ethIsBroadcast(frame)) skb.pktType = PACKET_BROADCAST;
    else if (frame[0]! & 1) skb.pktType = PACKET_MULTICAST;
    else skb.pktType = macKey(frame, 0) === macKey(dev.mac) ? PACKET_HOST : PACKET_OTHERHOST;
  }

  /** Is `addr` one of this host's addresses (any interface: Linux's weak host model)? */
  isLocal(addr: number): boolean {
    if (addr >>> 24 === 127) return true;
    for (const i of this.ifaces.values()) for (const a of i.addrs) if (a.addr === addr) return true;
    return false;
  }

  /** inet_select_addr: the route's preferred source, else the out interface's primary address. */
  sourceAddressFor(outIf: string, dst: number): number {
    const r = this.routes.lookup(dst);
    if (r && r.dev === outIf && r.src) return r.src;
    const i = this.ifaces.get(outIf);
    if (!i) return 0;
    for (const a of i.addrs)
      if (inPrefix(dst, { addr: (a.addr & prefixMask(a.len)) >>> 0, mask: prefixMask(a.len) })) return a.addr;
    return i.addrs[0]?.addr ?? 0;
  }

  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  // ---- receive -----------------------------------------------------------------------------

  /** A frame arrived on interface `ifname` from the wire. */
  receive(ifname: string, frame: Uint8Array): void {
    const dev = this.ifaces.get(ifname);
    if (!dev) return;
    if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname, dir: 'in', frame });
    if (dev.master) return this.bridgeInput(this.ifaces.get(dev.master)!, dev, frame);
    this.l2Input(dev, frame, false);
  }

  /** br_handle_frame: the port's STP state, learn, then deliver up, forward to one port, or flood. */
  private bridgeInput(br: Iface, port: Iface, frame: Uint8Array): void {
    if (!this.bridges.get(br.name)!.input(port, frame)) return;
    const toBridge = frame[0] === br.mac[0] && macKey(frame, 0) === macKey(br.mac);
    const bcast = ethIsBroadcast(frame);
    if (this.brnf() && ethType(frame) === ETHERTYPE_IPV4 && !bcast) {
      return this.bridgeNetfilter(br, port, frame, toBridge);
    }
    if (toBridge) {
      if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname: br.name, dir: 'in', frame });
      return this.l2Input(br, frame, false);
    }
    if (bcast) {
      if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname: br.name, dir: 'in', frame });
      this.l2Input(br, frame, false);
      return this.bridgeFlood(br, frame, port.name);
    }
    this.bridgeForward(br, frame, port.name);
  }

  private brnf(): boolean {
    return this.nf !== undefined && this.sysctl('net.bridge.bridge-nf-call-iptables', 0) === 1;
  }

  /** Sends a frame out of the bridge's port for its destination MAC, or floods. */
  private bridgeForward(br: Iface, frame: Uint8Array, except: string): void {
    this.bridges.get(br.name)!.forward(frame, except);
  }

  private bridgeFlood(br: Iface, frame: Uint8Array, except: string): void {
    this.bridges.get(br.name)!.flood(frame, except);
  }

  private wireOut(ifname: string, frame: Uint8Array): void {
    if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname, dir: 'out', frame });
    this.env.transmit(this, ifname, frame);
  }

  /**
   * br_netfilter (bridge-nf-call-iptables=1): bridged IPv4 frames pass PREROUTING, FORWARD and
   * POSTROUTING with -i/-o the bridge. A frame to the bridge's own MAC goes up after PREROUTING,
   * unless DNAT sent it back out of the same bridge: then it is bridged to the new destination
   * with its TTL untouched (br_nf_pre_routing_finish's "bridged_dnat").
   */
  private bridgeNetfilter(br: Iface, port: Iface, frame: Uint8Array, toBridge: boolean): void {
    const nf = this.nf!;
    let ip = frame.subarray(ETH_HEADER_LEN);
    if (!this.validIp(ip, port.name)) return;
    const skb = this.skb.load(ip, 0, br.name, '');
    skb.physIn = port.name;
    if (this.linkLayer) this.setLinkLayer(skb, frame, br);
    const dstBefore = skb.dst;
    if (nf.prerouting(skb, this.env.now()) !== NF_ACCEPT) return this.nfDrop(skb, port.name);
    frame = refit(frame, skb);
    ip = skb.buf;
    let dstMac: Uint8Array | undefined;
    if (toBridge) {
      const dnat = skb.dst !== dstBefore;
      const r = dnat ? this.routes.lookup(skb.dst) : undefined;
      if (!dnat || !r || r.dev !== br.name || this.isLocal(skb.dst)) {
        if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname: br.name, dir: 'in', frame });
        return this.ipInput(br, ip, true, skb.ct, skb.ctDir, skb.ctinfo, frame);
      }
      if (this.tracing)
        this.trace({
          kind: 'route',
          host: this.name,
          dst: formatIpv4(skb.dst),
          decision: 'bridge',
          dev: br.name,
        });
      const nexthop = r.via || skb.dst;
      dstMac = this.neigh.get(nexthop);
      if (!dstMac) {
        // Resolve the new destination first; the frame waits and then leaves by the neighbour
        // output path below.
        const keep = frame.slice();
        const ctState = [skb.ct, skb.ctDir, skb.ctinfo] as const;
        return this.resolve(br.name, nexthop, () => {
          const mac = this.neigh.get(nexthop);
          if (!mac) return;
          this.bridgedDnatViaNeighbour(br, keep, mac);
          const s2 = this.skb.load(keep.subarray(ETH_HEADER_LEN), 0, br.name, '');
          [s2.ct, s2.ctDir, s2.ctinfo] = ctState;
          s2.physIn = port.name;
          this.bridgeOutHooks(br, s2, keep, port.name);
        });
      }
      if (!this.neighReachable.has(nexthop)) this.bridgedDnatViaNeighbour(br, frame, dstMac);
      frame.set(dstMac, 0);
    }
    this.bridgeOutHooks(br, skb, frame, port.name);
  }

  /**
   * br_nf_pre_routing_finish_bridge: unless the neighbour is NUD_CONNECTED with a cached header,
   * the frame goes through neigh->output on the bridge device, which writes a whole new Ethernet
   * header (the bridge's own MAC as source): tcpdump sees it "out" on the bridge then. The
   * original source MAC is put back before it leaves by the port (..._finish_bridge_slow).
   */
  private bridgedDnatViaNeighbour(br: Iface, frame: Uint8Array, dstMac: Uint8Array): void {
    frame.set(dstMac, 0);
    if (!this.tracing) return;
    const seen = frame.slice();
    seen.set(br.mac, 6);
    this.trace({ kind: 'packet', host: this.name, ifname: br.name, dir: 'out', frame: seen });
  }

  /** FORWARD and POSTROUTING for a bridged frame, then out of its port. */
  private bridgeOutHooks(br: Iface, skb: Skb, frame: Uint8Array, inPort: string): void {
    const nf = this.nf!;
    const out = this.bridges.get(br.name)!.portFor(frame);
    skb.outIf = br.name;
    skb.physOut = out ?? '';
    const now = this.env.now();
    if (nf.forward(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, inPort);
    if (nf.postrouting(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, inPort);
    this.bridgeForward(br, refit(frame, skb), inPort);
  }

  private l2Input(dev: Iface, frame: Uint8Array, _prerouted: boolean): void {
    const type = ethType(frame);
    if (type === ETHERTYPE_ARP) return this.arpInput(dev, frame);
    if (type !== ETHERTYPE_IPV4) return;
    if (!ethIsBroadcast(frame) && macKey(frame, 0) !== macKey(dev.mac)) return; // PACKET_OTHERHOST
    const ip = frame.subarray(ETH_HEADER_LEN);
    if (!this.validIp(ip, dev.name)) return;
    this.ipInput(dev, ip, false, -1, 0, 0, frame);
  }

  private validIp(ip: Uint8Array, ifname: string): boolean {
    const h = parseIpv4Header(ip, 0, ip.length);
    if (!h.ok) {
      if (this.tracing)
        this.trace({ kind: 'drop', host: this.name, ifname, reason: `malformed IPv4 header (${h.error})` });
      return false;
    }
    if (!ipv4ChecksumOk(ip, 0)) {
      if (this.tracing)
        this.trace({ kind: 'drop', host: this.name, ifname, reason: 'bad IPv4 header checksum' });
      return false;
    }
    return true;
  }

  /** ip_rcv → PREROUTING → ip_route_input → INPUT or FORWARD. */
  private ipInput(
    dev: Iface,
    ipIn: Uint8Array,
    prerouted: boolean,
    ct: number,
    ctDir: number,
    ctinfo: number,
    frame?: Uint8Array,
  ): void {
    let ip: Uint8Array = ipIn.slice(0, read16(ipIn, 2)); // own copy, trimmed to the IP total length
    const now = this.env.now();
    const skb = this.skb.load(ip, 0, dev.name, '');
    if (frame && this.linkLayer) this.setLinkLayer(skb, frame, dev);
    if (prerouted) {
      skb.ct = ct;
      skb.ctDir = ctDir;
      skb.ctinfo = ctinfo;
    } else if (this.nf && this.nf.prerouting(skb, now) !== NF_ACCEPT) {
      return this.nfDrop(skb, dev.name);
    }
    ip = skb.buf; // TCPMSS may have moved the packet to a larger buffer (an MSS option added)
    const dst = skb.dst;
    const rpf = this.reversePathFails(skb.src, dev.name);
    if (rpf) {
      this.nf?.abandon(skb);
      if (this.tracing) this.trace({ kind: 'drop', host: this.name, ifname: dev.name, reason: rpf });
      return;
    }
    if (this.isLocal(dst) || dst === 0xffffffff) {
      if (this.tracing)
        this.trace({ kind: 'route', host: this.name, dst: formatIpv4(dst), decision: 'local' });
      if (this.nf && this.nf.input(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, dev.name);
      return this.sockets.deliver(skb.buf, dev.name);
    }
    if (this.sysctl('net.ipv4.ip_forward', 0) !== 1) {
      this.nf?.abandon(skb);
      if (this.tracing)
        this.trace({
          kind: 'drop',
          host: this.name,
          ifname: dev.name,
          reason: `${formatIpv4(dst)} is not an address of ${this.name} and IP forwarding is off`,
        });
      return;
    }
    const r = this.routes.lookup(dst);
    if (!r) {
      this.nf?.abandon(skb);
      if (this.tracing)
        this.trace({ kind: 'route', host: this.name, dst: formatIpv4(dst), decision: 'unreachable' });
      if (this.tracing)
        this.trace({
          kind: 'drop',
          host: this.name,
          ifname: dev.name,
          reason: `no route to ${formatIpv4(dst)}`,
        });
      this.sockets.sendIcmpError(ip, 3, 0, 0, attachOf(skb)); // destination net unreachable
      this.nf?.abandon(skb);
      return;
    }
    if (this.tracing)
      this.trace({
        kind: 'route',
        host: this.name,
        dst: formatIpv4(dst),
        decision: 'forward',
        via: r.via ? formatIpv4(r.via) : undefined,
        dev: r.dev,
      });
    if (ipv4Ttl(ip, 0) <= 1) {
      if (this.tracing)
        this.trace({
          kind: 'drop',
          host: this.name,
          ifname: dev.name,
          reason: `TTL expired in transit to ${formatIpv4(dst)}`,
        });
      this.sockets.sendIcmpError(ip, 11, 0, 0, attachOf(skb));
      this.nf?.abandon(skb);
      return;
    }
    ipv4DecTtl(ip, 0); // ip_forward decrements before the FORWARD hook
    if (dev.name === r.dev) this.maybeRedirect(ip, r, skb, now);
    skb.outIf = r.dev;
    if (this.nf) {
      if (this.nf.forward(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, dev.name);
      if (this.nf.postrouting(skb, now) !== NF_ACCEPT) return this.nfDrop(skb, dev.name);
    }
    this.neighOutput(r, skb.buf);
  }

  /**
   * ip_forward → ip_rt_send_redirect: a packet forwarded out of the device it came in on, from a
   * sender on that link, gets an ICMP redirect (host) naming the better next hop, when
   * send_redirects is on; at most 9 in a row per sender, the n-th only 20 ms << n after the last,
   * and the count forgotten after 20.48 s of quiet. The redirect carries the packet's conntrack
   * entry, so NAT drops it for a NATed connection (nf_nat_icmp_reply_translation).
   */
  private maybeRedirect(ip: Uint8Array, r: Route, skb: Skb, now: number): void {
    if (this.sysctl('net.ipv4.conf.all.send_redirects', 1) !== 1) return;
    const src = skb.src;
    const dev = this.ifaces.get(r.dev);
    const gw = r.via || skb.dst;
    const onLink = (a: number): boolean =>
      !!dev && dev.addrs.some((x) => ((a ^ x.addr) & prefixMask(x.len)) === 0);
    if (!onLink(src) || !onLink(gw)) return;
    let peer = this.redirectPeers.get(src);
    if (!peer || now > peer.last + 0.02 * 1024) {
      peer = { n: 0, last: now };
      this.redirectPeers.set(src, peer);
    }
    if (peer.n >= 9) {
      peer.last = now;
      return;
    }
    if (peer.n === 0 || now > peer.last + 0.02 * 2 ** peer.n) {
      peer.last = now;
      peer.n++;
      this.sockets.sendIcmpError(ip, 5, 1, gw, attachOf(skb));
    }
  }

  /**
   * rp_filter (fib_validate_source): strict (1) wants the route back to the source to leave by the
   * device the packet came in on; loose (2) wants any route back. Returns why it fails, or ''.
   */
  private reversePathFails(src: number, inDev: string): string {
    const mode = this.sysctl('net.ipv4.conf.all.rp_filter', 0);
    if (mode === 0 || src === 0) return '';
    const back = this.routes.lookup(src);
    if (!back) return `rp_filter: no route back to the source ${formatIpv4(src)} (reverse path check)`;
    if (mode === 1 && back.dev !== inDev) {
      return `rp_filter=1: the route back to ${formatIpv4(src)} leaves by ${back.dev}, not by ${inDev} where the packet came in`;
    }
    return '';
  }

  private nfDrop(skb: Skb, ifname: string): void {
    if (this.tracing) this.trace({ kind: 'drop', host: this.name, ifname, reason: this.nfDropWords(skb) });
    if (skb.rejectWith) this.sockets.reject(skb.buf.slice(0, skb.len), skb.rejectWith, attachOf(skb));
  }

  // ---- output ------------------------------------------------------------------------------

  /**
   * Sends a locally generated IPv4 packet (header and checksums already filled, source chosen):
   * OUTPUT, reroute if DNAT changed the destination, filter OUTPUT, POSTROUTING, neighbour.
   * Returns false and says why when it cannot leave.
   */
  output(ip: Uint8Array, attach?: Attach, owned = false): string | undefined {
    const now = this.env.now();
    let r = this.routes.lookup(ipv4Dst(ip, 0));
    if (!r) return 'network is unreachable';
    // A packet of its own (the host may be in the middle of forwarding another one).
    const skb = this.outSkb.load(ip, 0, '', r.dev);
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
    if (this.nf) {
      if (this.nf.output(skb, now) !== NF_ACCEPT) return this.nfDropLocal(skb);
      // ip_route_me_harder: OUTPUT's DNAT may have changed the destination.
      const r2 = this.routes.lookup(skb.dst);
      if (!r2) {
        this.nf.abandon(skb);
        return 'network is unreachable';
      }
      r = r2;
      skb.outIf = r.dev;
      if (this.nf.outputFilter(skb, now) !== NF_ACCEPT) return this.nfDropLocal(skb);
      if (this.nf.postrouting(skb, now) !== NF_ACCEPT) return this.nfDropLocal(skb);
      ip = skb.buf; // TCPMSS may have moved the packet to a larger buffer
    }
    if (this.isLocal(ipv4Dst(ip, 0))) {
      // Loopback delivery: the packet never reaches a wire.
      this.sockets.deliver(ip, 'lo');
      return undefined;
    }
    this.neighOutput(r, ip);
    return undefined;
  }

  private nfDropLocal(skb: Skb): string {
    if (this.tracing) this.trace({ kind: 'drop', host: this.name, reason: this.nfDropWords(skb) });
    return skb.dropReason ? this.nfDropWords(skb) : 'operation not permitted (netfilter)';
  }

  /** The words for a netfilter drop (TODO issue 12: the trace puts reasons into words). */
  private nfDropWords(skb: Skb): string {
    const table = DROP_TABLES[skb.dropTable] ?? '';
    switch (skb.dropReason) {
      case DropReason.NETFILTER_DROP:
        return `dropped by the ${table} table`;
      case DropReason.NETFILTER_REJECT:
        return `rejected by the ${table} table`;
      case DropReason.NF_CT_TABLE_FULL:
        return `conntrack: table full (nf_conntrack_max ${this.nf?.conntrack.max ?? 0}), packet dropped`;
      case DropReason.NF_CT_INSERT_FAILED:
        return 'conntrack: insert failed (tuple clash)';
      case DropReason.NF_NAT_NO_FREE_TUPLE:
        return 'nat: no free tuple';
      case DropReason.NF_NAT_ICMP_REDIRECT:
        return 'nat: an ICMP redirect about a NATed connection is dropped (it would name a translated address)';
      case DropReason.NF_NAT_ICMP_UNTRANSLATABLE:
        return 'nat: ICMP error about a NATed connection could not be translated';
      default:
        return 'dropped by netfilter';
    }
  }

  /** ip_finish_output2: resolve the next hop's MAC (ARP), then put the frame on the device. */
  private neighOutput(r: Route, ip: Uint8Array): void {
    const nexthop = r.via || ipv4Dst(ip, 0);
    const mac = this.neigh.get(nexthop);
    if (mac) return this.devOutput(r.dev, emitEthernet(mac, this.ifaces.get(r.dev)!.mac, ETHERTYPE_IPV4, ip));
    const pend = this.pending.get(nexthop);
    if (pend) {
      pend.packets.push(ip);
      return;
    }
    this.pending.set(nexthop, { ifname: r.dev, packets: [ip], tries: 0 });
    this.arpSolicit(nexthop);
  }

  /** Runs `then` once `addr` is resolved on `ifname` (or gives up after the ARP retries). */
  private resolve(ifname: string, addr: number, then: () => void): void {
    if (this.neigh.has(addr)) return then();
    const marker = new Uint8Array(0);
    const pend = this.pending.get(addr);
    this.onResolved.set(marker, then);
    if (pend) {
      pend.packets.push(marker);
      return;
    }
    this.pending.set(addr, { ifname, packets: [marker], tries: 0 });
    this.arpSolicit(addr);
  }
  private readonly onResolved = new Map<Uint8Array, () => void>();

  private arpSolicit(addr: number): void {
    const pend = this.pending.get(addr);
    if (!pend) return;
    if (pend.tries >= ARP_RETRIES) {
      this.pending.delete(addr);
      if (this.tracing)
        this.trace({
          kind: 'drop',
          host: this.name,
          ifname: pend.ifname,
          reason: `neighbour ${formatIpv4(addr)} unreachable: no answer to ${ARP_RETRIES} ARP requests`,
        });
      for (const p of pend.packets) {
        this.onResolved.delete(p);
        if (p.length > 0) this.sockets.neighbourFailed(p);
      }
      return;
    }
    pend.tries++;
    const dev = this.ifaces.get(pend.ifname)!;
    const src = this.sourceAddressFor(dev.name, addr);
    this.devOutput(dev.name, arpRequestFrame(dev.mac, src, addr));
    this.env.timer(this.env.now() + 1, () => this.arpSolicit(addr));
  }

  private arpInput(dev: Iface, frame: Uint8Array): void {
    const a = ETH_HEADER_LEN;
    if (frame.length < a + 28 || read16(frame, a) !== 1 || read16(frame, a + 2) !== ETHERTYPE_IPV4) return;
    const op = read16(frame, a + 6);
    const sha = frame.slice(a + 8, a + 14);
    const spa = read32(frame, a + 14);
    const tpa = read32(frame, a + 24);
    const forUs = this.ifaces.get(dev.name)!.addrs.some((x) => x.addr === tpa);
    // arp_process: learn the sender when the request is for us, or refresh a known entry.
    if (forUs || this.neigh.has(spa)) this.neigh.set(spa, sha);
    if (op === 1 && forUs) {
      this.devOutput(dev.name, arpReplyFrame(dev.mac, tpa, sha, spa));
    }
    if (op === 2 && forUs) {
      this.neigh.set(spa, sha);
      if (this.pending.has(spa)) this.neighReachable.add(spa); // the answer to our own request
    }
    const pend = this.pending.get(spa);
    if (pend && this.neigh.has(spa)) {
      this.pending.delete(spa);
      const mac = this.neigh.get(spa)!;
      for (const p of pend.packets) {
        const cb = this.onResolved.get(p);
        if (cb) {
          this.onResolved.delete(p);
          cb();
        } else {
          this.devOutput(
            pend.ifname,
            emitEthernet(mac, this.ifaces.get(pend.ifname)!.mac, ETHERTYPE_IPV4, p),
          );
        }
      }
    }
  }

  /** dev_queue_xmit: a bridge device sends through its ports; a port or NIC onto the wire. */
  private devOutput(ifname: string, frame: Uint8Array): void {
    const dev = this.ifaces.get(ifname)!;
    if (dev.kind === 'bridge') {
      if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname, dir: 'out', frame });
      if (ethIsBroadcast(frame)) return this.bridgeFlood(dev, frame, '');
      return this.bridgeForward(dev, frame, '');
    }
    this.wireOut(ifname, frame);
  }

  // ---- introspection -----------------------------------------------------------------------

  /** `conntrack -L` of this host (empty without netfilter). */
  conntrackList(): string[] {
    const nf = this.nf;
    if (!nf) return [];
    const now = this.env.now();
    return nf.conntrack.entries(now).map((e) => formatConntrackLine(nf.conntrack, e, now));
  }

  private nfTracer(t: StackTracer): NfTracer {
    const host = this.name;
    const now = (): number => this.env.now();
    const nf = (): Netfilter => this.nf!;
    const addrPort = (a: number, p: number, proto: number): string =>
      proto === IPPROTO_ICMP ? `${formatIpv4(a)} id ${p}` : `${formatIpv4(a)}:${p}`;
    return {
      rule: (hook, table, chain, index, rule) =>
        t.step(now(), { kind: 'rule', host, hook, table, chain, index, rule }),
      ruleMiss: (hook, table, chain, index, rule, why) =>
        t.step(now(), { kind: 'rule-miss', host, hook, table, chain, index, rule, why }),
      policy: (hook, table, chain, policy) =>
        t.step(now(), { kind: 'policy', host, hook, table, chain, policy }),
      conntrack: (hook, ctinfo, _e, created) =>
        t.step(now(), { kind: 'conntrack', host, hook, state: CTINFO_NAMES[ctinfo] ?? 'INVALID', created }),
      ctEvent: (event, e) => {
        const ct = nf().conntrack;
        t.step(now(), {
          kind: 'ct-event',
          host,
          event,
          line: formatConntrackLine(ct, e, now()),
          entry: entryJson(ct, e, now()),
        });
      },
      nat: (hook, c) => {
        const proto = this.skb.proto;
        t.step(now(), {
          kind: 'nat',
          host,
          hook,
          manip: c.manip,
          by: c.by,
          before: `${addrPort(c.before[0], c.before[2], proto)} > ${addrPort(c.before[1], c.before[3], proto)}`,
          after: `${addrPort(c.after[0], c.after[2], proto)} > ${addrPort(c.after[1], c.after[3], proto)}`,
        });
      },
      nullBinding: () => undefined,
    };
  }

  describeMac(mac: Uint8Array): string {
    return formatMac(mac);
  }

  /** Source and destination of an IPv4 packet, for messages. */
  static ends(ip: Uint8Array): [number, number] {
    return [ipv4Src(ip, 0), ipv4Dst(ip, 0)];
  }
}

/** A conntrack entry an ICMP error or reset about a packet carries along (nf_ct_attach). */
export interface Attach {
  readonly ct: number;
  readonly dir: number;
}

const attachOf = (skb: Skb): Attach | undefined => (skb.ct >= 0 ? { ct: skb.ct, dir: skb.ctDir } : undefined);

/** Does any rule match on the link layer (-m mac, -m pkttype)? Then the host fills it in. */
function usesLinkLayer(rs: Ruleset): boolean {
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules)
        if (r.matches.some((m) => m.module === 'mac' || m.module === 'pkttype')) return true;
  return false;
}

/**
 * TCPMSS may have moved a bridged packet to a larger buffer (an MSS option added): the frame
 * follows it, and the packet is again a view of the frame.
 */
function refit(frame: Uint8Array, skb: Skb): Uint8Array {
  if (skb.buf.buffer === frame.buffer) return frame;
  const f = new Uint8Array(ETH_HEADER_LEN + skb.len);
  f.set(frame.subarray(0, ETH_HEADER_LEN));
  f.set(skb.buf.subarray(0, skb.len), ETH_HEADER_LEN);
  skb.buf = f.subarray(ETH_HEADER_LEN);
  return f;
}
