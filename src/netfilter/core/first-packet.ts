// A new connection's first packet at PREROUTING and POSTROUTING in one function each, as
// forwardEstablished (fastpath.ts) is for established packets: when those hooks hold only the
// core's entries (conntrack and the NAT hook; the NAT hook and confirm) and nothing unusual is
// attached, nf_conntrack_in's lookup miss and init_conntrack (conntrack-in.ts), nf_nat_inet_fn's
// walk of the nat tables and its null binding (nat-hook.ts, NatCore.setup), nf_nat_packet's
// rewrite and __nf_conntrack_confirm are called straight, without the generic entry points'
// dispatch and re-derivation (the hook's manip type, the done bit, the tracer, zones, helpers, the
// ICMP and TCP cases). The same calls in the same order on the same state: verdicts, bytes, every
// record word, ids, `conntrack -S`, rule counters and port-search tries are the general path's
// (test/netfilter/nat-fast-setup.test.ts compares them, Netfilter.firstPackets off).
//
// pre() is taken for an untraced UDP packet not attached to an entry nor NOTRACK, without a zone,
// helper or SYNPROXY template, while no expectation is pending and the IPv4 layout is in use;
// post() for an untraced packet whose entry is new (IP_CT_NEW) and not yet bound at NAT_SRC.
// Everything else (TCP and its state machine, ICMP, zones, helpers, packets of known connections
// at POSTROUTING) returns NOT_TAKEN before anything is read or changed, and goes the general way.
import { IPPROTO_UDP } from '../../wire/ipv4.ts';
import {
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  type ConntrackTable,
  REC_META,
} from '../conntrack/table.ts';
import { DIR_ORIGINAL } from '../conntrack/tuple.ts';
import type { CtHelpers } from '../conntrack/helper.ts';
import { MANIP_DST, MANIP_SRC, type NatCore } from '../nat/nat-core.ts';
import type { NatHook } from '../nat/nat-hook.ts';
import { CT_INVALID, IP_CT_NEW, type Skb } from './skb.ts';
import type { ConntrackIn } from './conntrack-in.ts';
import { DropReason } from './drop.ts';
import { T_DROP, type NfTable } from './table.ts';
import { NF_ACCEPT, type Drops } from './verdict.ts';
import { NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING } from './hook-numbers.ts';

/** pre()/post() did nothing: the caller takes the general path. */
export const NOT_TAKEN = -1;

/**
 * The numbers pre() and post() read, as literals in the emitted code (a const enum): an imported
 * constant is a load from the module's context and a check at each use in V8's optimised code.
 * The same values as the imported constants (checked below).
 */
const enum L {
  UDP = 17,
  NOT_TAKEN = -1,
  T_DROP = 0,
  NF_ACCEPT = 1,
  IP_CT_NEW = 2,
  CT_INVALID = 5,
  REC_META = 6,
  SRC_NAT = 16,
  DST_NAT = 32,
  SRC_NAT_DONE = 128,
  DST_NAT_DONE = 256,
}
const enum Hook {
  PRE_ROUTING = 0,
  POST_ROUTING = 4,
}
const enum Manip {
  SRC = 0,
  DST = 1,
}
const enum Dir {
  ORIGINAL = 0,
}
const sameValues: [
  typeof IPPROTO_UDP,
  typeof NOT_TAKEN,
  typeof NF_INET_PRE_ROUTING,
  typeof NF_INET_POST_ROUTING,
  typeof MANIP_SRC,
  typeof MANIP_DST,
  typeof CT_INVALID,
  typeof IP_CT_NEW,
  typeof DIR_ORIGINAL,
  typeof REC_META,
  typeof T_DROP,
  typeof NF_ACCEPT,
  typeof IPS_SRC_NAT,
  typeof IPS_DST_NAT,
  typeof IPS_SRC_NAT_DONE,
  typeof IPS_DST_NAT_DONE,
] = [
  L.UDP,
  L.NOT_TAKEN,
  Hook.PRE_ROUTING,
  Hook.POST_ROUTING,
  Manip.SRC,
  Manip.DST,
  L.CT_INVALID,
  L.IP_CT_NEW,
  Dir.ORIGINAL,
  L.REC_META,
  L.T_DROP,
  L.NF_ACCEPT,
  L.SRC_NAT,
  L.DST_NAT,
  L.SRC_NAT_DONE,
  L.DST_NAT_DONE,
];
void sameValues;

export class FirstPacket {
  /**
   * The entry pre() last created, and where the table remembered the failed lookup of its
   * original tuple (ConntrackTable.newestMiss, missEpoch), for post()'s confirm.
   */
  private missEntry = -1;
  private missAt = -1;
  private missEpoch = 0;

  constructor(
    private readonly ct: ConntrackTable,
    private readonly ctIn: ConntrackIn,
    private readonly natHook: NatHook,
    private readonly nat: NatCore,
    private readonly drops: Drops,
    private readonly helpers: CtHelpers,
    private readonly preNat: readonly NfTable[],
    private readonly postNat: readonly NfTable[],
  ) {}

  /**
   * PREROUTING of a packet when the hook holds exactly conntrack and the NAT hook (the engine
   * checks that and the tracer): Netfilter.prerouting's verdict, or NOT_TAKEN with nothing done.
   */
  pre(skb: Skb, now: number): number {
    const ct = this.ct;
    const hp = this.helpers;
    if (
      skb.proto !== L.UDP ||
      skb.ct !== -1 ||
      skb.ctZone !== 0 ||
      skb.ctHelper !== 0 ||
      skb.ctSynproxy ||
      hp.expect.count !== 0 ||
      !this.natHook.registered ||
      ct.layout.addrWords !== 1
    )
      return L.NOT_TAKEN;
    // nf_conntrack_in (ConntrackIn.run for zone 0, TCP/UDP): the lookup of the packet's tuple.
    const nowTick = ct.tick(now);
    const src = skb.src | 0;
    const dst = skb.dst | 0;
    const sport = skb.sport;
    const dport = skb.dport;
    const ed = ct.lookupTick(src, dst, L.UDP, sport, dport, nowTick);
    if (ed >= 0) {
      // A known connection: the rest of the general path, from the lookup on.
      this.ctIn.packet(skb, ed >>> 1, ed & 1, nowTick, now, Hook.PRE_ROUTING);
      return this.natHook.run(skb, Hook.PRE_ROUTING, Manip.DST, this.preNat, now);
    }
    return this.preNew(skb, now, nowTick);
  }

  /**
   * pre() for a packet whose lookup failed just now (the table remembers the miss): its new
   * entry and the nat tables. Apart, so that V8 inlines the lookup into pre() and this one's
   * calls into it, each within its inlining budget.
   */
  private preNew(skb: Skb, now: number, nowTick: number): number {
    const ct = this.ct;
    const src = skb.src | 0;
    const dst = skb.dst | 0;
    const sport = skb.sport;
    const dport = skb.dport;
    // Where the table remembered this failed lookup: confirm inserts the tuple there (post()).
    const k0 = ct.newestMiss();
    const epoch = ct.missEpoch;
    // init_conntrack: a new entry from the packet's numbers (alloc4), none when the table is full.
    const e = ct.alloc4(src, dst, L.UDP, sport, dport, nowTick);
    if (e < 0) {
      skb.ct = -1;
      skb.ctDir = 0;
      skb.ctinfo = L.CT_INVALID;
      return this.drops.drop(skb, DropReason.NF_CT_TABLE_FULL);
    }
    this.helpers.synproxy.clear(e);
    // ctPacket for a created UDP entry: no timeout policy yet, the netns's timeouts; its status
    // is 0 (claim), so nf_conntrack_udp_packet (udpPacketTick) gives the unreplied timeout.
    ct.refresh(e, nowTick, this.ctIn.timeoutTicks.udp);
    ct.account(e, Dir.ORIGINAL, skb.len);
    skb.ct = e;
    skb.ctDir = Dir.ORIGINAL;
    skb.ctinfo = L.IP_CT_NEW; // neither SEEN_REPLY nor EXPECTED on a new entry
    this.missEntry = e;
    this.missAt = k0;
    this.missEpoch = epoch;
    // nf_nat_inet_fn at NAT_DST: the nat tables until one bound it, else the null binding.
    const m = e * ct.rw + L.REC_META;
    const rec = ct.rec;
    const tables = this.preNat;
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      if (t.run(Hook.PRE_ROUTING, skb, now, undefined) === L.T_DROP)
        return this.drops.drop(skb, DropReason.NETFILTER_DROP, t.dropTable);
      if ((rec[m]! & L.DST_NAT_DONE) !== 0) break;
    }
    if ((rec[m]! & L.DST_NAT_DONE) === 0) {
      // The null binding (NatCore.setup for no range at a destination hook, which never fails):
      // get_unique_tuple's one clash lookup of the unchanged reply tuple, the packet's own ends
      // swapped (alloc4 wrote it so, and only a binding changes it), then the DONE bit. Read from
      // the record (replyTupleTaken, a call of its own): V8 then inlines alloc4 here instead.
      ct.replyTupleTaken(e, now);
      ct.orStatus(e, L.DST_NAT_DONE);
    }
    if ((rec[m]! & L.DST_NAT) !== 0) this.natHook.manipPacket(skb, Hook.PRE_ROUTING, Manip.DST, 'rule');
    return L.NF_ACCEPT;
  }

  /**
   * POSTROUTING of a packet when the hook holds exactly the NAT hook and confirm (the engine
   * checks that and the tracer): Netfilter.postrouting's verdict, or NOT_TAKEN with nothing done.
   */
  post(skb: Skb, now: number): number {
    const ct = this.ct;
    const e = skb.ct;
    if (e < 0 || skb.ctinfo !== L.IP_CT_NEW || !this.natHook.registered) return L.NOT_TAKEN;
    const m = e * ct.rw + L.REC_META;
    const rec = ct.rec;
    if ((rec[m]! & L.SRC_NAT_DONE) !== 0) return L.NOT_TAKEN;
    // nf_nat_inet_fn at NAT_SRC.
    const tables = this.postNat;
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      if (t.run(Hook.POST_ROUTING, skb, now, undefined) === L.T_DROP)
        return this.drops.drop(skb, DropReason.NETFILTER_DROP, t.dropTable);
      if ((rec[m]! & L.SRC_NAT_DONE) !== 0) break;
    }
    if ((rec[m]! & L.SRC_NAT_DONE) === 0 && !this.nat.setup(e, undefined, Manip.SRC, now))
      return this.drops.drop(skb, DropReason.NF_NAT_NO_FREE_TUPLE);
    if ((rec[m]! & L.SRC_NAT) !== 0) {
      if (skb.proto === L.UDP && !skb.fragment) {
        // nf_nat_packet's source manip of a UDP packet (NatHook.manipPacket's case): the reply
        // tuple's destination address and port become the packet's source.
        const r = e * ct.rw + 3;
        const addr = rec[r + 1]!;
        const port = rec[r + 2]! & 0xffff;
        // setAddr then setL4Port (nat-hook.ts), with the UDP checksum updated once for both
        // changes (RFC 1624: the address's and the port's ~m + m' summed; the same 16 bits as
        // two updates in a row, a folded non-zero sum being never 0, and 0 stays 0).
        const b = skb.buf;
        const o = skb.off;
        const l4 = skb.l4off;
        let d = 0;
        if (skb.src !== addr) {
          const nh = addr >>> 16;
          const nl = addr & 0xffff;
          d =
            (~((b[o + 12]! << 8) | b[o + 13]!) & 0xffff) +
            (~((b[o + 14]! << 8) | b[o + 15]!) & 0xffff) +
            nh +
            nl;
          const ic = addDelta((b[o + 10]! << 8) | b[o + 11]!, d);
          b[o + 10] = ic >>> 8;
          b[o + 11] = ic & 0xff;
          b[o + 12] = nh >>> 8;
          b[o + 13] = nh & 0xff;
          b[o + 14] = nl >>> 8;
          b[o + 15] = nl & 0xff;
        }
        const op = (b[l4]! << 8) | b[l4 + 1]!;
        if (op !== port) {
          d += (~op & 0xffff) + port;
          b[l4] = port >>> 8;
          b[l4 + 1] = port & 0xff;
        }
        const hc = (b[l4 + 6]! << 8) | b[l4 + 7]!;
        if (hc !== 0 && d !== 0) {
          const c = addDelta(hc, d) || 0xffff;
          b[l4 + 6] = c >>> 8;
          b[l4 + 7] = c & 0xff;
        }
        skb.src = addr;
        if (o + skb.len - l4 >= 8) skb.sport = port;
      } else this.natHook.manipPacket(skb, Hook.POST_ROUTING, Manip.SRC, 'rule');
    }
    // __nf_conntrack_confirm: the original tuple's failed lookup noted by pre() (checked there:
    // any other entry, or a slot changed since, is confirm()'s own search).
    return this.missEntry === e
      ? this.ctIn.confirm(skb, now, this.missAt, this.missEpoch)
      : this.ctIn.confirm(skb, now);
  }
}

/** HC' = ~(~HC + d) with end-around carry (nat-hook.ts's addDelta), d a sum of at most six 16-bit words. */
function addDelta(hc: number, d: number): number {
  let sum = (~hc & 0xffff) + d;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
