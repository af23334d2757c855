// -m tcp and -m udp (xt_tcpudp.c tcp_mt, udp_mt): ports, and for tcp the flags. --tcp-option is
// refused (natbox does not read TCP options here).
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import type { PortRange } from '../../rules/iptables/model.ts';
import type { Skb } from '../core/skb.ts';
import { inv, portOk, protoWord, type MatchOf, type XtMatch } from './xt-match.ts';

const range = (p: PortRange): string => (p.min === p.max ? `${p.min}` : `${p.min}:${p.max}`);

function describePorts(m: MatchOf<'tcp'> | MatchOf<'udp'>, skb: Skb): string {
  if (skb.proto !== (m.module === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP))
    return `-m ${m.module}: the packet is ${protoWord(skb.proto)}`;
  const not = (x: { invert: boolean }): string => (x.invert ? '! ' : '');
  if (m.sport && !portOk(skb.sport, m.sport))
    return `${not(m.sport)}--sport ${range(m.sport.value)}: sport is ${skb.sport}`;
  if (m.dport && !portOk(skb.dport, m.dport))
    return `${not(m.dport)}--dport ${range(m.dport.value)}: dport is ${skb.dport}`;
  return `-m ${m.module}: the TCP flags or options differ`;
}

export const tcpMatch: XtMatch<MatchOf<'tcp'>> = {
  check: (m) => (m.option ? 'unsupported match option "--tcp-option"' : undefined),
  match(m, skb) {
    if (skb.proto !== IPPROTO_TCP || skb.fragment) return false;
    if (!portOk(skb.sport, m.sport) || !portOk(skb.dport, m.dport)) return false;
    if (m.flags && !inv((skb.tcpFlags & m.flags.value.mask) === m.flags.value.comp, m.flags.invert))
      return false;
    return !m.option; // refused by check; never reached with one
  },
  describe: describePorts,
};

export const udpMatch: XtMatch<MatchOf<'udp'>> = {
  match(m, skb) {
    if (skb.proto !== IPPROTO_UDP || skb.fragment) return false;
    return portOk(skb.sport, m.sport) && portOk(skb.dport, m.dport);
  },
  describe: describePorts,
};
