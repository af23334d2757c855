// ARP and the neighbour table (net/ipv4/arp.c, net/core/neighbour.c): next hops resolved to MAC
// addresses, the packets that wait for a resolution, and the states that matter here:
// REACHABLE (an ARP reply answered our own request), STALE (learned from a request sent to us:
// usable, but not NUD_CONNECTED, which bridge netfilter looks at) and FAILED (no answer to
// ARP_RETRIES requests: the waiting packets are dropped, their sockets told, and a forwarded one's
// sender gets ICMP host unreachable). Which requests are answered follows arp_process: any local
// address (the weak host model), through arp_ignore, arp_filter and the reverse-path check
// (rp_filter) of the sender; proxy_arp answers for addresses routed out of another device. A
// request's sender address follows arp_announce.
import { ETHERTYPE_IPV4, ETH_HEADER_LEN, emitEthernet } from '../wire/ethernet.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { arpReplyFrame, arpRequestFrame } from '../wire/arp.ts';
import { ipv4Dst, ipv4Src } from '../wire/ipv4.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import type { Iface } from './iface.ts';
import type { Step } from './steps.ts';

/** neigh ucast/mcast_solicit: requests sent before the neighbour is FAILED. */
export const ARP_RETRIES = 3;

/** The per-device ARP settings (net.ipv4.conf.DEV.*), read as the kernel combines all and DEV. */
export type ArpConf = 'arp_ignore' | 'arp_announce' | 'arp_filter' | 'proxy_arp' | 'rp_filter' | 'arp_notify';

/** NEIGH_VAR(proxy_delay): a proxy_arp answer waits up to this long (random), as the kernel's. */
export const PROXY_DELAY = 0.8;

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
  neighbourFailed(ip: Uint8Array): void;
  /** A device's ARP setting as the kernel reads it (IN_DEV_MAXCONF / IN_DEV_ORCONF of all and DEV). */
  conf(dev: string, key: ArpConf): number;
  /** Is `addr` one of this host's addresses (any device)? */
  isLocal(addr: number): boolean;
  /** The device the route to `addr` leaves by, or undefined (no route). */
  routeDev(addr: number): string | undefined;
  /** net.ipv4.ip_forward (IN_DEV_FORWARD): proxy_arp answers only on a forwarding host. */
  forwarding(): boolean;
  /** A random number in [0, 1) from the host's seeded generator (proxy_arp's delay). */
  random(): number;
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
  /** neigh->confirmed: when a local socket last confirmed the neighbour (neigh_confirm). */
  readonly confirmed: Map<number, number>;
}

/** A neighbour in NUD_DELAY (waiting delay_first_probe_time) or NUD_PROBE (`probes` sent). */
interface Nud {
  state: 'DELAY' | 'PROBE';
  probes: number;
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

/** Marks a packet (or frame) as carrying dst_pending_confirm. */
export function markPendingConfirm(b: Uint8Array): void {
  pendingConfirm.add(b.buffer);
}

/** Does the packet (or frame) carry dst_pending_confirm? */
export function hasPendingConfirm(b: Uint8Array): boolean {
  return pendingConfirm.has(b.buffer);
}

/** NEIGH_VAR(delay_first_probe_time): a STALE neighbour used waits this long in DELAY. */
export const DELAY_FIRST_PROBE = 5;
/**
 * How late the kernel's DELAY timer fires, taken at the middle: a 5 s timer sits in the timer
 * wheel's level 3, whose expiry is rounded up to 512 jiffies (0 to 512 ms at HZ 1000). At the timer
 * the neighbour is REACHABLE when confirmed within delay_probe_time before it; a confirmation
 * right after the DELAY began (the rest of the handshake) is then too old. Linux 6.18, veth
 * namespaces (2026-12-02): a server whose connection progressed only in its first 10 ms probed its
 * gateway 5.17 s after; a router whose neighbour was confirmed 4 s into DELAY did not probe.
 */
export const TIMER_SLACK = 0.256;
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
        }),
      );
    return t;
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
    for (const p of t.pending.values()) for (const m of p.packets) this.onResolved.delete(m);
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
  output(r: { readonly via: number; readonly dev: string }, ip: Uint8Array): void {
    const nexthop = r.via || ipv4Dst(ip, 0);
    const t = this.table(r.dev);
    const mac = t.macs.get(nexthop);
    const confirm = pendingConfirm.has(ip.buffer);
    if (mac) {
      if (confirm) this.confirm(r.dev, nexthop);
      if (!t.reachable.has(nexthop) && !t.nud.has(nexthop)) this.delay(r.dev, nexthop);
      const frame = emitEthernet(mac, this.host.ifaces.get(r.dev)!.mac, ETHERTYPE_IPV4, ip);
      if (confirm) pendingConfirm.add(frame.buffer);
      return this.host.devOutput(r.dev, frame);
    }
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
   * it has, retrans_time (1 s) apart, and after ucast_solicit (3) unanswered ones it is FAILED and
   * forgotten (the next packet asks by broadcast). The kernel's timer wheel fires the 5 s timer up
   * to 512 ms late (HZ 1000, level 3); natbox fires it on time. A local TCP socket's segment sent
   * after an ACK that made progress confirms the neighbour (sk_dst_confirm, sock_confirm_neigh):
   * confirmed since DELAY began (after TIMER_SLACK), it is REACHABLE at the timer. Not modelled: REACHABLE → STALE
   * after base_reachable_time (15 to 45 s, random), so an entry confirmed once stays REACHABLE.
   */
  private delay(dev: string, addr: number): void {
    const t = this.table(dev);
    const n: Nud = { state: 'DELAY', probes: 0 };
    t.nud.set(addr, n);
    const host = this.host;
    const entered = host.env.now();
    host.env.timer(entered + DELAY_FIRST_PROBE, () => {
      if (this.tables.get(dev) !== t || t.nud.get(addr) !== n) return;
      // Confirmed within delay_probe_time of the timer (by a TCP segment after forward progress,
      // sent or forwarded): REACHABLE. The kernel's timer fires TIMER_SLACK late on average, so a
      // confirmation in the same burst as the first use falls outside the window: PROBE.
      if ((t.confirmed.get(addr) ?? -1) >= entered + TIMER_SLACK) {
        t.nud.delete(addr);
        t.reachable.add(addr);
        return;
      }
      n.state = 'PROBE';
      this.probe(dev, addr, n);
    });
  }

  private probe(dev: string, addr: number, n: Nud): void {
    const t = this.tables.get(dev);
    const mac = t?.macs.get(addr);
    if (!t || !mac || t.nud.get(addr) !== n) return;
    const host = this.host;
    if (n.probes >= ARP_RETRIES) {
      // NUD_FAILED: neigh_invalidate; nothing waits (PROBE sends with the old MAC).
      t.nud.delete(addr);
      t.macs.delete(addr);
      t.reachable.delete(addr);
      return;
    }
    n.probes++;
    const d = host.ifaces.get(dev)!;
    const frame = arpRequestFrame(d.mac, host.sourceAddressFor(dev, addr), addr);
    frame.set(mac, 0); // arp_solicit in NUD_PROBE: to the MAC it has (dst_hw = neigh->ha)
    host.devOutput(dev, frame);
    host.env.timer(host.env.now() + RETRANS_TIME, () => this.probe(dev, addr, n));
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

  /** A request a second, ARP_RETRIES times; then FAILED: the waiting packets are dropped. */
  private solicit(ifname: string, addr: number): void {
    const host = this.host;
    const t = this.table(ifname);
    const pend = t.pending.get(addr);
    if (!pend) return;
    if (pend.tries >= ARP_RETRIES) {
      t.pending.delete(addr);
      if (host.countDrop(DropReason.NEIGH_FAILED))
        host.trace({
          kind: 'drop',
          host: host.name,
          ifname: pend.ifname,
          reason: DropReason.NEIGH_FAILED,
          addr,
          count: ARP_RETRIES,
        });
      for (const p of pend.packets) {
        this.onResolved.delete(p);
        if (p.length > 0) host.neighbourFailed(p);
      }
      return;
    }
    pend.tries++;
    const dev = host.ifaces.get(pend.ifname)!;
    host.devOutput(dev.name, arpRequestFrame(dev.mac, this.solicitSource(dev, addr, pend.packets), addr));
    // The timer is this resolution's (neigh->timer): a later one of the same address, after this
    // one was answered or flushed (neigh_ifdown deletes the timer), is not hurried by it.
    host.env.timer(host.env.now() + 1, () => {
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
   * checked the sender against rp_filter (strict: the route back leaves by `dev`; loose: any route).
   */
  private routeInput(dev: Iface, sip: number, tip: number): 'local' | 'unicast' | undefined {
    const host = this.host;
    if (tip >>> 28 === 14 || tip >>> 24 === 127 || tip === 0xffffffff) return undefined;
    const rpf = host.conf(dev.name, 'rp_filter');
    if (rpf !== 0 && sip !== 0) {
      const back = host.routeDev(sip);
      if (back === undefined || (rpf === 1 && back !== dev.name)) return undefined;
    }
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
    if (spa !== 0 && (answer || proxy || known)) {
      // neigh_update: a new MAC (a gratuitous ARP from the address's new owner overrides at once,
      // arp_is_garp) leaves the entry STALE; the same MAC keeps its state.
      const old = t.macs.get(spa);
      if (old && !sameMac(old, sha)) {
        t.reachable.delete(spa);
        t.nud.delete(spa);
      }
      t.macs.set(spa, sha);
    }
    // A reply to this host (PACKET_HOST) confirms a neighbour in DELAY or PROBE: REACHABLE again.
    if (op === 2 && t.nud.has(spa) && sameMac(frame, dev.mac)) {
      t.nud.delete(spa);
      t.reachable.add(spa);
    }
    if (answer) host.devOutput(dev.name, arpReplyFrame(dev.mac, tpa, sha, spa));
    if (proxy) {
      // pneigh_enqueue: the answer after a random part of proxy_delay (the request was broadcast).
      const reply = arpReplyFrame(dev.mac, tpa, sha, spa);
      host.env.timer(host.env.now() + host.random() * PROXY_DELAY, () => host.devOutput(dev.name, reply));
    }
    if (op === 2 && t.pending.has(spa)) t.reachable.add(spa); // the answer to our own request
    const pend = t.pending.get(spa);
    if (pend && t.macs.has(spa)) {
      t.pending.delete(spa);
      const mac = t.macs.get(spa)!;
      for (const p of pend.packets) {
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

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
