// nftables flowtables: the kernel's software fast path (net/netfilter/nf_flow_table_core.c,
// nf_flow_table_ip.c, nft_flow_offload.c; Linux 6.x, function names cited as the lines move).
//
// `flow add @ft` (nft_flow_offload_eval) in a forward chain puts an established connection into
// the flowtable; from then on a TCP or UDP packet of either direction that comes in on one of the
// flowtable's devices is forwarded at that device's ingress (nf_flow_offload_ip_hook): NAT from the
// conntrack entry, TTL decremented, out through the neighbour, and no prerouting, forward or
// postrouting hook sees it (so no filter rule, no counter there, no conntrack update). A TCP FIN or
// RST (nf_flow_state_check), a packet too big for the out device's MTU, IP options, a fragment or
// a TTL of 1 go the classic way. A flow idle for nf_flowtable_{tcp,udp}_timeout (30 s) is torn
// down by the flowtable's gc, which runs once a second (nf_flow_offload_work_gc).
//
// The flow's tuples are the conntrack entry's (flow_offload_fill_dir), so a flow is found through
// the conntrack hash and kept by entry: the kernel's rhashtable holds the same keys. State lives
// with the conntrack table (flowStateOf), so it survives an engine replaced by an event, as the
// conntrack entries do. One object per offloaded connection, none per packet.
import {
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DST_NAT,
  IPS_OFFLOAD,
  IPS_SEQ_ADJUST,
  IPS_SRC_NAT,
  NO_ENTRY,
  type ConntrackTable,
} from '../conntrack/table.ts';
import { TCP_CONNTRACK_ESTABLISHED } from '../conntrack/proto-tcp.ts';
import { tcpClearMaxwin, tcpSetLiberal } from '../conntrack/tcp-window.ts';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../conntrack/timeouts.ts';
import { setAddr, setL4Port } from '../nat/nat-hook.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { TCP_FIN, TCP_RST } from '../../wire/tcp.ts';
import type { NftRuleset } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';

/** NF_FLOW_TIMEOUT: nf_flowtable_tcp_timeout and nf_flowtable_udp_timeout's default, seconds. */
export const NF_FLOW_TIMEOUT = 30;
/** NF_CT_DAY: an offloaded entry's conntrack timeout (nf_ct_offload_timeout), seconds. */
export const NF_CT_DAY = 86400;
/** IPS_NAT_CLASH (a clash resolved by NAT): such an entry is not offloaded. */
const IPS_NAT_CLASH = 1 << 12;

/** A flowtable of the ruleset: `flowtable NAME { hook ingress priority P; devices = {...}; }`. */
export interface FlowtableDef {
  /** `FAMILY TABLE NAME`, the key a `flow add @NAME` of that table names. */
  readonly key: string;
  readonly name: string;
  readonly devices: ReadonlySet<string>;
  readonly priority: number;
  /** `counter`: NF_FLOWTABLE_COUNTER, offloaded packets counted in the conntrack entry. */
  readonly counter: boolean;
}

/** The flowtables an nft ruleset declares, in ip, ip6 and inet tables (the families that offload). */
export function flowtableDefs(rs: NftRuleset | undefined): FlowtableDef[] {
  const out: FlowtableDef[] = [];
  for (const t of rs?.tables ?? [])
    for (const f of t.flowtables)
      out.push({
        key: `${t.family} ${t.name} ${f.name}`,
        name: f.name,
        devices: new Set(f.devices),
        priority: f.priority,
        counter: f.counter === true,
      });
  return out;
}

/** What the flowtable asks of its host: device MTUs and the gateway of a route (flow_offload_route). */
export interface FlowHost {
  /** The device's MTU (ip_dst_mtu_maybe_forward of a route through it: the device's). */
  mtu(dev: string): number;
  /** The gateway of the route to `dst` through `dev` (0: on link), as nf_route with that oif finds it. */
  gateway(dst: number, dev: string): number;
}

/** One offloaded connection (struct flow_offload): both directions' ingress and egress. */
interface Flow {
  readonly e: number;
  /** The conntrack entry's id when offloaded (an entry slot reused is another connection). */
  readonly id: number;
  readonly ft: FlowtableDef;
  /** Per direction (0 original, 1 reply): the device its packets come in by (tuple.iifidx). */
  readonly iif: [string, string];
  /** Per direction: the device its packets leave by, the gateway, the MTU (tuple.dst_cache, mtu). */
  readonly oif: [string, string];
  readonly gw: [number, number];
  readonly mtu: [number, number];
  readonly snat: boolean;
  readonly dnat: boolean;
  /** flow->timeout, seconds on the caller's clock. */
  timeout: number;
  /** NF_FLOW_TEARDOWN: when it was torn down (-1: it was not); the next gc deletes it. */
  teardownAt: number;
}

/** The flowtables of one host and their flows (nf_flowtable), kept with its conntrack table. */
export class FlowState {
  private readonly defs = new Map<string, FlowtableDef>();
  /** Devices some flowtable hooks (nf_flow_offload_ip_hook registered at their ingress). */
  readonly devices = new Set<string>();
  private readonly flows = new Map<number, Flow>();
  /** nf_flowtable_tcp_timeout, nf_flowtable_udp_timeout (seconds). */
  private tcpTimeout = NF_FLOW_TIMEOUT;
  private udpTimeout = NF_FLOW_TIMEOUT;
  private timeouts: Readonly<Timeouts> = DEFAULT_TIMEOUTS;
  /** The gc's first run is a second after the flowtable is made, then once a second. */
  private gcBase = 0;
  /** The last gc run advance() reached (runs are whole seconds after gcBase). */
  private lastRun = -1;
  private host: FlowHost | undefined;
  /** Packets forwarded at ingress (for tests and the bench). */
  offloadedPackets = 0;

  constructor(readonly ct: ConntrackTable) {}

  /**
   * The ruleset's flowtables (a replaced ruleset: flows of a flowtable that went are torn down
   * and deleted, nf_flow_table_free), the sysctls (names without `net.netfilter.`), the timeouts
   * of the conntrack entries (flow_offload_fixup_ct) and the host.
   */
  configure(
    defs: readonly FlowtableDef[],
    sysctls: ReadonlyMap<string, number> | undefined,
    timeouts: Readonly<Timeouts>,
    host: FlowHost,
    now: number,
  ): void {
    if (this.defs.size === 0) {
      this.gcBase = now;
      this.lastRun = -1;
    }
    this.defs.clear();
    this.devices.clear();
    for (const d of defs) {
      this.defs.set(d.key, d);
      for (const dev of d.devices) this.devices.add(dev);
    }
    this.tcpTimeout = sysctls?.get('nf_flowtable_tcp_timeout') ?? NF_FLOW_TIMEOUT;
    this.udpTimeout = sysctls?.get('nf_flowtable_udp_timeout') ?? NF_FLOW_TIMEOUT;
    this.timeouts = timeouts;
    this.host = host;
    for (const f of [...this.flows.values()]) {
      const d = this.defs.get(f.ft.key);
      if (d && sameDevices(d.devices, f.ft.devices)) continue;
      this.teardown(f, now);
      this.flows.delete(f.e);
    }
  }

  /** The flowtable `key` exists (a `flow add` of a table without it is refused when loaded). */
  has(key: string): boolean {
    return this.defs.has(key);
  }

  /** How many flows the flowtables hold (torn down ones until the gc deletes them included). */
  get size(): number {
    return this.flows.size;
  }

  /** Whether conntrack entry `e` is in a flowtable and not torn down. */
  isOffloaded(e: number, now: number): boolean {
    this.advance(now);
    const f = this.flows.get(e);
    return f !== undefined && f.teardownAt < 0;
  }

  /** flow_offload_get_timeout: nf_flowtable_tcp_timeout or nf_flowtable_udp_timeout. */
  private flowTimeout(proto: number): number {
    return proto === IPPROTO_TCP
      ? this.tcpTimeout
      : proto === IPPROTO_UDP
        ? this.udpTimeout
        : NF_FLOW_TIMEOUT;
  }

  /**
   * nft_flow_offload_eval for `skb` in a forward chain, with the flowtable `key`: true when the
   * connection was offloaded (the rule goes on), false for NFT_BREAK (the rest of the rule does not
   * run): no entry, not TCP or UDP, a TCP FIN or RST or a connection not established and assured
   * (nf_conntrack_tcp_established), a helper, seqadj or a NAT clash, not confirmed yet (a
   * connection's first packet), already offloaded (IPS_OFFLOAD), IP options, or its flow still in
   * the table torn down (rhashtable_insert_fast: -EEXIST until the gc deletes it).
   */
  offload(skb: Skb, key: string, now: number): boolean {
    const ft = this.defs.get(key);
    const host = this.host;
    if (ft === undefined || host === undefined) return false;
    const b = skb.buf;
    const o = skb.off;
    if ((b[o]! & 0x0f) !== 5) return false; // nft_flow_offload_skip: IP options
    const e = skb.ct;
    if (e < 0) return false;
    const ct = this.ct;
    const proto = ct.protoOf(e);
    if (proto === IPPROTO_TCP) {
      if (skb.proto !== IPPROTO_TCP || (skb.tcpFlags & (TCP_FIN | TCP_RST)) !== 0) return false;
      if (ct.tcpState(e) !== TCP_CONNTRACK_ESTABLISHED || !(ct.statusOf(e) & IPS_ASSURED)) return false;
    } else if (proto !== IPPROTO_UDP) return false;
    const status = ct.statusOf(e);
    if ((ct.helperExt?.helperName(e) ?? '') !== '' || status & (IPS_SEQ_ADJUST | IPS_NAT_CLASH)) return false;
    if (!(status & IPS_CONFIRMED)) return false;
    if (status & IPS_OFFLOAD) return false; // test_and_set_bit(IPS_OFFLOAD_BIT)
    this.advance(now);
    if (this.flows.has(e)) return false; // flow_offload_add: the torn-down flow's tuples are still hashed
    // nft_flow_route: this packet's route serves its direction; the route back to its sender
    // (flowi4_oif = the device it came in by) serves the other one.
    const dir = skb.ctDir;
    const inIf = skb.inIf;
    const outIf = skb.outIf;
    const back = ct.src(e, dir);
    const iif: [string, string] = dir === 0 ? [inIf, outIf] : [outIf, inIf];
    const oif: [string, string] = dir === 0 ? [outIf, inIf] : [inIf, outIf];
    const gwThis = host.gateway(ct.src(e, dir ^ 1), outIf);
    const gwBack = host.gateway(back, inIf);
    const gw: [number, number] = dir === 0 ? [gwThis, gwBack] : [gwBack, gwThis];
    const mtu: [number, number] = [host.mtu(oif[0]), host.mtu(oif[1])];
    const f: Flow = {
      e,
      id: ct.id[e]!,
      ft,
      iif,
      oif,
      gw,
      mtu,
      snat: (status & IPS_SRC_NAT) !== 0,
      dnat: (status & IPS_DST_NAT) !== 0,
      timeout: now + this.flowTimeout(proto),
      teardownAt: -1,
    };
    ct.orStatus(e, IPS_OFFLOAD);
    if (proto === IPPROTO_TCP) tcpSetLiberal(ct, e);
    this.flows.set(e, f);
    offloadTimeout(ct, e, now);
    return true;
  }

  /**
   * nf_flow_offload_ip_hook's decision for an IPv4 packet `b[o..]` that came in by `dev`: the
   * packet's (entry << 1 | direction) when the flowtable forwards it, else NO_ENTRY (the classic
   * path takes it). A TCP FIN or RST tears its flow down (flow_offload_teardown) and goes the
   * classic way; a forwarded packet refreshes its flow's timeout (flow_offload_refresh).
   */
  lookup(dev: string, b: Uint8Array, o: number, len: number, now: number): number {
    if (!this.devices.has(dev) || len < 20) return NO_ENTRY;
    // nf_flow_tuple_ip: no options, no fragment, TCP or UDP, TTL above 1, the ports there.
    if (b[o] !== 0x45 || (b[o + 6]! & 0x3f) !== 0 || b[o + 7] !== 0) return NO_ENTRY;
    const proto = b[o + 9]!;
    const total = (b[o + 2]! << 8) | b[o + 3]!;
    if (total > len || total < 20 + (proto === IPPROTO_TCP ? 20 : 8)) return NO_ENTRY;
    if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || b[o + 8]! <= 1) return NO_ENTRY;
    this.advance(now);
    if (this.flows.size === 0) return NO_ENTRY;
    const src = ((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0;
    const dst = ((b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!) >>> 0;
    const sport = (b[o + 20]! << 8) | b[o + 21]!;
    const dport = (b[o + 22]! << 8) | b[o + 23]!;
    const ed = this.ct.lookup(src, dst, proto, sport, dport, now);
    if (ed < 0) return NO_ENTRY;
    const e = ed >>> 1;
    const dir = ed & 1;
    const f = this.flows.get(e);
    // flow_offload_lookup: the tuple with its iifidx, a flow not torn down, its entry not dying.
    if (
      f === undefined ||
      f.teardownAt >= 0 ||
      f.id !== this.ct.id[e] ||
      f.iif[dir] !== dev ||
      !f.ft.devices.has(dev)
    )
      return NO_ENTRY;
    if (total > f.mtu[dir]!) return NO_ENTRY; // nf_flow_exceeds_mtu
    if (proto === IPPROTO_TCP && (b[o + 33]! & (TCP_FIN | TCP_RST)) !== 0) {
      this.teardown(f, now); // nf_flow_state_check
      return NO_ENTRY;
    }
    // flow_offload_refresh: a new timeout only when it moves by more than a second (HZ).
    const t = now + this.flowTimeout(proto);
    if (t - f.timeout > 1) f.timeout = t;
    return ed;
  }

  /**
   * What nf_flow_offload_ip_hook does to the packet the lookup gave `ed` for: NAT from the
   * conntrack tuples (nf_flow_nat_ip: source, then destination, each port then address, with the
   * checksums), the TTL decremented (ip_decrease_ttl) and, with `counter`, the entry's counters
   * (nf_ct_acct_update). Returns the device and gateway it leaves by, in `out`.
   */
  forward(b: Uint8Array, o: number, ed: number, out: { dev: string; via: number }): void {
    const ct = this.ct;
    const e = ed >>> 1;
    const dir = ed & 1;
    const f = this.flows.get(e)!;
    const proto = b[o + 9]!;
    const l4 = o + 20;
    const other = dir ^ 1;
    // SNAT rewrites the original direction's source and the reply's destination, DNAT the other
    // two (nf_flow_snat_port/ip, nf_flow_dnat_port/ip).
    if (f.snat) rewrite(ct, b, o, l4, proto, e, other, dir === 0);
    if (f.dnat) rewrite(ct, b, o, l4, proto, e, other, dir !== 0);
    // ip_decrease_ttl: RFC 1141's incremental checksum (checksum + 0x0100, end-around carry).
    b[o + 8] = (b[o + 8]! - 1) & 0xff;
    const c = ((b[o + 10]! << 8) | b[o + 11]!) + 0x0100;
    const s = (c & 0xffff) + (c >>> 16);
    b[o + 10] = s >>> 8;
    b[o + 11] = s & 0xff;
    if (f.ft.counter && ct.acct !== undefined) ct.account(e, dir, (b[o + 2]! << 8) | b[o + 3]!);
    out.dev = f.oif[dir]!;
    out.via = f.gw[dir]!;
    this.offloadedPackets++;
  }

  /** The flowtable name of entry `e`'s flow, for the trace ('' when none). */
  flowtableOf(e: number): string {
    return this.flows.get(e)?.ft.name ?? '';
  }

  /**
   * flow_offload_teardown: IPS_OFFLOAD cleared, NF_FLOW_TEARDOWN set, and the conntrack entry
   * given back its state's timeout less the flow timeout when it has more left
   * (flow_offload_fixup_ct; TCP also forgets both td_maxwin, flow_offload_fixup_tcp).
   */
  private teardown(f: Flow, at: number): void {
    if (f.teardownAt >= 0) return;
    f.teardownAt = at;
    const ct = this.ct;
    const e = f.e;
    if (!alive(ct, f, at)) return;
    ct.setStatus(e, ct.statusOf(e) & ~IPS_OFFLOAD);
    const proto = ct.protoOf(e);
    let timeout: number;
    if (proto === IPPROTO_TCP) {
      tcpClearMaxwin(ct, e);
      timeout = this.tcpStateTimeout(ct.tcpState(e)) - this.tcpTimeout;
    } else if (proto === IPPROTO_UDP) {
      timeout = this.timeouts.nf_conntrack_udp_timeout_stream - this.udpTimeout;
    } else return;
    if (timeout < 0) timeout = 0;
    if (ct.expiresAt(e) - at > timeout) ct.setExpiresAt(e, at + timeout);
  }

  /** tn->timeouts[state] (nf_conntrack_proto_tcp.c tcp_timeouts). */
  private tcpStateTimeout(state: number): number {
    const t = this.timeouts;
    const byState = [
      t.nf_conntrack_tcp_timeout_close,
      t.nf_conntrack_tcp_timeout_syn_sent,
      t.nf_conntrack_tcp_timeout_syn_recv,
      t.nf_conntrack_tcp_timeout_established,
      t.nf_conntrack_tcp_timeout_fin_wait,
      t.nf_conntrack_tcp_timeout_close_wait,
      t.nf_conntrack_tcp_timeout_last_ack,
      t.nf_conntrack_tcp_timeout_time_wait,
      t.nf_conntrack_tcp_timeout_close,
      t.nf_conntrack_tcp_timeout_syn_sent,
    ];
    return byState[state] ?? t.nf_conntrack_tcp_timeout_close;
  }

  /**
   * The gc runs up to `now` (nf_flow_offload_work_gc, once a second from the flowtable's making):
   * a flow whose timeout has passed, or whose entry is dying, is torn down at the first run that
   * sees it (nf_flow_offload_gc_step) and deleted at the next; one torn down by a FIN or RST is
   * deleted at the first run after. Meanwhile conntrack's gc keeps an offloaded entry a day from
   * expiring (gc_worker's nf_ct_offload_timeout).
   */
  private advance(now: number): void {
    if (this.flows.size === 0) return;
    const base = this.gcBase;
    // Nothing changes between two gc runs: the work is done once per run reached.
    const run = Math.floor(now - base + 1e-9);
    if (run === this.lastRun) return;
    this.lastRun = run;
    for (const f of this.flows.values()) {
      if (f.teardownAt < 0) {
        // The first gc run at or after the timeout (nf_flow_has_expired: timeout - now <= 0).
        const g = base + Math.max(1, Math.ceil(f.timeout - base - 1e-9));
        if (!alive(this.ct, f, Math.min(g, now))) {
          if (run > 0) this.teardown(f, base + run);
        } else if (g <= now) this.teardown(f, g);
        else offloadTimeout(this.ct, f.e, now);
      }
      if (f.teardownAt >= 0 && base + Math.floor(f.teardownAt - base + 1e-9) + 1 <= now)
        this.flows.delete(f.e);
    }
  }
}

/**
 * The packet's source (`source`: address at 12, port at 0) or destination (16, 2) becomes the
 * other direction's tuple's destination or source, checksums fixed as nf_nat does.
 */
function rewrite(
  ct: ConntrackTable,
  b: Uint8Array,
  o: number,
  l4: number,
  proto: number,
  e: number,
  other: number,
  source: boolean,
): void {
  setL4Port(b, l4, proto, source ? 0 : 2, source ? ct.dport(e, other) : ct.sport(e, other));
  const a = source ? ct.dst(e, other) : ct.src(e, other);
  setAddr(b, o, l4, proto, source ? 12 : 16, a >>> 16, a & 0xffff);
}

const sameDevices = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((d) => b.has(d));

/** The flow's conntrack entry is still the one offloaded, confirmed and not expired at `at`. */
function alive(ct: ConntrackTable, f: Flow, at: number): boolean {
  const e = f.e;
  return ct.isUsed(e) && ct.id[e] === f.id && ct.isConfirmed(e) && ct.expiresAt(e) > at;
}

/** nf_ct_offload_timeout: an entry with less than half a day left gets a day. */
function offloadTimeout(ct: ConntrackTable, e: number, now: number): void {
  if (ct.expiresAt(e) - now < NF_CT_DAY / 2) ct.setExpiresAt(e, now + NF_CT_DAY);
}

const states = new WeakMap<object, FlowState>();

/** The flowtable state kept with conntrack table `ct` (made on first use). */
export function flowStateOf(ct: ConntrackTable): FlowState {
  let s = states.get(ct);
  if (!s) states.set(ct, (s = new FlowState(ct)));
  return s;
}

/** The state of `ct` when one was made (no flowtable: undefined). */
export function flowStateIf(ct: object | undefined): FlowState | undefined {
  return ct === undefined ? undefined : states.get(ct);
}
