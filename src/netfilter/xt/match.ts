// Rule matching: the fields every iptables rule has (ip_packet_match in ip_tables.c: addresses,
// interfaces, protocol, fragment) and the match modules natbox evaluates (xt_tcpudp, xt_icmp,
// xt_conntrack, xt_state, xt_multiport, xt_comment). checkMatch() says which modules are not
// modelled, so a ruleset that uses one is refused instead of silently misread.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import type { IfaceMatch, Inv, Match, PortRange, Rule, CtStateName } from '../../rules/model.ts';
import {
  CT_INVALID,
  CT_UNTRACKED,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  type Skb,
} from '../skb.ts';

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
      if (m.ctstate) return inv(m.ctstate.value.includes(ctStateName(skb)), m.ctstate.invert);
      return true;
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

/** ip_packet_match and then every match module, in order; all must hold. */
export function ruleMatches(r: Rule, skb: Skb): boolean {
  if (r.src && !inv((skb.src & r.src.value.mask) >>> 0 === r.src.value.addr, r.src.invert)) return false;
  if (r.dst && !inv((skb.dst & r.dst.value.mask) >>> 0 === r.dst.value.addr, r.dst.invert)) return false;
  if (r.inIface && !inv(ifaceMatches(skb.inIf, r.inIface.value), r.inIface.invert)) return false;
  if (r.outIface && !inv(ifaceMatches(skb.outIf, r.outIface.value), r.outIface.invert)) return false;
  if (r.protocol && r.protocol.value !== 0 && !inv(skb.proto === r.protocol.value, r.protocol.invert))
    return false;
  if (r.fragment && !inv(skb.fragment, r.fragment.invert)) return false;
  for (const m of r.matches) if (!matchModule(m, skb)) return false;
  return true;
}

/** Why natbox cannot evaluate this match, or undefined when it can. */
export function checkMatch(m: Match): string | undefined {
  if (m.module === 'other') return `unsupported match "${m.name}"`;
  if (m.module === 'tcp' && m.option) return 'unsupported match option "--tcp-option"';
  return undefined;
}
