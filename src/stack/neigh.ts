// ARP and the neighbour table (net/ipv4/arp.c, net/core/neighbour.c): next hops resolved to MAC
// addresses, the packets that wait for a resolution, and the states that matter here:
// REACHABLE (an ARP reply answered our own request), STALE (learned from a request sent to us:
// usable, but not NUD_CONNECTED, which bridge netfilter looks at) and FAILED (no answer to
// ARP_RETRIES requests: the waiting packets are dropped and their sockets told).
import { ETHERTYPE_IPV4, ETH_HEADER_LEN, emitEthernet } from '../wire/ethernet.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { arpReplyFrame, arpRequestFrame } from '../wire/arp.ts';
import { ipv4Dst } from '../wire/ipv4.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import type { Iface } from './iface.ts';
import type { Step } from './steps.ts';

/** neigh ucast/mcast_solicit: requests sent before the neighbour is FAILED. */
export const ARP_RETRIES = 3;

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
  /** ARP gave up on the next hop of a packet (a locally sent one: its socket hears it). */
  neighbourFailed(ip: Uint8Array): void;
}

interface Pending {
  ifname: string;
  /** IPv4 packets waiting for the address; an empty array marks a `resolve` callback. */
  packets: Uint8Array[];
  tries: number;
}

export class Neighbours {
  /** The resolved neighbours (REACHABLE or STALE): address → MAC. */
  private readonly macs = new Map<number, Uint8Array>();
  /** Neighbours in NUD_REACHABLE; the others in `macs` are STALE. */
  private readonly reachable = new Set<number>();
  /** Addresses being resolved (NUD_INCOMPLETE), with what waits for them. */
  private readonly pending = new Map<number, Pending>();
  private readonly onResolved = new Map<Uint8Array, () => void>();

  constructor(private readonly host: NeighHost) {}

  /** The MAC of a resolved neighbour. */
  get(addr: number): Uint8Array | undefined {
    return this.macs.get(addr);
  }

  /** NUD_REACHABLE (NUD_CONNECTED): an ARP reply answered our own request. */
  isReachable(addr: number): boolean {
    return this.reachable.has(addr);
  }

  /** ip_finish_output2: resolve the next hop's MAC (ARP), then put the frame on the device. */
  output(r: { readonly via: number; readonly dev: string }, ip: Uint8Array): void {
    const nexthop = r.via || ipv4Dst(ip, 0);
    const mac = this.macs.get(nexthop);
    if (mac)
      return this.host.devOutput(
        r.dev,
        emitEthernet(mac, this.host.ifaces.get(r.dev)!.mac, ETHERTYPE_IPV4, ip),
      );
    const pend = this.pending.get(nexthop);
    if (pend) {
      pend.packets.push(ip);
      return;
    }
    this.pending.set(nexthop, { ifname: r.dev, packets: [ip], tries: 0 });
    this.solicit(nexthop);
  }

  /** Runs `then` once `addr` is resolved on `ifname` (or gives up after the ARP retries). */
  resolve(ifname: string, addr: number, then: () => void): void {
    if (this.macs.has(addr)) return then();
    const marker = new Uint8Array(0);
    const pend = this.pending.get(addr);
    this.onResolved.set(marker, then);
    if (pend) {
      pend.packets.push(marker);
      return;
    }
    this.pending.set(addr, { ifname, packets: [marker], tries: 0 });
    this.solicit(addr);
  }

  /** A request a second, ARP_RETRIES times; then FAILED: the waiting packets are dropped. */
  private solicit(addr: number): void {
    const host = this.host;
    const pend = this.pending.get(addr);
    if (!pend) return;
    if (pend.tries >= ARP_RETRIES) {
      this.pending.delete(addr);
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
    const src = host.sourceAddressFor(dev.name, addr);
    host.devOutput(dev.name, arpRequestFrame(dev.mac, src, addr));
    host.env.timer(host.env.now() + 1, () => this.solicit(addr));
  }

  /** arp_rcv → arp_process: answer requests for our addresses, learn, send what waited. */
  input(dev: Iface, frame: Uint8Array): void {
    const a = ETH_HEADER_LEN;
    if (frame.length < a + 28 || read16(frame, a) !== 1 || read16(frame, a + 2) !== ETHERTYPE_IPV4) return;
    const op = read16(frame, a + 6);
    const sha = frame.slice(a + 8, a + 14);
    const spa = read32(frame, a + 14);
    const tpa = read32(frame, a + 24);
    const forUs = this.host.ifaces.get(dev.name)!.addrs.some((x) => x.addr === tpa);
    // arp_process: learn the sender when the request is for us, or refresh a known entry.
    if (forUs || this.macs.has(spa)) this.macs.set(spa, sha);
    if (op === 1 && forUs) {
      this.host.devOutput(dev.name, arpReplyFrame(dev.mac, tpa, sha, spa));
    }
    if (op === 2 && forUs) {
      this.macs.set(spa, sha);
      if (this.pending.has(spa)) this.reachable.add(spa); // the answer to our own request
    }
    const pend = this.pending.get(spa);
    if (pend && this.macs.has(spa)) {
      this.pending.delete(spa);
      const mac = this.macs.get(spa)!;
      for (const p of pend.packets) {
        const cb = this.onResolved.get(p);
        if (cb) {
          this.onResolved.delete(p);
          cb();
        } else {
          this.host.devOutput(
            pend.ifname,
            emitEthernet(mac, this.host.ifaces.get(pend.ifname)!.mac, ETHERTYPE_IPV4, p),
          );
        }
      }
    }
  }
}
