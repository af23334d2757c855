// ARP and the neighbour table (net/ipv4/arp.c, net/core/neighbour.c): next hops resolved to MAC
// addresses, the packets that wait for a resolution, and the NUD states: INCOMPLETE (broadcast
// requests, mcast_solicit of them, then FAILED: the waiting packets are dropped, their sockets
// told, and a forwarded one's sender gets ICMP host unreachable), REACHABLE (a unicast ARP reply
// to this host; for reachable_time after the last confirmation), STALE (learned from a request, or
// REACHABLE expired: usable, but not NUD_CONNECTED, which bridge netfilter looks at), DELAY and
// PROBE (a STALE entry used: unicast probes after delay_first_probe_time), all with the device's
// net.ipv4.neigh.DEV.* parameters. Which requests are answered follows arp_process: any local
// address (the weak host model), through arp_ignore, arp_filter and the reverse-path check
// (rp_filter) of the sender; proxy_arp answers for addresses routed out of another device. A
// request's sender address follows arp_announce. Frames the kernel sends at a random time carry
// their window (setFrameWindow) for natbox verify.
import { ETHERTYPE_IPV4, ETH_HEADER_LEN, emitEthernet } from '../wire/ethernet.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { arpReplyFrame, arpRequestFrame } from '../wire/arp.ts';
import { ipv4Dst, ipv4Src } from '../wire/ipv4.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import type { Iface } from './iface.ts';
import type { Step } from './steps.ts';
import { jiffiesAt, kernelTimerAt, toJiffies } from './timer-wheel.ts';

/** neigh ucast/mcast_solicit's default: requests sent before the neighbour is FAILED. */
export const ARP_RETRIES = 3;

/** The per-device ARP settings (net.ipv4.conf.DEV.*), read as the kernel combines all and DEV. */
export type ArpConf = 'arp_ignore' | 'arp_announce' | 'arp_filter' | 'proxy_arp' | 'rp_filter' | 'arp_notify';

/** What the neighbour table needs of its host. */
export interface NeighHost {
  readonly name: string;
  readonly env: { now(): number; timer(at: number, fn: () => void): void };
  readonly ifaces: ReadonlyMap<string, Iface>;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
  /** inet_select_addr: the source address for a packet to `dst` out of `outIf`. */
  sourceAddressFor(outIf: string, dst: number): number;
  /** dev_queue_xmit: a frame out of a device (a bridge sends it through its ports). */
  devOutput(ifname: string, frame: Uint8Array): void;
  /**
   * ARP gave up on the next hop of a packet (arp_error_report → ipv4_link_failure): a locally sent
   * one's socket hears it, a forwarded one's sender gets ICMP host unreachable.
   */
  neighbourFailed(ip: Uint8Array, held?: HeldCt): void;
  /** A device's ARP setting as the kernel reads it (IN_DEV_MAXCONF / IN_DEV_ORCONF of all and DEV). */
  conf(dev: string, key: ArpConf): number;
  /** Is `addr` one of this host's addresses (any device)? */
  isLocal(addr: number): boolean;
  /** The device the route to `addr` leaves by, or undefined (no route). */
  routeDev(addr: number): string | undefined;
  /** fib_validate_source (host.ts validateSource): 0 when the source passes. */
  validateSource(src: number, dst: number, inDev: string, tos: number): number;
  /** net.ipv4.ip_forward (IN_DEV_FORWARD): proxy_arp answers only on a forwarding host. */
  forwarding(): boolean;
  /** A random number in [0, 1) from the host's seeded generator (proxy_arp's delay). */
  random(): number;
  /** A sysctl's value (net.ipv4.neigh.DEV.*), or `dflt` when the scenario does not set it. */
  sysctl(name: string, dflt: number): number;
}

/**
 * The neighbour parameters natbox honours, per device (net.ipv4.neigh.DEV.KEY; a network namespace
 * has no net.ipv4.neigh.default), with the kernel's defaults (arp_tbl.parms): times in
 * milliseconds but delay_first_probe_time, in seconds.
 */
export const NEIGH_DEFAULTS = {
  base_reachable_time_ms: 30000,
  delay_first_probe_time: 5,
  retrans_time_ms: 1000,
  ucast_solicit: 3,
  mcast_solicit: 3,
  mcast_resolicit: 0,
  /** In USER_HZ (hundredths of a second): a proxy_arp answer waits a random part of it. */
  proxy_delay: 80,
  /**
   * In USER_HZ: an ARP reply (or a request not answered) with another MAC than the entry's, within
   * this long of the entry's last change, is ignored (arp_process: "use the FIRST one").
   */
  locktime: 100,
} as const;
export type NeighParm = keyof typeof NEIGH_DEFAULTS;

/** CONFIG_HZ of the reference kernel (Linux 6.18, Fedora's configuration: HZ_250). */
export const HZ = 250;

/**
 * How much later than asked a kernel timer of `delay` seconds may fire: the timer wheel (kernel/
 * time/timer.c, LVL_CLK_SHIFT 3, 64 buckets a level) rounds the expiry up to its level's
 * granularity, 8^level jiffies. At HZ 250: up to 0.25 s 4 ms, to 2 s 32 ms, to 16 s 256 ms, to
 * 129 s 2.048 s.
 */
export function wheelSlack(delay: number): number {
  const j = Math.ceil(delay * HZ);
  let gran = 1;
  for (let start = 63; j >= start && gran < 8 ** 7; start *= 8) gran *= 8;
  return gran / HZ;
}

/**
 * Windows of frames sent by a timer the kernel randomises: how much earlier and later than
 * natbox's the kernel's frame may be, in seconds (negative, positive). A copy of the frame (the
 * trace's, the wire's) carries its window.
 */
const windows = new WeakMap<ArrayBufferLike, readonly [number, number]>();

/** Marks `frame` as sent at a random time: the kernel's may be `early` s earlier to `late` s later. */
export function setFrameWindow(frame: Uint8Array, early: number, late: number): void {
  windows.set(frame.buffer, [early, late]);
}

/** The window `frame` carries (setFrameWindow), if any. */
export function frameWindow(frame: Uint8Array): readonly [number, number] | undefined {
  return windows.get(frame.buffer);
}

/** Gives the copy `to` the window of `from` (a frame copied on its way). */
export function copyFrameWindow(from: Uint8Array, to: Uint8Array): void {
  const w = windows.get(from.buffer);
  if (w) windows.set(to.buffer, w);
}

interface Pending {
  ifname: string;
  /** IPv4 packets waiting for the address; an empty array marks a `resolve` callback. */
  packets: Uint8Array[];
  tries: number;
}

/** One device's neighbours (the kernel's table is keyed by address and device). */
interface DevTable {
  /** The resolved neighbours (REACHABLE or STALE): address → MAC. */
  readonly macs: Map<number, Uint8Array>;
  /** Neighbours in NUD_REACHABLE; the others in `macs` are STALE. */
  readonly reachable: Set<number>;
  /** Addresses being resolved (NUD_INCOMPLETE), with what waits for them. */
  readonly pending: Map<number, Pending>;
  /** Resolved neighbours in NUD_DELAY or NUD_PROBE (a timer is armed for each record). */
  readonly nud: Map<number, Nud>;
  /**
   * neigh->confirmed: when the neighbour was last confirmed: an ARP reply to this host made it
   * REACHABLE, or a TCP segment after forward progress passed (neigh_confirm).
   */
  readonly confirmed: Map<number, number>;
  /** neigh->used: when a packet last went out through neigh_resolve_output (not REACHABLE). */
  readonly used: Map<number, number>;
  /**
   * neigh->updated: when the entry last changed state or MAC (INCOMPLETE begun, resolved, a timer's
   * transition), which locktime counts from.
   */
  readonly updated: Map<number, number>;
  /** The REACHABLE timer of each neighbour (a token: a newer one cancels it). */
  readonly reachTimer: Map<number, object>;
  /**
   * Neighbours that went STALE by their REACHABLE timer: when the kernel's may have, the random
   * reachable_time's range [lo, hi] in seconds from the start.
   */
  readonly staleAt: Map<number, readonly [number, number]>;
  /** This device's reachable_time (random in [base/2, 3·base/2), drawn once: neigh_rand_reach_time). */
  reachableTime?: number;
}

/** A neighbour in NUD_DELAY (waiting delay_first_probe_time) or NUD_PROBE (`probes` sent). */
interface Nud {
  state: 'DELAY' | 'PROBE';
  probes: number;
  /**
   * The window of the first probe: the DELAY timer's bucket in the kernel's timer wheel, whose
   * tick phase in a live run is not natbox's (delay_first_probe_time to 256 ms more), wider when
   * the DELAY began at a random time (a random REACHABLE expiry).
   */
  window: readonly [number, number];
}

/**
 * skb->dst_pending_confirm, kept with the packet's buffer: a TCP segment sent after an ACK that
 * made progress (tcp_transmit_skb) carries it, and every ip_finish_output2 it passes confirms the
 * next hop it leaves by (sock_confirm_neigh). A veth pair hands the skb itself to the peer
 * namespace and skb_scrub_packet leaves the bit, so a router forwarding the segment over veth
 * links confirms its own neighbour too (seen on Linux 6.18: a router whose STALE neighbour was in
 * DELAY did not probe it when a TCP exchange was forwarded to it within the 5 s).
 */
const pendingConfirm = new WeakSet<ArrayBufferLike>();

/**
 * The conntrack entry a packet waiting for its neighbour holds (skb->_nfct), with the entry's id
 * then (a flushed entry's slot may be reused): the ICMP error ipv4_link_failure sends about it
 * carries that entry (icmp_glue_bits → nf_ct_attach), even one `conntrack -F` removed meanwhile.
 */
export interface HeldCt {
  readonly ct: number;
  readonly dir: number;
  readonly id: number;
}
const heldCt = new WeakMap<Uint8Array, HeldCt>();

/** Marks a packet (or frame) as carrying dst_pending_confirm. */
export function markPendingConfirm(b: Uint8Array): void {
  pendingConfirm.add(b.buffer);
}

/**
 * The packets waiting in a neighbour's queue (arp_queue) for its resolution, by buffer: a local TCP
 * socket's segment there is the clone tcp_transmit_skb queued, which keeps the socket's skb busy
 * (skb_fclone_busy) until it leaves or is dropped.
 */
const hostQueued = new WeakSet<ArrayBufferLike>();

/**
 * skb_still_in_host_queue: is this packet (a socket's segment as it was sent) still waiting for its
 * neighbour? Then tcp_retransmit_skb does not send it again (-EBUSY, TCPSpuriousRtxHostQueues).
 */
export function stillInHostQueue(b: Uint8Array): boolean {
  return hostQueued.has(b.buffer);
}

/** Does the packet (or frame) carry dst_pending_confirm? */
export function hasPendingConfirm(b: Uint8Array): boolean {
  return pendingConfirm.has(b.buffer);
}

/** NEIGH_VAR(delay_first_probe_time): a STALE neighbour used waits this long in DELAY. */
export const DELAY_FIRST_PROBE = 5;
/**
 * How late the kernel's DELAY timer fires, taken at the middle: at HZ 250 a 5 s timer (1250
 * jiffies) sits in the timer wheel's level 2, whose expiry is rounded up to 64 jiffies (0 to 256
 * ms). At the timer the neighbour is REACHABLE when confirmed within delay_probe_time before it: a
 * confirmation c seconds after the DELAY began keeps it REACHABLE with probability c / 0.256, and
 * natbox takes the likelier outcome (c >= 0.128). Linux 6.18, veth namespaces (2026-12-02): a
 * server whose connection progressed only in its first 10 ms probed its gateway 5.17 s after; a
 * router whose neighbour was confirmed 4 s into DELAY did not probe; a router whose neighbour was
 * confirmed by a forwarded FIN 0.2 s into DELAY did not probe (loopback-router-hairpin.yaml).
 */
export const TIMER_SLACK = 0.128;
/** NEIGH_VAR(retrans_time): seconds between two probes (and two broadcast requests). */
export const RETRANS_TIME = 1;

export class Neighbours {
  private readonly tables = new Map<string, DevTable>();
  private readonly onResolved = new Map<Uint8Array, () => void>();

  constructor(private readonly host: NeighHost) {}

  private table(dev: string): DevTable {
    let t = this.tables.get(dev);
    if (!t)
      this.tables.set(
        dev,
        (t = {
          macs: new Map(),
          reachable: new Set(),
          pending: new Map(),
          nud: new Map(),
          confirmed: new Map(),
          used: new Map(),
          updated: new Map(),
          reachTimer: new Map(),
          staleAt: new Map(),
        }),
      );
    return t;
  }

  /** A neighbour parameter of `dev` (net.ipv4.neigh.DEV.KEY). */
  parm(dev: string, key: NeighParm): number {
    return this.host.sysctl(`net.ipv4.neigh.${dev}.${key}`, NEIGH_DEFAULTS[key]);
  }

  /**
   * The device's reachable_time in seconds: neigh_rand_reach_time draws it in [base/2, 3·base/2)
   * when the parameters are made (and when base_reachable_time_ms is written), for every
   * neighbour of the device. natbox draws it from the host's and device's names (a seeded value
   * that leaves the host's random sequence alone).
   */
  reachableTime(dev: string): number {
    const t = this.table(dev);
    if (t.reachableTime === undefined) {
      const base = this.parm(dev, 'base_reachable_time_ms') / 1000;
      let h = 0x811c9dc5;
      for (const c of `${this.host.name}\0${dev}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
      t.reachableTime = base / 2 + (h / 2 ** 32) * base;
    }
    return t.reachableTime;
  }

  /**
   * neigh_update to NUD_REACHABLE (an ARP reply to this host; the DELAY timer finding a recent
   * confirmation): the REACHABLE timer runs from neigh->confirmed for reachable_time.
   */
  private reachable(dev: string, t: DevTable, addr: number): void {
    if (!t.reachable.has(addr)) t.updated.set(addr, this.host.env.now());
    t.nud.delete(addr);
    t.staleAt.delete(addr);
    t.reachable.add(addr);
    const token = {};
    t.reachTimer.set(addr, token);
    this.armReach(
      dev,
      t,
      addr,
      token,
      (t.confirmed.get(addr) ?? this.host.env.now()) + this.reachableTime(dev),
    );
  }

  private armReach(dev: string, t: DevTable, addr: number, token: object, at: number): void {
    this.host.env.timer(Math.max(at, this.host.env.now() + 0.01), () =>
      this.reachExpired(dev, t, addr, token),
    );
  }

  /**
   * neigh_timer_handler in NUD_REACHABLE: confirmed within reachable_time, the timer waits for the
   * rest of it; else used within delay_first_probe_time: NUD_DELAY; else NUD_STALE (no frame: the
   * next packet sent makes it DELAY, neigh_event_send). Whether the kernel's expired before a given
   * use depends on its random reachable_time: the probes that follow carry the window.
   */
  private reachExpired(dev: string, t: DevTable, addr: number, token: object): void {
    if (this.tables.get(dev) !== t || t.reachTimer.get(addr) !== token || !t.reachable.has(addr)) return;
    const now = this.host.env.now();
    const rt = this.reachableTime(dev);
    const confirmed = t.confirmed.get(addr) ?? 0;
    if (now <= confirmed + rt + 1e-9) return this.armReach(dev, t, addr, token, confirmed + rt);
    t.reachTimer.delete(addr);
    t.reachable.delete(addr);
    t.updated.set(addr, now);
    const base = this.parm(dev, 'base_reachable_time_ms') / 1000;
    const hi = confirmed + 1.5 * base;
    const range: [number, number] = [confirmed + base / 2, hi + wheelSlack(1.5 * base)];
    const delay = this.parm(dev, 'delay_first_probe_time');
    if (now <= (t.used.get(addr) ?? -Infinity) + delay) this.delay(dev, addr, range, true);
    else t.staleAt.set(addr, range);
  }

  /** The MAC of a neighbour resolved on `dev`. */
  get(dev: string, addr: number): Uint8Array | undefined {
    return this.tables.get(dev)?.macs.get(addr);
  }

  /** NUD_REACHABLE (NUD_CONNECTED): an ARP reply on `dev` answered our own request. */
  isReachable(dev: string, addr: number): boolean {
    return this.tables.get(dev)?.reachable.has(addr) ?? false;
  }

  /**
   * neigh_ifdown: forgets the neighbours of device `dev` (it went down, or lost its last address),
   * resolved or being resolved; what waited for them is dropped.
   */
  flushDev(dev: string): void {
    const t = this.tables.get(dev);
    if (!t) return;
    for (const p of t.pending.values())
      for (const m of p.packets) {
        this.onResolved.delete(m);
        hostQueued.delete(m.buffer);
      }
    this.tables.delete(dev);
  }

  /**
   * inetdev_send_gratuitous_arp (net/ipv4/devinet.c, on NETDEV_UP when arp_notify is on): one
   * broadcast ARP request per address of the device, sender and target both the address, target
   * MAC zero (arp_send with no target hardware address). An `ip addr add` sends none: the address
   * notifier (inetaddr_chain) has no ARP in it.
   */
  announce(dev: string): void {
    const d = this.host.ifaces.get(dev);
    if (!d) return;
    for (const a of d.addrs) this.host.devOutput(dev, arpRequestFrame(d.mac, a.addr, a.addr));
  }

  /** ip_finish_output2: resolve the next hop's MAC (ARP), then put the frame on the device. */
  output(
    r: { readonly via: number; readonly dev: string },
    ip: Uint8Array,
    ct = -1,
    ctDir = 0,
    ctId = 0,
  ): void {
    const nexthop = r.via || ipv4Dst(ip, 0);
    const t = this.table(r.dev);
    const mac = t.macs.get(nexthop);
    const confirm = pendingConfirm.has(ip.buffer);
    if (mac) {
      if (confirm) this.confirm(r.dev, nexthop);
      if (!t.reachable.has(nexthop)) {
        t.used.set(nexthop, this.host.env.now());
        if (!t.nud.has(nexthop)) this.delay(r.dev, nexthop, t.staleAt.get(nexthop));
      }
      const frame = emitEthernet(mac, this.host.ifaces.get(r.dev)!.mac, ETHERTYPE_IPV4, ip);
      if (confirm) pendingConfirm.add(frame.buffer);
      return this.host.devOutput(r.dev, frame);
    }
    if (ct >= 0) heldCt.set(ip, { ct, dir: ctDir, id: ctId }); // waits: its entry goes with it
    hostQueued.add(ip.buffer);
    const pend = t.pending.get(nexthop);
    if (pend) {
      pend.packets.push(ip);
      return;
    }
    t.pending.set(nexthop, { ifname: r.dev, packets: [ip], tries: 0 });
    this.solicit(r.dev, nexthop);
  }

  /**
   * neigh_event_send on a STALE neighbour: the packet goes with the MAC it has, and the neighbour
   * waits in NUD_DELAY for delay_first_probe_time (5 s); an ARP reply to this host meanwhile makes
   * it REACHABLE again (neigh_update). Else neigh_timer_handler: NUD_PROBE, unicast requests to the MAC
   * it has, retrans_time (1 s) apart, and after ucast_solicit (3) unanswered ones (then
   * mcast_resolicit broadcast ones, 0 by default) it is FAILED and forgotten (the next packet asks
   * by broadcast). neigh->timer runs when the timer wheel runs it (timer-wheel.ts kernelTimerAt):
   * the 5 s DELAY timer (1250 jiffies, level 2) rounded up to the next 64 jiffies, 4 to 256 ms
   * late; each probe's 1 s (250 jiffies, level 1, armed from the handler) to the next 8, so 1.024 s
   * apart. A local TCP socket's segment sent after an ACK that made progress confirms the
   * neighbour (sk_dst_confirm, sock_confirm_neigh): confirmed since DELAY began (after
   * TIMER_SLACK), it is REACHABLE at the timer. `stale`: the range in which the kernel's entry went
   * STALE, when that was random (a REACHABLE expiry): the kernel's first probe may then come from
   * any use after it, and carries the window. `inTimer`: DELAY entered from the REACHABLE timer's
   * handler (the wheel's clock one jiffy ahead).
   */
  private delay(dev: string, addr: number, stale?: readonly [number, number], inTimer = false): void {
    const t = this.table(dev);
    const host = this.host;
    const entered = host.env.now();
    const d = this.parm(dev, 'delay_first_probe_time');
    // Used before the latest time the kernel's entry may still have been REACHABLE: its DELAY may
    // begin from the first use after its own expiry, anywhere in `stale`.
    const n: Nud = {
      state: 'DELAY',
      probes: 0,
      window:
        stale && entered < stale[1]
          ? [Math.min(stale[0], entered) + d, Math.max(stale[1], entered) + d + wheelSlack(d)]
          : [entered + d, entered + d + wheelSlack(d)],
    };
    t.staleAt.delete(addr);
    t.nud.set(addr, n);
    t.updated.set(addr, entered);
    // neigh_add_timer(neigh, jiffies + DELAY_PROBE_TIME): delay_first_probe_time is kept in
    // jiffies (seconds × HZ).
    host.env.timer(kernelTimerAt(entered, Math.round(d * HZ), false, inTimer), () => {
      if (this.tables.get(dev) !== t || t.nud.get(addr) !== n) return;
      // Confirmed within delay_probe_time of the timer (by a TCP segment after forward progress,
      // sent or forwarded): REACHABLE. The kernel's timer fires TIMER_SLACK late on average (its
      // tick phase in a live run is not natbox's), so a confirmation in the same burst as the
      // first use falls outside the window: PROBE, whatever natbox's own rounding.
      if ((t.confirmed.get(addr) ?? -1) >= entered + TIMER_SLACK) return this.reachable(dev, t, addr);
      n.state = 'PROBE';
      t.updated.set(addr, host.env.now());
      this.probe(dev, addr, n);
    });
  }

  private probe(dev: string, addr: number, n: Nud): void {
    const t = this.tables.get(dev);
    const mac = t?.macs.get(addr);
    if (!t || !mac || t.nud.get(addr) !== n) return;
    const host = this.host;
    const ucast = this.parm(dev, 'ucast_solicit');
    if (n.probes >= ucast + this.parm(dev, 'mcast_resolicit')) {
      // NUD_FAILED: neigh_invalidate; nothing waits (PROBE sends with the old MAC).
      t.nud.delete(addr);
      t.macs.delete(addr);
      t.reachable.delete(addr);
      t.updated.set(addr, host.env.now());
      return;
    }
    const retrans = this.parm(dev, 'retrans_time_ms') / 1000;
    const d = host.ifaces.get(dev)!;
    const frame = arpRequestFrame(d.mac, host.sourceAddressFor(dev, addr), addr);
    // arp_solicit in NUD_PROBE: the first ucast_solicit to the MAC it has (dst_hw = neigh->ha),
    // then mcast_resolicit broadcast ones.
    if (n.probes < ucast) frame.set(mac, 0);
    // The k-th probe: k retrans_time timers after the first, each up to a level-1 bucket late.
    const at = host.env.now();
    const k = n.probes;
    setFrameWindow(
      frame,
      n.window[0] + k * retrans - at,
      n.window[1] + k * (retrans + wheelSlack(retrans)) - at,
    );
    n.probes++;
    host.devOutput(dev, frame);
    // neigh_timer_handler re-arms neigh->timer for max(retrans_time, HZ/100) jiffies from the
    // handler itself (the DELAY timer's for the first probe, then its own), before neigh_probe.
    const j = Math.max(toJiffies(retrans), HZ / 100);
    host.env.timer(kernelTimerAt(host.env.now(), j, false, true), () => this.probe(dev, addr, n));
  }

  /**
   * __ip_do_redirect: an accepted redirect whose new gateway is not NUD_VALID on `dev` only starts
   * its resolution (neigh_event_send with no packet: a broadcast request, the sender chosen by
   * inet_select_addr); the route exception waits for a later redirect.
   */
  eventSend(dev: string, addr: number): void {
    const t = this.table(dev);
    if (t.macs.has(addr) || t.pending.has(addr)) return;
    t.pending.set(addr, { ifname: dev, packets: [], tries: 0 });
    this.solicit(dev, addr);
  }

  /** neigh_confirm: a local socket saw its peer make progress through neighbour `addr`. */
  confirm(dev: string, addr: number): void {
    const t = this.tables.get(dev);
    if (t?.macs.has(addr)) t.confirmed.set(addr, this.host.env.now());
  }

  /** Runs `then` once `addr` is resolved on `ifname` (or gives up after the ARP retries). */
  resolve(ifname: string, addr: number, then: () => void): void {
    const t = this.table(ifname);
    if (t.macs.has(addr)) return then();
    const marker = new Uint8Array(0);
    const pend = t.pending.get(addr);
    this.onResolved.set(marker, then);
    if (pend) {
      pend.packets.push(marker);
      return;
    }
    t.pending.set(addr, { ifname, packets: [marker], tries: 0 });
    this.solicit(ifname, addr);
  }

  /** A request every retrans_time, mcast_solicit times; then FAILED: the waiting packets are dropped. */
  private solicit(ifname: string, addr: number): void {
    const host = this.host;
    const t = this.table(ifname);
    const pend = t.pending.get(addr);
    if (!pend) return;
    if (pend.tries >= this.parm(ifname, 'mcast_solicit')) {
      t.pending.delete(addr);
      if (pend.packets.length > 0 && host.countDrop(DropReason.NEIGH_FAILED))
        host.trace({
          kind: 'drop',
          host: host.name,
          ifname: pend.ifname,
          reason: DropReason.NEIGH_FAILED,
          addr,
          count: pend.tries,
        });
      for (const p of pend.packets) {
        this.onResolved.delete(p);
        hostQueued.delete(p.buffer);
        if (p.length > 0) host.neighbourFailed(p, heldCt.get(p));
      }
      return;
    }
    const first = pend.tries === 0;
    if (first) t.updated.set(addr, host.env.now()); // __neigh_event_send: NUD_INCOMPLETE
    pend.tries++;
    const dev = host.ifaces.get(pend.ifname)!;
    host.devOutput(dev.name, arpRequestFrame(dev.mac, this.solicitSource(dev, addr, pend.packets), addr));
    // The timer is this resolution's (neigh->timer): a later one of the same address, after this
    // one was answered or flushed (neigh_ifdown deletes the timer), is not hurried by it. It is a
    // timer_list (not pinned) armed for retrans_time jiffies (at least HZ/100): by
    // __neigh_event_send for the first request, then by neigh_timer_handler from the timer itself,
    // so it runs when the timer wheel runs it (timer-wheel.ts): a 1 s retrans_time fires 1.000 to
    // 1.032 s after the first request, then every 1.024 s (measured: +1.017, +1.024, +1.024 s to
    // NUD_FAILED; gen-1313-13: the ICMP host unreachable after a server's SYN-ACK sent again at
    // +3.016 s, not before it).
    const delay = Math.max(toJiffies(this.parm(ifname, 'retrans_time_ms') / 1000), HZ / 100);
    host.env.timer(kernelTimerAt(host.env.now(), Math.ceil(delay), false, !first), () => {
      if (this.tables.get(ifname)?.pending.get(addr) === pend) this.solicit(ifname, addr);
    });
  }

  /**
   * arp_solicit's sender address: arp_announce 0 takes the source of the newest waiting packet when
   * it is one of this host's addresses (any device); 1 only when that source is on the target's
   * subnet of this device; 2 (and the fallbacks) inet_select_addr: this device's address.
   */
  private solicitSource(dev: Iface, target: number, packets: readonly Uint8Array[]): number {
    const host = this.host;
    let newest: Uint8Array | undefined;
    for (let i = packets.length - 1; i >= 0 && !newest; i--) if (packets[i]!.length > 0) newest = packets[i];
    const announce = host.conf(dev.name, 'arp_announce');
    if (newest && announce <= 1) {
      const saddr = ipv4Src(newest, 0);
      if (host.isLocal(saddr)) {
        if (announce === 0) return saddr;
        // inet_addr_onlink: the target and the source on one subnet of this device.
        for (const a of dev.addrs) {
          const m = a.len === 0 ? 0 : (0xffffffff << (32 - a.len)) >>> 0;
          if (((a.addr ^ saddr) & m) === 0 && ((a.addr ^ target) & m) === 0) return saddr;
        }
      }
    }
    return host.sourceAddressFor(dev.name, target);
  }

  /**
   * arp_ignore (1: the target must be an address of the receiving device; 2: also on the sender's
   * subnet there; 8: never answer): true when the request is not answered.
   */
  private ignores(dev: Iface, sip: number, tip: number): boolean {
    const mode = this.host.conf(dev.name, 'arp_ignore');
    if (mode === 8) return true;
    if (mode !== 1 && mode !== 2) return false; // 0, 3 (no host-scope addresses here), 4-7
    for (const a of dev.addrs) {
      if (a.addr !== tip) continue;
      if (mode === 1 || sip === 0) return false;
      const m = a.len === 0 ? 0 : (0xffffffff << (32 - a.len)) >>> 0;
      if (((a.addr ^ sip) & m) === 0) return false;
    }
    return true;
  }

  /**
   * ip_route_input_noref(tip, sip, dev) as arp_process asks it: the route type of the target
   * ('local', 'unicast' out of another device, or undefined: no answer) after fib_validate_source
   * checked the sender (host.ts validateSource).
   */
  private routeInput(dev: Iface, sip: number, tip: number): 'local' | 'unicast' | undefined {
    const host = this.host;
    if (tip >>> 28 === 14 || tip >>> 24 === 127 || tip === 0xffffffff) return undefined;
    // ip_route_input_slow → fib_validate_source of the sender (rp_filter, accept_local, a sender
    // whose route back is not unicast); 127.0.0.0/8 left out (as ip4.ts's input).
    if (sip !== 0 && sip >>> 24 !== 127 && host.validateSource(sip, tip, dev.name, 0) !== 0) return undefined;
    if (host.isLocal(tip)) return 'local';
    return host.routeDev(tip) !== undefined ? 'unicast' : undefined;
  }

  /** arp_rcv → arp_process: answer requests for our addresses, learn, send what waited. */
  input(dev: Iface, frame: Uint8Array): void {
    const a = ETH_HEADER_LEN;
    if (frame.length < a + 28 || read16(frame, a) !== 1 || read16(frame, a + 2) !== ETHERTYPE_IPV4) return;
    const op = read16(frame, a + 6);
    const sha = frame.slice(a + 8, a + 14);
    const spa = read32(frame, a + 14);
    const tpa = read32(frame, a + 24);
    const host = this.host;
    let answer = false;
    let proxy = false;
    if (op === 1) {
      const rt = this.routeInput(dev, spa, tpa);
      if (rt === 'local') {
        answer = !this.ignores(dev, spa, tpa);
        // arp_filter: answer only when the route back to the sender leaves by this device.
        if (answer && host.conf(dev.name, 'arp_filter') !== 0) answer = host.routeDev(spa) === dev.name;
      } else if (rt === 'unicast' && host.forwarding() && host.conf(dev.name, 'proxy_arp') !== 0) {
        proxy = host.routeDev(tpa) !== dev.name; // arp_fwd_proxy
      }
    }
    // arp_process: a request answered learns its sender (neigh_event_ns); anything else, a reply
    // included (whatever its target), only updates an entry that exists, one being resolved too.
    const t = this.table(dev.name);
    const known = t.macs.has(spa) || t.pending.has(spa);
    // arp_process on an entry it has (a reply, a request it does not answer): "If several
    // different ARP replies follows back-to-back, use the FIRST one": a MAC other than the
    // entry's overrides only past locktime since the entry last changed (neigh->updated), or
    // from a gratuitous ARP (arp_is_garp: sender = target, a reply's target MAC its own, and
    // the address unicast here); else __neigh_update leaves a valid entry as it is. A request
    // it answers (neigh_event_ns) always overrides. Two hosts with one address on a segment
    // (an address conflict) both answer: the first reply wins, which on Linux is a race.
    const now = host.env.now();
    const old = spa !== 0 ? t.macs.get(spa) : undefined;
    const ignored =
      old !== undefined &&
      !answer &&
      !proxy &&
      !sameMac(old, sha) &&
      // time_after(jiffies, n->updated + LOCKTIME), in jiffies (locktime in USER_HZ).
      jiffiesAt(now) <=
        jiffiesAt(t.updated.get(spa) ?? -1) + Math.round((this.parm(dev.name, 'locktime') * HZ) / 100) &&
      !isGarp(frame, op, spa, tpa);
    if (spa !== 0 && (answer || proxy || known) && !ignored) {
      // neigh_update: a new MAC leaves the entry STALE; the same MAC keeps its state.
      if (old && !sameMac(old, sha)) {
        t.reachable.delete(spa);
        t.reachTimer.delete(spa);
        t.nud.delete(spa);
      }
      if (!old || !sameMac(old, sha)) t.updated.set(spa, now);
      t.macs.set(spa, sha);
    }
    // A reply to this host (PACKET_HOST) makes a neighbour it has REACHABLE (the answer to our own
    // request, or to a probe); a broadcast reply or a request leaves it STALE (arp_process).
    if (op === 2 && spa !== 0 && known && !ignored && sameMac(frame, dev.mac)) {
      t.confirmed.set(spa, host.env.now());
      this.reachable(dev.name, t, spa);
    }
    if (answer) {
      // The answer leaves at once: when the kernel's request came at a random time (a probe, its
      // timer's bucket), so does its answer, within the same window.
      const reply = arpReplyFrame(dev.mac, tpa, sha, spa);
      copyFrameWindow(frame, reply);
      host.devOutput(dev.name, reply);
    }
    if (proxy) {
      const reply = arpReplyFrame(dev.mac, tpa, sha, spa);
      copyFrameWindow(frame, reply);
      // arp_process: a request to this device's MAC (PACKET_HOST) or a proxy_delay of 0 is
      // answered at once; a broadcast one after a random part of proxy_delay (pneigh_enqueue).
      const delay = this.parm(dev.name, 'proxy_delay') / 100;
      if (delay === 0 || sameMac(frame, dev.mac)) host.devOutput(dev.name, reply);
      else {
        // The kernel's delay is random in [0, proxy_delay) (plus its timer's slack): the frame
        // carries that window around natbox's own draw.
        const r = host.random() * delay;
        setFrameWindow(reply, -r, delay - r + wheelSlack(delay));
        host.env.timer(host.env.now() + r, () => host.devOutput(dev.name, reply));
      }
    }
    const pend = t.pending.get(spa);
    if (pend && t.macs.has(spa)) {
      t.pending.delete(spa);
      t.used.set(spa, host.env.now()); // the queue goes out through neigh_resolve_output
      // ... which puts a STALE neighbour (a broadcast reply) in DELAY at its first packet.
      if (!t.reachable.has(spa) && !t.nud.has(spa) && pend.packets.some((p) => p.length > 0))
        this.delay(dev.name, spa);
      const mac = t.macs.get(spa)!;
      for (const p of pend.packets) {
        hostQueued.delete(p.buffer);
        const cb = this.onResolved.get(p);
        if (cb) {
          this.onResolved.delete(p);
          cb();
        } else {
          const frame = emitEthernet(mac, this.host.ifaces.get(pend.ifname)!.mac, ETHERTYPE_IPV4, p);
          if (pendingConfirm.has(p.buffer)) pendingConfirm.add(frame.buffer);
          this.host.devOutput(pend.ifname, frame);
        }
      }
    }
  }
}

/**
 * arp_is_garp: sender and target address the same, and for a reply the target MAC the sender's
 * (the address being unicast on the device: natbox has no other kind of sender here).
 */
function isGarp(frame: Uint8Array, op: number, spa: number, tpa: number): boolean {
  if (spa !== tpa) return false;
  if (op !== 2) return true;
  const a = ETH_HEADER_LEN;
  for (let i = 0; i < 6; i++) if (frame[a + 8 + i] !== frame[a + 18 + i]) return false;
  return true;
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
