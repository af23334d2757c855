// Local delivery and Linux socket behaviour: TCP listeners and connections (handshake, SYN
// retransmission, data, FIN close, RST for a segment no socket wants: tcp_v4_send_reset), UDP
// sockets (connected ones take datagrams only from their peer; with no socket the host answers
// ICMP port unreachable), ICMP echo (the kernel answers pings; a ping socket takes any reply with
// its id), and ICMP errors (icmp_send). Applications are observers the simulator attaches.
import { formatIpv4 } from '../wire/addr.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { buildIcmpIpv4Packet, buildTcpPacket, buildUdpPacket } from '../wire/packet.ts';
import { ICMP_UNREACH_NAMES } from '../wire/icmp.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  ipv4Dst,
  ipv4HeaderLength,
  ipv4Src,
  ipv4TotalLength,
} from '../wire/ipv4.ts';
import {
  formatTcpFlags,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  tcpChecksumOk,
  type TcpOption,
} from '../wire/tcp.ts';
import { DROP_TABLES, DropReason } from '../netfilter/core/drop.ts';
import { SK_FULL, SK_MINI, SK_NONE, SK_WILDCARD } from '../netfilter/core/skb.ts';
import type { SeededRng } from '../netfilter/nat/nat-core.ts';
import { ENETUNREACH, type Route } from '../route/table.ts';
import { errnoWords } from '../route/errors.ts';
import type { Step } from './steps.ts';
import {
  advertisedMss,
  datagramDf,
  linePayload,
  mssOption,
  pmtudiscOf,
  PMTUDISC_DONT,
  segmentSize,
  type HostFrag,
  type SizeDf,
} from './frag.ts';
import { routeAdvmss } from '../route/pmtu.ts';

/**
 * What the sockets need of their host (host.ts implements it). Declared here so that the sockets
 * import nothing of the host: the host composes them, not the other way round.
 */
export interface SocketHost {
  readonly name: string;
  /** A tracer is attached: build steps only then. */
  readonly tracing: boolean;
  readonly env: { now(): number; timer(at: number, fn: () => void): void; readonly rng: SeededRng };
  /**
   * ip_route_output_key / ip_route_connect for a socket: the source address for `dst` (from `src`
   * when bound, else chosen), or -errno (ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL).
   */
  routeSource(
    dst: number,
    src: number,
    mark: number,
    proto: number,
    sport: number,
    dport: number,
    connect?: boolean,
  ): number;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
  /** Sends a locally generated IPv4 packet; returns why it cannot leave, or undefined. */
  output(ip: Uint8Array, attach?: Attach, owned?: boolean, mark?: number): SendError | undefined;
  /** inet_select_addr: the source address for a packet to `dst` out of `outIf`. */
  sourceAddressFor(outIf: string, dst: number): number;
  sysctl(name: string, dflt: number): number;
  nextIpId(): number;
  isLocal(addr: number): boolean;
  /** MTUs and the learned path MTUs (frag.ts). */
  readonly frag: HostFrag;
  /** The route the last routeSource() chose (its device the path's, for a multipath route). */
  lastRoute(): Route | undefined;
  /** The output route to `dst` from `src` (policy routing, with the socket's mark), if any. */
  routeTo(dst: number, src: number, mark?: number): Route | undefined;
}

/** A conntrack entry an ICMP error or reset about a packet carries along (nf_ct_attach). */
export interface Attach {
  readonly ct: number;
  readonly dir: number;
}

/**
 * Why the host could not send a socket's packet: no route (IP_OUTNOROUTES) or a netfilter drop
 * (its reason and `Skb.dropTable`; `ctMax` is nf_conntrack_max, which a full table names).
 */
export interface SendError {
  readonly reason: DropReason;
  readonly table: number;
  readonly ctMax: number;
  /** The route lookup's errno (IP_OUTNOROUTES: ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL). */
  readonly errno?: number;
}

/**
 * The error a socket reports for a packet the host could not send (what the application sees,
 * as strerror says an errno): ENETUNREACH, or EPERM with netfilter's reason. The netfilter words
 * are the trace's (trace/drop-words.ts netfilterDropWords; test/trace/drop-words.test.ts keeps
 * the two the same).
 */
export function sendErrorText(e: SendError): string {
  const table = DROP_TABLES[e.table] ?? '';
  switch (e.reason) {
    case DropReason.IP_OUTNOROUTES:
      return e.errno === undefined || e.errno === ENETUNREACH
        ? 'network is unreachable'
        : errnoWords(e.errno);
    case DropReason.NETFILTER_DROP:
      return `dropped by the ${table} table`;
    case DropReason.NETFILTER_REJECT:
      return `rejected by the ${table} table`;
    case DropReason.NF_CT_TABLE_FULL:
      return `conntrack: table full (nf_conntrack_max ${e.ctMax}), packet dropped`;
    case DropReason.NF_CT_INSERT_FAILED:
      return 'conntrack: insert failed (tuple clash)';
    case DropReason.NF_NAT_NO_FREE_TUPLE:
      return 'nat: no free tuple';
    case DropReason.NF_NAT_ICMP_REDIRECT:
      return 'nat: an ICMP redirect about a NATed connection is dropped (it would name a translated address)';
    case DropReason.NF_NAT_ICMP_UNTRANSLATABLE:
      return 'nat: ICMP error about a NATed connection could not be translated';
    case DropReason.NOT_SPECIFIED:
      return 'operation not permitted (netfilter)';
    default:
      return 'dropped by netfilter';
  }
}

/** What an application learns from its socket. The simulator's flows implement it. */
export interface SocketObserver {
  /** TCP: the handshake completed. */
  connected?(local: string, peer: string): void;
  /** TCP: the connection was refused or reset. */
  reset?(from: string): void;
  /** A segment or datagram from an address the socket does not talk to reached this host. */
  unexpected?(from: string, expected: string, what: string): void;
  /** Data (TCP) or a datagram/echo reply (UDP, ICMP) arrived from `from`. */
  data?(from: string, payload: Uint8Array, expectedSource: boolean): void;
  /** The attempt could not be made or failed (no route, neighbour unreachable, ICMP error). */
  failed?(why: string): void;
  /** TCP: the connection is fully closed. */
  closed?(): void;
  /** A SYN (re)transmission. */
  synSent?(count: number): void;
}

/** A server application: it hears who connected, and answers. */
export interface ServerObserver {
  /** A client connected (TCP) or sent a datagram (UDP) from `peer`, as this host sees it. */
  peerSeen(proto: 'tcp' | 'udp', local: string, peer: string): void;
}

type TcpState =
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'TIME_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'CLOSED';

interface TcpSock {
  state: TcpState;
  laddr: number;
  lport: number;
  raddr: number;
  rport: number;
  sndNxt: number;
  sndUna: number;
  rcvNxt: number;
  tsOffset: number;
  tsRecent: number;
  server: boolean;
  obs: SocketObserver | undefined;
  synCount: number;
  /** Client: seconds to hold the connection open after the reply before closing. */
  hold: number;
  closing: boolean;
  /** The MSS this end advertises (route advmss, else path MTU - 40). */
  advMss?: number;
  /** The peer's MSS option (mss_clamp; 536 when it sent none). */
  peerMss?: number;
  /** Client: the line it sends (`size`) and the sequence number of its first byte. */
  line?: Uint8Array;
  lineSeq?: number;
  /** The path MTU its segments were cut for (icsk_pmtu_cookie). */
  pmtuCookie?: number;
  /** Server: bytes of the current line received so far. */
  rxLen?: number;
  /** Client: where in the line a short last segment waits for the ACK of what is in flight. */
  tailOff?: number;
  /** SO_MARK: every packet of the socket carries it (skb->mark). */
  mark?: number;
}

const key = (la: number, lp: number, ra: number, rp: number): string => `${la}:${lp}>${ra}:${rp}`;
const ap = (a: number, p: number): string => `${formatIpv4(a)}:${p}`;

/**
 * The servers' answer, as the kernel reference runs' servers write it: who they saw the client
 * come from, the port zero-padded to five digits (`pong peer=192.168.1.1:04384\n`), so payload
 * lengths match the reference captures byte for byte.
 */
const pong = (a: number, p: number): Uint8Array =>
  new TextEncoder().encode(`pong peer=${formatIpv4(a)}:${String(p).padStart(5, '0')}\n`);

export class Sockets {
  private readonly tcp = new Map<string, TcpSock>();
  private readonly tcpListen = new Set<number>();
  private readonly udpListen = new Set<number>();
  /** Client UDP sockets by local port: connected to (raddr, rport) or not (raddr 0). */
  private readonly udp = new Map<
    number,
    { raddr: number; rport: number; obs: SocketObserver; expected: string; pmtudisc?: number }
  >();
  /** Ping sockets by echo id. */
  private readonly ping = new Map<number, { dst: number; obs: SocketObserver }>();
  server: ServerObserver | undefined;
  /**
   * SO_MARK of the packet about to be sent: set by tcpSegment, udpSend and pingSend from their
   * socket, read (and cleared) by send.
   */
  private markOut = 0;

  constructor(private readonly host: SocketHost) {}

  listen(proto: 'tcp' | 'udp', port: number): void {
    (proto === 'tcp' ? this.tcpListen : this.udpListen).add(port);
  }

  /**
   * The socket a packet (saddr:sport -> daddr:dport) would reach, for -m socket (XtEnv
   * socketLookup): a TCP connection of that tuple (a mini socket while SYN_RECV or TIME_WAIT),
   * a connected UDP socket, else a listener or unconnected UDP socket, all bound to 0.0.0.0.
   */
  xtLookup(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    if (proto === IPPROTO_TCP) {
      const s = this.tcp.get(key(daddr, dport, saddr, sport));
      if (s) return s.state === 'SYN_RECV' || s.state === 'TIME_WAIT' ? SK_MINI : SK_FULL;
      return this.tcpListen.has(dport) ? SK_WILDCARD : SK_NONE;
    }
    if (proto === IPPROTO_UDP) {
      const u = this.udp.get(dport);
      if (u && u.raddr !== 0 && u.raddr === saddr && u.rport === sport) return SK_FULL;
      if (this.udpListen.has(dport) || (u && u.raddr === 0)) return SK_WILDCARD;
    }
    return SK_NONE;
  }

  private now(): number {
    return this.host.env.now();
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Sends a packet; `owned` when a socket of this host sends it (-m owner sees uid/gid 0). */
  private send(p: Uint8Array, obs?: SocketObserver, attach?: Attach, owned = true): boolean {
    const mark = this.markOut;
    this.markOut = 0;
    const err = this.host.output(p, attach, owned, mark);
    if (err) {
      obs?.failed?.(sendErrorText(err));
      return false;
    }
    return true;
  }

  private tcpSegment(
    s: TcpSock,
    flags: number,
    payload: Uint8Array = new Uint8Array(0),
    seqOverride?: number,
  ): Uint8Array {
    const ts: TcpOption = {
      kind: 'ts',
      val: (Math.floor(this.now() * 1000) + s.tsOffset) >>> 0,
      ecr: s.tsRecent,
    };
    this.markOut = s.mark ?? 0;
    const syn = (flags & TCP_SYN) !== 0;
    // Linux's option layouts: SYN and SYN-ACK carry MSS, SACK-permitted, timestamps, NOP, window
    // scale (mss1460,sackOK,ts,ws); later segments NOP, NOP, timestamps.
    const options: TcpOption[] = syn
      ? [
          { kind: 'mss', mss: s.advMss ?? 1460 },
          { kind: 'sackOK' },
          ts,
          { kind: 'nop' },
          { kind: 'ws', shift: 7 },
        ]
      : [{ kind: 'nop' }, { kind: 'nop' }, ts];
    const window = syn ? (flags & TCP_ACK ? 65160 : 64240) : 502;
    return buildTcpPacket(
      { src: s.laddr, dst: s.raddr, dontFragment: true, id: this.host.nextIpId() },
      {
        srcPort: s.lport,
        dstPort: s.rport,
        seq: seqOverride ?? s.sndNxt,
        ack: flags & TCP_ACK ? s.rcvNxt : 0,
        flags,
        window,
        options,
      },
      payload,
    );
  }

  // ---- TCP client --------------------------------------------------------------------------

  /**
   * connect(): sends a SYN from `sport` and retransmits it (1 s apart for the first
   * net.ipv4.tcp_syn_linear_timeouts retries, then doubling) until `timeout` seconds pass.
   */
  tcpConnect(
    dst: number,
    dport: number,
    sport: number,
    timeout: number,
    hold: number,
    obs: SocketObserver,
    sz: SizeDf = {},
    mark = 0,
  ): void {
    const laddr = this.host.routeSource(dst, 0, mark, IPPROTO_TCP, sport, dport);
    if (laddr < 0) return obs.failed?.(routeFailure('connect()', -laddr));
    const r = this.host.lastRoute()!;
    const rng = this.host.env.rng;
    const s: TcpSock = {
      state: 'SYN_SENT',
      laddr,
      lport: sport,
      raddr: dst,
      rport: dport,
      sndNxt: rng.u32(),
      sndUna: 0,
      rcvNxt: 0,
      tsOffset: rng.u32(),
      tsRecent: 0,
      server: false,
      obs,
      synCount: 0,
      hold,
      closing: false,
      advMss: advertisedMss(this.host.frag, r, dst, routeAdvmss(r)),
      line: linePayload(sz.size),
      mark,
    };
    s.sndUna = s.sndNxt;
    this.tcp.set(key(laddr, sport, dst, dport), s);
    const start = this.now();
    const linear = this.host.sysctl('net.ipv4.tcp_syn_linear_timeouts', 4);
    const retries = this.host.sysctl('net.ipv4.tcp_syn_retries', 6);
    const sendSyn = (): void => {
      if (s.state !== 'SYN_SENT') return;
      s.synCount++;
      obs.synSent?.(s.synCount);
      if (s.synCount > 1)
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'retransmit',
            text: `retransmits its SYN to ${ap(dst, dport)} (attempt ${s.synCount})`,
          });
      if (!this.send(this.tcpSegment(s, TCP_SYN, undefined, s.sndUna), obs)) return;
      if (s.synCount > retries) return;
      const n = s.synCount; // retransmission number about to be scheduled
      const rto = n <= linear ? 1 : 2 ** (n - linear);
      this.host.env.timer(this.now() + rto, sendSyn);
    };
    s.sndNxt = s.sndUna + 1;
    sendSyn();
    this.host.env.timer(start + timeout, () => {
      if (s.state === 'SYN_SENT') {
        s.state = 'CLOSED';
        this.tcp.delete(key(laddr, sport, dst, dport));
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'timeout',
            text: `connect() to ${ap(dst, dport)} timed out after ${timeout} s`,
          });
        obs.failed?.(`connect() timed out after ${timeout} s`);
      }
    });
  }

  // ---- receiving ---------------------------------------------------------------------------

  /** A packet for this host passed INPUT: hand it to the protocol. */
  deliver(ip: Uint8Array, ifname: string): void {
    const hl = ipv4HeaderLength(ip, 0);
    const total = ipv4TotalLength(ip, 0);
    const proto = ip[9]!;
    if (proto === IPPROTO_TCP) return this.tcpInput(ip, hl, total);
    if (proto === IPPROTO_UDP) return this.udpInput(ip, hl, total);
    if (proto === IPPROTO_ICMP) return this.icmpInput(ip, hl, total, ifname);
  }

  private tcpInput(ip: Uint8Array, o: number, total: number): void {
    const src = ipv4Src(ip, 0);
    const dst = ipv4Dst(ip, 0);
    const len = total - o;
    if (len < 20 || !tcpChecksumOk(ip, o, len, src, dst)) {
      if (this.host.countDrop(DropReason.TCP_CSUM))
        this.host.trace({ kind: 'drop', host: this.host.name, reason: DropReason.TCP_CSUM });
      return;
    }
    const sport = read16(ip, o);
    const dport = read16(ip, o + 2);
    const seq = read32(ip, o + 4);
    const ack = read32(ip, o + 8);
    const flags = ip[o + 13]!;
    const doff = (ip[o + 12]! >> 4) * 4;
    const payload = ip.slice(o + doff, total);
    const tsval = findTsVal(ip, o + 20, o + doff);
    const s = this.tcp.get(key(dst, dport, src, sport));
    if (s && flags & TCP_SYN) s.peerMss = mssOption(ip, o + 20, o + doff);
    if (s) return this.tcpSockInput(s, flags, seq, ack, payload, tsval);
    if (this.tcpListen.has(dport) && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      this.tcpAccept(src, sport, dst, dport, seq, tsval);
      const a = this.tcp.get(key(dst, dport, src, sport));
      if (a) a.peerMss = mssOption(ip, o + 20, o + doff);
      return;
    }
    if (flags & TCP_RST) return; // never answer a reset
    // No socket wants this segment. If a connection of ours is waiting for an answer on this port,
    // say so: that is the hairpin failure (the answer came from an unexpected address).
    for (const c of this.tcp.values()) {
      if (c.lport === dport && c.laddr === dst && !c.server && c.state === 'SYN_SENT') {
        const what = `TCP [${formatTcpFlags(flags)}]`;
        c.obs?.unexpected?.(ap(src, sport), ap(c.raddr, c.rport), what);
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'unexpected-source',
            text: `${what} from ${ap(src, sport)} matches no socket: connect() to ${ap(c.raddr, c.rport)} is waiting for an answer from ${ap(c.raddr, c.rport)}, not from ${ap(src, sport)}`,
          });
      }
    }
    this.sendReset(ip, o, total, flags, seq, ack);
  }

  /** tcp_v4_send_reset: answer a segment with RST (seq from its ACK, or ACK its sequence). */
  private sendReset(
    ip: Uint8Array,
    o: number,
    total: number,
    flags: number,
    seq: number,
    ack: number,
    attach?: Attach,
  ): void {
    const src = ipv4Src(ip, 0);
    const dst = ipv4Dst(ip, 0);
    const sport = read16(ip, o);
    const dport = read16(ip, o + 2);
    const doff = (ip[o + 12]! >> 4) * 4;
    const segLen = total - o - doff + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    // With an ACK in the segment, the RST takes its sequence number from it; else it ACKs it.
    const tcp =
      flags & TCP_ACK
        ? { srcPort: dport, dstPort: sport, seq: ack, flags: TCP_RST, window: 0 }
        : {
            srcPort: dport,
            dstPort: sport,
            seq: 0,
            ack: (seq + segLen) >>> 0,
            flags: TCP_RST | TCP_ACK,
            window: 0,
          };
    const p = buildTcpPacket({ src: dst, dst: src, dontFragment: true, id: 0 }, tcp);
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'rst-sent',
        text: `sends RST to ${ap(src, sport)}: no socket for this segment`,
      });
    this.send(p, undefined, attach, false); // the kernel's own reset: no socket owns it
  }

  private tcpAccept(
    src: number,
    sport: number,
    dst: number,
    dport: number,
    seq: number,
    tsval: number,
  ): void {
    const rng = this.host.env.rng;
    const s: TcpSock = {
      state: 'SYN_RECV',
      laddr: dst,
      lport: dport,
      raddr: src,
      rport: sport,
      sndNxt: rng.u32(),
      sndUna: 0,
      rcvNxt: (seq + 1) >>> 0,
      tsOffset: rng.u32(),
      tsRecent: tsval,
      server: true,
      obs: undefined,
      synCount: 0,
      hold: 0,
      closing: false,
    };
    const back = this.host.routeTo(src, dst);
    if (back) s.advMss = advertisedMss(this.host.frag, back, src, routeAdvmss(back));
    s.sndUna = s.sndNxt;
    this.tcp.set(key(dst, dport, src, sport), s);
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'syn-received',
        text: `port ${dport} is listening: answers ${ap(src, sport)} with SYN-ACK`,
      });
    this.send(this.tcpSegment(s, TCP_SYN | TCP_ACK));
    s.sndNxt = (s.sndUna + 1) >>> 0;
  }

  private tcpSockInput(
    s: TcpSock,
    flags: number,
    seq: number,
    ack: number,
    payload: Uint8Array,
    tsval: number,
  ): void {
    const k = key(s.laddr, s.lport, s.raddr, s.rport);
    if (tsval >= 0) s.tsRecent = tsval;
    if (flags & TCP_RST) {
      this.tcp.delete(k);
      s.state = 'CLOSED';
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'rst-received',
          text: `connection with ${ap(s.raddr, s.rport)} reset by peer`,
        });
      s.obs?.reset?.(ap(s.raddr, s.rport));
      return;
    }
    switch (s.state) {
      case 'SYN_SENT':
        if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && ack === s.sndNxt) {
          s.rcvNxt = (seq + 1) >>> 0;
          s.sndUna = ack;
          s.state = 'ESTABLISHED';
          this.send(this.tcpSegment(s, TCP_ACK));
          if (this.host.tracing)
            this.host.trace({
              kind: 'socket',
              host: this.host.name,
              event: 'connected',
              text: `connected to ${ap(s.raddr, s.rport)} from ${ap(s.laddr, s.lport)}`,
            });
          s.obs?.connected?.(ap(s.laddr, s.lport), ap(s.raddr, s.rport));
          // The client application says hello: its line, in segments of the MSS.
          s.lineSeq = s.sndNxt;
          this.sendLine(s, s.sndNxt);
        }
        return;
      case 'SYN_RECV':
        if (flags & TCP_ACK && ack === s.sndNxt) {
          s.state = 'ESTABLISHED';
          s.sndUna = ack;
          if (this.host.tracing)
            this.host.trace({
              kind: 'socket',
              host: this.host.name,
              event: 'accepted',
              text: `accepted a connection from ${ap(s.raddr, s.rport)}`,
            });
          this.server?.peerSeen('tcp', ap(s.laddr, s.lport), ap(s.raddr, s.rport));
        } else return;
        break;
      default:
        break;
    }
    if (flags & TCP_ACK) s.sndUna = ack;
    if (s.tailOff !== undefined && s.line && flags & TCP_ACK && ack === (s.lineSeq! + s.tailOff) >>> 0)
      this.sendLine(s, ack); // everything in flight is acknowledged: the short segment goes
    if (payload.length > 0 && seq === s.rcvNxt) {
      s.rcvNxt = (s.rcvNxt + payload.length) >>> 0;
      if (s.server) {
        // Quick ACK, then the server application's answer once a whole line is in: who it saw.
        this.send(this.tcpSegment(s, TCP_ACK));
        s.rxLen = (s.rxLen ?? 0) + payload.length;
        if (payload[payload.length - 1] !== 0x0a) return;
        s.rxLen = 0;
        const answer = pong(s.raddr, s.rport);
        this.send(this.tcpSegment(s, TCP_PSH | TCP_ACK, answer));
        s.sndNxt = (s.sndNxt + answer.length) >>> 0;
      } else {
        this.send(this.tcpSegment(s, TCP_ACK));
        s.obs?.data?.(ap(s.raddr, s.rport), payload, true);
        if (!s.closing) {
          s.closing = true;
          this.host.env.timer(this.now() + s.hold, () => this.tcpClose(s));
        }
      }
    }
    if (flags & TCP_FIN && (seq + payload.length) >>> 0 === s.rcvNxt) {
      s.rcvNxt = (s.rcvNxt + 1) >>> 0;
      if (s.state === 'ESTABLISHED') {
        // The peer closed: the application reads EOF and closes too (FIN carries the ACK).
        s.state = 'LAST_ACK';
        this.send(this.tcpSegment(s, TCP_FIN | TCP_ACK));
        s.sndNxt = (s.sndNxt + 1) >>> 0;
      } else if (s.state === 'FIN_WAIT1' || s.state === 'FIN_WAIT2') {
        s.state = 'TIME_WAIT';
        this.send(this.tcpSegment(s, TCP_ACK));
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'closed',
            text: `connection with ${ap(s.raddr, s.rport)} closed`,
          });
        s.obs?.closed?.();
        this.host.env.timer(this.now() + 60, () => this.tcp.delete(k));
      }
      return;
    }
    if (s.state === 'LAST_ACK' && flags & TCP_ACK && ack === s.sndNxt) {
      s.state = 'CLOSED';
      this.tcp.delete(k);
    } else if (s.state === 'FIN_WAIT1' && flags & TCP_ACK && ack === s.sndNxt) {
      s.state = 'FIN_WAIT2';
    }
  }

  private tcpClose(s: TcpSock): void {
    if (s.state !== 'ESTABLISHED') return;
    s.state = 'FIN_WAIT1';
    this.send(this.tcpSegment(s, TCP_FIN | TCP_ACK));
    s.sndNxt = (s.sndNxt + 1) >>> 0;
  }

  // ---- UDP ---------------------------------------------------------------------------------

  /** Sends one datagram ("ping\n") from `sport`; a connected socket takes answers only from dst. */
  udpSend(
    dst: number,
    dport: number,
    sport: number,
    connected: boolean,
    obs: SocketObserver,
    sz: SizeDf = {},
    mark = 0,
  ): void {
    const laddr = this.host.routeSource(dst, 0, mark, IPPROTO_UDP, sport, dport, connected);
    if (laddr < 0) return obs.failed?.(routeFailure(connected ? 'connect()' : 'sendto()', -laddr));
    const r = this.host.lastRoute()!;
    this.udp.set(sport, {
      raddr: connected ? dst : 0,
      rport: connected ? dport : 0,
      obs,
      expected: ap(dst, dport),
      pmtudisc: pmtudiscOf(sz),
    });
    const data = linePayload(sz.size);
    const df = datagramDf(pmtudiscOf(sz), 8 + data.length, this.host.frag.outputMtu(r, dst));
    if (df === 'EMSGSIZE') return this.tooLong(obs, dst);
    const ip = { src: laddr, dst, dontFragment: df, id: this.host.nextIpId() };
    this.markOut = mark;
    this.send(buildUdpPacket(ip, { srcPort: sport, dstPort: dport }, data), obs);
  }

  /** sendto() with IP_PMTUDISC_DO and a datagram longer than the path MTU: EMSGSIZE. */
  private tooLong(obs: SocketObserver, dst: number): void {
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'timeout',
        text: `sendto() to ${formatIpv4(dst)}: message too long (EMSGSIZE): DF asked and the path MTU is ${this.host.frag.outputMtu(this.host.lastRoute()!, dst)}`,
      });
    obs.failed?.('sendto(): Message too long (EMSGSIZE)');
  }

  private udpInput(ip: Uint8Array, o: number, total: number): void {
    const src = ipv4Src(ip, 0);
    const dst = ipv4Dst(ip, 0);
    const sport = read16(ip, o);
    const dport = read16(ip, o + 2);
    const payload = ip.slice(o + 8, total);
    if (this.udpListen.has(dport)) {
      this.server?.peerSeen('udp', ap(dst, dport), ap(src, sport));
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'data',
          text: `UDP port ${dport} got a datagram from ${ap(src, sport)} and answers it`,
        });
      const answer = pong(src, sport);
      const ipf = { src: dst, dst: src, dontFragment: true, id: this.host.nextIpId() };
      this.send(buildUdpPacket(ipf, { srcPort: dport, dstPort: sport }, answer));
      return;
    }
    const sock = this.udp.get(dport);
    const expectedFrom = sock && (sock.raddr === 0 || (sock.raddr === src && sock.rport === sport));
    if (sock && expectedFrom) {
      const expected = sock.expected === ap(src, sport);
      if (!expected) sock.obs.unexpected?.(ap(src, sport), sock.expected, 'UDP');
      sock.obs.data?.(ap(src, sport), payload, expected);
      return;
    }
    if (sock) {
      sock.obs.unexpected?.(ap(src, sport), sock.expected, 'UDP');
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'unexpected-source',
          text: `UDP from ${ap(src, sport)} matches no socket: port ${dport} is connected to ${sock.expected}`,
        });
    }
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'port-unreachable',
        text: `UDP port ${dport} has no socket for ${ap(src, sport)}: answers ICMP port unreachable`,
      });
    this.sendIcmpError(ip, 3, 3, 0);
  }

  // ---- ICMP --------------------------------------------------------------------------------

  /** ping: one echo request with this id (sequence `seq`, default 1; `sz.size` bytes of data, 16 by default). */
  pingSend(dst: number, id: number, obs: SocketObserver, sz: SizeDf = {}, seq = 1, mark = 0): void {
    const laddr = this.host.routeSource(dst, 0, mark, IPPROTO_ICMP, 0, 0, false);
    if (laddr < 0) return obs.failed?.(routeFailure('sendto()', -laddr));
    const r = this.host.lastRoute()!;
    this.ping.set(id, { dst, obs });
    const data = new Uint8Array(sz.size ?? 16);
    const df = datagramDf(pmtudiscOf(sz), 8 + data.length, this.host.frag.outputMtu(r, dst));
    if (df === 'EMSGSIZE') return this.tooLong(obs, dst);
    const ip = { src: laddr, dst, dontFragment: df, id: this.host.nextIpId() };
    this.markOut = mark;
    this.send(buildIcmpIpv4Packet(ip, { kind: 'echo-request', id, seq }, data), obs);
  }

  private icmpInput(ip: Uint8Array, o: number, total: number, _ifname: string): void {
    const type = ip[o]!;
    const src = ipv4Src(ip, 0);
    const dst = ipv4Dst(ip, 0);
    if (type === 8) {
      // The kernel answers echo requests itself (icmp_echo), with the same id, sequence and data.
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'reply',
          text: `answers the echo request from ${formatIpv4(src)}`,
        });
      const echo = { kind: 'echo-reply' as const, id: read16(ip, o + 4), seq: read16(ip, o + 6) };
      const reply = buildIcmpIpv4Packet(
        { src: dst, dst: src, id: this.host.nextIpId() },
        echo,
        ip.slice(o + 8, total),
      );
      this.send(reply, undefined, undefined, false); // the kernel answers: no socket owns it
      return;
    }
    if (type === 0) {
      const id = read16(ip, o + 4);
      const p = this.ping.get(id);
      if (p) p.obs.data?.(formatIpv4(src), ip.slice(o, total), src === p.dst);
      if (p && src !== p.dst) p.obs.unexpected?.(formatIpv4(src), formatIpv4(p.dst), 'ICMP echo reply');
      return;
    }
    if (type === 3 || type === 11) {
      // An error about one of our packets: tell the socket it quotes.
      const inner = o + 8;
      if (total - inner < 28) return;
      const ihl = ipv4HeaderLength(ip, inner);
      const iproto = ip[inner + 9]!;
      const isport = read16(ip, inner + ihl);
      const idst = ipv4Dst(ip, inner);
      const idport = read16(ip, inner + ihl + 2);
      const why =
        type === 11
          ? `time exceeded (from ${formatIpv4(src)})`
          : `destination unreachable code ${ip[o + 1]} (from ${formatIpv4(src)})`;
      if (type === 3 && ip[o + 1] === 4 && this.fragNeeded(ip, o, inner, iproto, isport, idst, idport))
        return;
      if (iproto === IPPROTO_TCP) {
        const s = this.tcp.get(key(ipv4Src(ip, inner), isport, idst, idport));
        if (s && s.state === 'SYN_SENT' && !(type === 3 && ip[o + 1] === 4)) {
          // tcp_v4_err: an ICMP error (but fragmentation needed) ends a connect() in progress.
          s.state = 'CLOSED';
          this.tcp.delete(key(s.laddr, s.lport, s.raddr, s.rport));
          // Port unreachable is ECONNREFUSED, the same "connection refused" a RST gives.
          if (type === 3 && ip[o + 1] === 3) s.obs?.reset?.(`ICMP port unreachable from ${formatIpv4(src)}`);
          else s.obs?.failed?.(`ICMP ${why}`);
        }
      } else if (iproto === IPPROTO_UDP) {
        // __udp4_lib_err: only a hard error (icmp_err_convert[code].fatal; time exceeded is soft)
        // reaches the application, and only on a connected socket.
        const u = this.udp.get(isport);
        const hard = type === 3 && ICMP_UNREACH_FATAL[ip[o + 1]!] === 1;
        if (u && hard && u.raddr === idst && u.rport === idport) u.obs.failed?.(`ICMP ${why}`);
      } else if (iproto === IPPROTO_ICMP) {
        this.ping.get(read16(ip, inner + ihl + 4))?.obs.failed?.(`ICMP ${why}`);
      }
    }
  }

  /**
   * ICMP fragmentation needed about one of this host's packets: the socket it quotes learns the
   * path MTU (udp_err, ping_err/raw_err, tcp_v4_err → ipv4_sk_update_pmtu), and TCP sends what
   * is unacknowledged again in segments that fit (tcp_v4_mtu_reduced → tcp_simple_retransmit).
   * A UDP socket reports nothing to the application here. Returns true when handled.
   */
  private fragNeeded(
    ip: Uint8Array,
    o: number,
    inner: number,
    iproto: number,
    isport: number,
    idst: number,
    idport: number,
  ): boolean {
    const mtu = read16(ip, o + 6);
    const r = this.host.routeTo(idst, ipv4Src(ip, inner));
    if (!r) return false;
    if (iproto === IPPROTO_TCP) {
      const s = this.tcp.get(key(ipv4Src(ip, inner), isport, idst, idport));
      if (!s) return true;
      this.host.frag.learn(r, idst, mtu);
      const pmtu = this.host.frag.outputMtu(r, idst);
      if (s.state !== 'SYN_SENT' && s.line && s.lineSeq !== undefined && (s.pmtuCookie ?? 0) > pmtu) {
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'retransmit',
            text: `path MTU to ${formatIpv4(idst)} is ${pmtu}: sends unacknowledged data again in smaller segments`,
          });
        this.sendLine(s, s.sndUna, false);
      }
      return true;
    }
    if (iproto === IPPROTO_UDP) {
      // __udp4_lib_err: unless IP_PMTUDISC_DONT, a connected socket's next call fails EMSGSIZE.
      const u = this.udp.get(isport);
      if (!u) return true;
      this.host.frag.learn(r, idst, mtu);
      if (u.pmtudisc !== PMTUDISC_DONT && u.raddr === idst && u.rport === idport)
        u.obs.failed?.(
          `ICMP fragmentation needed, next-hop MTU ${mtu} (from ${formatIpv4(ipv4Src(ip, 0))}): Message too long (EMSGSIZE)`,
        );
      return true;
    }
    if (iproto === IPPROTO_ICMP) {
      const p = this.ping.get(read16(ip, inner + ipv4HeaderLength(ip, inner) + 4));
      if (p) this.host.frag.learn(r, idst, mtu);
      return false; // the ping socket still hears the error
    }
    return false;
  }

  /**
   * Sends the client's line from sequence number `from` (the line's first byte is s.lineSeq) to
   * its end, in segments of the MSS for the path MTU now (tcp_sync_mss), PSH on the last one. A
   * retransmission (`nagle` false: tcp_xmit_retransmit_queue) sends the short tail at once too.
   */
  private sendLine(s: TcpSock, from: number, nagle = true): void {
    const line = s.line!;
    const r = this.host.routeTo(s.raddr, s.laddr, s.mark ?? 0);
    const pmtu = r ? this.host.frag.outputMtu(r, s.raddr) : 1500;
    s.pmtuCookie = pmtu;
    const mss = segmentSize(pmtu, s.peerMss ?? 536, 12);
    let off = (from - s.lineSeq!) >>> 0;
    s.tailOff = undefined;
    while (off < line.length) {
      const n = Math.min(mss, line.length - off);
      if (nagle && n < mss && (s.lineSeq! + off) >>> 0 !== s.sndUna) {
        // Nagle (and autocorking): a segment shorter than the MSS waits while data is in flight.
        s.tailOff = off;
        break;
      }
      const last = off + n === line.length;
      const seq = (s.lineSeq! + off) >>> 0;
      this.send(this.tcpSegment(s, last ? TCP_PSH | TCP_ACK : TCP_ACK, line.subarray(off, off + n), seq));
      off += n;
    }
    s.sndNxt = (s.lineSeq! + line.length) >>> 0;
  }

  /**
   * icmp_send: an error about `orig`, quoting its IP header and as much of its data as fits in
   * 576 bytes. Never about an ICMP error, a broadcast or a non-first fragment.
   */
  sendIcmpError(orig: Uint8Array, type: number, code: number, info: number, attach?: Attach): void {
    const osrc = ipv4Src(orig, 0);
    const odst = ipv4Dst(orig, 0);
    const ohl = ipv4HeaderLength(orig, 0);
    if (orig[9] === IPPROTO_ICMP && ![0, 8, 13, 14, 15, 16, 17, 18].includes(orig[ohl] ?? 0)) return;
    if (odst === 0xffffffff || (read16(orig, 6) & 0x1fff) !== 0) return;
    // icmp_send routes the error back to the sender (its source chosen by that route).
    const back = this.host.routeSource(osrc, 0, 0, IPPROTO_ICMP, 0, 0, false);
    if (back < 0) return;
    const src = this.host.isLocal(odst) ? odst : back;
    const h =
      type === 11
        ? { kind: 'time-exceeded' as const, code }
        : type === 3
          ? { kind: 'dest-unreachable' as const, code, ...(code === 4 ? { nextHopMtu: info } : {}) }
          : type === 5
            ? { kind: 'redirect' as const, code, gateway: info }
            : { kind: 'other' as const, type, code, rest: info };
    if (this.host.tracing)
      this.host.trace({
        kind: 'icmp-sent',
        host: this.host.name,
        text: `sends ICMP ${icmpErrorName(type, code, info)} to ${formatIpv4(osrc)} about its packet to ${formatIpv4(odst)}`,
      });
    // As __icmp_send: quote as much of the packet as fits in 576 bytes, TOS 0xc0, TTL 64.
    this.send(
      buildIcmpIpv4Packet(
        { src, dst: osrc, id: this.host.nextIpId() },
        h,
        orig.subarray(0, ipv4TotalLength(orig, 0)),
      ),
      undefined,
      attach,
      false,
    );
  }

  /** REJECT: answer the rejected packet as --reject-with says (ipt_REJECT.c). */
  reject(orig: Uint8Array, withWhat: string, attach?: Attach): void {
    const codes: Record<string, number> = {
      'icmp-net-unreachable': 0,
      'icmp-host-unreachable': 1,
      'icmp-proto-unreachable': 2,
      'icmp-port-unreachable': 3,
      'icmp-net-prohibited': 9,
      'icmp-host-prohibited': 10,
      'icmp-admin-prohibited': 13,
    };
    if (withWhat === 'tcp-reset' && orig[9] === IPPROTO_TCP) {
      const o = ipv4HeaderLength(orig, 0);
      const flags = orig[o + 13]!;
      if (flags & TCP_RST) return;
      this.sendReset(
        orig,
        o,
        ipv4TotalLength(orig, 0),
        flags,
        read32(orig, o + 4),
        read32(orig, o + 8),
        attach,
      );
      return;
    }
    this.sendIcmpError(orig, 3, codes[withWhat] ?? 3, 0, attach);
  }

  /** ARP gave up on the next hop of a locally sent packet: EHOSTUNREACH for its socket. */
  neighbourFailed(ip: Uint8Array): void {
    const o = ipv4HeaderLength(ip, 0);
    const proto = ip[9]!;
    const why = `no route to host: ${formatIpv4(ipv4Dst(ip, 0))} did not answer ARP`;
    if (proto === IPPROTO_TCP)
      this.tcp.get(key(ipv4Src(ip, 0), read16(ip, o), ipv4Dst(ip, 0), read16(ip, o + 2)))?.obs?.failed?.(why);
    else if (proto === IPPROTO_UDP) this.udp.get(read16(ip, o))?.obs.failed?.(why);
    else if (proto === IPPROTO_ICMP) this.ping.get(read16(ip, o + 4))?.obs.failed?.(why);
  }
}

function findTsVal(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const k = b[i]!;
    if (k === 0) break;
    if (k === 1) {
      i++;
      continue;
    }
    const l = b[i + 1] ?? 0;
    if (l < 2) break;
    if (k === 8 && l === 10) return read32(b, i + 2);
    i += l;
  }
  return -1;
}

/** An ICMP error in words, for the trace: `redirect (use 192.168.1.200)`, `port-unreachable`. */
function icmpErrorName(type: number, code: number, info: number): string {
  if (type === 3) return `destination unreachable (${ICMP_UNREACH_NAMES[code] ?? `code ${code}`})`;
  if (type === 11)
    return code === 0 ? 'time exceeded (TTL expired in transit)' : 'time exceeded (fragment reassembly)';
  if (type === 5) return `redirect (use ${formatIpv4(info)} directly)`;
  return `type ${type} code ${code}`;
}

/** icmp_err_convert[code].fatal (net/ipv4/icmp.c): which destination-unreachable codes are hard. */
const ICMP_UNREACH_FATAL = [0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1];

/** A socket call's failure for a route lookup's errno: `connect(): EHOSTUNREACH (No route to host)`. */
function routeFailure(call: string, errno: number): string {
  return errno === ENETUNREACH
    ? `${call}: network is unreachable (no route)`
    : `${call}: ${errnoWords(errno)}`;
}
