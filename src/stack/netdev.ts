// A host's nftables netdev chains at its devices (netfilter/nftables/netdev.ts runs them): ingress
// where a frame comes in from the wire (nf_ingress in __netif_receive_skb_core: after the packet
// taps, so tcpdump and the trace's `in` packet see the frame as it arrived, and before the bridge's
// rx_handler and ip_rcv), egress where a frame is queued to a device (nf_hook_egress in
// __dev_queue_xmit: before the taps of dev_hard_start_xmit, so the `out` packet is the frame as the
// chains left it). The frames `fwd` and `dup` ask for leave through dev_queue_xmit (their device's
// egress chains included), `fwd ip to ... device` through the neighbour (neigh_xmit); a chain of
// such sends deeper than XMIT_RECURSION_LIMIT is dropped as dev_xmit_recursion drops it.
import {
  NETDEV_DROP,
  NETDEV_STOLEN,
  NF_NETDEV_EGRESS,
  NF_NETDEV_INGRESS,
  NetdevTables,
  type NetdevSend,
} from '../netfilter/nftables/netdev.ts';
import { DropReason } from '../netfilter/core/drop.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import type { Iface } from './iface.ts';
import type { Step } from './steps.ts';

/** XMIT_RECURSION_LIMIT (include/linux/netdevice.h). */
const XMIT_RECURSION_LIMIT = 8;
/** DROP_TABLES' 'nft' (what Skb.dropTable says for an nft table). */
const DROP_TABLE_NFT = 6;

/** What the netdev hooks need of their host. */
export interface NetdevHost {
  readonly name: string;
  readonly tracing: boolean;
  readonly env: { now(): number };
  readonly ifaces: ReadonlyMap<string, Iface>;
  readonly neigh: { output(r: { readonly via: number; readonly dev: string }, ip: Uint8Array): void };
  /** dev_queue_xmit on `ifname` (its egress chains run there). */
  devQueueXmit(ifname: string, frame: Uint8Array): void;
  countDrop(r: DropReason): boolean;
  trace(s: Step): void;
}

/** The netdev chains of a host, or undefined when its ruleset has none. */
export class HostNetdev {
  private depth = 0;
  /** Set by ingress(): `meta pkttype set` asked for PACKET_HOST (ip_rcv then takes the frame). */
  pktHost = false;

  private constructor(
    private readonly host: NetdevHost,
    readonly tables: NetdevTables,
  ) {}

  /** The netdev chains of `rs` for `host` (state carried over from `prev`), or undefined. */
  static of(
    host: NetdevHost,
    rs: NftRuleset | undefined,
    prev: HostNetdev | undefined,
  ): HostNetdev | undefined {
    if (!rs?.tables.some((t) => t.family === 'netdev')) return undefined;
    return new HostNetdev(host, new NetdevTables(rs, prev?.tables));
  }

  /**
   * The ingress chains of `dev` for a frame from the wire: the frame to go on with (a copy when
   * the device has chains: they may rewrite it), or undefined when they dropped or took it.
   */
  ingress(dev: Iface, frame: Uint8Array): Uint8Array | undefined {
    this.pktHost = false;
    if (!this.tables.hooked(NF_NETDEV_INGRESS, dev.name)) return frame;
    const own = frame.slice();
    const v = this.tables.run(NF_NETDEV_INGRESS, dev.name, dev.mac, own, this.host.env.now(), undefined);
    this.pktHost = this.tables.pktType === 0;
    return this.after(v, dev.name, own);
  }

  /** The egress chains of `ifname` for a frame queued to it: the frame to send, or undefined. */
  egress(ifname: string, frame: Uint8Array): Uint8Array | undefined {
    if (!this.tables.hooked(NF_NETDEV_EGRESS, ifname)) return frame;
    const dev = this.host.ifaces.get(ifname);
    if (!dev) return frame;
    const own = frame.slice();
    const v = this.tables.run(NF_NETDEV_EGRESS, ifname, dev.mac, own, this.host.env.now(), undefined);
    return this.after(v, ifname, own);
  }

  private after(v: number, ifname: string, frame: Uint8Array): Uint8Array | undefined {
    const sends = this.tables.sends;
    if (sends.length > 0) this.send(sends);
    if (v === NETDEV_DROP) {
      if (this.host.countDrop(DropReason.NETFILTER_DROP))
        this.host.trace({
          kind: 'drop',
          host: this.host.name,
          ifname,
          reason: DropReason.NETFILTER_DROP,
          table: DROP_TABLE_NFT,
        });
      return undefined;
    }
    return v === NETDEV_STOLEN ? undefined : frame;
  }

  /** dev_queue_xmit / neigh_xmit of what fwd and dup asked for, in order. */
  private send(sends: readonly NetdevSend[]): void {
    if (this.depth >= XMIT_RECURSION_LIMIT) return; // dev_xmit_recursion: kfree_skb
    this.depth++;
    try {
      for (const s of sends) {
        if (!this.host.ifaces.has(s.dev)) continue; // dev_get_by_index_rcu found none
        if (s.via === 0) this.host.devQueueXmit(s.dev, s.data);
        else this.host.neigh.output({ via: s.via, dev: s.dev }, s.data.slice());
      }
    } finally {
      this.depth--;
    }
  }
}
