// Transparent proxying (net/netfilter/xt_TPROXY.c tproxy_tg4, net/netfilter/nft_tproxy.c
// nft_tproxy_eval_v4, net/ipv4/netfilter/nf_tproxy_ipv4.c): the socket a packet in PREROUTING is
// handed to. An established socket of the packet's own tuple first; else (or for a SYN that
// meets a TIME_WAIT socket) a listener on the redirect address and port: the address given
// (--on-ip, `tproxy ip to ADDR`), else the first primary address of the input device, else the
// packet's destination (nf_tproxy_laddr4); the port given, else the packet's. Only a transparent
// socket qualifies (nf_tproxy_sk_is_transparent). The packet keeps its addresses: the route
// (`ip rule fwmark … lookup 100` to `local 0.0.0.0/0 dev lo`) brings it up, and the sockets
// (stack/sockets.ts) deliver it to the assigned listener (Skb.skPort/skAddr). The host answers
// the lookups (XtEnv.tproxyLookup); what the caller does with a miss differs (the target drops,
// nft breaks the rule).
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { SK_NONE, SK_TIMEWAIT, SK_TRANSPARENT, type Skb } from './skb.ts';

/**
 * Looks up and assigns the socket for `skb` (redirect to `laddr`:`lport`, 0 for "the packet's");
 * true when a transparent socket took it.
 */
export function tproxyAssign(skb: Skb, laddr: number, lport: number): boolean {
  const env = skb.env;
  const proto = skb.proto;
  if (!env?.tproxyLookup || (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || skb.fragment) return false;
  let sk = env.tproxyLookup(proto, skb.src, skb.sport, skb.dst, skb.dport, false);
  // nf_tproxy_laddr4: the given address, else the in-device's first primary one, else daddr.
  const addr = laddr || env.primaryAddress?.(skb.inIf) || skb.dst;
  const port = lport || skb.dport;
  let listener = false;
  if (sk !== SK_NONE && sk & SK_TIMEWAIT) {
    // nf_tproxy_handle_time_wait4: a bare SYN reopening a TIME_WAIT connection goes to the
    // listener when there is one (the TIME_WAIT socket is descheduled: the stack drops it).
    const f = skb.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN);
    if (f === TCP_SYN) {
      const sk2 = env.tproxyLookup(proto, skb.src, skb.sport, addr, port, true);
      if (sk2 !== SK_NONE) {
        sk = sk2;
        listener = true;
      }
    }
  } else if (sk === SK_NONE) {
    sk = env.tproxyLookup(proto, skb.src, skb.sport, addr, port, true);
    listener = true;
  }
  if (sk === SK_NONE || !(sk & SK_TRANSPARENT)) return false;
  // nf_tproxy_assign_sock: an established socket is the one the packet's own tuple finds anyway;
  // a listener is remembered for local delivery.
  if (listener) {
    skb.skPort = port;
    skb.skAddr = addr;
  }
  return true;
}
