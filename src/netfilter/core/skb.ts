// The packet as it travels through the hooks (the kernel's sk_buff, reduced to what netfilter
// reads): the bytes, where the headers start, the devices, and the conntrack attachment. One Skb
// is reused for many packets; parse() refreshes the numeric fields after any rewrite.
import { AF_INET, type Family } from '../../wire/addr.ts';
import type { TupleBuf } from '../conntrack/tuple.ts';
import type { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';

// ctinfo (enum ip_conntrack_info), plus the two states with no entry.
export const IP_CT_ESTABLISHED = 0;
export const IP_CT_RELATED = 1;
export const IP_CT_NEW = 2;
export const IP_CT_ESTABLISHED_REPLY = 3;
export const IP_CT_RELATED_REPLY = 4;
export const CT_INVALID = 5;
export const CT_UNTRACKED = 6;

export const CTINFO_NAMES = [
  'ESTABLISHED',
  'RELATED',
  'NEW',
  'ESTABLISHED',
  'RELATED',
  'INVALID',
  'UNTRACKED',
] as const;

// skb->pkt_type (include/uapi/linux/if_packet.h), set from the link-layer destination.
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

// Route types (RTN_*) as -m addrtype names them (index into ADDRTYPE_NAMES).
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_MULTICAST = 5;
/** rpfLookup's flag: the reverse route's next hop uses the asked device. */
export const RPF_USES_DEV = 0x100;

/** The conntrack entry fields the matches and targets read (ConntrackTable has them). */
export interface CtAccess {
  readonly status: ArrayLike<number>;
  readonly mark: Uint32Array;
  /** Absolute expiry time, seconds (same clock as Skb.now). */
  readonly expires: ArrayLike<number>;
  readTuple(e: number, dir: number, out: TupleBuf): TupleBuf;
  /** Per-direction packet and byte counters while accounting is on (-m connbytes). */
  readonly acct?: Float64Array | undefined;
  /** The 128 label bits per entry while labels are in use (-m connlabel). */
  readonly labels?: Uint32Array | undefined;
  /** A confirmed live entry by tuple: (entry << 1 | dir), or -1 (-m connlimit). */
  lookup?(src: number, dst: number, proto: number, sport: number, dport: number, now: number): number;
  /** The entry's protocol and TCP state (-m connlimit: closed TCP connections do not count). */
  protoOf?(e: number): number;
  tcpState?(e: number): number;
  /** The entry's zone key (conntrack/zone.ts; 0: the default zone): nft's `ct zone`. */
  zoneOf?(e: number): number;
  /** The helper of the entry's master connection ('' none): -m helper (conntrack/helper.ts). */
  masterHelper?(e: number): string;
  /** The helper attached to the entry ('' none): nft's `ct helper`. */
  helperName?(e: number): string;
  /** nft's `ct helper set`: attaches helper index `h` (conntrack/helper.ts helperByName). */
  assignHelper?(e: number, h: number, l4proto: number): void;
}

/**
 * What the host and the engine tell the matches that need more than the packet. Set once by the
 * Skb's owner; the matches that need it are refused (checkMatch) until the engine says it is set.
 */
export interface XtEnv {
  /**
   * The type of `addr` in the host's local routing table (inet_dev_addr_type): RTN_LOCAL for its
   * own addresses, RTN_BROADCAST for subnet broadcasts, else RTN_UNICAST. With `dev`, only that
   * device's addresses count (--limit-iface-in/out). 0.0.0.0, 255.255.255.255 and multicast are
   * classified by the match itself.
   */
  addrType(addr: number, dev: string | undefined): number;
  /** A uniform random 32-bit number from the simulation's seeded RNG (get_random_u32). */
  random32(): number;
  readonly conntrack: CtAccess;
  /** The host's ipset sets by name (-m set), when it has any. */
  readonly ipsets?: ReadonlyMap<string, { has(skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean }>;
  /**
   * The wall-clock instant of simulation time 0, seconds since 1970 UTC (the scenario's `epoch`):
   * -m time reads `epoch + now`. Absent: -m time is refused at evaluation (it never matches).
   */
  readonly epoch?: number;
  /**
   * The reverse route -m rpfilter asks for (fib_lookup of `src` from the loopback device, with
   * the packet's `mark` when --validmark, as xt_rpfilter.c does): -1 when there is no route, else
   * its type (RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, ...) with RPF_USES_DEV set when the route's
   * next hop uses `dev` (fib_info_nh_uses_dev). `saddr` and `tos` are the flow's source and TOS
   * for `ip rule` selectors: the packet's destination (0 for a multicast, broadcast or zero one:
   * rpfilter_get_saddr) and its TOS (IPTOS_RT_MASK).
   */
  rpfLookup?(src: number, mark: number, dev: string, saddr?: number, tos?: number): number;
  /**
   * The device of the route to `addr` (fib_lookup from the loopback device with `mark`, `saddr`
   * and `tos` for `ip rule` selectors, FIB_RES_DEV), as nft's `fib daddr|saddr oif` without `iif`
   * asks: '' when there is none, and for one of the host's own addresses (RTN_LOCAL).
   */
  fibDev?(addr: number, mark: number, saddr: number, tos: number): string;
  /**
   * The verdict the scenario's listener on netfilter queue `n` gives (NF_ACCEPT: reinjected, the
   * hook goes on; NF_DROP), -1 when nobody listens there. Absent: no queue has a listener.
   */
  queueVerdict?(n: number): number;
  /**
   * The local socket a packet with this tuple would reach (nf_sk_lookup_slow_v4: an established
   * one first, then a listener), for -m socket: SK_NONE, SK_FULL (bound to a local address),
   * SK_WILDCARD (a full socket bound to 0.0.0.0) or SK_MINI (timewait or request socket).
   */
  readonly socketLookup?: (
    proto: number,
    saddr: number,
    sport: number,
    daddr: number,
    dport: number,
  ) => number;
  /**
   * nf_tproxy_get_sock_v4 (core/tproxy.ts): with `listener` false the established lookup
   * (inet_lookup_established, a connected UDP socket), else the listener one (a TCP listener or
   * an unconnected UDP socket on daddr:dport, 0.0.0.0 included). SK_* with SK_TRANSPARENT and
   * SK_TIMEWAIT or'ed in.
   */
  readonly tproxyLookup?: TproxyLookup;
  /** The first primary address of `dev`, 0 when it has none (nf_tproxy_laddr4). */
  readonly primaryAddress?: (dev: string) => number;
  /**
   * The device group of an interface (dev->group; 0 when not set), when the scenario gives its
   * interfaces groups. Absent: -m devgroup is refused at evaluation (it never matches).
   */
  readonly devGroup?: (dev: string) => number;
  /**
   * TCPMSS --clamp-mss-to-pmtu's MTU (tcpmss_mangle_packet): the smaller of dst_mtu of the route
   * to `dst` (the packet's own) and of the route back to `src` (tcpmss_reverse_mtu), the learned
   * path MTUs included; 0 when neither has a route. Absent: 1500.
   */
  readonly clampMtu?: (src: number, dst: number) => number;
}

/** XtEnv.tproxyLookup's signature (the stack's Sockets implements it). */
export type TproxyLookup = (
  proto: number,
  saddr: number,
  sport: number,
  daddr: number,
  dport: number,
  listener: boolean,
) => number;

/** Answers of XtEnv.socketLookup. */
export const SK_NONE = 0;
export const SK_FULL = 1;
export const SK_WILDCARD = 2;
export const SK_MINI = 3;
/** Flags or'ed into a lookup's answer: the socket has IP_TRANSPARENT (inet_sk_transparent). */
export const SK_TRANSPARENT = 4;
/** The mini socket is a TIME_WAIT one (nf_tproxy_handle_time_wait4). */
export const SK_TIMEWAIT = 8;
/** The answer without its flags. */
export const SK_KIND = 3;

export class Skb {
  // The fields the rule walks read for every packet come first, in as few cache lines as the
  // object allows (its map and these twelve: 120 bytes); a cold packet costs fewer misses.
  buf: Uint8Array = new Uint8Array(0);
  /** Offset of the IPv4 header in buf. */
  off = 0;
  // Parsed by parse() (numbers only): len to fragment and saddr to dport here, tcpFlags to
  // icmpCode below.
  len = 0;
  l4off = 0;
  proto = 0;
  fragment = false;
  mark = 0;
  /** The host's answers for addrtype, statistic and the conntrack matches (set by the owner). */
  env: XtEnv | undefined = undefined;
  /**
   * The IPv4 source and destination as parse() read them, as signed 32-bit words (`src | 0`):
   * small integers in the object itself, no number box (a double field's box is one more cache
   * line a cold packet misses). `src` and `dst` read and write them as unsigned numbers.
   */
  saddr = 0;
  daddr = 0;
  sport = 0;
  dport = 0;
  // The rest.
  /**
   * The packet's family, as the hooks' nf_hook_state.pf (NFPROTO_IPV4 = AF_INET): set by parse().
   * Only IPv4 packets are parsed today; an IPv6 parse would set AF_INET6 (its addresses then in
   * words, src/dst staying the IPv4 numbers).
   */
  family: Family = AF_INET;
  inIf = '';
  outIf = '';
  /** Bridge ports, when the packet crosses a bridge with bridge-nf-call-iptables=1. */
  physIn = '';
  physOut = '';
  ct = -1;
  ctDir = 0;
  ctinfo = CT_UNTRACKED;
  /** skb->priority (the qdisc class): set by -j CLASSIFY, 0 when the packet enters. */
  priority = 0;
  /** The time of this hook traversal, seconds (the engine's `now`): limit's token bucket. */
  now = 0;
  /** Source MAC `aa:bb:cc:dd:ee:ff` of the frame it arrived in; '' when none (locally made). */
  srcMac = '';
  /**
   * The MAC header of the frame it arrived in as numbers (48 bits): source and destination, -1
   * when none (locally made). Kept through forward and postrouting, as skb->mac_header is: nft's
   * `ether saddr` in an ip or inet table reads it (nft_payload_eval, NFT_PAYLOAD_LL_HEADER).
   */
  llSrc = -1;
  llDst = -1;
  /** skb->pkt_type (PACKET_*): from the frame's destination MAC; PACKET_OUTGOING when local. */
  pktType = PACKET_HOST;
  /** Owner of the sending socket (-m owner), -1 when there is none (forwarded, or not known). */
  uid = -1;
  gid = -1;
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;
  /** Why the packet was dropped, when a hook returns NF_DROP (a DropReason). */
  dropReason = 0;
  /** The table that dropped it (DROP_TABLES index; 0: none). */
  dropTable = 0;
  /** --reject-with of a REJECT that matched. */
  rejectWith = '';
  /**
   * Set by a match that found the packet malformed (the kernel's xt_action_param.hotdrop: a
   * truncated SCTP/DCCP/ESP/AH header, a zero-length SCTP chunk): the table walk then drops it.
   */
  hotdrop = false;
  /**
   * A conntrack template attached before conntrack (CT in the raw table, nft's `ct zone set`): its
   * zone as conntrack/zone.ts's template word, 0 when none (xt_CT's skb->_nfct template).
   */
  ctZone = 0;
  /**
   * The helper a template attached before conntrack (CT --helper, nft's `ct helper set`): its
   * index in conntrack/helper.ts's HELPER_NAMES, 0 when none.
   */
  ctHelper = 0;
  /**
   * SYNPROXY's conntrack template (snet->tmpl) is attached: the entry conntrack makes for this
   * packet gets the synproxy and seqadj extensions (core/synproxy.ts).
   */
  ctSynproxy = false;
  /**
   * The listener TPROXY assigned the packet to (nf_tproxy_assign_sock's skb->sk): its port and
   * the address it was looked up on; 0 when none (the sockets then look up the packet's own tuple).
   */
  skPort = 0;
  skAddr = 0;
  /**
   * A DataView over `viewOf`, the last buffer of at least Skb.VIEW_MIN bytes parse() read: a
   * receive ring or a batch of packets (no one packet is that long), read a word at a time (one
   * bounds check per word, not per byte). Made once per such buffer; a packet's own buffer is read
   * byte by byte as before (no object per packet).
   */
  private view: DataView = NO_VIEW;
  private viewOf: Uint8Array | undefined = undefined;
  /** viewOf's length (a typed array's length does not change). */
  private viewEnd = 0;
  /** The least buffer parse() reads through a DataView: longer than any IPv4 packet and its frame. */
  static readonly VIEW_MIN = 1 << 17;

  /** The IPv4 source address (unsigned): saddr's. */
  get src(): number {
    return this.saddr >>> 0;
  }
  set src(v: number) {
    this.saddr = v | 0;
  }
  /** The IPv4 destination address (unsigned): daddr's. */
  get dst(): number {
    return this.daddr >>> 0;
  }
  set dst(v: number) {
    this.daddr = v | 0;
  }

  load(buf: Uint8Array, off: number, inIf: string, outIf: string): this {
    this.buf = buf;
    this.off = off;
    this.inIf = inIf;
    this.outIf = outIf;
    this.physIn = '';
    this.physOut = '';
    this.ct = -1;
    this.ctDir = 0;
    this.ctinfo = K.CT_UNTRACKED;
    this.mark = 0;
    this.priority = 0;
    this.srcMac = '';
    this.llSrc = -1;
    this.llDst = -1;
    this.pktType = inIf === '' ? K.PACKET_OUTGOING : K.PACKET_HOST;
    this.uid = -1;
    this.gid = -1;
    this.dropReason = 0;
    this.dropTable = 0;
    this.rejectWith = '';
    this.hotdrop = false;
    this.ctZone = 0;
    this.ctHelper = 0;
    this.ctSynproxy = false;
    this.skPort = 0;
    this.skAddr = 0;
    return this.parse();
  }

  /**
   * Reads the header fields the hooks match on. The caller has validated the IPv4 header.
   * Every packet runs it (load): the header's bytes are read here as ipv4.ts's ipv4TotalLength,
   * ipv4HeaderLength, ipv4Protocol, ipv4Src, ipv4Dst and ipv4IsFragment read them, written out, with
   * offsets `(o + k) | 0` (no overflow check: a buffer's offsets are far below 2^31) and the
   * constants as literals (K, P): V8's code for the calls checked each imported function's identity
   * and read each imported constant from the module's context, per packet.
   */
  parse(): this {
    const b = this.buf;
    const o = this.off;
    if (
      (b === this.viewOf || (b.length >= Skb.VIEW_MIN && this.newView(b))) &&
      ((o + 20) | 0) <= this.viewEnd
    ) {
      // A ring's packet: its header and the total length it gives inside the buffer, so that every
      // word read is (else the bytes below, which read past the end as 0).
      const v = this.view;
      const w0 = v.getUint32(o);
      const len = w0 & 0xffff;
      if (((o + len) | 0) <= this.viewEnd) return this.parseView(v, o, w0, len);
    }
    this.family = K.AF_INET;
    const len = (b[(o + 2) | 0]! << 8) | b[(o + 3) | 0]!;
    const l4off = (o + (b[o]! & 0x0f) * 4) | 0;
    const proto = b[(o + 9) | 0]!;
    const frag = (b[(o + 6) | 0]! << 8) | b[(o + 7) | 0]!;
    this.len = len;
    this.l4off = l4off;
    this.proto = proto;
    this.saddr =
      (b[(o + 12) | 0]! << 24) | (b[(o + 13) | 0]! << 16) | (b[(o + 14) | 0]! << 8) | b[(o + 15) | 0]!;
    this.daddr =
      (b[(o + 16) | 0]! << 24) | (b[(o + 17) | 0]! << 16) | (b[(o + 18) | 0]! << 8) | b[(o + 19) | 0]!;
    this.fragment = (frag & 0x3fff) !== 0;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    const l4len = (o + len - l4off) | 0;
    if ((frag & 0x1fff) !== 0) return this; // not the first fragment
    if ((proto === P.TCP && l4len >= 14) || (proto === P.UDP && l4len >= 8)) {
      this.sport = (b[l4off]! << 8) | b[(l4off + 1) | 0]!;
      this.dport = (b[(l4off + 2) | 0]! << 8) | b[(l4off + 3) | 0]!;
      if (proto === P.TCP) this.tcpFlags = b[(l4off + 13) | 0]!;
    } else if (proto === P.ICMP && l4len >= 8) {
      this.icmpType = b[l4off]!;
      this.icmpCode = b[(l4off + 1) | 0]!;
      this.sport = (b[(l4off + 4) | 0]! << 8) | b[(l4off + 5) | 0]!; // echo id
    }
    return this;
  }

  /** Makes the DataView over a ring's buffer (parse). */
  private newView(b: Uint8Array): boolean {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.viewOf = b;
    this.viewEnd = b.length;
    return true;
  }

  /**
   * parse() over a ring's DataView, a word at a time: the same fields from the same bytes (the
   * header and what its total length holds are inside the buffer: no read past its end).
   */
  private parseView(v: DataView, o: number, w0: number, len: number): this {
    this.family = K.AF_INET;
    const l4off = (o + ((w0 >>> 22) & 0x3c)) | 0;
    // Bytes 6-9 in one word: the fragment field, the TTL and the protocol.
    const w6 = v.getUint32((o + 6) | 0);
    const frag = w6 >>> 16;
    const proto = w6 & 0xff;
    this.len = len;
    this.l4off = l4off;
    this.proto = proto;
    this.saddr = v.getInt32((o + 12) | 0);
    this.daddr = v.getInt32((o + 16) | 0);
    this.fragment = (frag & 0x3fff) !== 0;
    const l4len = (o + len - l4off) | 0;
    if ((frag & 0x1fff) === 0) {
      if ((proto === P.TCP && l4len >= 14) || (proto === P.UDP && l4len >= 8)) {
        const ports = v.getUint32(l4off);
        this.sport = ports >>> 16;
        this.dport = ports & 0xffff;
        this.tcpFlags = proto === P.TCP ? v.getUint8((l4off + 13) | 0) : 0;
        this.icmpType = 0;
        this.icmpCode = 0;
        return this;
      }
      if (proto === P.ICMP && l4len >= 8) {
        this.icmpType = v.getUint8(l4off);
        this.icmpCode = v.getUint8((l4off + 1) | 0);
        this.sport = v.getUint16((l4off + 4) | 0); // echo id
        this.dport = 0;
        this.tcpFlags = 0;
        return this;
      }
    }
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    return this;
  }
}

/** Skb.view before a ring's buffer is read. */
const NO_VIEW = new DataView(new ArrayBuffer(0));

/**
 * The constants Skb.load and parse write, as literals in their code (a const enum): the values of
 * the exported constants of this file and of wire/, which the compiler checks (below).
 */
const enum K {
  AF_INET = 2,
  CT_UNTRACKED = 6,
  PACKET_HOST = 0,
  PACKET_OUTGOING = 4,
}
const enum P {
  ICMP = 1,
  TCP = 6,
  UDP = 17,
}
const sameValues: [
  typeof AF_INET,
  typeof IPPROTO_ICMP,
  typeof IPPROTO_TCP,
  typeof IPPROTO_UDP,
  typeof CT_UNTRACKED,
  typeof PACKET_HOST,
  typeof PACKET_OUTGOING,
] = [K.AF_INET, P.ICMP, P.TCP, P.UDP, K.CT_UNTRACKED, K.PACKET_HOST, K.PACKET_OUTGOING];
void sameValues;

/**
 * The flow source a reverse-path lookup uses (xt_rpfilter rpfilter_get_saddr, nft_fib4 get_saddr):
 * the packet's destination, or 0 when it is multicast, the limited broadcast or zero.
 */
export function rpfSaddr(dst: number): number {
  return dst >>> 28 === 0xe || dst === 0xffffffff || dst === 0 ? 0 : dst;
}

/** The packet's TOS as the FIB compares it (IPTOS_RT_MASK, 0x1c: route/policy.ts ROUTE_TOS_MASK). */
export const rpfTos = (skb: Skb): number => skb.buf[skb.off + 1]! & 0x1c;
