// Rule matching: the fields every iptables rule has (ip_packet_match in ip_tables.c: addresses,
// interfaces, protocol, fragment) and the match modules natbox evaluates (xt_tcpudp, xt_icmp,
// xt_conntrack, xt_state, xt_multiport, xt_comment, and xt_addrtype, xt_iprange, xt_mark,
// xt_connmark, xt_mac, xt_length, xt_ttl, xt_pkttype, xt_tos, xt_dscp, xt_limit, xt_statistic,
// xt_physdev, xt_owner). checkMatch() says which modules cannot be evaluated with what the caller
// fills in (MatchCaps), so a ruleset that uses one is refused instead of silently misread.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import type {
  ConntrackMatch,
  CtStateName,
  IfaceMatch,
  Inv,
  Match,
  PktTypeName,
  PortRange,
  Rule,
} from '../../rules/iptables/model.ts';
import { formatIpv4, formatPrefix, type Prefix } from '../../wire/addr.ts';
import { XT_LIMIT_SCALE } from '../../rules/iptables/parse-matches.ts';
import { IPS_DST_NAT, IPS_SRC_NAT } from '../conntrack/table.ts';
import { TupleBuf } from '../conntrack/tuple.ts';
import {
  CT_INVALID,
  CT_UNTRACKED,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  RTN_BROADCAST,
  RTN_MULTICAST,
  RTN_UNICAST,
  type Skb,
} from '../core/skb.ts';

const inv = (m: boolean, i: boolean): boolean => m !== i;

function ifaceMatches(name: string, m: IfaceMatch): boolean {
  return m.wildcard ? name.startsWith(m.name) : name === m.name;
}

const inPorts = (p: number, r: PortRange): boolean => p >= r.min && p <= r.max;

function portOk(p: number, m: Inv<PortRange> | undefined): boolean {
  return m === undefined || inv(inPorts(p, m.value), m.invert);
}

/** The ctstate bit of this packet, as xt_conntrack computes it (XT_CONNTRACK_STATE_BIT). */
function ctStateName(skb: Skb): CtStateName {
  switch (skb.ctinfo) {
    case IP_CT_NEW:
      return 'NEW';
    case IP_CT_ESTABLISHED:
    case IP_CT_ESTABLISHED_REPLY:
      return 'ESTABLISHED';
    case IP_CT_RELATED:
    case IP_CT_RELATED_REPLY:
      return 'RELATED';
    case CT_UNTRACKED:
      return 'UNTRACKED';
    case CT_INVALID:
    default:
      return 'INVALID';
  }
}

function matchModule(m: Match, skb: Skb): boolean {
  switch (m.module) {
    case 'tcp':
      if (skb.proto !== IPPROTO_TCP || skb.fragment) return false;
      if (!portOk(skb.sport, m.sport) || !portOk(skb.dport, m.dport)) return false;
      if (m.flags && !inv((skb.tcpFlags & m.flags.value.mask) === m.flags.value.comp, m.flags.invert))
        return false;
      if (m.option) return false; // refused by checkMatch; never reached
      return true;
    case 'udp':
      if (skb.proto !== IPPROTO_UDP || skb.fragment) return false;
      return portOk(skb.sport, m.sport) && portOk(skb.dport, m.dport);
    case 'icmp': {
      if (skb.proto !== IPPROTO_ICMP || skb.fragment) return false;
      if (!m.icmpType) return true;
      const t = m.icmpType.value;
      const hit =
        t.type === 0xff ||
        (skb.icmpType === t.type && skb.icmpCode >= t.codeMin && skb.icmpCode <= t.codeMax);
      return inv(hit, m.icmpType.invert);
    }
    case 'comment':
      return true;
    case 'conntrack':
      return conntrackMatch(m, skb);
    case 'addrtype': {
      const dev = m.limitIfaceIn ? skb.inIf : m.limitIfaceOut ? skb.outIf : undefined;
      if (m.srcType && !inv((m.srcType.value & (1 << addrType(skb, skb.src, dev))) !== 0, m.srcType.invert))
        return false;
      if (m.dstType && !inv((m.dstType.value & (1 << addrType(skb, skb.dst, dev))) !== 0, m.dstType.invert))
        return false;
      return true;
    }
    case 'iprange': {
      const inR = (a: number, r: { min: number; max: number }): boolean => a >= r.min && a <= r.max;
      if (m.src && !inv(inR(skb.src, m.src.value), m.src.invert)) return false;
      if (m.dst && !inv(inR(skb.dst, m.dst.value), m.dst.invert)) return false;
      return true;
    }
    case 'mark':
      return inv((skb.mark & m.mark.value.mask) >>> 0 === m.mark.value.value, m.mark.invert);
    case 'connmark': {
      // xt_connmark.c connmark_mt: no entry, no match (whatever the "!").
      if (skb.ct < 0 || !skb.env) return false;
      const ctmark = skb.env.conntrack.mark[skb.ct]!;
      return inv((ctmark & m.mark.value.mask) >>> 0 === m.mark.value.value, m.mark.invert);
    }
    case 'mac':
      // xt_mac.c: no Ethernet header (locally generated), no match, whatever the "!".
      if (skb.srcMac === '') return false;
      return inv(skb.srcMac === m.mac.value, m.mac.invert);
    case 'length':
      return inv(inPorts(skb.len, m.length.value), m.length.invert);
    case 'ttl': {
      const ttl = skb.buf[skb.off + 8]!;
      return m.op === 'eq'
        ? ttl === m.ttl
        : m.op === 'ne'
          ? ttl !== m.ttl
          : m.op === 'lt'
            ? ttl < m.ttl
            : ttl > m.ttl;
    }
    case 'pkttype':
      return inv(pktTypeName(skb) === m.pktType.value, m.pktType.invert);
    case 'tos':
      return inv((skb.buf[skb.off + 1]! & m.tos.value.mask) === m.tos.value.value, m.tos.invert);
    case 'dscp':
      return inv(skb.buf[skb.off + 1]! >> 2 === m.dscp.value, m.dscp.invert);
    case 'limit':
      return limitMatch(m, skb.now);
    case 'statistic':
      return statisticMatch(m, skb);
    case 'physdev':
      return physdevMatch(m, skb);
    case 'owner':
      return ownerMatch(m, skb);
    case 'set': {
      // xt_set.c set_match_v4: a set the host does not have was refused when the scenario loaded.
      const set = skb.env?.ipsets?.get(m.set);
      return inv(set !== undefined && set.has(skb, m.dirs), m.invert);
    }
    case 'state':
      return inv(m.state.value.includes(ctStateName(skb)), m.state.invert);
    case 'multiport': {
      if ((skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) || skb.fragment) return false;
      const rs = m.ports.value;
      let hit = false;
      for (const r of rs) {
        if (
          (m.kind !== 'dports' && inPorts(skb.sport, r)) ||
          (m.kind !== 'sports' && inPorts(skb.dport, r))
        ) {
          hit = true;
          break;
        }
      }
      return inv(hit, m.ports.invert);
    }
    case 'other':
      return false; // refused by checkMatch; never reached
  }
}

/** ip_hdr address classes first, then the host's local table (__inet_dev_addr_type, fib_frontend.c). */
function addrType(skb: Skb, addr: number, dev: string | undefined): number {
  if (addr >>> 24 === 0 || addr === 0xffffffff) return RTN_BROADCAST;
  if (addr >>> 28 === 0xe) return RTN_MULTICAST;
  return skb.env ? skb.env.addrType(addr, dev) : RTN_UNICAST;
}

function pktTypeName(skb: Skb): PktTypeName | 'outgoing' {
  switch (skb.pktType) {
    case PACKET_HOST:
      return 'unicast';
    case PACKET_BROADCAST:
      return 'broadcast';
    case PACKET_MULTICAST:
      return 'multicast';
    case PACKET_OTHERHOST:
      return 'otherhost';
    default:
      return 'outgoing';
  }
}

/** xt_limit.c limit_mt: a token bucket of `burst` packets refilled at one per `avg`. */
interface LimitState {
  credit: number;
  prev: number;
}
const limitState = new WeakMap<Match, LimitState>();

function limitMatch(m: Extract<Match, { module: 'limit' }>, now: number): boolean {
  const cost = m.avg / XT_LIMIT_SCALE; // seconds per packet
  const cap = cost * m.burst;
  let st = limitState.get(m);
  if (!st) {
    limitState.set(m, (st = { credit: cap, prev: now }));
    stateKeys.push(m);
  }
  st.credit = Math.min(cap, st.credit + Math.max(0, now - st.prev));
  st.prev = now;
  if (st.credit >= cost) {
    st.credit -= cost;
    return true;
  }
  return false;
}

/** Resets limit buckets and nth counters (a new simulation run). Tests call it too. */
export function resetMatchState(): void {
  for (const k of stateKeys) {
    limitState.delete(k);
    nthCount.delete(k);
  }
  stateKeys.length = 0;
}
const stateKeys: Match[] = [];
const nthCount = new WeakMap<Match, number>();

/** xt_statistic.c statistic_mt. */
function statisticMatch(m: Extract<Match, { module: 'statistic' }>, skb: Skb): boolean {
  let ret = m.invert;
  if (m.mode === 'random') {
    if ((skb.env!.random32() & 0x7fffffff) < m.probability) ret = !ret;
    return ret;
  }
  const every = m.every - 1; // the kernel keeps every - 1
  const oval = nthCount.get(m) ?? 0;
  if (!nthCount.has(m)) stateKeys.push(m);
  const nval = oval === every ? 0 : oval + 1;
  nthCount.set(m, nval);
  if (nval === m.packet) ret = !ret;
  return ret;
}

/** xt_physdev.c physdev_mt. */
function physdevMatch(m: Extract<Match, { module: 'physdev' }>, skb: Skb): boolean {
  if (skb.physIn === '' && skb.physOut === '') {
    // Not bridged: a match only when every option used is inverted.
    for (const o of [m.isBridged, m.isIn, m.isOut, m.physIn, m.physOut]) if (o && !o.invert) return false;
    return true;
  }
  const outdev = skb.physOut;
  const indev = skb.physIn;
  if (m.isBridged && !inv(outdev !== '', m.isBridged.invert)) return false;
  if (m.isIn && !inv(indev !== '', m.isIn.invert)) return false;
  if (m.isOut && !inv(outdev !== '', m.isOut.invert)) return false;
  if (m.physIn && indev !== '' && !inv(ifaceMatches(indev, m.physIn.value), m.physIn.invert)) return false;
  if (!m.physOut || outdev === '') return true;
  return inv(ifaceMatches(outdev, m.physOut.value), m.physOut.invert);
}

/** xt_owner.c owner_mt: with no socket, a match only when every option used is inverted. */
function ownerMatch(m: Extract<Match, { module: 'owner' }>, skb: Skb): boolean {
  if (skb.uid < 0) {
    for (const o of [m.socketExists, m.uid, m.gid]) if (o && !o.invert) return false;
    return true;
  }
  if (m.socketExists?.invert) return false;
  if (m.uid && !inv(inPorts(skb.uid, m.uid.value), m.uid.invert)) return false;
  if (m.gid && !inv(inPorts(skb.gid, m.gid.value), m.gid.invert)) return false;
  return true;
}

const tupleBuf = new TupleBuf();

/** xt_conntrack.c conntrack_mt (revision 3). */
function conntrackMatch(m: ConntrackMatch, skb: Skb): boolean {
  const e = skb.ct;
  const env = skb.env;
  if (m.ctstate) {
    const list = m.ctstate.value;
    let hit = list.includes(ctStateName(skb));
    if (!hit && e >= 0 && env) {
      const st = env.conntrack.status[e]!;
      hit =
        (list.includes('SNAT') && (st & IPS_SRC_NAT) !== 0) ||
        (list.includes('DNAT') && (st & IPS_DST_NAT) !== 0);
    }
    if (!inv(hit, m.ctstate.invert)) return false;
  }
  if (e < 0 || !env) return m.ctstate !== undefined;
  const ct = env.conntrack;
  if (m.ctdir && (skb.ctDir === 0) !== (m.ctdir === 'ORIGINAL')) return false;
  const pfx = (a: number, p: Inv<Prefix> | undefined): boolean =>
    p === undefined || inv((a & p.value.mask) >>> 0 === p.value.addr, p.invert);
  const orig = ct.readTuple(e, 0, tupleBuf);
  if (!pfx(orig.src, m.ctorigsrc) || !pfx(orig.dst, m.ctorigdst)) return false;
  if (m.ctproto && !inv(orig.proto === m.ctproto.value, m.ctproto.invert)) return false;
  if (!portOk(orig.sport, m.ctorigsrcport) || !portOk(orig.dport, m.ctorigdstport)) return false;
  const repl = ct.readTuple(e, 1, tupleBuf);
  if (!pfx(repl.src, m.ctreplsrc) || !pfx(repl.dst, m.ctrepldst)) return false;
  if (!portOk(repl.sport, m.ctreplsrcport) || !portOk(repl.dport, m.ctrepldstport)) return false;
  if (m.ctstatus && !inv((m.ctstatus.value & ct.status[e]!) !== 0, m.ctstatus.invert)) return false;
  if (m.ctexpire) {
    const left = Math.max(0, Math.floor(ct.expires[e]! - skb.now));
    if (!inv(inPorts(left, m.ctexpire.value), m.ctexpire.invert)) return false;
  }
  return true;
}

/** ip_packet_match and then every match module, in order; all must hold. */
export function ruleMatches(r: Rule, skb: Skb): boolean {
  return ruleMismatch(r, skb) === MATCHED;
}

export const MATCHED = -1;
export const FAIL_SRC = 0;
export const FAIL_DST = 1;
export const FAIL_IN = 2;
export const FAIL_OUT = 3;
export const FAIL_PROTO = 4;
export const FAIL_FRAG = 5;
/** FAIL_MODULE + k: the k-th match module (-m) failed. */
export const FAIL_MODULE = 6;

/**
 * ip_packet_match and then every match module, in order, each evaluated once (limit and nth keep
 * state): MATCHED, or which criterion failed first (FAIL_*), for the trace to say why.
 */
export function ruleMismatch(r: Rule, skb: Skb): number {
  if (r.src && !inv((skb.src & r.src.value.mask) >>> 0 === r.src.value.addr, r.src.invert)) return FAIL_SRC;
  if (r.dst && !inv((skb.dst & r.dst.value.mask) >>> 0 === r.dst.value.addr, r.dst.invert)) return FAIL_DST;
  if (r.inIface && !inv(ifaceMatches(skb.inIf, r.inIface.value), r.inIface.invert)) return FAIL_IN;
  if (r.outIface && !inv(ifaceMatches(skb.outIf, r.outIface.value), r.outIface.invert)) return FAIL_OUT;
  if (r.protocol && r.protocol.value !== 0 && !inv(skb.proto === r.protocol.value, r.protocol.invert))
    return FAIL_PROTO;
  if (r.fragment && !inv(skb.fragment, r.fragment.invert)) return FAIL_FRAG;
  const ms = r.matches;
  for (let k = 0; k < ms.length; k++) if (!matchModule(ms[k]!, skb)) return FAIL_MODULE + k;
  return MATCHED;
}

/**
 * What the caller of ruleMatches() fills in beyond the packet: each flag unlocks the matches that
 * need it (until then they are refused, never silently misread).
 */
export interface MatchCaps {
  /** skb.env is set (addrtype, statistic, connmark, conntrack beyond --ctstate). */
  readonly env?: boolean;
  /** skb.now is set on every hook (limit, conntrack --ctexpire). */
  readonly clock?: boolean;
  /** skb.srcMac and skb.pktType come from the frame (mac, pkttype). */
  readonly linkLayer?: boolean;
  /** skb.uid and skb.gid are set for packets of local sockets (owner). */
  readonly owner?: boolean;
}

const CT_ONLY_STATE = new Set(['module', 'ctstate']);

/** Why natbox cannot evaluate this match, or undefined when it can. */
export function checkMatch(m: Match, caps: MatchCaps = {}): string | undefined {
  const need = (what: string, cap: boolean | undefined): string | undefined =>
    cap ? undefined : `match "${m.module}" needs ${what}, which the engine does not pass yet: not simulated`;
  switch (m.module) {
    case 'other':
      return `unsupported match "${m.name}"`;
    case 'tcp':
      return m.option ? 'unsupported match option "--tcp-option"' : undefined;
    case 'addrtype':
      return need("the host's local addresses (skb.env)", caps.env);
    case 'statistic':
      return m.mode === 'random' ? need("the simulation's RNG (skb.env)", caps.env) : undefined;
    case 'connmark':
      return need('the conntrack entry (skb.env)', caps.env);
    case 'conntrack':
      if (Object.keys(m).every((k) => CT_ONLY_STATE.has(k))) return undefined;
      if (m.ctexpire && !caps.clock) return need('the time (skb.now)', caps.clock);
      return need('the conntrack entry (skb.env)', caps.env);
    case 'limit':
      return need('the time (skb.now)', caps.clock);
    case 'mac':
    case 'pkttype':
      return need('the Ethernet header (skb.srcMac, skb.pktType)', caps.linkLayer);
    case 'owner':
      return need("the sending socket's uid/gid (skb.uid, skb.gid)", caps.owner);
    case 'set':
      return need("the host's ipset sets (skb.env)", caps.env);
    default:
      return undefined;
  }
}

/**
 * Why a rule did not match, in words, from ruleMismatch's answer and the packet (for the trace
 * only): `-i br-lan: the packet came in on wan`, `-m tcp --dport 80: dport is 8080`.
 */
export function describeMismatch(r: Rule, fail: number, skb: Skb): string {
  const not = (x: { invert: boolean } | undefined): string => (x?.invert ? '! ' : '');
  switch (fail) {
    case FAIL_SRC:
      return `${not(r.src)}-s ${formatPrefix(r.src!.value)}: the source is ${formatIpv4(skb.src)}`;
    case FAIL_DST:
      return `${not(r.dst)}-d ${formatPrefix(r.dst!.value)}: the destination is ${formatIpv4(skb.dst)}`;
    case FAIL_IN:
      return `${not(r.inIface)}-i ${r.inIface!.value.name}${r.inIface!.value.wildcard ? '+' : ''}: the packet came in on ${skb.inIf || '(none: locally generated)'}`;
    case FAIL_OUT:
      return `${not(r.outIface)}-o ${r.outIface!.value.name}${r.outIface!.value.wildcard ? '+' : ''}: the packet goes out of ${skb.outIf || '(not routed yet)'}`;
    case FAIL_PROTO:
      return `${not(r.protocol)}-p ${protoWord(r.protocol!.value)}: the packet is ${protoWord(skb.proto)}`;
    case FAIL_FRAG:
      return `${not(r.fragment)}-f: the packet is ${skb.fragment ? '' : 'not '}a fragment`;
    default: {
      const m = r.matches[fail - FAIL_MODULE];
      const name = m ? (m.module === 'other' ? m.name : m.module) : '?';
      const ports =
        skb.proto === IPPROTO_TCP || skb.proto === IPPROTO_UDP
          ? ` (sport ${skb.sport}, dport ${skb.dport})`
          : '';
      if (m && (m.module === 'tcp' || m.module === 'udp')) {
        if (skb.proto !== (m.module === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP))
          return `-m ${name}: the packet is ${protoWord(skb.proto)}`;
        const range = (p: PortRange): string => (p.min === p.max ? `${p.min}` : `${p.min}:${p.max}`);
        if (m.sport && !portOk(skb.sport, m.sport))
          return `${not(m.sport)}--sport ${range(m.sport.value)}: sport is ${skb.sport}`;
        if (m.dport && !portOk(skb.dport, m.dport))
          return `${not(m.dport)}--dport ${range(m.dport.value)}: dport is ${skb.dport}`;
        return `-m ${name}: the TCP flags or options differ`;
      }
      if (name === 'multiport') return `-m multiport: ${protoWord(skb.proto)}${ports}`;
      if (name === 'conntrack' || name === 'state') return `-m ${name}: ctstate ${ctStateName(skb)}`;
      return `-m ${name} did not match`;
    }
  }
}

const protoWord = (p: number): string =>
  p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_ICMP ? 'icmp' : `protocol ${p}`;
