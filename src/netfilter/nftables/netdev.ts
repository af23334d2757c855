// nftables' netdev family: base chains at a device's ingress (nf_ingress in
// __netif_receive_skb_core, net/core/dev.c: after the packet taps tcpdump reads and tc ingress,
// before the bridge's rx_handler and ip_rcv) and egress (nf_hook_egress in __dev_queue_xmit: before
// tc egress and the qdisc, so before the taps of dev_hard_start_xmit). A chain sees the whole
// Ethernet frame: `ether` fields, and the IPv4 fields when the frame carries a valid IPv4 header
// (nft_set_pktinfo_ipv4_validate; any other frame has no network or transport header for it, its
// `meta l4proto` is 0). What the family adds: `fwd to "dev"` (nft_fwd_netdev: the frame leaves by
// another device, NF_STOLEN), `fwd ip to ADDR device "dev"` (nft_fwd_neigh: TTL less one, sent to
// that neighbour), `dup to "dev"` (nft_dup_netdev: a copy leaves there), and `meta pkttype set`.
// The stack calls NetdevTables.run at each device (stack/netdev.ts) and sends what it asked for.
import type { NftRuleset } from '../../rules/nft/model.ts';
import { AF_INET } from '../../wire/addr.ts';
import {
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  PACKET_OUTGOING,
  Skb,
} from '../core/skb.ts';
import type { XtEnv } from '../core/skb.ts';
import { T_DROP } from '../core/table.ts';
import { RtTable, type NftProblemAt } from './compile.ts';
import { netdevPending as pending, type NetdevSend } from './netdev-ops.ts';
import { NftChainTable } from './table.ts';

/** NF_NETDEV_INGRESS, NF_NETDEV_EGRESS (enum nf_dev_hooks). */
export const NF_NETDEV_INGRESS = 0;
export const NF_NETDEV_EGRESS = 1;
const ETH_HLEN = 14;

/** The outcome of a device's chains for one frame. */
export const NETDEV_ACCEPT = 0;
export const NETDEV_DROP = 1;
/** `fwd` took the frame (NF_STOLEN): it leaves by what `NetdevTables.sends` holds. */
export const NETDEV_STOLEN = 2;

/** The hook numbers of a netdev chain's hook names. */
const NETDEV_HOOKS: Readonly<Record<string, number>> = {
  ingress: NF_NETDEV_INGRESS,
  egress: NF_NETDEV_EGRESS,
};

/** A netdev chain at one device: the table that runs it, its priority. */
interface DevChain {
  readonly table: NftChainTable;
  readonly priority: number;
}

/** The ruleset's netdev tables, compiled, with their chains by device and hook. */
export class NetdevTables {
  readonly problems: NftProblemAt[] = [];
  /** `${hook} ${dev}` → its chains in the order they run (priority, then the last registered first). */
  private readonly byDev = new Map<string, DevChain[]>();
  private readonly rts = new Map<string, RtTable>();
  /** The netdev tables' run-time state, for the listing after a run (listing.ts). */
  get rtTables(): readonly RtTable[] {
    return [...this.rts.values()];
  }
  private readonly skb = new Skb();
  /** What the last run asked to send, in order. */
  sends: readonly NetdevSend[] = [];
  /** `meta pkttype set` of the last run (-1: not set). */
  pktType = -1;

  constructor(rs: NftRuleset, prev?: NetdevTables) {
    for (const t of rs.tables) {
      if (t.family !== 'netdev') continue;
      const rt = new RtTable(t, undefined, prev?.rts.get(t.name));
      this.rts.set(t.name, rt);
      this.problems.push(...rt.problems);
      for (const c of t.chains) {
        const b = c.base;
        if (!b) continue;
        const hook = NETDEV_HOOKS[b.hook];
        if (hook === undefined) {
          this.problems.push({
            pos: c.pos,
            token: b.hook,
            message: `the ${b.hook} hook of netdev chain ${c.name} is not valid (ingress or egress)`,
            severity: 'error',
          });
          continue;
        }
        const devs = [...(b.device !== undefined ? [b.device] : []), ...(b.devices ?? [])];
        const table = new NftChainTable(rt, c);
        for (const d of devs) {
          const k = `${hook} ${d}`;
          const list = this.byDev.get(k) ?? [];
          // nf_hook_entries_grow: a new hook goes before the first of a priority not below its
          // own (of chains at one priority, the one registered last runs first).
          const at = list.findIndex((x) => x.priority >= b.priority);
          list.splice(at < 0 ? list.length : at, 0, { table, priority: b.priority });
          this.byDev.set(k, list);
        }
      }
    }
  }

  /** Whether `dev` has chains at `hook`. */
  hooked(hook: number, dev: string): boolean {
    return this.byDev.has(`${hook} ${dev}`);
  }

  /**
   * nf_hook_ingress / nf_hook_egress for `frame` (the chains may rewrite it in place: give a copy
   * the caller owns) at `dev`: NETDEV_ACCEPT, NETDEV_DROP or NETDEV_STOLEN; `sends` and `pktType`
   * then say what the chains asked for.
   */
  run(
    hook: number,
    dev: string,
    devMac: Uint8Array,
    frame: Uint8Array,
    now: number,
    env: XtEnv | undefined,
  ): number {
    const chains = this.byDev.get(`${hook} ${dev}`);
    pending.sends = [];
    pending.stolen = false;
    pending.pktType = -1;
    let out = NETDEV_ACCEPT;
    if (chains !== undefined) {
      const skb = this.load(hook, dev, devMac, frame, env);
      for (const c of chains) {
        const v = c.table.run(hook, skb, now, undefined);
        if (pending.stolen) {
          out = NETDEV_STOLEN;
          break;
        }
        if (v === T_DROP) {
          out = NETDEV_DROP;
          break;
        }
      }
    }
    this.sends = pending.sends;
    this.pktType = pending.pktType;
    return out;
  }

  /** The skb as nft_do_chain_netdev sees it: the network header after the Ethernet one. */
  private load(
    hook: number,
    dev: string,
    devMac: Uint8Array,
    frame: Uint8Array,
    env: XtEnv | undefined,
  ): Skb {
    const skb = this.skb;
    const inIf = hook === NF_NETDEV_INGRESS ? dev : '';
    const outIf = hook === NF_NETDEV_EGRESS ? dev : '';
    if (validIpv4(frame)) skb.load(frame, ETH_HLEN, inIf, outIf);
    else {
      // No IPv4 header for the chain (nft_set_pktinfo_unspec): every ip/transport load breaks.
      skb.load(IPV4_NONE, 0, inIf, outIf);
      skb.buf = frame;
      skb.off = ETH_HLEN;
      skb.len = 0;
      skb.l4off = ETH_HLEN;
      skb.proto = 0;
      skb.family = 0 as typeof AF_INET;
    }
    skb.env = env;
    skb.pktType = hook === NF_NETDEV_EGRESS ? PACKET_OUTGOING : pktTypeOf(frame, devMac);
    return skb;
  }
}

/** An IPv4 header of nothing, for Skb.load before a non-IPv4 frame's fields are set. */
const IPV4_NONE = new Uint8Array([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** nft_set_pktinfo_ipv4_validate: ethertype IPv4, version 4, ihl >= 5, lengths inside the frame. */
function validIpv4(f: Uint8Array): boolean {
  if (f.length < ETH_HLEN + 20 || f[12] !== 0x08 || f[13] !== 0x00) return false;
  const v = f[ETH_HLEN]!;
  const ihl = (v & 15) * 4;
  const tot = (f[ETH_HLEN + 2]! << 8) | f[ETH_HLEN + 3]!;
  return v >> 4 === 4 && ihl >= 20 && tot >= ihl && ETH_HLEN + tot <= f.length;
}

/** eth_type_trans's pkt_type: broadcast, multicast, the device's own MAC, or another host's. */
function pktTypeOf(f: Uint8Array, mac: Uint8Array): number {
  if (f[0]! & 1) {
    for (let i = 0; i < 6; i++) if (f[i] !== 0xff) return PACKET_MULTICAST;
    return PACKET_BROADCAST;
  }
  for (let i = 0; i < 6; i++) if (f[i] !== mac[i]) return PACKET_OTHERHOST;
  return PACKET_HOST;
}

export type { NetdevSend };
