// The netfilter engine of one host: conntrack, the four tables and NAT, hook by hook, in the
// kernel's order (netfilter-facts §1). The stack calls one method per hook with a reused Skb and
// the current time, and acts on the verdict. No I/O and no clock of its own.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4SetDst, ipv4SetSrc } from '../../wire/ipv4.ts';
import { read16, read32, write16 } from '../../wire/checksum.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, tcpPseudoAddrChanged, tcpSetPort } from '../../wire/tcp.ts';
import { udpPseudoAddrChanged, udpSetPort } from '../../wire/udp.ts';
import { icmpFillChecksum, icmpSetEchoId } from '../../wire/icmp.ts';
import { type Chain, type Rule, type Ruleset, type TableName } from '../../rules/iptables/model.ts';
import { countPacket } from '../../rules/counters.ts';
import {
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  ConntrackTable,
  type ConntrackStats,
  REC_EXPIRES,
  REC_META,
  REC_WORDS,
} from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, icmpIsQuery, invertTuple, TupleBuf } from '../conntrack/tuple.ts';
import {
  tcpNewState,
  tcpPacketTick,
  TCP_VERDICT_INVALID,
  TCP_VERDICT_KILLED,
  TCP_VERDICT_REOPEN,
} from '../conntrack/proto-tcp.ts';
import { genericPacket, icmpPacket, udpPacketTick } from '../conntrack/proto-udp-icmp.ts';
import { defaultTimeouts, isTimeoutName, TimeoutTicks, type Timeouts } from '../conntrack/timeouts.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NatCore,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatRangeN,
  type Rng,
} from '../nat/nat-core.ts';
import { checkMatch, describeMismatch, MATCHED, ruleMatches, ruleMismatch } from '../xtables/match.ts';
import { checkTarget, ENGINE_RUNS_XT_TARGETS, natFlags, runXtTarget, toRangeN } from '../xtables/target.ts';
import { compileChain, type CompiledChain } from '../xtables/compile.ts';
import { tcpmssTarget } from '../xtables/tcpmss.ts';
import {
  CT_INVALID,
  CT_UNTRACKED,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  Skb,
} from './skb.ts';
import type { HookName, NfTracer } from './trace-events.ts';
import { DROP_REASON_COUNT, DropReason } from './drop.ts';

/** Skb.dropTable numbers (DROP_TABLES). */
const TABLE_RAW = 1;
const TABLE_MANGLE = 2;
const TABLE_NAT = 3;
const TABLE_FILTER = 4;
const TABLE_SECURITY = 5;

export const NF_DROP = 0;
export const NF_ACCEPT = 1;

/** What the engine needs to know about its host (addresses for MASQUERADE and REDIRECT). */
export interface NfHost {
  /** inet_select_addr: the source address for packets out of `outIf` towards `nexthop`. */
  masqueradeAddress(outIf: string, nexthop: number): number;
  /** The primary address of `inIf` (REDIRECT), 0 when it has none. */
  primaryAddress(inIf: string): number;
}

export interface NfConfig {
  ruleset: Ruleset;
  host: NfHost;
  rng: Rng;
  /** sysctl name (without net.netfilter.) → value. */
  sysctls?: ReadonlyMap<string, number>;
  conntrackMax?: number;
}

export interface RuleProblem {
  readonly table: TableName;
  readonly chain: string;
  readonly index: number;
  readonly rule: Rule;
  readonly message: string;
}

/** Every rule natbox cannot evaluate (unsupported match or target, NAT target in a bad chain). */
export function checkRuleset(rs: Ruleset): RuleProblem[] {
  const out: RuleProblem[] = [];
  for (const [tname, table] of rs.tables) {
    for (const chain of table.chains.values()) {
      chain.rules.forEach((rule, i) => {
        for (const m of rule.matches) {
          const p = checkMatch(m, MATCH_CAPS);
          if (p) out.push({ table: tname, chain: chain.name, index: i + 1, rule, message: p });
        }
        if (rule.target) {
          const p = checkTarget(rule.target, tname, chain.builtin ? chain.name : undefined);
          if (p) out.push({ table: tname, chain: chain.name, index: i + 1, rule, message: p });
          if (
            (rule.target.kind === 'jump' || rule.target.kind === 'goto') &&
            !table.chains.has(rule.target.chain)
          ) {
            out.push({
              table: tname,
              chain: chain.name,
              index: i + 1,
              rule,
              message: `unknown chain "${rule.target.chain}"`,
            });
          }
        }
      });
    }
  }
  return out;
}

/** Outcome of walking one table's chain for one packet. */
const T_ACCEPT = 1;
const T_DROP = 0;
const T_REJECT = 2;

export class Netfilter {
  readonly conntrack: ConntrackTable;
  readonly nat: NatCore;
  /** The conntrack timeouts by sysctl name, seconds (fixed when the engine is made). */
  readonly timeouts: Readonly<Timeouts>;
  /** The same in table ticks, as the packet path reads them. */
  private readonly timeoutTicks: TimeoutTicks;
  tracer: NfTracer | undefined;
  /** Packets dropped, by reason (conntrack INVALID is not a drop by itself). */
  readonly drops = new Uint32Array(DROP_REASON_COUNT);
  /** Packets forwardEstablished took the short way (the rest went through the hooks). */
  shortWayPackets = 0;
  /** Counters as `conntrack -S` shows them: the table's (formatConntrackStats). */
  readonly stats: ConntrackStats;

  private readonly tables: Map<TableName, Map<string, Chain>>;
  // The tables this ruleset has, looked up once: an absent table costs a field test per hook.
  private readonly raw: Map<string, Chain> | undefined;
  private readonly mangle: Map<string, Chain> | undefined;
  private readonly filter: Map<string, Chain> | undefined;
  private readonly security: Map<string, Chain> | undefined;
  private readonly natTable: Map<string, Chain> | undefined;
  /** runTable's jump stack, reused (no arrays per packet). */
  private readonly stackC: Chain[] = [];
  private readonly stackI: number[] = [];
  /** NAT ranges of DNAT/SNAT targets, made once per target; MASQUERADE/REDIRECT's scratch range. */
  private readonly ranges = new WeakMap<object, NatRangeN>();
  private readonly scratchRange: NatRangeN = { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: 0 };
  private readonly host: NfHost;
  private readonly loose: boolean;
  /**
   * Whether connection tracking runs at all. Linux turns it on in a network namespace only when
   * something needs it: the nat table, or a rule that matches or sets conntrack state (measured:
   * a lone filter rule leaves `conntrack -L` empty).
   */
  readonly tracking: boolean;
  private readonly tA = new TupleBuf();
  private readonly tB = new TupleBuf();
  private readonly tC = new TupleBuf();

  constructor(cfg: NfConfig) {
    this.conntrack = new ConntrackTable(cfg.conntrackMax ?? cfg.sysctls?.get('nf_conntrack_max') ?? 65536);
    this.stats = this.conntrack.stats;
    this.nat = new NatCore(this.conntrack, cfg.rng);
    this.host = cfg.host;
    const timeouts = defaultTimeouts();
    for (const [k, v] of cfg.sysctls ?? []) if (isTimeoutName(k)) timeouts[k] = v;
    this.timeouts = Object.freeze(timeouts);
    this.timeoutTicks = new TimeoutTicks(timeouts);
    this.loose = (cfg.sysctls?.get('nf_conntrack_tcp_loose') ?? 1) !== 0;
    this.tables = new Map();
    for (const [name, t] of cfg.ruleset.tables) this.tables.set(name, t.chains);
    this.raw = this.tables.get('raw');
    this.mangle = this.tables.get('mangle');
    this.filter = this.tables.get('filter');
    this.security = this.tables.get('security');
    this.natTable = this.tables.get('nat');
    this.tracking = needsConntrack(cfg.ruleset);
    for (const [name, chains] of this.tables)
      for (const hook of HOOKS) this.entryChains[entryIndex(name, hook)] = chains.get(hook);
  }

  // ---- hooks -------------------------------------------------------------------------------

  /** PREROUTING: raw, conntrack, mangle, nat (DNAT). */
  prerouting(skb: Skb, now: number): number {
    skb.now = now;
    if (this.raw && this.runTable('raw', 'PREROUTING', skb) !== T_ACCEPT)
      return this.dropped(skb, DropReason.NETFILTER_DROP, TABLE_RAW);
    this.conntrackIn(skb, now, 'PREROUTING');
    if (this.tableFull) return this.fullDrop(skb);
    if (this.mangle && this.runTable('mangle', 'PREROUTING', skb) !== T_ACCEPT)
      return this.dropped(skb, DropReason.NETFILTER_DROP, TABLE_MANGLE);
    return this.natHook(skb, 'PREROUTING', MANIP_DST, now);
  }

  /** INPUT: mangle, filter, security, nat (SNAT), confirm. */
  input(skb: Skb, now: number): number {
    skb.now = now;
    const v = this.filterTables('INPUT', skb, true);
    if (v !== NF_ACCEPT) return v;
    if (this.natHook(skb, 'INPUT', MANIP_SRC, now) !== NF_ACCEPT) return NF_DROP;
    return this.confirm(skb, now);
  }

  /** FORWARD: mangle, filter, security. */
  forward(skb: Skb, now: number): number {
    skb.now = now;
    return this.filterTables('FORWARD', skb, true);
  }

  /** OUTPUT, first half: raw, conntrack, mangle, nat (DNAT). The stack reroutes after it. */
  output(skb: Skb, now: number): number {
    skb.now = now;
    if (this.raw && this.runTable('raw', 'OUTPUT', skb) !== T_ACCEPT)
      return this.dropped(skb, DropReason.NETFILTER_DROP, TABLE_RAW);
    this.conntrackIn(skb, now, 'OUTPUT');
    if (this.tableFull) return this.fullDrop(skb);
    if (this.mangle && this.runTable('mangle', 'OUTPUT', skb) !== T_ACCEPT)
      return this.dropped(skb, DropReason.NETFILTER_DROP, TABLE_MANGLE);
    return this.natHook(skb, 'OUTPUT', MANIP_DST, now);
  }

  /** OUTPUT, second half (after rerouting): filter, security. */
  outputFilter(skb: Skb, now: number): number {
    skb.now = now;
    return this.filterTables('OUTPUT', skb, false);
  }

  /** POSTROUTING: mangle, nat (SNAT), confirm. */
  postrouting(skb: Skb, now: number): number {
    skb.now = now;
    if (this.mangle && this.runTable('mangle', 'POSTROUTING', skb) !== T_ACCEPT)
      return this.dropped(skb, DropReason.NETFILTER_DROP, TABLE_MANGLE);
    if (this.natHook(skb, 'POSTROUTING', MANIP_SRC, now) !== NF_ACCEPT) return NF_DROP;
    return this.confirm(skb, now);
  }

  /**
   * A batch of forwarded packets, each as the stack passes one through the forward path:
   * `skb.load(buf, offs[k], inIf, '')`, prerouting, then with `skb.outIf = outIf` forward and
   * postrouting (stopping at the first verdict that is not ACCEPT), for k = start .. start + n - 1
   * in order. Same verdicts, rewrites, conntrack state, counters and events as those calls; the
   * caller routes every packet of the batch out of `outIf`. `verdicts[k - start]` gets each
   * verdict, when given; returns how many were accepted.
   *
   * Packets of established TCP (ACK without SYN/FIN/RST) and UDP connections, not fragments, with
   * a 20-byte IP header, go a short way: their conntrack lookups are made for a chunk of packets
   * at once (ConntrackTable.lookupBatch), so that the cache misses of different packets overlap,
   * then each is updated and rewritten as the hooks would; when a filter or security table is
   * present, the packet is loaded into `skb` between the two rewrites and goes through their
   * FORWARD chains, as the forward hook would take it. Every other packet, and every packet after
   * something changed the hash table, goes through the hooks with `skb`. No short way with a
   * tracer, or with a raw or mangle table.
   */
  forwardEstablished(
    buf: Uint8Array,
    offs: ArrayLike<number>,
    start: number,
    n: number,
    inIf: string,
    outIf: string,
    now: number,
    verdicts?: Uint8Array,
    skb: Skb = this.batchSkb,
  ): number {
    let ok = 0;
    if (n <= 0) return 0;
    if (this.tracer || !this.tracking || this.raw || this.mangle) {
      for (let k = 0; k < n; k++) {
        const v = this.forwardOne(skb, buf, offs[start + k]!, inIf, outIf, now);
        if (verdicts) verdicts[k] = v;
        ok += v;
      }
      return ok;
    }
    const ct = this.conntrack;
    const nowTick = ct.tick(now);
    const bSrc = this.bSrc;
    const bDst = this.bDst;
    const bPorts = this.bPorts;
    const bProto = this.bProto;
    const bEd = this.bEd;
    for (let c = 0; c < n; c += BATCH) {
      const m = n - c < BATCH ? n - c : BATCH;
      // The tuples of the packets that may take the short way (proto 0: the hooks' way).
      for (let k = 0; k < m; k++) {
        const o = offs[start + c + k]!;
        const p = buf[o + 9]!;
        const l4len = ((buf[o + 2]! << 8) | buf[o + 3]!) - 20;
        if (
          buf[o] !== 0x45 ||
          (buf[o + 6]! & 0x3f) !== 0 ||
          buf[o + 7] !== 0 ||
          !(p === IPPROTO_UDP ? l4len >= 8 : p === IPPROTO_TCP && l4len >= 20)
        ) {
          bProto[k] = 0;
          continue;
        }
        bProto[k] = p;
        bSrc[k] = ((buf[o + 12]! << 24) | (buf[o + 13]! << 16) | (buf[o + 14]! << 8) | buf[o + 15]!) >>> 0;
        bDst[k] = ((buf[o + 16]! << 24) | (buf[o + 17]! << 16) | (buf[o + 18]! << 8) | buf[o + 19]!) >>> 0;
        bPorts[k] = ((buf[o + 20]! << 24) | (buf[o + 21]! << 16) | (buf[o + 22]! << 8) | buf[o + 23]!) >>> 0;
      }
      let version = ct.version;
      ct.lookupBatch(0, bSrc, bDst, bPorts, bProto, m, nowTick, this.bSlot, bEd);
      for (let k = 0; k < m; k++) {
        const o = offs[start + c + k]!;
        if (ct.version !== version) {
          // A packet before this one changed what a lookup finds: look the rest up again.
          version = ct.version;
          ct.lookupBatch(k, bSrc, bDst, bPorts, bProto, m, nowTick, this.bSlot, bEd);
        }
        const ed = bEd[k]!;
        let v = ed >= 0 ? this.established(buf, o, ed, k, nowTick, skb, inIf, outIf, now) : NOT_SHORT;
        if (v === NOT_SHORT) v = this.forwardOne(skb, buf, o, inIf, outIf, now);
        else this.shortWayPackets++;
        if (verdicts) verdicts[c + k] = v;
        ok += v;
      }
    }
    return ok;
  }

  /** One packet through prerouting, forward and postrouting, as forwardEstablished describes. */
  private forwardOne(
    skb: Skb,
    buf: Uint8Array,
    off: number,
    inIf: string,
    outIf: string,
    now: number,
  ): number {
    skb.load(buf, off, inIf, '');
    let v = this.prerouting(skb, now);
    if (v !== NF_ACCEPT) return v;
    skb.outIf = outIf;
    v = this.forward(skb, now);
    if (v !== NF_ACCEPT) return v;
    return this.postrouting(skb, now);
  }

  /**
   * forwardEstablished's short way for the packet at `o` (TCP or UDP, 20-byte header, not a
   * fragment, its addresses in bSrc[k] and bDst[k]: read here, not passed, since a 32-bit number
   * passed to a call that is not inlined is boxed) of entry/direction `ed`, found live: what
   * prerouting, forward and postrouting do for it when neither raw nor mangle is present and there
   * is no tracer (conntrackIn + ctPacket, natHook's manipPacket for PREROUTING then POSTROUTING;
   * confirm has nothing to do), with the FORWARD chains of filter and security in between when
   * they exist (forwardChains). Returns NOT_SHORT, having changed nothing, when the packet is not
   * that simple case (the hooks take it then); its verdict otherwise.
   */
  private established(
    b: Uint8Array,
    o: number,
    ed: number,
    k: number,
    nowTick: number,
    skb: Skb,
    inIf: string,
    outIf: string,
    now: number,
  ): number {
    const ct = this.conntrack;
    const rec = ct.rec;
    const e = ed >>> 1;
    const dir = ed & 1;
    const base = e * REC_WORDS;
    const m = base + REC_META;
    const before = rec[m]!;
    // Both NAT bindings made (so that natHook does not run the nat table, whatever the ctinfo),
    // and still live at this tick (an earlier packet of the batch may have shortened its timeout).
    if ((before & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) !== (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE))
      return NOT_SHORT;
    if (rec[base + REC_EXPIRES]! <= nowTick) return NOT_SHORT;
    const proto = b[o + 9]!;
    const l4 = o + 20;
    const filtered = this.filter !== undefined || this.security !== undefined;
    if (proto === IPPROTO_TCP) {
      // An ACK without SYN, FIN or RST: no reopen, no kill, no sequence number to keep.
      const flags = b[l4 + 13]!;
      if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) !== TCP_ACK) return NOT_SHORT;
      const v = tcpPacketTick(ct, e, dir, flags, 0, nowTick, this.timeoutTicks, false);
      if (v === TCP_VERDICT_INVALID) {
        // setCt(-1, CT_INVALID): no NAT, nothing to confirm; FORWARD sees an INVALID packet.
        this.stats.invalid++;
        return filtered ? this.forwardChains(skb, b, o, inIf, outIf, now, -1, 0, CT_INVALID) : NF_ACCEPT;
      }
    } else {
      udpPacketTick(ct, e, nowTick, this.timeoutTicks);
    }
    if (dir === DIR_REPLY) rec[m]! |= IPS_SEEN_REPLY;
    const after = rec[m]!;
    if ((after & IPS_CONFIRMED) !== 0 && ((before ^ after) & 0x0fffffff) !== 0) ct.listener?.('UPDATE', e);
    // nf_nat_packet at PREROUTING (destination), then at POSTROUTING (source), from the other
    // direction's tuple, as manipPacket does.
    const status = after;
    const other = base + (dir ^ 1) * 3;
    const otherPorts = rec[other + 2]!;
    if ((status & (dir === DIR_REPLY ? IPS_SRC_NAT : IPS_DST_NAT)) !== 0) {
      const addr = rec[other]!;
      if (this.bDst[k] !== addr) setAddr(b, o, l4, proto, 16, addr >>> 16, addr & 0xffff);
      setL4Port(b, l4, proto, 2, otherPorts >>> 16);
    }
    if (filtered) {
      // ctPacket's ctinfo: a reply, or the original direction once a reply was seen.
      const ctinfo =
        dir === DIR_REPLY ? IP_CT_ESTABLISHED_REPLY : status & IPS_SEEN_REPLY ? IP_CT_ESTABLISHED : IP_CT_NEW;
      const v = this.forwardChains(skb, b, o, inIf, outIf, now, e, dir, ctinfo);
      if (v !== NF_ACCEPT) return v;
    }
    if ((status & (dir === DIR_REPLY ? IPS_DST_NAT : IPS_SRC_NAT)) !== 0) {
      const addr = rec[other + 1]!;
      if (this.bSrc[k] !== addr) setAddr(b, o, l4, proto, 12, addr >>> 16, addr & 0xffff);
      setL4Port(b, l4, proto, 0, otherPorts & 0xffff);
    }
    return NF_ACCEPT;
  }

  /**
   * The short way's forward hook: `skb` loaded with the packet at `o` (as rewritten so far) and
   * its conntrack entry, then the FORWARD chains of filter and security (never mangle: the short
   * way is not taken with one).
   */
  private forwardChains(
    skb: Skb,
    b: Uint8Array,
    o: number,
    inIf: string,
    outIf: string,
    now: number,
    e: number,
    dir: number,
    ctinfo: number,
  ): number {
    skb.load(b, o, inIf, '');
    skb.outIf = outIf;
    skb.now = now;
    skb.ct = e;
    skb.ctDir = dir;
    skb.ctinfo = ctinfo;
    return this.filterTables('FORWARD', skb, false);
  }

  /** forwardEstablished's scratch: one chunk's tuples, slot words and lookup results. */
  private readonly bSrc = new Uint32Array(BATCH);
  private readonly bDst = new Uint32Array(BATCH);
  private readonly bPorts = new Uint32Array(BATCH);
  private readonly bProto = new Uint8Array(BATCH);
  private readonly bSlot = new Uint32Array(BATCH);
  private readonly bEd = new Int32Array(BATCH);
  private readonly batchSkb = new Skb();

  /** (mangle,) filter, security at one hook, in that order; the first verdict that is not ACCEPT. */
  private filterTables(hook: HookName, skb: Skb, withMangle: boolean): number {
    let v: number;
    if (withMangle && this.mangle && (v = this.runTable('mangle', hook, skb)) !== T_ACCEPT)
      return this.dropped(
        skb,
        v === T_REJECT ? DropReason.NETFILTER_REJECT : DropReason.NETFILTER_DROP,
        TABLE_MANGLE,
      );
    if (this.filter && (v = this.runTable('filter', hook, skb)) !== T_ACCEPT)
      return this.dropped(
        skb,
        v === T_REJECT ? DropReason.NETFILTER_REJECT : DropReason.NETFILTER_DROP,
        TABLE_FILTER,
      );
    if (this.security && (v = this.runTable('security', hook, skb)) !== T_ACCEPT)
      return this.dropped(
        skb,
        v === T_REJECT ? DropReason.NETFILTER_REJECT : DropReason.NETFILTER_DROP,
        TABLE_SECURITY,
      );
    return NF_ACCEPT;
  }

  /** The stack dropped the packet on its own (no route, TTL): forget an unconfirmed entry. */
  abandon(skb: Skb): void {
    // Only the packet that created an unconfirmed entry owns it: a reply-direction packet attached
    // to it (an ICMP error or reset about it) leaves it alone.
    if (skb.ct >= 0 && skb.ctDir === DIR_ORIGINAL && !this.conntrack.isConfirmed(skb.ct))
      this.conntrack.release(skb.ct);
    skb.ct = -1;
  }

  /**
   * nf_nat_masquerade_ipv4's device and address notifiers: when `ifname` goes down (no `addr`), or
   * loses the address `addr`, the connections MASQUERADE bound through it are deleted, so the next
   * packet is tracked and masqueraded anew with the address the interface has now. Returns how
   * many entries went.
   */
  flushMasquerade(ifname: string, addr?: number): number {
    const ct = this.conntrack;
    const masq = ct.masq;
    if (!this.masqIndex.has(ifname)) return 0;
    // The bound address is the reply tuple's destination (MASQUERADE's range is that one address).
    const gone: number[] = [];
    for (let e = 0; e < ct.max; e++) {
      const m = masq[e]!;
      if (m === 0 || !ct.isUsed(e)) continue;
      if ((m === MASQ_MORE ? this.masqMore.get(e) : this.masqNames[m - 1]) !== ifname) continue;
      if (addr !== undefined && ct.dst(e, DIR_REPLY) !== addr) continue;
      gone.push(e);
    }
    // In the order the connections were made (their DESTROY events come in that order).
    gone.sort((a, b) => ct.id[a]! - ct.id[b]!);
    for (const e of gone) {
      ct.remove(e);
      masq[e] = 0;
      this.masqMore.delete(e);
    }
    return gone.length;
  }
  /** Interfaces MASQUERADE bound through: ct.masq[e] - 1 indexes masqNames. */
  private readonly masqNames: string[] = [];
  private readonly masqIndex = new Map<string, number>();
  /** Entries bound through an interface past the first MASQ_MORE - 1 (their tag is MASQ_MORE). */
  private readonly masqMore = new Map<number, string>();

  /** Records that MASQUERADE bound entry `e` through `ifname` (nf_nat_masquerade_ipv4). */
  private tagMasquerade(e: number, ifname: string): void {
    let i = this.masqIndex.get(ifname);
    if (i === undefined) {
      i = this.masqNames.length;
      this.masqNames.push(ifname);
      this.masqIndex.set(ifname, i);
    }
    if (i + 1 < MASQ_MORE) {
      this.conntrack.masq[e] = i + 1;
    } else {
      this.conntrack.masq[e] = MASQ_MORE;
      this.masqMore.set(e, ifname);
    }
  }

  // ---- conntrack ---------------------------------------------------------------------------

  private conntrackIn(skb: Skb, now: number, hook: HookName): void {
    if (!this.tracking) return;
    if (skb.ct === NOTRACK) {
      this.tracer?.conntrack(hook, CT_UNTRACKED, -1, false);
      return;
    }
    if (skb.ct >= 0) {
      // Already attached (an ICMP error or reset the host made about a tracked packet).
      this.tracer?.conntrack(hook, skb.ctinfo, skb.ct, false);
      return;
    }
    const ct = this.conntrack;
    const proto = skb.proto;
    const nowTick = ct.tick(now);
    let ed: number;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      // The common case: the tuple is the packet's own fields, no TupleBuf needed for the lookup.
      ed = ct.lookupTick(skb.src, skb.dst, proto, skb.sport, skb.dport, nowTick);
      if (ed >= 0) return this.ctPacket(skb, ed >>> 1, ed & 1, false, nowTick, now, hook);
      this.tA.set(skb.src, skb.dst, proto, skb.sport, skb.dport);
    } else {
      const t = this.tA;
      if (proto === IPPROTO_ICMP) {
        if (icmpIsError(skb.icmpType)) return this.icmpErrorIn(skb, now, hook);
        if (!icmpIsQuery(skb.icmpType)) return this.setCt(skb, -1, 0, CT_INVALID, hook);
        t.set(skb.src, skb.dst, IPPROTO_ICMP, skb.sport, (skb.icmpType << 8) | skb.icmpCode);
      } else {
        t.set(skb.src, skb.dst, proto, 0, 0);
      }
      ed = ct.lookupTick(t.src, t.dst, t.proto, t.sport, t.dport, nowTick);
      if (ed >= 0) return this.ctPacket(skb, ed >>> 1, ed & 1, false, nowTick, now, hook);
    }
    // nf_conntrack_icmp_packet: only a request starts an ICMP connection; a lone reply does not.
    if (proto === IPPROTO_ICMP && !icmpIsRequest(skb.icmpType))
      return this.setCt(skb, -1, 0, CT_INVALID, hook);
    const t = this.tA;
    invertTuple(this.tB, t);
    const e = ct.alloc(t, this.tB, now);
    if (e < 0) {
      // The table is full and nothing could be evicted (alloc counted `drop`): nf_conntrack_in
      // drops the packet.
      this.tableFull = true;
      return this.setCt(skb, -1, 0, CT_INVALID, hook);
    }
    if (proto === IPPROTO_TCP) {
      const st = tcpNewState(skb.tcpFlags, this.loose);
      if (st > 9) {
        ct.release(e);
        this.stats.invalid++;
        return this.setCt(skb, -1, 0, CT_INVALID, hook);
      }
      ct.setTcpState(e, st);
    }
    this.ctPacket(skb, e, DIR_ORIGINAL, true, nowTick, now, hook);
  }

  /** The per-protocol update of entry `e` for this packet (nf_conntrack_in after the lookup). */
  private ctPacket(
    skb: Skb,
    e: number,
    dir: number,
    created: boolean,
    nowTick: number,
    now: number,
    hook: HookName,
  ): void {
    const ct = this.conntrack;
    const m = e * REC_WORDS + REC_META;
    const before = ct.rec[m]!;
    const proto = skb.proto;
    if (proto === IPPROTO_TCP) {
      const flags = skb.tcpFlags;
      // The sequence number matters only for a SYN (tcpPacket keeps the last one).
      const seq = flags & TCP_SYN ? read32(skb.buf, skb.l4off + 4) : 0;
      const v = tcpPacketTick(ct, e, dir, flags, seq, nowTick, this.timeoutTicks, created);
      if (v === TCP_VERDICT_REOPEN) {
        ct.remove(e);
        return this.conntrackIn(skb, now, hook);
      }
      if (v === TCP_VERDICT_INVALID) {
        this.stats.invalid++;
        return this.setCt(skb, -1, 0, CT_INVALID, hook);
      }
      if (v === TCP_VERDICT_KILLED) {
        // The entry is gone from the table, but this packet still carries it (and its NAT).
      }
    } else if (proto === IPPROTO_UDP) {
      udpPacketTick(ct, e, nowTick, this.timeoutTicks);
    } else if (proto === IPPROTO_ICMP) {
      icmpPacket(ct, e, nowTick, this.timeoutTicks);
    } else {
      genericPacket(ct, e, nowTick, this.timeoutTicks);
    }
    let ctinfo: number;
    if (dir === DIR_REPLY) {
      ctinfo = IP_CT_ESTABLISHED_REPLY;
      ct.rec[m]! |= IPS_SEEN_REPLY;
    } else {
      ctinfo = ct.rec[m]! & IPS_SEEN_REPLY ? IP_CT_ESTABLISHED : IP_CT_NEW;
    }
    skb.ct = e;
    skb.ctDir = dir;
    skb.ctinfo = ctinfo;
    if (this.tracer) this.tracer.conntrack(hook, ctinfo, e, created);
    // An event when the state or the status changed (the top 4 bits are last_index, not state).
    const after = ct.rec[m]!;
    if (!created && (after & IPS_CONFIRMED) !== 0 && ((before ^ after) & 0x0fffffff) !== 0) {
      ct.listener?.('UPDATE', e);
      this.tracer?.ctEvent('UPDATE', e);
    }
  }

  /** Set by conntrackIn when the packet could not get an entry because the table is full. */
  private tableFull = false;

  private fullDrop(skb: Skb): number {
    this.tableFull = false;
    return this.dropped(skb, DropReason.NF_CT_TABLE_FULL);
  }

  private setCt(skb: Skb, e: number, dir: number, ctinfo: number, hook: HookName, created = false): void {
    skb.ct = e;
    skb.ctDir = dir;
    skb.ctinfo = ctinfo;
    this.tracer?.conntrack(hook, ctinfo, e, created);
  }

  /**
   * nf_conntrack_icmpv4_error / icmp_error_message: an ICMP error is RELATED to the connection
   * whose packet it quotes. The quoted tuple, inverted, is looked up; its direction gives RELATED
   * or RELATED_REPLY. An error that quotes no known connection, or whose outer destination is not
   * that connection's, is left without an entry (INVALID).
   */
  private icmpErrorIn(skb: Skb, now: number, hook: HookName): void {
    const q = quotedTuple(skb, this.tA);
    if (!q || !invertTuple(this.tB, this.tA)) return this.setCt(skb, -1, 0, CT_INVALID, hook);
    const t = this.tB;
    const ed = this.conntrack.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now);
    if (ed < 0) return this.setCt(skb, -1, 0, CT_INVALID, hook);
    const e = ed >>> 1;
    const dir = ed & 1;
    if (this.conntrack.dst(e, dir) !== skb.dst) return this.setCt(skb, -1, 0, CT_INVALID, hook);
    this.setCt(skb, e, dir, dir === DIR_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED, hook);
  }

  private confirm(skb: Skb, now: number): number {
    const e = skb.ct;
    // __nf_conntrack_confirm: only a packet in the original direction confirms an entry.
    if (e < 0 || skb.ctDir !== DIR_ORIGINAL || this.conntrack.isConfirmed(e)) return NF_ACCEPT;
    if (!this.conntrack.confirm(e, now)) {
      this.stats.insert_failed++;
      skb.ct = -1;
      return this.dropped(skb, DropReason.NF_CT_INSERT_FAILED);
    }
    this.tracer?.ctEvent('NEW', e);
    return NF_ACCEPT;
  }

  // ---- NAT ---------------------------------------------------------------------------------

  /** nf_nat_inet_fn: bind a new connection once per manip type, then rewrite from the entry. */
  private natHook(skb: Skb, hook: HookName, manip: number, now: number): number {
    const e = skb.ct;
    if (e < 0) return NF_ACCEPT;
    if ((skb.ctinfo === IP_CT_RELATED || skb.ctinfo === IP_CT_RELATED_REPLY) && skb.proto === IPPROTO_ICMP) {
      return this.icmpReplyTranslation(skb, hook, manip)
        ? NF_ACCEPT
        : this.dropped(
            skb,
            skb.icmpType === 5 ? DropReason.NF_NAT_ICMP_REDIRECT : DropReason.NF_NAT_ICMP_UNTRANSLATABLE,
          );
    }
    const ct = this.conntrack;
    const doneBit = manip === MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
    let by: 'rule' | 'null-binding' | 'mapping' = 'mapping';
    if (skb.ctinfo === IP_CT_NEW && (ct.statusOf(e) & doneBit) === 0) {
      by = 'rule';
      if (this.natTable) {
        const v = this.runTable('nat', hook, skb, now);
        if (v === T_DROP) return this.dropped(skb, DropReason.NETFILTER_DROP, TABLE_NAT);
      }
      const natBits = ct.statusOf(e) & (IPS_SRC_NAT | IPS_DST_NAT);
      if ((ct.statusOf(e) & doneBit) === 0) {
        // No rule bound it: the null binding (nf_nat_alloc_null_binding), still clash-checked.
        if (!this.nat.setup(e, undefined, manip, now))
          return this.dropped(skb, DropReason.NF_NAT_NO_FREE_TUPLE);
        by = 'null-binding';
        if (this.tracer)
          this.tracer.nullBinding(
            hook,
            manip === MANIP_SRC ? 'SNAT' : 'DNAT',
            (ct.statusOf(e) & ~natBits & (IPS_SRC_NAT | IPS_DST_NAT)) !== 0,
          );
      }
    }
    this.manipPacket(skb, hook, manip, by);
    return NF_ACCEPT;
  }

  /** nf_nat_packet: rewrite this packet if its direction needs this manip type. */
  private manipPacket(
    skb: Skb,
    hook: HookName,
    manip: number,
    by: 'rule' | 'null-binding' | 'mapping',
  ): void {
    const rec = this.conntrack.rec;
    const e = skb.ct;
    const dir = skb.ctDir;
    let statusBit = manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    if (dir === DIR_REPLY) statusBit ^= IPS_SRC_NAT | IPS_DST_NAT;
    if ((rec[e * REC_WORDS + REC_META]! & statusBit) === 0) return;
    const proto = skb.proto;
    const before = this.tracer ? ([skb.src, skb.dst, skb.sport, skb.dport] as const) : undefined;
    const b = skb.buf;
    const o = skb.off;
    const l4 = skb.l4off;
    // The target is the inverse of the other direction's tuple: for a source manip, its
    // destination address and port; for a destination manip, its source (ICMP: the echo id, its
    // source "port", either way). Read from the record directly, nothing copied.
    const other = e * REC_WORDS + (dir ^ 1) * 3;
    const otherPorts = rec[other + 2]!;
    const ports = proto === IPPROTO_TCP || proto === IPPROTO_UDP;
    if (manip === MANIP_SRC) {
      const addr = rec[other + 1]!;
      if (skb.src !== addr) setAddr(b, o, l4, proto, 12, addr >>> 16, addr & 0xffff);
      if (ports) setL4Port(b, l4, proto, 0, otherPorts & 0xffff);
    } else {
      const addr = rec[other]!;
      if (skb.dst !== addr) setAddr(b, o, l4, proto, 16, addr >>> 16, addr & 0xffff);
      if (ports) setL4Port(b, l4, proto, 2, otherPorts >>> 16);
    }
    if (proto === IPPROTO_ICMP) {
      // icmp_manip_pkt: the echo id is rewritten to the target's id for either manip type.
      if (read16(b, l4 + 4) !== otherPorts >>> 16) icmpSetEchoId(b, l4, otherPorts >>> 16);
    }
    if (ports && !skb.fragment) {
      // Only one address and one port changed, to the values just written: refresh those fields
      // as parse() would, without reading the bytes back.
      const l4len = o + skb.len - l4;
      const whole = proto === IPPROTO_UDP ? l4len >= 8 : l4len >= 14;
      if (manip === MANIP_SRC) {
        skb.src = rec[other + 1]!;
        if (whole) skb.sport = otherPorts & 0xffff;
      } else {
        skb.dst = rec[other]!;
        if (whole) skb.dport = otherPorts >>> 16;
      }
    } else {
      skb.parse();
    }
    if (this.tracer && before) {
      this.tracer.nat(hook, {
        manip: manip === MANIP_SRC ? 'SNAT' : 'DNAT',
        before,
        after: [skb.src, skb.dst, skb.sport, skb.dport],
        by,
      });
    }
  }

  /** A NAT target matched: set up the binding for this connection (xt_nat.c → nf_nat_setup_info). */
  private bindNat(skb: Skb, manip: number, r: NatRangeN, now: number): boolean {
    return this.nat.setup(skb.ct, r, manip, now);
  }

  /**
   * nf_nat_icmp_reply_translation: rewrite an ICMP error about a NATed connection as that
   * connection's own packets are rewritten. The quoted packet gets the opposite manip towards the
   * other direction's tuple; the ICMP checksum is recomputed; the outer header is changed like a
   * reply. Redirects about a NATed connection are dropped (they would mislead the sender).
   */
  private icmpReplyTranslation(skb: Skb, hook: HookName, manip: number): boolean {
    const ct = this.conntrack;
    const e = skb.ct;
    const dir = skb.ctDir;
    const status = ct.statusOf(e);
    if (skb.icmpType === 5) {
      if ((status & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE)) !== (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE))
        return false;
      if (status & (IPS_SRC_NAT | IPS_DST_NAT)) return false;
    }
    let statusBit = manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    if (dir === DIR_REPLY) statusBit ^= IPS_SRC_NAT | IPS_DST_NAT;
    if ((status & statusBit) === 0) return true;
    const b = skb.buf;
    const before = this.tracer ? ([skb.src, skb.dst, 0, 0] as const) : undefined;
    // The quoted packet: the other direction's tuple as is, with the opposite manip.
    ct.readTuple(e, dir ^ 1, this.tB);
    const inner = skb.l4off + 8;
    if (!manipQuoted(b, inner, skb.off + skb.len, this.tB, manip === MANIP_SRC ? MANIP_DST : MANIP_SRC))
      return false;
    icmpFillChecksum(b, skb.l4off, skb.off + skb.len - skb.l4off);
    // The outer header: like a reply to the other direction.
    invertTuple(this.tC, this.tB);
    if (manip === MANIP_SRC) ipv4SetSrc(b, skb.off, this.tC.src);
    else ipv4SetDst(b, skb.off, this.tC.dst);
    skb.parse();
    if (this.tracer && before) {
      this.tracer.nat(hook, {
        manip: manip === MANIP_SRC ? 'SNAT' : 'DNAT',
        before,
        after: [skb.src, skb.dst, 0, 0],
        by: 'mapping',
      });
    }
    return true;
  }

  // ---- tables ------------------------------------------------------------------------------

  /** Walks one table's built-in chain for this hook (ipt_do_table). */
  private runTable(table: TableName, hook: HookName, skb: Skb, now = 0): number {
    // The table's built-in chain for this hook, and its compiled form, without a Map lookup.
    const entry = entryIndex(table, hook);
    const start = this.entryChains[entry];
    if (!start) return T_ACCEPT;
    // A stack of (chain, next rule index) for jumps; goto replaces the top. The arrays are the
    // engine's, reused: `sp` entries of them belong to this walk.
    const stackC = this.stackC;
    const stackI = this.stackI;
    let sp = 0;
    let chain: Chain = start;
    let i = 0;
    let comp = this.entryCompiled[entry];
    if (!comp || comp.rules !== chain.rules) comp = this.entryCompiled[entry] = this.compiledOf(chain);
    const tracer = this.tracer;
    for (;;) {
      // Skip straight to the next rule that can match (xt/compile.ts); same answer as the walk.
      // With a tracer the walk tries every rule, so the trace can say why each one did not match.
      if (!tracer) i = comp.next(skb, i);
      if (i >= chain.rules.length) {
        if (sp === 0) {
          countPacket(chain.counters, skb.len);
          const pol = chain.policy ?? 'ACCEPT';
          this.tracer?.policy(hook, table, chain.name, pol);
          return pol === 'DROP' ? T_DROP : T_ACCEPT;
        }
        sp--;
        chain = stackC[sp]!;
        i = stackI[sp]!;
        comp = this.compiledOf(chain);
        continue;
      }
      const rule = chain.rules[i]!;
      i++;
      if (tracer) {
        const fail = ruleMismatch(rule, skb, comp.state[i - 1]);
        if (fail !== MATCHED) {
          tracer.ruleMiss(hook, table, chain.name, i, rule, describeMismatch(rule, fail, skb));
          continue;
        }
      } else if (!ruleMatches(rule, skb, comp.state[i - 1])) continue;
      countPacket(rule.counters, skb.len);
      this.tracer?.rule(hook, table, chain.name, i, rule);
      const t = rule.target;
      if (!t) continue;
      switch (t.kind) {
        case 'ACCEPT':
          return T_ACCEPT;
        case 'DROP':
          return T_DROP;
        case 'REJECT':
          skb.rejectWith = t.with;
          return T_REJECT;
        case 'RETURN':
          if (sp === 0) {
            i = chain.rules.length; // RETURN in a built-in chain: apply the policy
          } else {
            sp--;
            chain = stackC[sp]!;
            i = stackI[sp]!;
            comp = this.compiledOf(chain);
          }
          continue;
        case 'jump':
        case 'goto': {
          const next = this.tables.get(table)!.get(t.chain);
          if (!next) return T_DROP; // refused by checkRuleset; never reached
          if (t.kind === 'jump') {
            stackC[sp] = chain;
            stackI[sp] = i;
            sp++;
          }
          chain = next;
          i = 0;
          comp = this.compiledOf(chain);
          continue;
        }
        case 'LOG':
        case 'MARK':
        case 'CONNMARK':
        case 'TRACE':
        case 'NFLOG':
          runXtTarget(t, skb); // non-terminal: the walk goes on
          continue;
        case 'CT':
        case 'NOTRACK':
          // xt_CT.c notrack: the packet skips conntrack (and so NAT); -m state sees UNTRACKED.
          skb.ct = NOTRACK;
          skb.ctinfo = CT_UNTRACKED;
          continue;
        case 'TCPMSS':
          if (!tcpmssTarget(skb, t.mss)) return T_DROP; // xt/tcpmss.ts (xt_TCPMSS.c)
          continue;
        case 'NETMAP': {
          // xt_NETMAP.c: keep the host part of the address, put in the network part of --to.
          const manip = hook === 'PREROUTING' || hook === 'OUTPUT' ? MANIP_DST : MANIP_SRC;
          const old = manip === MANIP_DST ? skb.dst : skb.src;
          const addr = ((t.to.addr & t.to.mask) | (old & ~t.to.mask)) >>> 0;
          return this.bindNat(skb, manip, this.scratch(addr, undefined, 0), now) ? T_ACCEPT : T_DROP;
        }
        case 'DNAT':
        case 'SNAT': {
          // The target's range in numbers, made at its first use (targets are immutable).
          let range = this.ranges.get(t);
          if (!range) {
            const r = t.ranges[0];
            range = r
              ? toRangeN(r, t.flags)
              : { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: natFlags(t.flags) };
            this.ranges.set(t, range);
          }
          return this.bindNat(skb, t.kind === 'SNAT' ? MANIP_SRC : MANIP_DST, range, now) ? T_ACCEPT : T_DROP;
        }
        case 'MASQUERADE': {
          // nf_nat_masquerade_ipv4: the out interface's address towards the next hop.
          const addr = this.host.masqueradeAddress(skb.outIf, skb.dst);
          if (addr === 0) return T_DROP;
          const range = this.scratch(addr, t.ports, natFlags(t.flags));
          if (!this.bindNat(skb, MANIP_SRC, range, now)) return T_DROP;
          this.tagMasquerade(skb.ct, skb.outIf);
          return T_ACCEPT;
        }
        case 'REDIRECT': {
          // nf_nat_redirect_ipv4: the in interface's primary address (127.0.0.1 when local).
          const addr = hook === 'OUTPUT' ? 0x7f000001 : this.host.primaryAddress(skb.inIf);
          if (addr === 0) return T_DROP;
          const range = this.scratch(addr, t.ports, natFlags(t.flags));
          return this.bindNat(skb, MANIP_DST, range, now) ? T_ACCEPT : T_DROP;
        }
        case 'other':
          return T_DROP; // refused by checkRuleset; never reached
      }
    }
  }

  /** The compiled form of a chain (xt/compile.ts), made at its first use. */
  private compiledOf(chain: Chain): CompiledChain {
    let c = this.compiled.get(chain);
    if (!c || c.rules !== chain.rules) {
      c = compileChain(chain, c);
      this.compiled.set(chain, c);
    }
    return c;
  }
  private readonly compiled = new Map<Chain, CompiledChain>();
  /** Per entryIndex: the built-in chain a table has at a hook (fixed at construction). */
  private readonly entryChains: (Chain | undefined)[] = new Array<Chain | undefined>(25).fill(undefined);
  /** Per entryIndex: that chain's compiled form, kept while its rule array is the same. */
  private readonly entryCompiled: (CompiledChain | undefined)[] = new Array<CompiledChain | undefined>(
    25,
  ).fill(undefined);

  /** The range of MASQUERADE and REDIRECT: one address, the target's ports (a reused object). */
  private scratch(addr: number, ports: { min: number; max: number } | undefined, flags: number): NatRangeN {
    const r = this.scratchRange;
    r.minAddr = addr;
    r.maxAddr = addr;
    r.minPort = ports?.min ?? 0;
    r.maxPort = ports?.max ?? 0;
    r.flags = NF_NAT_RANGE_MAP_IPS | (ports ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | flags;
    return r;
  }

  private dropped(skb: Skb, reason: DropReason, table = 0): number {
    skb.dropReason = reason;
    skb.dropTable = table;
    this.drops[reason]!++;
    this.abandon(skb);
    return NF_DROP;
  }

  /** Whether this entry has been assured (for tests and the trace). */
  isAssured(e: number): boolean {
    return (this.conntrack.statusOf(e) & IPS_ASSURED) !== 0;
  }
}

/**
 * Replaces the IPv4 address at `o + at` (12: source, 16: destination), given as two 16-bit
 * halves, and fixes the IP header checksum and the TCP/UDP pseudo-header checksum (RFC 1624), as
 * ipv4SetSrc/ipv4SetDst + tcpPseudoAddrChanged/udpPseudoAddrChanged do, with the same arithmetic.
 * Halves, because a 32-bit address passed to a call that is not inlined is boxed (an allocation
 * per packet); 16-bit values never are.
 */
function setAddr(
  b: Uint8Array,
  o: number,
  l4: number,
  proto: number,
  at: number,
  nh: number,
  nl: number,
): void {
  const p = o + at;
  const oh = (b[p]! << 8) | b[p + 1]!;
  const ol = (b[p + 2]! << 8) | b[p + 3]!;
  // RFC 1624 eqn. 3 for both halves at once, ~m + m' summed once for both checksums: the same
  // value as two checksumUpdate16 calls in a row (one's-complement addition is associative, and a
  // folded non-zero sum is never 0, so folding early or late gives the same 16 bits).
  const d = (~oh & 0xffff) + (~ol & 0xffff) + nh + nl;
  write16(b, o + 10, addDelta(read16(b, o + 10), d));
  b[p] = nh >>> 8;
  b[p + 1] = nh & 0xff;
  b[p + 2] = nl >>> 8;
  b[p + 3] = nl & 0xff;
  if (proto === IPPROTO_TCP) {
    write16(b, l4 + 16, addDelta(read16(b, l4 + 16), d));
  } else if (proto === IPPROTO_UDP) {
    const hc = read16(b, l4 + 6);
    if (hc === 0) return; // no checksum: stays 0
    const c = addDelta(hc, d);
    write16(b, l4 + 6, c === 0 ? 0xffff : c);
  }
}

/** HC' = ~(~HC + d) with end-around carry, for d a sum of at most four 16-bit words. */
function addDelta(hc: number, d: number): number {
  let sum = (~hc & 0xffff) + d;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Sets a TCP/UDP port (`which` 0 = source, 2 = destination) and fixes the checksum. */
function setL4Port(b: Uint8Array, l4: number, proto: number, which: 0 | 2, port: number): void {
  if (read16(b, l4 + which) === port) return;
  if (proto === IPPROTO_TCP) tcpSetPort(b, l4, which, port);
  else udpSetPort(b, l4, which, port);
}

const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);
/** The error types conntrack relates to a connection (icmp_error_message's list). */
const icmpIsError = (type: number): boolean => ICMP_ERROR_TYPES.has(type);

/**
 * The tuple of the packet an ICMP error quotes (IP header + at least 8 bytes), into `out`.
 * Returns false when the quote is too short or not something conntrack tracks.
 */
function quotedTuple(skb: Skb, out: TupleBuf): boolean {
  const b = skb.buf;
  const end = skb.off + skb.len;
  const q = skb.l4off + 8;
  if (end - q < 20 || b[q]! >> 4 !== 4) return false;
  const qhl = (b[q]! & 0x0f) * 4;
  if (qhl < 20 || end - q < qhl + 8) return false;
  const proto = b[q + 9]!;
  const src = read32(b, q + 12);
  const dst = read32(b, q + 16);
  const l4 = q + qhl;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP)
    out.set(src, dst, proto, read16(b, l4), read16(b, l4 + 2));
  else if (proto === IPPROTO_ICMP) {
    if (!icmpIsQuery(b[l4]!)) return false; // an error about an error is not tracked
    out.set(src, dst, proto, read16(b, l4 + 4), (b[l4]! << 8) | b[l4 + 1]!);
  } else out.set(src, dst, proto, 0, 0);
  return true;
}

/**
 * nf_nat_ipv4_manip_pkt on the quoted packet at `q`: set its source (or destination) address and
 * port from `t`, fixing the quoted IP header checksum and, when the quote holds it whole, the
 * quoted L4 checksum (a quoted TCP header cut at 8 bytes keeps its checksum, as in the kernel).
 */
function manipQuoted(b: Uint8Array, q: number, end: number, t: TupleBuf, manip: number): boolean {
  const qhl = (b[q]! & 0x0f) * 4;
  const proto = b[q + 9]!;
  const l4 = q + qhl;
  const oldAddr = read32(b, q + (manip === MANIP_SRC ? 12 : 16));
  const newAddr = manip === MANIP_SRC ? t.src : t.dst;
  if (manip === MANIP_SRC) ipv4SetSrc(b, q, newAddr);
  else ipv4SetDst(b, q, newAddr);
  if (proto === IPPROTO_TCP) {
    const whole = end - l4 >= 20;
    if (whole && oldAddr !== newAddr) tcpPseudoAddrChanged(b, l4, oldAddr, newAddr);
    const which = manip === MANIP_SRC ? 0 : 2;
    const port = manip === MANIP_SRC ? t.sport : t.dport;
    if (whole) tcpSetPort(b, l4, which, port);
    else write16(b, l4 + which, port);
  } else if (proto === IPPROTO_UDP) {
    if (oldAddr !== newAddr) udpPseudoAddrChanged(b, l4, oldAddr, newAddr);
    udpSetPort(b, l4, manip === MANIP_SRC ? 0 : 2, manip === MANIP_SRC ? t.sport : t.dport);
  } else if (proto === IPPROTO_ICMP) {
    if (read16(b, l4 + 4) !== t.sport) icmpSetEchoId(b, l4, t.sport);
  }
  return true;
}

const CT_MATCHES = new Set(['conntrack', 'state', 'connmark']);
const CT_TARGETS = new Set(['CT', 'NOTRACK', 'CONNMARK', 'MASQUERADE', 'SNAT', 'DNAT', 'REDIRECT', 'NETMAP']);

/** nf_ct_netns_get callers: the nat table, and matches/targets that use conntrack. */
export function needsConntrack(rs: Ruleset): boolean {
  if (rs.tables.has('nat')) return true;
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        if (r.matches.some((m) => CT_MATCHES.has(m.module === 'other' ? m.name : m.module))) return true;
        const tk = r.target?.kind;
        if (tk && CT_TARGETS.has(tk === 'other' ? (r.target as { name: string }).name : tk)) return true;
      }
    }
  }
  return false;
}

/** ICMP types that may start a connection (nf_conntrack_icmp_packet's valid_new). */
const icmpIsRequest = (type: number): boolean => type === 8 || type === 13 || type === 15 || type === 17;

/** What the engine and the stack fill in for the matches (see MatchCaps in xt/match.ts). */
const MATCH_CAPS = { env: true, clock: true, linkLayer: true, owner: true } as const;

const HOOKS: readonly HookName[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** A number for each (table, hook) pair, 0..24: a switch over constant strings, not a Map lookup. */
function entryIndex(table: TableName, hook: HookName): number {
  let t: number;
  switch (table) {
    case 'raw':
      t = 0;
      break;
    case 'mangle':
      t = 5;
      break;
    case 'nat':
      t = 10;
      break;
    case 'filter':
      t = 15;
      break;
    default:
      t = 20;
  }
  switch (hook) {
    case 'PREROUTING':
      return t;
    case 'INPUT':
      return t + 1;
    case 'FORWARD':
      return t + 2;
    case 'OUTPUT':
      return t + 3;
    default:
      return t + 4;
  }
}

/** established(): the packet is not one the short way takes (nothing was changed). */
const NOT_SHORT = -1;

/** Packets whose lookups forwardEstablished makes together. */
const BATCH = 32;

/** ConntrackTable.masq's tag for an interface found in Netfilter.masqMore. */
const MASQ_MORE = 255;

/** skb.ct for a packet NOTRACK / CT --notrack took out of connection tracking. */
export const NOTRACK = -2;

for (const t of ['MARK', 'CONNMARK', 'TRACE', 'NFLOG']) ENGINE_RUNS_XT_TARGETS.add(t);
