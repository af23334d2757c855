// The netfilter engine of one host: conntrack, the four tables and NAT, hook by hook, in the
// kernel's order (netfilter-facts §1). The stack calls one method per hook with a reused Skb and
// the current time, and acts on the verdict. No I/O and no clock of its own.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4SetDst, ipv4SetSrc } from '../wire/ipv4.ts';
import { read16, read32, write16 } from '../wire/checksum.ts';
import { tcpPseudoAddrChanged, tcpSetPort } from '../wire/tcp.ts';
import { udpPseudoAddrChanged, udpSetPort } from '../wire/udp.ts';
import { icmpFillChecksum, icmpSetEchoId } from '../wire/icmp.ts';
import { BUILTIN_CHAINS, type Chain, type Rule, type Ruleset, type TableName } from '../rules/model.ts';
import {
  IPS_ASSURED,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  ConntrackTable,
} from './conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, icmpIsQuery, invertTuple, TupleBuf } from './conntrack/tuple.ts';
import {
  tcpNewState,
  tcpPacket,
  TCP_VERDICT_INVALID,
  TCP_VERDICT_KILLED,
  TCP_VERDICT_REOPEN,
} from './conntrack/proto-tcp.ts';
import { genericPacket, icmpPacket, udpPacket } from './conntrack/proto-udp-icmp.ts';
import { defaultTimeouts, isTimeoutName, type Timeouts } from './conntrack/timeouts.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NatCore,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatRangeN,
  type Rng,
} from './nat/nat-core.ts';
import { checkMatch, ruleMatches } from './xt/match.ts';
import { checkTarget, natFlags, toRangeN } from './xt/target.ts';
import {
  CT_INVALID,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  type Skb,
} from './skb.ts';
import type { HookName, NfTracer } from './trace-events.ts';

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
          const p = checkMatch(m);
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
  readonly timeouts: Timeouts;
  tracer: NfTracer | undefined;
  /** Packets dropped, by reason (conntrack INVALID is not a drop by itself). */
  readonly drops = new Map<string, number>();
  /** Counters as `conntrack -S` shows them. */
  readonly stats = { invalid: 0, insert_failed: 0, drop: 0, early_drop: 0 };

  private readonly tables: Map<TableName, Map<string, Chain>>;
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
    this.nat = new NatCore(this.conntrack, cfg.rng);
    this.host = cfg.host;
    this.timeouts = defaultTimeouts();
    for (const [k, v] of cfg.sysctls ?? []) if (isTimeoutName(k)) this.timeouts[k] = v;
    this.loose = (cfg.sysctls?.get('nf_conntrack_tcp_loose') ?? 1) !== 0;
    this.tables = new Map();
    for (const [name, t] of cfg.ruleset.tables) this.tables.set(name, t.chains);
    this.tracking = needsConntrack(cfg.ruleset);
  }

  // ---- hooks -------------------------------------------------------------------------------

  /** PREROUTING: raw, conntrack, mangle, nat (DNAT). */
  prerouting(skb: Skb, now: number): number {
    if (this.runTable('raw', 'PREROUTING', skb) !== T_ACCEPT) return this.dropped(skb, 'raw');
    this.conntrackIn(skb, now, 'PREROUTING');
    if (this.tableFull) return this.fullDrop(skb);
    if (this.runTable('mangle', 'PREROUTING', skb) !== T_ACCEPT) return this.dropped(skb, 'mangle');
    return this.natHook(skb, 'PREROUTING', MANIP_DST, now);
  }

  /** INPUT: mangle, filter, security, nat (SNAT), confirm. */
  input(skb: Skb, now: number): number {
    for (const t of ['mangle', 'filter', 'security'] as const) {
      const v = this.runTable(t, 'INPUT', skb);
      if (v !== T_ACCEPT) return this.dropped(skb, t, v === T_REJECT);
    }
    if (this.natHook(skb, 'INPUT', MANIP_SRC, now) !== NF_ACCEPT) return NF_DROP;
    return this.confirm(skb, now);
  }

  /** FORWARD: mangle, filter, security. */
  forward(skb: Skb, _now: number): number {
    for (const t of ['mangle', 'filter', 'security'] as const) {
      const v = this.runTable(t, 'FORWARD', skb);
      if (v !== T_ACCEPT) return this.dropped(skb, t, v === T_REJECT);
    }
    return NF_ACCEPT;
  }

  /** OUTPUT, first half: raw, conntrack, mangle, nat (DNAT). The stack reroutes after it. */
  output(skb: Skb, now: number): number {
    if (this.runTable('raw', 'OUTPUT', skb) !== T_ACCEPT) return this.dropped(skb, 'raw');
    this.conntrackIn(skb, now, 'OUTPUT');
    if (this.tableFull) return this.fullDrop(skb);
    if (this.runTable('mangle', 'OUTPUT', skb) !== T_ACCEPT) return this.dropped(skb, 'mangle');
    return this.natHook(skb, 'OUTPUT', MANIP_DST, now);
  }

  /** OUTPUT, second half (after rerouting): filter, security. */
  outputFilter(skb: Skb, _now: number): number {
    for (const t of ['filter', 'security'] as const) {
      const v = this.runTable(t, 'OUTPUT', skb);
      if (v !== T_ACCEPT) return this.dropped(skb, t, v === T_REJECT);
    }
    return NF_ACCEPT;
  }

  /** POSTROUTING: mangle, nat (SNAT), confirm. */
  postrouting(skb: Skb, now: number): number {
    if (this.runTable('mangle', 'POSTROUTING', skb) !== T_ACCEPT) return this.dropped(skb, 'mangle');
    if (this.natHook(skb, 'POSTROUTING', MANIP_SRC, now) !== NF_ACCEPT) return NF_DROP;
    return this.confirm(skb, now);
  }

  /** The stack dropped the packet on its own (no route, TTL): forget an unconfirmed entry. */
  abandon(skb: Skb): void {
    // Only the packet that created an unconfirmed entry owns it: a reply-direction packet attached
    // to it (an ICMP error or reset about it) leaves it alone.
    if (skb.ct >= 0 && skb.ctDir === DIR_ORIGINAL && !this.conntrack.isConfirmed(skb.ct))
      this.conntrack.release(skb.ct);
    skb.ct = -1;
  }

  /** Deletes the entries MASQUERADE made through `ifname` (its address went away or changed). */
  flushMasquerade(_ifname: string): void {
    // Masquerade cleanup needs the per-entry out interface; recorded in a later step (issue 5).
  }

  // ---- conntrack ---------------------------------------------------------------------------

  private conntrackIn(skb: Skb, now: number, hook: HookName): void {
    if (!this.tracking) return;
    if (skb.ct >= 0) {
      // Already attached (an ICMP error or reset the host made about a tracked packet).
      this.tracer?.conntrack(hook, skb.ctinfo, skb.ct, false);
      return;
    }
    const ct = this.conntrack;
    const t = this.tA;
    if (skb.proto === IPPROTO_ICMP) {
      if (icmpIsError(skb.icmpType)) return this.icmpErrorIn(skb, now, hook);
      if (!icmpIsQuery(skb.icmpType)) return this.setCt(skb, -1, 0, CT_INVALID, hook);
      t.set(skb.src, skb.dst, IPPROTO_ICMP, skb.sport, (skb.icmpType << 8) | skb.icmpCode);
    } else if (skb.proto === IPPROTO_TCP || skb.proto === IPPROTO_UDP) {
      t.set(skb.src, skb.dst, skb.proto, skb.sport, skb.dport);
    } else {
      t.set(skb.src, skb.dst, skb.proto, 0, 0);
    }
    const ed = ct.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now);
    let created = false;
    let e: number;
    let dir: number;
    if (ed < 0) {
      // nf_conntrack_icmp_packet: only a request starts an ICMP connection; a lone reply does not.
      if (skb.proto === IPPROTO_ICMP && !ICMP_REQUESTS.has(skb.icmpType))
        return this.setCt(skb, -1, 0, CT_INVALID, hook);
      invertTuple(this.tB, t);
      e = ct.alloc(t, this.tB, now);
      if (e < 0) {
        // The table is full and nothing could be evicted: nf_conntrack_in drops the packet.
        this.stats.drop++;
        this.tableFull = true;
        return this.setCt(skb, -1, 0, CT_INVALID, hook);
      }
      dir = DIR_ORIGINAL;
      created = true;
      if (skb.proto === IPPROTO_TCP) {
        const st = tcpNewState(skb.tcpFlags, this.loose);
        if (st > 9) {
          ct.release(e);
          this.stats.invalid++;
          return this.setCt(skb, -1, 0, CT_INVALID, hook);
        }
        ct.state[e] = st;
      }
    } else {
      e = ed >>> 1;
      dir = ed & 1;
    }
    const beforeState = ct.state[e]!;
    const beforeStatus = ct.status[e]!;
    if (skb.proto === IPPROTO_TCP) {
      const seq = read16(skb.buf, skb.l4off + 4) * 65536 + read16(skb.buf, skb.l4off + 6);
      const v = tcpPacket(ct, e, dir, skb.tcpFlags, seq, now, this.timeouts, created);
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
    } else if (skb.proto === IPPROTO_UDP) {
      udpPacket(ct, e, now, this.timeouts);
    } else if (skb.proto === IPPROTO_ICMP) {
      icmpPacket(ct, e, now, this.timeouts);
    } else {
      genericPacket(ct, e, now, this.timeouts);
    }
    let ctinfo: number;
    if (dir === DIR_REPLY) {
      ctinfo = IP_CT_ESTABLISHED_REPLY;
      ct.status[e]! |= IPS_SEEN_REPLY;
    } else {
      ctinfo = ct.status[e]! & IPS_SEEN_REPLY ? IP_CT_ESTABLISHED : IP_CT_NEW;
    }
    this.setCt(skb, e, dir, ctinfo, hook, created);
    if (!created && ct.isConfirmed(e) && (ct.state[e] !== beforeState || ct.status[e] !== beforeStatus)) {
      ct.listener?.('UPDATE', e);
      this.tracer?.ctEvent('UPDATE', e);
    }
  }

  /** Set by conntrackIn when the packet could not get an entry because the table is full. */
  private tableFull = false;

  private fullDrop(skb: Skb): number {
    this.tableFull = false;
    return this.dropped(
      skb,
      `conntrack: table full (nf_conntrack_max ${this.conntrack.max}), packet dropped`,
    );
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
      return this.dropped(skb, 'conntrack: insert failed (tuple clash)');
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
            skb.icmpType === 5
              ? 'nat: an ICMP redirect about a NATed connection is dropped (it would name a translated address)'
              : 'nat: ICMP error about a NATed connection could not be translated',
          );
    }
    const ct = this.conntrack;
    const doneBit = manip === MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
    let by: 'rule' | 'null-binding' | 'mapping' = 'mapping';
    if (skb.ctinfo === IP_CT_NEW && (ct.status[e]! & doneBit) === 0) {
      by = 'rule';
      if (this.tables.has('nat')) {
        const v = this.runTable('nat', hook, skb, now);
        if (v === T_DROP) return this.dropped(skb, 'nat');
      }
      const natBits = ct.status[e]! & (IPS_SRC_NAT | IPS_DST_NAT);
      if ((ct.status[e]! & doneBit) === 0) {
        // No rule bound it: the null binding (nf_nat_alloc_null_binding), still clash-checked.
        if (!this.nat.setup(e, undefined, manip, now)) return this.dropped(skb, 'nat: no free tuple');
        by = 'null-binding';
        if (this.tracer)
          this.tracer.nullBinding(
            hook,
            manip === MANIP_SRC ? 'SNAT' : 'DNAT',
            (ct.status[e]! & ~natBits & (IPS_SRC_NAT | IPS_DST_NAT)) !== 0,
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
    const ct = this.conntrack;
    const e = skb.ct;
    const dir = skb.ctDir;
    let statusBit = manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT;
    if (dir === DIR_REPLY) statusBit ^= IPS_SRC_NAT | IPS_DST_NAT;
    if ((ct.status[e]! & statusBit) === 0) return;
    // The target is the inverse of the other direction's tuple.
    ct.readTuple(e, dir ^ 1, this.tB);
    invertTuple(this.tC, this.tB);
    const before = this.tracer ? ([skb.src, skb.dst, skb.sport, skb.dport] as const) : undefined;
    const b = skb.buf;
    const o = skb.off;
    const l4 = skb.l4off;
    const proto = skb.proto;
    if (manip === MANIP_SRC) {
      const oldAddr = skb.src;
      if (oldAddr !== this.tC.src) {
        ipv4SetSrc(b, o, this.tC.src);
        fixL4Pseudo(b, l4, proto, oldAddr, this.tC.src);
      }
      if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) setL4Port(b, l4, proto, 0, this.tC.sport);
    } else {
      const oldAddr = skb.dst;
      if (oldAddr !== this.tC.dst) {
        ipv4SetDst(b, o, this.tC.dst);
        fixL4Pseudo(b, l4, proto, oldAddr, this.tC.dst);
      }
      if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) setL4Port(b, l4, proto, 2, this.tC.dport);
    }
    if (proto === IPPROTO_ICMP) {
      // icmp_manip_pkt: the echo id is rewritten to the target's id for either manip type.
      if (read16(b, l4 + 4) !== this.tC.sport) icmpSetEchoId(b, l4, this.tC.sport);
    }
    skb.parse();
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
    const status = ct.status[e]!;
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
    const chains = this.tables.get(table);
    if (!chains) return T_ACCEPT;
    const start = chains.get(hook);
    if (!start || !BUILTIN_CHAINS[table].includes(hook)) return T_ACCEPT;
    // A stack of (chain, next rule index) for jumps; goto replaces the top.
    const stackC: Chain[] = [];
    const stackI: number[] = [];
    let chain: Chain = start;
    let i = 0;
    for (;;) {
      if (i >= chain.rules.length) {
        if (stackC.length === 0) {
          chain.counters.packets++;
          chain.counters.bytes += skb.len;
          const pol = chain.policy ?? 'ACCEPT';
          this.tracer?.policy(hook, table, chain.name, pol);
          return pol === 'DROP' ? T_DROP : T_ACCEPT;
        }
        chain = stackC.pop()!;
        i = stackI.pop()!;
        continue;
      }
      const rule = chain.rules[i]!;
      i++;
      if (!ruleMatches(rule, skb)) continue;
      rule.counters.packets++;
      rule.counters.bytes += skb.len;
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
          if (stackC.length === 0) {
            i = chain.rules.length; // RETURN in a built-in chain: apply the policy
          } else {
            chain = stackC.pop()!;
            i = stackI.pop()!;
          }
          continue;
        case 'jump':
        case 'goto': {
          const next = chains.get(t.chain);
          if (!next) return T_DROP; // refused by checkRuleset; never reached
          if (t.kind === 'jump') {
            stackC.push(chain);
            stackI.push(i);
          }
          chain = next;
          i = 0;
          continue;
        }
        case 'LOG':
          continue;
        case 'DNAT':
        case 'SNAT': {
          const r = t.ranges[0];
          const range = r
            ? toRangeN(r, t.flags)
            : { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: natFlags(t.flags) };
          return this.bindNat(skb, t.kind === 'SNAT' ? MANIP_SRC : MANIP_DST, range, now) ? T_ACCEPT : T_DROP;
        }
        case 'MASQUERADE': {
          // nf_nat_masquerade_ipv4: the out interface's address towards the next hop.
          const addr = this.host.masqueradeAddress(skb.outIf, skb.dst);
          if (addr === 0) return T_DROP;
          const range: NatRangeN = {
            minAddr: addr,
            maxAddr: addr,
            minPort: t.ports?.min ?? 0,
            maxPort: t.ports?.max ?? 0,
            flags: NF_NAT_RANGE_MAP_IPS | (t.ports ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | natFlags(t.flags),
          };
          return this.bindNat(skb, MANIP_SRC, range, now) ? T_ACCEPT : T_DROP;
        }
        case 'REDIRECT': {
          // nf_nat_redirect_ipv4: the in interface's primary address (127.0.0.1 when local).
          const addr = hook === 'OUTPUT' ? 0x7f000001 : this.host.primaryAddress(skb.inIf);
          if (addr === 0) return T_DROP;
          const range: NatRangeN = {
            minAddr: addr,
            maxAddr: addr,
            minPort: t.ports?.min ?? 0,
            maxPort: t.ports?.max ?? 0,
            flags: NF_NAT_RANGE_MAP_IPS | (t.ports ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | natFlags(t.flags),
          };
          return this.bindNat(skb, MANIP_DST, range, now) ? T_ACCEPT : T_DROP;
        }
        case 'other':
          return T_DROP; // refused by checkRuleset; never reached
      }
    }
  }

  private dropped(skb: Skb, why: string, reject = false): number {
    const reason = reject
      ? `rejected by the ${why} table`
      : why.includes(':')
        ? why
        : `dropped by the ${why} table`;
    skb.dropReason = reason;
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    this.abandon(skb);
    return NF_DROP;
  }

  /** Whether this entry has been assured (for tests and the trace). */
  isAssured(e: number): boolean {
    return (this.conntrack.status[e]! & IPS_ASSURED) !== 0;
  }
}

/** An address in the pseudo-header changed: fix the TCP or UDP checksum (RFC 1624). */
function fixL4Pseudo(b: Uint8Array, l4: number, proto: number, from: number, to: number): void {
  if (proto === IPPROTO_TCP) tcpPseudoAddrChanged(b, l4, from, to);
  else if (proto === IPPROTO_UDP) udpPseudoAddrChanged(b, l4, from, to);
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
const ICMP_REQUESTS = new Set([8, 13, 15, 17]);
