// Why a packet was dropped, in words: the stack reports a drop as a DropReason number with the
// fields the reason needs (stack/steps.ts DropStep), and only the trace says it. These are the
// `reason` strings of the trace text, the story, the explanations and the natbox-trace/1 document
// (docs/trace-json.md).
import { formatIpv4 } from '../wire/addr.ts';
import { DropReason, netfilterDropWords } from '../netfilter/core/drop.ts';
import { STATE_NAMES } from '../stack/bridge.ts';
import type { DropStep } from '../stack/steps.ts';
import { localnetWords } from '../stack/loopback.ts';

/** A packet SYNPROXY took (NF_STOLEN): answered, not lost, so no flow's failure is blamed on it. */
export const STOLEN_WORDS = 'taken by SYNPROXY, which answers it in the place of the other end';

/** The words for a drop step: `no route to 203.0.113.9`, `dropped by the filter table`. */
export function dropWords(s: DropStep): string {
  const addr = formatIpv4(s.addr ?? 0);
  switch (s.reason) {
    case DropReason.IP_INHDR:
      return `malformed IPv4 header (${s.detail ?? ''})`;
    case DropReason.IP_CSUM:
      return 'bad IPv4 header checksum';
    case DropReason.IP_RPFILTER:
      // fib_validate_source: loose mode (2) fails only with no route back; strict (1) also when
      // the route back leaves by another device.
      return s.dev === undefined
        ? `rp_filter: no route back to the source ${addr} (reverse path check)`
        : `rp_filter=1: the route back to ${addr} leaves by ${s.dev}, not by ${s.ifname ?? ''} where the packet came in`;
    case DropReason.IP_NOT_FORWARDING:
      return `${addr} is not an address of ${s.host} and IP forwarding is off`;
    case DropReason.IP_INNOROUTES:
    case DropReason.IP_OUTNOROUTES:
      return `no route to ${addr}`;
    case DropReason.IP_TTL_EXPIRED:
      return `TTL expired in transit to ${addr}`;
    case DropReason.NEIGH_FAILED:
      return `neighbour ${addr} unreachable: no answer to ${s.count ?? 0} ARP requests`;
    case DropReason.TCP_CSUM:
      return 'TCP segment with a bad checksum';
    case DropReason.STP_PORT_STATE:
      return `${s.dev ?? ''} port ${s.port ?? ''} is ${STATE_NAMES[s.state ?? 0] ?? s.state} (STP)`;
    case DropReason.PKT_TOO_BIG:
      return `too big for the next hop to ${addr} (MTU ${s.count ?? 0}) and DF set: fragmentation needed`;
    case DropReason.FRAG_REASM_TIMEOUT:
      return `fragments of a datagram from ${addr} did not all arrive in time (reassembly timeout)`;
    case DropReason.DUP_FRAG:
      return `a fragment from ${addr} overlaps or repeats one already queued: the datagram is dropped`;
    case DropReason.FRAG_TOO_FAR:
      return `too many datagrams from ${addr} being reassembled at once: fragment dropped`;
    case DropReason.STP_LEARNING:
      return `${s.dev ?? ''} port ${s.port ?? ''} is learning (STP): source learned, frame not forwarded`;
    case DropReason.IP_LOCALNET:
      return localnetWords(s.detail, addr, s.dev ?? '');
    case DropReason.IP_LOCAL_SOURCE:
      return `martian source ${addr}: an address of ${s.host} came in on ${s.ifname ?? ''} (accept_local is 0)`;
    case DropReason.IP_INVALID_SOURCE:
      return `martian source ${addr} on ${s.ifname ?? ''}: the route back to it on ${s.host} is not unicast (a broadcast address)`;
    case DropReason.NF_STOLEN:
      return STOLEN_WORDS;
    default:
      return netfilterDropWords(s.reason, s.table ?? 0, s.count ?? 0);
  }
}
