// One simulated Linux host: its devices (interfaces and bridges), addresses, routes and sysctls,
// and the composition of its parts: the bridges' L2 side (bridge.ts) and bridge netfilter
// (bridge-nf.ts), ARP and the neighbour table (neigh.ts), the IPv4 paths through the netfilter
// hooks (ip4.ts), local delivery to sockets (sockets.ts) and the tracer adapter (tracer.ts).
// Time, randomness and the wire come from a HostEnv, so the same host runs in the simulator and,
// later, on TUN devices.
import { formatIpv4, formatMac, inPrefix, prefixMask } from '../wire/addr.ts';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETH_HEADER_LEN,
  emitEthernet,
  ethIsBroadcast,
  ethType,
} from '../wire/ethernet.ts';
import { ipv4Dst, ipv4Src } from '../wire/ipv4.ts';
import {
  type Fib4,
  type Nexthop,
  type Route,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_TABLE_LOCAL,
  RTN_BROADCAST as RTN_BRD,
  RTN_LOCAL as RTN_LCL,
} from '../route/table.ts';
import {
  PolicyRouting,
  ROUTE_TOS_MASK,
  RouteResult,
  newFlowKey,
  resultUsesDev,
  type FlowKey,
} from '../route/policy.ts';
import type { ParsedRule } from '../route/rule.ts';
import { outputRoute, selectAddr } from '../route/output.ts';
import type { Ruleset } from '../rules/iptables/model.ts';
import { Netfilter, NOTRACK, checkRuleset, type RuleProblem } from '../netfilter/core/engine.ts';
import type { NfHost } from '../netfilter/core/table.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import { emptyRuleset, hasNft, nftFrontEnds, nftReadsLinkLayer } from './host-nft.ts';
import { listedRuleset } from '../netfilter/nftables/listing.ts';
import { configureFlowtables, flowIngress } from './flow-offload.ts';
import { HostNetdev } from './netdev.ts';
import type { FlowState } from '../netfilter/nftables/flowtable.ts';
import {
  RPF_USES_DEV,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  type Skb,
  type XtEnv,
} from '../netfilter/core/skb.ts';
import { formatConntrackLine } from '../netfilter/conntrack/format.ts';
import { DROP_REASON_COUNT, type DropReason } from '../netfilter/core/drop.ts';
import type { SeededRng } from '../netfilter/nat/nat-core.ts';
import { makeIface, macKey, type Iface } from './iface.ts';
import { Bridge, type BridgeHost, type StpConfig } from './bridge.ts';
import { BridgeNetfilter } from './bridge-nf.ts';
import { copyFrameWindow, Neighbours, type ArpConf, type HeldCt } from './neigh.ts';
import { FVS_INVALID_SOURCE, FVS_LOCAL_SOURCE, FVS_OK, FVS_RPF, Ip4 } from './ip4.ts';
import { loopbackSourceRefused } from './loopback.ts';
import type { HostFrag } from './frag.ts';
import { nfTracerFor } from './tracer.ts';
import type { Step, StackTracer } from './steps.ts';
import { Sockets, type Attach, type BridgedIn, type SendError } from './sockets.ts';
import { InetPeers } from './inetpeer.ts';

export type { Attach } from './sockets.ts';

export interface HostEnv {
  /** Current virtual (or wall) time in seconds. */
  now(): number;
  /** Puts a frame on the wire attached to this host's interface. */
  transmit(host: Host, ifname: string, frame: Uint8Array): void;
  /** Runs `fn` at time `at` (not before the current event ends). */
  timer(at: number, fn: () => void): void;
  /**
   * A system call's window (sim/world.ts): runs `fn`, then `done` once every packet `fn` put on
   * the links, and every packet those set off in turn, has been taken in (veth_xmit → __netif_rx:
   * the chain runs in the softirq of the caller's own local_bh_enable, before the call returns).
   * Absent (a real network): `done` runs right after `fn`.
   */
  syscall?(fn: () => void, done: () => void): void;
  /**
   * Runs `fn` (an application woken now) once the softirq chain under way is over (sim/world.ts
   * wake). Absent (a real network): at once.
   */
  wake?(fn: () => void): void;
  /**
   * One frame of a system call's train (sim/world.ts xmit): runs `fn`, which sends it, and `then`
   * (which sends the next) in the same window once the chain that frame set off is over
   * (tcp_write_xmit: each segment's dev_queue_xmit runs its softirq before the next is sent).
   * Absent (a real network): `then` runs right after `fn`.
   */
  xmit?(fn: () => void, then: () => void): void;
  /**
   * A device of `host` set up or down (sim/world.ts): the far end of its cable loses or regains
   * its carrier (veth_open, veth_close: netif_carrier_on/off of the peer). Absent: nothing.
   */
  linkChanged?(host: Host, ifname: string, up: boolean): void;
  readonly rng: SeededRng;
  readonly tracer: StackTracer | undefined;
  /** The wall-clock time of simulation time 0 (seconds since 1970 UTC), for -m time. */
  readonly epoch?: number;
}

export interface HostConfig {
  readonly name: string;
  readonly ifaces: ReadonlyArray<{
    name: string;
    mac: Uint8Array;
    addrs: { addr: number; len: number }[];
    /** The device group (-m devgroup); when no interface has one, -m devgroup is refused. */
    group?: number;
    /** The device's MTU (68..65535); 1500 when absent. */
    mtu?: number;
  }>;
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
    /** RTN_* (absent: unicast), table id (absent: main), and the other `ip route` attributes. */
    type?: number;
    table?: number;
    tos?: number;
    scope?: number;
    proto?: string;
    mtu?: number;
    mtuLock?: boolean;
    advmss?: number;
    nexthops?: readonly Nexthop[];
  }>;
  /** Full sysctl names → numbers. */
  readonly sysctls: ReadonlyMap<string, number>;
  readonly ruleset?: Ruleset;
  /** ipset sets for -m set, by name. */
  readonly ipsets?: ReadonlyMap<string, { has(skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean }>;
  /** Table names (`rt_tables:`: name → id) for printing and for events that name tables. */
  readonly rtTables?: ReadonlyMap<string, number>;
  /** `ip rule add` rules in the order given (absent: only Linux's three default rules). */
  readonly ipRules?: readonly ParsedRule[];
  /** The nftables ruleset (its base chains run beside the iptables tables, by priority). */
  readonly nft?: NftRuleset;
  /** Queue listeners' verdicts by queue number (`queues:`): NF_ACCEPT or NF_DROP. */
  readonly queues?: ReadonlyMap<number, number>;
}

/**
 * One host: the device set, addresses, routes and sysctls, and the parts it composes (each takes
 * a narrow view of the host, declared in its own file, so none of them imports this one).
 */
/**
 * The longest a carrier change waits for linkwatch (net/core/link_watch.c: linkwatch_nextevent is
 * jiffies + HZ after a run that was not urgent only), in seconds.
 */
export const LINKWATCH_DELAY = 1;

export class Host {
  readonly name: string;
  readonly ifaces = new Map<string, Iface>();
  /** The bridges' L2 side (ports, FDB, STP), by bridge name (bridge.ts). */
  readonly bridges = new Map<string, Bridge>();
  /** The routing tables and rules (`ip rule`, `ip route ... table N`). */
  readonly policy = new PolicyRouting();
  /** The main table (what `ip route` lists). */
  readonly routes: Fib4 = this.policy.main;
  readonly sysctls: ReadonlyMap<string, number>;
  /** The netfilter engine; replaced (its state carried over) when an event changes the rules. */
  nf: Netfilter | undefined;
  readonly sockets: Sockets;
  readonly env: HostEnv;
  /** A tracer is attached: steps are built only then, so tracing costs nothing when off. */
  readonly tracing: boolean;
  /** ARP and the neighbour table (neigh.ts). */
  readonly neigh: Neighbours;
  /** inet_peer records: the ICMP, redirect and route error rate limits (inetpeer.ts). */
  readonly peers = new InetPeers();
  /** The IPv4 receive, forward and output paths (ip4.ts). */
  readonly ip4: Ip4;
  /** Packets this host dropped, by DropReason (netfilter's drops included, as the host saw them). */
  readonly drops: Uint32Array = new Uint32Array(DROP_REASON_COUNT);
  private readonly brnfPath: BridgeNetfilter;
  private ipId = 1;
  /** The ruleset the engine runs (undefined: none was given and no event made one). */
  ruleset: Ruleset | undefined;
  /** Interfaces set down (`ip link set DEV down`): they neither send nor receive. */
  readonly down = new Set<string>();
  /**
   * Interfaces without carrier: the far end of the cable is down (veth_close turns the peer's
   * carrier off). Their qdisc is noop_qdisc (linkwatch → dev_deactivate), which drops every frame
   * before the taps: they send nothing, seen by no capture.
   */
  readonly noCarrier = new Set<string>();
  /** Each interface's latest carrier change (setCarrier), so a stale linkwatch run does nothing. */
  private readonly carrierGen = new Map<string, number>();
  /** The nftables ruleset the engine runs (undefined: none was given and no event made one). */
  nft: NftRuleset | undefined;
  /** The nft flowtables hooking this host's devices (flow-offload.ts), when there are any. */
  private flows: FlowState | undefined = undefined;
  /** The nft netdev chains at this host's devices (netdev.ts), when there are any. */
  private netdev: HostNetdev | undefined = undefined;

  /** What the netdev chains ask of this host (netdev.ts). */
  private netdevOf(rs: NftRuleset | undefined): HostNetdev | undefined {
    return HostNetdev.of(
      {
        name: this.name,
        tracing: this.tracing,
        env: this.env,
        ifaces: this.ifaces,
        neigh: { output: (r, ip) => this.neigh.output(r, ip) },
        devQueueXmit: (ifname, frame) => this.devOutput(ifname, frame),
        countDrop: (r) => this.countDrop(r),
        trace: (st) => this.trace(st),
      },
      rs,
      this.netdev,
    );
  }

  /** What the netfilter engine asks of this host (NfHost): addresses, and sending its own packets. */
  private nfHost(): NfHost {
    return {
      masqueradeAddress: (outIf, dst) => this.sourceAddressFor(outIf, dst),
      primaryAddress: (inIf) => this.ifaces.get(inIf)?.addrs[0]?.addr ?? 0,
      dup: (ip, gw, oif, mark, orig) => this.ip4.sendDup(ip, gw, oif, mark, orig),
      synproxySend: (ip, ct, dir, ctinfo, tmpl) => this.ip4.sendSynproxy(ip, ct, dir, ctinfo, tmpl),
      now: () => this.env.now(),
    };
  }
  /** The configuration the host was made from (for a netfilter engine made later). */
  private readonly config: HostConfig;

  constructor(cfg: HostConfig, env: HostEnv) {
    this.name = cfg.name;
    this.env = env;
    this.tracing = env.tracer !== undefined;
    // A copy: events' `sysctl -w` change this host's, never the configuration it was built from
    // (natbox verify gives that same configuration to the kernel run afterwards).
    this.sysctls = new Map(cfg.sysctls);
    this.config = cfg;
    this.ruleset = cfg.ruleset;
    this.nft = cfg.nft;
    for (const i of cfg.ifaces) this.ifaces.set(i.name, makeIface(i.name, 'eth', i.mac, [...i.addrs], i.mtu));
    for (const b of cfg.bridges) {
      const br = makeIface(b.name, 'bridge', b.mac, [...b.addrs]);
      for (const p of b.ports) {
        const port = this.ifaces.get(p);
        if (!port) throw new Error(`bridge ${b.name}: no interface ${p}`);
        port.master = b.name;
        br.ports.push(p);
        br.mtu = br.ports.length === 1 ? port.mtu : Math.min(br.mtu, port.mtu); // its smallest port's
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
      countDrop: (r) => this.countDrop(r),
    };
    for (const b of cfg.bridges) {
      const dev = this.ifaces.get(b.name)!;
      const ports = dev.ports.map((p) => this.ifaces.get(p)!);
      this.bridges.set(b.name, new Bridge(dev, ports, bridgeHost, b.stp));
    }
    // Connected routes first (proto kernel scope link src ADDR), then the configured ones.
    for (const i of this.ifaces.values()) for (const a of i.addrs) this.addConnectedRoute(i.name, a);
    this.addLoopbackRoutes();
    for (const r of cfg.routes) {
      this.policy.add({
        ...r,
        mask: prefixMask(r.len),
        origin: 'static',
      });
    }
    if (cfg.rtTables) this.policy.tableNames = cfg.rtTables;
    for (const rule of cfg.ipRules ?? []) this.policy.rules.add(rule);
    this.policy.hashPolicy = this.sysctl('net.ipv4.fib_multipath_hash_policy', 0);
    this.policy.hashSeed = this.sysctl('net.ipv4.fib_multipath_hash_seed', 0);
    this.policy.hashFields = this.sysctl('net.ipv4.fib_multipath_hash_fields', 7);
    this.policy.nhSaddr = (dev, via) => selectAddr(this.routeView, dev, via);
    if ((cfg.ruleset && cfg.ruleset.tables.size > 0) || hasNft(cfg.nft)) {
      const nfSysctls = new Map<string, number>();
      for (const [k, v] of cfg.sysctls)
        if (k.startsWith('net.netfilter.')) nfSysctls.set(k.slice('net.netfilter.'.length), v);
      this.nf = new Netfilter({
        ruleset: cfg.ruleset ?? emptyRuleset(),
        ...nftFrontEnds(cfg.nft),
        rng: env.rng,
        sysctls: nfSysctls,
        host: this.nfHost(),
      });
      this.flows = configureFlowtables(this, this.nf, cfg.nft, nfSysctls);
      if (env.tracer)
        this.nf.tracer = nfTracerFor(
          { name: this.name, env, nf: this.nf, natProto: () => this.ip4.skb.proto },
          env.tracer,
        );
    }
    // What -m addrtype, -m statistic --mode random and the conntrack/connmark matches ask of the
    // host and the engine.
    const nf = this.nf;
    const groups = new Map<string, number>();
    for (const i of cfg.ifaces) if (i.group !== undefined) groups.set(i.name, i.group);
    const xt: XtEnv | undefined = nf && {
      addrType: (a, dev) => this.addrType(a, dev),
      random32: () => this.env.rng.u32(),
      conntrack: nf.conntrack,
      ...(cfg.ipsets ? { ipsets: cfg.ipsets } : {}),
      ...(env.epoch !== undefined ? { epoch: env.epoch } : {}),
      rpfLookup: (src, mark, dev, saddr, tos) => this.rpfLookup(src, mark, dev, saddr, tos),
      fibDev: (addr, mark, saddr, tos) => this.fibDev(addr, mark, saddr, tos),
      ...(cfg.queues ? { queueVerdict: (n: number) => cfg.queues!.get(n) ?? -1 } : {}),
      socketLookup: (proto, sa, sp, da, dp) => this.sockets.xtLookup(proto, sa, sp, da, dp),
      tproxyLookup: (proto, sa, sp, da, dp, l) => this.sockets.tproxyLookup(proto, sa, sp, da, dp, l),
      primaryAddress: (dev) => this.ifaces.get(dev)?.addrs[0]?.addr ?? 0,
      ...(groups.size > 0 ? { devGroup: (dev: string) => groups.get(dev) ?? 0 } : {}),
      clampMtu: (src, dst) => this.ip4.frag.clampMtu(this.routes, src, dst),
    };
    this.neigh = new Neighbours({
      name: this.name,
      env,
      ifaces: this.ifaces,
      trace: (s) => this.trace(s),
      countDrop: (r) => this.countDrop(r),
      sourceAddressFor: (outIf, dst) => this.sourceAddressFor(outIf, dst),
      devOutput: (ifname, frame) => this.devOutput(ifname, frame),
      // ipv4_link_failure: host unreachable to the packet's sender, through lo when that is
      // this host (its sockets then hear it as any ICMP error).
      neighbourFailed: (ip, held) => this.sockets.sendIcmpError(ip, 3, 1, 0, held && this.heldAttach(held)),
      conf: (dev, key) => this.conf(dev, key),
      isLocal: (a) => this.isLocal(a),
      routeDev: (a) => this.routes.lookup(a)?.dev,
      validateSource: (src, dst, inDev, tos) => this.validateSource(src, dst, inDev, tos),
      forwarding: () => this.sysctl('net.ipv4.ip_forward', 0) === 1,
      random: () => this.env.rng.u32() / 2 ** 32,
      sysctl: (n, d) => this.sysctl(n, d),
    });
    this.ip4 = new Ip4(
      this,
      (cfg.ruleset !== undefined && usesLinkLayer(cfg.ruleset)) || nftReadsLinkLayer(cfg.nft),
      xt,
    );
    this.netdev = this.netdevOf(cfg.nft);
    this.refreshMtus();
    this.brnfPath = new BridgeNetfilter(this);
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
    this.policy.removeWhere((r) => r.origin === 'kernel' && r.dev === ifname);
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

  /**
   * `iptables` on a live host: the engine now runs `rs` (a working copy the command was applied
   * to). The new engine takes over the old one's conntrack table, NAT bindings, counters and each
   * untouched rule's state (NfConfig.previous), as the kernel keeps them across a transaction:
   * established connections keep their NAT; only new connections see the new rules.
   */
  /** The host's net.netfilter.* sysctls, names without the prefix (as the engine reads them). */
  private nfSysctls(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, v] of this.sysctls)
      if (k.startsWith('net.netfilter.')) out.set(k.slice('net.netfilter.'.length), v);
    return out;
  }

  /**
   * `sysctl -w KEY=VALUE` on a live host: the value is read from now on; a net.netfilter one
   * reaches the running engine (Netfilter.setSysctl: conntrack timeouts at each entry's next
   * packet), fib_multipath_hash_policy, _seed and _fields the next route lookup.
   */
  writeSysctl(key: string, value: number): void {
    (this.sysctls as Map<string, number>).set(key, value);
    if (key === 'net.ipv4.fib_multipath_hash_policy') this.policy.hashPolicy = value;
    if (key === 'net.ipv4.fib_multipath_hash_seed') this.policy.hashSeed = value;
    if (key === 'net.ipv4.fib_multipath_hash_fields') this.policy.hashFields = value;
    if (key.startsWith('net.netfilter.') && this.nf)
      this.nf.setSysctl(key.slice('net.netfilter.'.length), value, this.nfSysctls());
  }

  replaceRuleset(rs: Ruleset): void {
    this.ruleset = rs;
    const prev = this.nf;
    if (!prev && rs.tables.size === 0 && !hasNft(this.nft)) return;
    const nfSysctls = this.nfSysctls();
    const nf = new Netfilter({
      ruleset: rs,
      ...nftFrontEnds(this.nft),
      rng: this.env.rng,
      sysctls: nfSysctls,
      host: this.nfHost(),
      ...(prev ? { previous: prev } : {}),
    });
    if (this.env.tracer)
      nf.tracer = nfTracerFor(
        { name: this.name, env: this.env, nf, natProto: () => this.ip4.skb.proto },
        this.env.tracer,
      );
    this.nf = nf;
    this.flows = configureFlowtables(this, nf, this.nft, nfSysctls);
    this.netdev = this.netdevOf(this.nft);
    const groups = new Map<string, number>();
    for (const i of this.config.ifaces) if (i.group !== undefined) groups.set(i.name, i.group);
    this.ip4.setXtEnv(
      {
        addrType: (a, dev) => this.addrType(a, dev),
        random32: () => this.env.rng.u32(),
        conntrack: nf.conntrack,
        ...(this.config.ipsets ? { ipsets: this.config.ipsets } : {}),
        ...(this.env.epoch !== undefined ? { epoch: this.env.epoch } : {}),
        rpfLookup: (src, mark, dev, saddr, tos) => this.rpfLookup(src, mark, dev, saddr, tos),
        fibDev: (addr, mark, saddr, tos) => this.fibDev(addr, mark, saddr, tos),
        ...(this.config.queues ? { queueVerdict: (n: number) => this.config.queues!.get(n) ?? -1 } : {}),
        socketLookup: (proto, sa, sp, da, dp) => this.sockets.xtLookup(proto, sa, sp, da, dp),
        tproxyLookup: (proto, sa, sp, da, dp, l) => this.sockets.tproxyLookup(proto, sa, sp, da, dp, l),
        primaryAddress: (dev) => this.ifaces.get(dev)?.addrs[0]?.addr ?? 0,
        ...(groups.size > 0 ? { devGroup: (dev: string) => groups.get(dev) ?? 0 } : {}),
      },
      usesLinkLayer(rs) || nftReadsLinkLayer(this.nft),
    );
  }

  /**
   * The host's nftables as `nft list ruleset` lists them at `now` (seconds): the counters, and the
   * elements the packet path added to its sets and maps (listing.ts). Undefined without nftables.
   */
  nftListing(now: number): NftRuleset | undefined {
    if (!this.nft) return undefined;
    const netdev = this.netdev?.tables.rtTables ?? [];
    return this.nf
      ? listedRuleset(this.nft, this.nf.frontEndTables, now, this.nf.conntrack, netdev)
      : listedRuleset(this.nft, [], now, undefined, netdev);
  }

  /**
   * `nft` on a live host: the engine now runs `rs` beside the iptables tables, its state carried
   * over as replaceRuleset does for iptables.
   */
  replaceNft(rs: NftRuleset): void {
    this.nft = rs;
    this.replaceRuleset(this.ruleset ?? emptyRuleset());
  }

  /**
   * `ip link set DEV up|down`. Down: the device neither sends nor receives, every route through it
   * goes (connected and static, as fib_sync_down_dev), and MASQUERADE forgets the connections it
   * bound through it (the device notifier). Up: the connected routes of its addresses come back
   * (static routes do not, as in Linux). Returns how many conntrack entries were deleted.
   */
  setLinkUp(ifname: string, up: boolean): number {
    if (!this.ifaces.has(ifname)) throw new Error(`${this.name}: no interface ${ifname}`);
    if (up) {
      if (!this.down.delete(ifname)) return 0;
      for (const a of this.ifaces.get(ifname)!.addrs) this.addConnectedRoute(ifname, a);
      if (this.conf(ifname, 'arp_notify') !== 0) this.neigh.announce(ifname);
      this.env.linkChanged?.(this, ifname, true);
      return 0;
    }
    if (this.down.has(ifname)) return 0;
    this.down.add(ifname);
    this.forgetNeighbours(ifname);
    this.policy.removeWhere((r) => r.dev === ifname); // every table's (fib_sync_down_dev)
    this.env.linkChanged?.(this, ifname, false);
    return this.nf?.flushMasquerade(ifname) ?? 0;
  }

  /**
   * The carrier of `ifname` lost or back (its cable's far end set down or up). veth_close turns the
   * peer's carrier off at once, but what follows runs when linkwatch takes the event: a veth whose
   * ifindex equals its peer's (each the first device of its namespace) is not urgent
   * (linkwatch_urgent_event), and its event waits until linkwatch_nextevent, up to HZ after the
   * last run (measured on Linux 6.18, two namespaces: the entry gone 0.35-0.85 s after the peer's
   * down). natbox applies it at the latest, LINKWATCH_DELAY later; a carrier back before then
   * cancels it (the event then finds the carrier on: arp-notify-link-up.yaml's 0.5 s flap flushes
   * nothing on the kernel). Applied: the device's neighbours are flushed (arp_netdev_event,
   * NETDEV_CHANGE → neigh_carrier_down, arp_evict_nocarrier 1), its routes stay (fib_sync_down_dev
   * only marks them linkdown), its qdisc becomes noop_qdisc (dev_deactivate: frames dropped before
   * the taps, seen by no capture), and a bridge port is disabled with its FDB entries deleted
   * (br_port_carrier_check → br_stp_disable_port → br_fdb_delete_by_port). The carrier back is an
   * urgent event (linkwatch_urgent_event: the qdisc changes): at once, a bridge port forwarding
   * again (br_stp_enable_port; no STP).
   */
  setCarrier(ifname: string, on: boolean): void {
    const dev = this.ifaces.get(ifname);
    if (!dev) return;
    const gen = (this.carrierGen.get(ifname) ?? 0) + 1;
    this.carrierGen.set(ifname, gen);
    const br = dev.master !== undefined ? this.bridges.get(dev.master) : undefined;
    if (on) {
      if (this.noCarrier.delete(ifname)) br?.portCarrier(ifname, true);
      return;
    }
    this.env.timer(this.env.now() + LINKWATCH_DELAY, () => {
      if (this.carrierGen.get(ifname) !== gen || this.noCarrier.has(ifname)) return;
      this.noCarrier.add(ifname);
      this.forgetNeighbours(ifname);
      br?.portCarrier(ifname, false);
    });
  }

  /**
   * arp_ifdown (a device down, or its last address gone: fib_disable_ip): the device's neighbours
   * are forgotten, so the next packet through it asks ARP again.
   */
  forgetNeighbours(ifname: string): void {
    this.neigh.flushDev(ifname);
  }

  /**
   * __ip_do_redirect (SocketHost): a redirect a socket heard, from the gateway its route to the
   * quoted destination uses, naming `gw` on `dev`. It is accepted as IN_DEV_RX_REDIRECTS says
   * (accept_redirects: `all` and DEV both on a forwarding host, either on another; 1 by default),
   * with shared_media on (the default) the new gateway only has to be a unicast address; a gateway
   * not NUD_VALID is then resolved (neigh_event_send), and the route is not changed yet.
   */
  redirectNeighbour(dev: string, gw: number): void {
    const all = this.sysctl('net.ipv4.conf.all.accept_redirects', 1);
    const own = this.sysctl(`net.ipv4.conf.${dev}.accept_redirects`, 1);
    const rx = this.sysctl('net.ipv4.ip_forward', 0) === 1 ? all && own : all || own;
    if (!rx || gw === 0 || gw >>> 28 === 14 || gw === 0xffffffff) return;
    if (this.addrType(gw, undefined) !== RTN_UNICAST) return;
    this.neigh.eventSend(dev, gw);
  }

  /** neigh_confirm for a local socket (SocketHost). */
  confirmNeighbour(dev: string, addr: number): void {
    this.neigh.confirm(dev, addr);
  }

  /**
   * The routes an address brings with it (fib_add_ifaddr): `local ADDR` in the local table, and
   * for a primary address (the first of its subnet on the device) the prefix route `proto kernel
   * scope link src ADDR` in main and the subnet's broadcast route; a secondary address's local
   * route has the primary's address as its source.
   */
  private addConnectedRoute(dev: string, a: { addr: number; len: number }): void {
    const mask = prefixMask(a.len);
    const net = (a.addr & mask) >>> 0;
    const addrs = this.ifaces.get(dev)?.addrs ?? [];
    const at = addrs.findIndex((x) => x.addr === a.addr && x.len === a.len);
    const primary = addrs.find((x, i) => i < at && x.len === a.len && (x.addr & mask) >>> 0 === net);
    const src = primary ? primary.addr : a.addr;
    const kernel = { via: 0, dev, metric: 0, origin: 'kernel' as const, table: RT_TABLE_LOCAL };
    this.policy.add({
      ...kernel,
      addr: a.addr,
      mask: 0xffffffff,
      len: 32,
      src,
      type: RTN_LCL,
      scope: RT_SCOPE_HOST,
    });
    if (primary) return;
    this.policy.main.add({
      addr: net,
      mask,
      len: a.len,
      via: 0,
      dev,
      src: a.addr,
      metric: 0,
      origin: 'kernel',
    });
    if (a.len < 31) {
      const brd = (net | ~mask) >>> 0;
      this.policy.add({
        ...kernel,
        addr: brd,
        mask: 0xffffffff,
        len: 32,
        src,
        type: RTN_BRD,
        scope: RT_SCOPE_LINK,
      });
    }
  }

  /** The loopback device's routes in the local table (127.0.0.0/8, 127.0.0.1, its broadcast). */
  private addLoopbackRoutes(): void {
    const lo = {
      via: 0,
      dev: 'lo',
      metric: 0,
      origin: 'kernel' as const,
      table: RT_TABLE_LOCAL,
      src: 0x7f000001,
    };
    this.policy.add({
      ...lo,
      addr: 0x7f000000,
      mask: 0xff000000,
      len: 8,
      type: RTN_LCL,
      scope: RT_SCOPE_HOST,
    });
    this.policy.add({
      ...lo,
      addr: 0x7f000001,
      mask: 0xffffffff,
      len: 32,
      type: RTN_LCL,
      scope: RT_SCOPE_HOST,
    });
    this.policy.add({
      ...lo,
      addr: 0x7fffffff,
      mask: 0xffffffff,
      len: 32,
      type: RTN_BRD,
      scope: RT_SCOPE_LINK,
    });
  }

  /** A flow key and a result for the host's own lookups (one at a time). */
  private readonly key: FlowKey = newFlowKey();
  private readonly res = new RouteResult();

  /** fib_lookup for a flow key (policy routing); the answer in `out`, its errno returned. */
  routeLookup(k: FlowKey, out: RouteResult): number {
    return this.policy.lookup(k, out);
  }

  /**
   * ip_route_output_key for a socket: the route to `dst` from `src` (0: unbound, the source is
   * chosen) with the socket's mark, protocol and ports; `connect`: after choosing a source, look
   * up again with it (ip_route_connect), as TCP and connected UDP sockets do. `tos`: the socket's
   * IP_TOS (ip_route_connect_init's and udp_sendmsg's flowi4 take its DSCP: an `ip rule ... tos`
   * selects the socket's route). Returns the source address, or -errno (ENETUNREACH, EHOSTUNREACH,
   * EACCES, EINVAL).
   */
  routeSource(
    dst: number,
    src: number,
    mark: number,
    proto: number,
    sport: number,
    dport: number,
    connect = true,
    tos = 0,
  ): number {
    const k = this.loKey(dst, src, tos & ROUTE_TOS_MASK, mark, proto, sport, dport);
    const err = outputRoute(this.routeView, k, this.res, connect);
    if (err === 0 && loopbackSourceRefused(this, this.res.src, this.res.dev)) return -22; // EINVAL
    return err !== 0 ? -err : this.res.src;
  }

  /**
   * The host's flow key (reused: no per-lookup object) for a lookup as from the loopback device
   * (flowi4_iif LOOPBACK_IFINDEX, no oif): a socket's output route and the reverse lookups of
   * fib_validate_source, rpfilter and nft fib.
   */
  private loKey(
    dst: number,
    src: number,
    tos: number,
    mark: number,
    proto = 0,
    sport = 0,
    dport = 0,
  ): FlowKey {
    const k = this.key;
    k.dst = dst;
    k.src = src;
    k.tos = tos;
    k.mark = mark;
    k.iif = 'lo';
    k.oif = '';
    k.proto = proto;
    k.sport = sport;
    k.dport = dport;
    return k;
  }

  /** After the routes changed: the smallest MTU any route or device has (frag.ts `floor`). */
  refreshMtus(): void {
    const all: Route[] = [];
    for (const t of this.policy.tables.values()) all.push(...t.list());
    this.ip4.frag.refresh(all);
  }

  /** The output route to `dst` from `src` with `mark` (ip_route_output_key), if there is one. */
  routeTo(dst: number, src: number, mark = 0): Route | undefined {
    return this.routeSource(dst, src, mark, 0, 0, 0, false) < 0 ? undefined : this.lastRoute();
  }

  /** The route the last routeSource() chose, with the device of the path taken (multipath). */
  lastRoute(): Route | undefined {
    const r = this.res.route;
    if (!r || r.dev === this.res.dev) return r;
    return { ...r, dev: this.res.dev, via: this.res.via };
  }

  /** What route/output.ts needs of the host: lookup, devices and addresses. */
  readonly routeView = {
    lookup: (k: FlowKey, out: RouteResult): number => this.policy.lookup(k, out),
    addrs: (dev: string): readonly { addr: number; len: number }[] => this.ifaces.get(dev)?.addrs ?? [],
  };

  /** Rules this host has that natbox cannot evaluate. */
  static problems(rs: Ruleset): RuleProblem[] {
    return checkRuleset(rs);
  }

  sysctl(name: string, dflt: number): number {
    return this.sysctls.get(name) ?? dflt;
  }

  /**
   * A device's IPv4 setting as the kernel reads it from net.ipv4.conf.all.KEY and
   * net.ipv4.conf.DEV.KEY: the larger for rp_filter, arp_ignore and arp_announce (IN_DEV_MAXCONF),
   * either for arp_filter and proxy_arp (IN_DEV_ORCONF). Both default to 0.
   */
  conf(dev: string, key: ArpConf): number {
    const all = this.sysctl(`net.ipv4.conf.all.${key}`, 0);
    const own = this.sysctl(`net.ipv4.conf.${dev}.${key}`, 0);
    return key === 'arp_filter' || key === 'proxy_arp' ? (all || own ? 1 : 0) : Math.max(all, own);
  }

  /** Reports a step when a tracer is attached; packet steps keep a copy (NAT rewrites in place). */
  trace(s: Step): void {
    const t = this.env.tracer;
    if (!t) return;
    if (s.kind !== 'packet') return t.step(this.env.now(), s);
    const frame = s.frame.slice();
    copyFrameWindow(s.frame, frame);
    t.step(this.env.now(), { ...s, frame });
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

  /**
   * -m rpfilter's reverse lookup (XtEnv.rpfLookup): the route type of `src` (the local table
   * first: RTN_LOCAL for this host's addresses, RTN_BROADCAST for a subnet broadcast), else the
   * policy routing's route for the mark (RTN_UNICAST), -1 when there is none; RPF_USES_DEV when
   * the route (or the address, for a local one) is on `dev`.
   */
  rpfLookup(src: number, mark: number, dev: string, saddr = 0, tos = 0): number {
    const t = this.addrType(src, undefined);
    if (t === RTN_LOCAL) return RTN_LOCAL | (this.addrType(src, dev) === RTN_LOCAL ? RPF_USES_DEV : 0);
    if (t === RTN_BROADCAST) return RTN_BROADCAST;
    const k = this.loKey(src, saddr, tos, mark);
    if (this.policy.lookup(k, this.res) !== 0) return -1;
    // rpfilter_lookup_reverse: fib_info_nh_uses_dev (any path of a multipath route).
    return RTN_UNICAST | (resultUsesDev(this.res, dev) ? RPF_USES_DEV : 0);
  }

  /**
   * The entry an ICMP error about a packet that waited for its neighbour carries (icmp_glue_bits
   * → nf_ct_attach): the entry the packet held, while it is still in the table; one removed since
   * (`conntrack -F`) lives on in the kernel as long as the packet holds it, and conntrack ignores
   * the error that carries it (nf_conntrack_in: already attached), here as untracked
   * (gen-1417-34.yaml: no `conntrack -S` error on either side).
   */
  private heldAttach(h: HeldCt): Attach {
    const ct = this.nf?.conntrack;
    if (ct && ct.isUsed(h.ct) && ct.id[h.ct] === h.id) return { ct: h.ct, dir: h.dir };
    return { ct: NOTRACK, dir: h.dir };
  }

  /** validateSource's device of the route back when it answered FVS_RPF ('' for none). */
  validateDev = '';

  /**
   * fib_validate_source and __fib_validate_source (net/ipv4/fib_frontend.c) for a packet from
   * `src` to `dst` that came in on `inDev` (not lo), `tos` the TOS of its flow: FVS_OK, or why it
   * is a martian. rp_filter (IN_DEV_MAXCONF) 0 without custom rules or custom local routes: only
   * a source that is one of the host's addresses fails (inet_lookup_ifaddr_rcu), unless
   * accept_local (IN_DEV_ORCONF). Otherwise the reverse lookup (to `src`, from `dst`, as from lo):
   * none answers rp_filter's -EXDEV (last_resort; 0 passes); a route that is neither unicast nor
   * local -EINVAL (a broadcast source), a local one -EINVAL unless accept_local; then a route with
   * a next hop on `inDev` (fib_info_nh_uses_dev: any path of a multipath route; a local route's
   * is the device of the address) passes, a device without addresses goes to last_resort, strict
   * (1) fails, loose (2) passes. 127.0.0.0/8 is left to the martian checks before it, as in
   * ip4.ts.
   */
  validateSource(src: number, dst: number, inDev: string, tos: number, mark = 0): number {
    const rpf = this.conf(inDev, 'rp_filter');
    const policy = this.policy;
    if (rpf === 0) {
      if (!policy.customLocalRoutes && !policy.rules.custom) {
        // inet_lookup_ifaddr_rcu: of 127.0.0.0/8 only lo's own 127.0.0.1 is an address (a source
        // route_localnet let through).
        if (src !== 0x7f000001 && (src >>> 24 === 127 || !this.isLocal(src))) return FVS_OK;
        return this.acceptLocal(inDev) ? FVS_OK : FVS_LOCAL_SOURCE;
      }
      if (this.acceptLocal(inDev)) return FVS_OK;
    }
    // The reverse lookup: to the source, from the destination, as from lo; IN_DEV_SRC_VMARK
    // (src_valid_mark, `all` or the device): the packet's mark, else 0.
    const k = this.loKey(
      src,
      dst,
      tos,
      mark !== 0 &&
        (this.sysctl('net.ipv4.conf.all.src_valid_mark', 0) !== 0 ||
          this.sysctl(`net.ipv4.conf.${inDev}.src_valid_mark`, 0) !== 0)
        ? mark
        : 0,
    );
    this.validateDev = '';
    if (policy.lookup(k, this.res) !== 0) return rpf !== 0 ? FVS_RPF : FVS_OK;
    const r = this.res.route;
    const type = r?.type ?? RTN_UNICAST;
    if (type !== RTN_UNICAST) {
      if (type !== RTN_LOCAL) return FVS_INVALID_SOURCE;
      if (!this.acceptLocal(inDev)) return FVS_LOCAL_SOURCE;
    }
    let uses = r ? r.dev === inDev : this.res.dev === inDev;
    if (r?.nexthops) for (const n of r.nexthops) if (n.dev === inDev) uses = true;
    if (!uses && type === RTN_LOCAL && inDev === 'lo') uses = true;
    if (uses) return FVS_OK;
    this.validateDev = this.res.dev;
    if (rpf === 0) return FVS_OK;
    if ((this.ifaces.get(inDev)?.addrs.length ?? 0) === 0) return FVS_RPF; // no_addr: last_resort
    return rpf === 1 ? FVS_RPF : FVS_OK;
  }

  /** IN_DEV_ACCEPT_LOCAL: net.ipv4.conf.all.accept_local or the device's. */
  private acceptLocal(dev: string): boolean {
    return (
      this.sysctl('net.ipv4.conf.all.accept_local', 0) !== 0 ||
      this.sysctl(`net.ipv4.conf.${dev}.accept_local`, 0) !== 0
    );
  }

  /**
   * nft_fib4_eval without iif: the device of the route fib_lookup finds for `addr` from the
   * loopback device; '' for no route (or an unreachable/blackhole one) and for RTN_LOCAL.
   */
  fibDev(addr: number, mark: number, saddr: number, tos: number): string {
    if (this.addrType(addr, undefined) === RTN_LOCAL) return '';
    const k = this.loKey(addr, saddr, tos, mark);
    if (this.policy.lookup(k, this.res) !== 0) return '';
    return this.res.dev;
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

  /** MTUs, the learned path MTUs and fragments (stack/frag.ts). */
  get frag(): HostFrag {
    return this.ip4.frag;
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
    if (this.down.size > 0 && this.down.has(ifname)) return; // a device set down takes nothing in
    // A veth takes no frame longer than its MTU allows (is_skb_forwardable: MTU + 14 + 4).
    if (frame.length > dev.mtu + 18) return this.ip4.frag.tooLongFrame(dev, frame);
    if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname, dir: 'in', frame });
    let pktHost = false;
    if (this.netdev !== undefined) {
      // nf_ingress: the device's netdev ingress chains, before the bridge's rx_handler.
      const f = this.netdev.ingress(dev, frame);
      if (f === undefined) return;
      frame = f;
      pktHost = this.netdev.pktHost;
    }
    if (dev.master) return this.bridgeInput(this.ifaces.get(dev.master)!, dev, frame);
    this.l2Input(dev, frame, pktHost);
  }

  /** br_handle_frame: the port's STP state, learn, then deliver up, forward to one port, or flood. */
  private bridgeInput(br: Iface, port: Iface, frame: Uint8Array): void {
    if (!this.bridges.get(br.name)!.input(port, frame)) return;
    const toBridge = frame[0] === br.mac[0] && macKey(frame, 0) === macKey(br.mac);
    const bcast = ethIsBroadcast(frame);
    if (this.brnf() && ethType(frame) === ETHERTYPE_IPV4 && !bcast) {
      return this.brnfPath.input(br, port, frame, toBridge);
    }
    if (toBridge) {
      if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname: br.name, dir: 'in', frame });
      return this.l2Input(br, frame);
    }
    if (bcast) {
      if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname: br.name, dir: 'in', frame });
      this.l2Input(br, frame);
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
    if (this.down.size > 0 && this.down.has(ifname)) return; // a device set down sends nothing
    if (this.noCarrier.size > 0 && this.noCarrier.has(ifname)) return; // noop_qdisc: dropped unseen
    if (this.netdev !== undefined) {
      // nf_hook_egress in __dev_queue_xmit: before the taps (the trace's `out` packet).
      const f = this.netdev.egress(ifname, frame);
      if (f === undefined) return;
      frame = f;
    }
    if (this.tracing) this.trace({ kind: 'packet', host: this.name, ifname, dir: 'out', frame });
    this.env.transmit(this, ifname, frame);
  }

  /** A frame for a device's own MAC (or broadcast): ARP to the neighbour table, IPv4 up. */
  private l2Input(dev: Iface, frame: Uint8Array, pktHost = false): void {
    const type = ethType(frame);
    if (type === ETHERTYPE_ARP) return this.neigh.input(dev, frame);
    if (type !== ETHERTYPE_IPV4) return;
    // A flowtable's ingress hook (netdev ingress: before ip_rcv and its packet type check).
    if (this.flows !== undefined && flowIngress(this, this.flows, dev, frame, ETH_HEADER_LEN)) return;
    // PACKET_OTHERHOST (unless a netdev chain's `meta pkttype set host` made it the host's)
    // (eth_type_trans: a group address is PACKET_BROADCAST or PACKET_MULTICAST, which ip_rcv takes).
    if (!pktHost && (frame[0]! & 1) === 0 && macKey(frame, 0) !== macKey(dev.mac)) return;
    const ip = frame.subarray(ETH_HEADER_LEN);
    if (!this.ip4.validIp(ip, dev.name)) return;
    this.ip4.input(dev, ip, undefined, frame);
  }

  // ---- output ------------------------------------------------------------------------------

  /**
   * Sends a locally generated IPv4 packet (header and checksums already filled, source chosen)
   * through OUTPUT and POSTROUTING to its neighbour (ip4.ts). Returns why it cannot leave.
   */
  output(ip: Uint8Array, attach?: Attach, owned = false, mark = 0): SendError | undefined {
    return this.ip4.output(ip, attach, owned, mark);
  }

  /**
   * nf_send_reset's bridge branch (nf_reject_ipv4.c): the reset of a packet that came in by a
   * bridge port with bridge-nf-call-iptables is not given to ip_local_out. After its route check
   * (ip_route_me_harder: any source, a route to the destination or no reset), it takes the
   * rejected frame's Ethernet addresses swapped and leaves by that port (dev_queue_xmit): no
   * OUTPUT or POSTROUTING hook, no NAT, not through the bridge device.
   */
  outputBridged(ip: Uint8Array, bridged: BridgedIn): void {
    if (this.routeTo(ipv4Dst(ip, 0), 0) === undefined) return;
    const f = bridged.frame;
    this.devOutput(bridged.port, emitEthernet(f.subarray(6, 12), f.subarray(0, 6), ETHERTYPE_IPV4, ip));
  }

  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean {
    this.drops[reason]!++;
    return this.tracing;
  }

  /** dev_queue_xmit: a bridge device sends through its ports; a port or NIC onto the wire. */
  private devOutput(ifname: string, frame: Uint8Array): void {
    const dev = this.ifaces.get(ifname)!;
    if (dev.kind === 'bridge') {
      if (this.netdev !== undefined) {
        const f = this.netdev.egress(ifname, frame); // the bridge device's own egress chains
        if (f === undefined) return;
        frame = f;
      }
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

  describeMac(mac: Uint8Array): string {
    return formatMac(mac);
  }

  /** Source and destination of an IPv4 packet, for messages. */
  static ends(ip: Uint8Array): [number, number] {
    return [ipv4Src(ip, 0), ipv4Dst(ip, 0)];
  }
}

/** Does any rule match on the link layer (-m mac, -m pkttype)? Then the host fills it in. */
function usesLinkLayer(rs: Ruleset): boolean {
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules)
        if (r.matches.some((m) => m.module === 'mac' || m.module === 'pkttype')) return true;
  return false;
}
