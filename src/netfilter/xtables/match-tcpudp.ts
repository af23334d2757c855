// -m tcp and -m udp (xt_tcpudp.c tcp_mt, udp_mt): ports, and for tcp the flags and --tcp-option
// (tcp_find_option).
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { have } from './hdr.ts';
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
  if (m.module === 'tcp' && m.option && (tcpOption(m.option.value, skb) !== 1) !== m.option.invert)
    return `${not(m.option)}--tcp-option ${m.option.value}: the TCP header ${
      m.option.invert ? 'has' : 'has no'
    } option ${m.option.value}`;
  return `-m ${m.module}: the TCP flags differ`;
}

/**
 * tcp_find_option (xt_tcpudp.c): 1 when option `kind` is among the header's options, 0 when not,
 * -1 when the header is malformed (a data offset below 5, options past the packet: hotdrop). The
 * walk is its own: a kind below 2 (EOL, NOP) steps one byte, any other its length byte (one for
 * 0) and the walk goes on after an EOL; the kind is compared before the step, so `--tcp-option 1`
 * finds a NOP and the last byte's kind is seen. The length byte after the last option byte may lie
 * outside the options: the step then ends the walk whatever it reads.
 */
export function tcpOption(kind: number, skb: Skb): number {
  const b = skb.buf;
  const th = skb.l4off;
  const doff = (b[th + 12]! >> 4) * 4;
  if (doff < 20) return -1;
  const optlen = doff - 20;
  if (optlen === 0) return 0;
  if (!have(skb, th + 20, optlen)) return -1;
  const op = th + 20;
  for (let i = 0; i < optlen;) {
    const k = b[op + i]!;
    if (k === kind) return 1;
    if (k < 2) i++;
    else i += i + 1 < optlen ? b[op + i + 1]! || 1 : 1;
  }
  return 0;
}

export const tcpMatch: XtMatch<MatchOf<'tcp'>> = {
  match(m, skb) {
    if (skb.proto !== IPPROTO_TCP || skb.fragment) return false;
    if (!portOk(skb.sport, m.sport) || !portOk(skb.dport, m.dport)) return false;
    if (m.flags && !inv((skb.tcpFlags & m.flags.value.mask) === m.flags.value.comp, m.flags.invert))
      return false;
    if (!m.option) return true;
    const r = tcpOption(m.option.value, skb);
    if (r < 0) {
      skb.hotdrop = true; // tcp_mt: a data offset below 5, or tcp_find_option's short header
      return false;
    }
    return (r === 1) !== m.option.invert;
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
