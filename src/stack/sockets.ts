// Local delivery and Linux socket behaviour: TCP listeners and connections (handshake, SYN
// retransmission, data, FIN close, RST for a segment no socket wants: tcp_v4_send_reset), UDP
// sockets (connected ones take datagrams only from their peer; with no socket the host answers
// ICMP port unreachable), ICMP echo (the kernel answers pings; a ping socket takes any reply with
// its id), and ICMP errors (icmp_send). Applications are observers the simulator attaches.
import { buildRawPacket } from '../wire/raw.ts';
import { formatIpv4 } from '../wire/addr.ts';
import { checksum, pseudoHeaderSum, read16, read32 } from '../wire/checksum.ts';
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
  tcpOptionAt,
  type TcpOption,
} from '../wire/tcp.ts';
import {
  enabledOptions,
  establishedOptions,
  OPT_SACK,
  OPT_TS,
  OPT_WS,
  synOptionBits,
  synOptions,
} from './tcp-options.ts';
import { TcpOfo } from './tcp-ofo.ts';
import { TcpRtt, tsoptRttUs } from './tcp-rtt.ts';
import { CA_OPEN, sackBlocks, TcpScoreboard, type TxSeg } from './tcp-sack.ts';
import { DROP_TABLES, DropReason, netfilterDropWords } from '../netfilter/core/drop.ts';
import { markPendingConfirm, stillInHostQueue } from './neigh.ts';
import {
  SK_FULL,
  SK_MINI,
  SK_NONE,
  SK_TIMEWAIT,
  SK_TRANSPARENT,
  SK_WILDCARD,
  type TproxyLookup,
} from '../netfilter/core/skb.ts';
import type { SeededRng } from '../netfilter/nat/nat-core.ts';
import { ENETUNREACH, type Route } from '../route/table.ts';
import { newFlowKey, type FlowKey } from '../route/policy.ts';
import { ERRNO_NAME, errnoWords } from '../route/errors.ts';
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
} from './frag.ts';
import { routeAdvmss } from '../route/pmtu.ts';
import { ftpServer, FTP_FILE, type FtpHost, type TcpApp, type TcpConn } from './ftp.ts';
import { ICMP_RATEMASK, type InetPeers } from './inetpeer.ts';
import { HZ, jiffiesAt, kernelTimerAt, toJiffies } from './timer-wheel.ts';
import {
  KEEPALIVE_INTVL,
  KEEPALIVE_PROBES,
  KEEPALIVE_TIME,
  KeepaliveAction,
  keepaliveAction,
  keepaliveNext,
  type KeepaliveOpts,
} from './keepalive.ts';

/**
 * What the sockets need of their host (host.ts implements it). Declared here so that the sockets
 * import nothing of the host: the host composes them, not the other way round.
 */

/**
 * The window scale a Linux socket offers (tcp_select_initial_window): ilog2 of the largest receive
 * buffer, max(tcp_rmem[2], rmem_max), less 15. Linux 6.18's defaults are tcp_rmem
 * "4096 131072 33554432" and rmem_max 4194304 (read in a fresh namespace), so ilog2(32 MiB) - 15
 * = 10, as the kernel reference captures show (`wscale 10`).
 */
const RCV_WSCALE = 10;
export interface SocketHost {
  readonly name: string;
  /** A tracer is attached: build steps only then. */
  readonly tracing: boolean;
  readonly env: {
    now(): number;
    timer(at: number, fn: () => void): void;
    readonly rng: SeededRng;
    /** A system call's window (host.ts HostEnv.syscall). */
    syscall?(fn: () => void, done: () => void): void;
    /** After the softirq chain under way (host.ts HostEnv.wake). */
    wake?(fn: () => void): void;
    /** One frame of a system call's train (host.ts HostEnv.xmit). */
    xmit?(fn: () => void, then: () => void): void;
  };
  /** inet_peer records: icmp_send's per-destination limit (inetpeer.ts). */
  readonly peers: InetPeers;
  /** Policy routing: icmp_send sets the packet its multipath hash takes (PolicyRouting.hashFrom). */
  readonly policy: { hashFrom: FlowKey | undefined };
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
    tos?: number,
  ): number;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
  /** Sends a locally generated IPv4 packet; returns why it cannot leave, or undefined. */
  output(ip: Uint8Array, attach?: Attach, owned?: boolean, mark?: number): SendError | undefined;
  /** nf_send_reset's bridge branch: a RST straight out of the port a bridged packet came in by. */
  outputBridged(ip: Uint8Array, bridged: BridgedIn): void;
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
  /** neigh_confirm: the neighbour `addr` on `dev` is known to be reachable (sock_confirm_neigh). */
  confirmNeighbour?(dev: string, addr: number): void;
  /** __ip_do_redirect: a socket heard a redirect to gateway `gw` on `dev` (host.ts). */
  redirectNeighbour?(dev: string, gw: number): void;
}

/** A conntrack entry an ICMP error or reset about a packet carries along (nf_ct_attach). */
export interface Attach {
  readonly ct: number;
  readonly dir: number;
}

/**
 * A rejected packet that came in by a bridge port with bridge-nf-call-iptables on (the skb's
 * nf_bridge_get_physindev): the port, and the frame it came in (its Ethernet addresses).
 */
export interface BridgedIn {
  readonly port: string;
  readonly frame: Uint8Array;
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
 * are the trace's (netfilter/core/drop.ts netfilterDropWords).
 */
export function sendErrorText(e: SendError): string {
  const table = DROP_TABLES[e.table] ?? '';
  // A netfilter hook's drop with an error of its own (NF_DROP_ERR: ip_route_me_harder's EINVAL).
  if (e.errno !== undefined && e.reason !== DropReason.IP_OUTNOROUTES)
    return `${errnoWords(e.errno)}: dropped in the ${table} table's hook`;
  switch (e.reason) {
    case DropReason.IP_OUTNOROUTES:
      return e.errno === undefined || e.errno === ENETUNREACH
        ? 'network is unreachable'
        : errnoWords(e.errno);
    case DropReason.NOT_SPECIFIED:
      return 'operation not permitted (netfilter)';
    default:
      return netfilterDropWords(e.reason, e.table, e.ctMax);
  }
}

/**
 * The errno a socket's send fails with (ip_local_out's error as sendto()/connect() return it):
 * ENETUNREACH without a route, EPERM when netfilter dropped or rejected the packet in OUTPUT
 * (NF_DROP is -EPERM for a local sender).
 */
export function sendErrno(e: SendError): string {
  if (e.errno !== undefined && e.reason !== DropReason.IP_OUTNOROUTES) return ERRNO_NAME[e.errno] ?? 'EPERM';
  if (e.reason === DropReason.IP_OUTNOROUTES) return (e.errno && ERRNO_NAME[e.errno]) || 'ENETUNREACH';
  return 'EPERM';
}

/**
 * The errno an ICMP error stands for and whether it is "hard" (net/ipv4/icmp.c icmp_err_convert;
 * time exceeded is EHOSTUNREACH and soft, parameter problem EPROTO and hard: tcp_v4_err and
 * __udp4_lib_err). Source quench and redirects are no errors (undefined).
 */
export function icmpErrno(type: number, code: number): { errno: string; hard: boolean } | undefined {
  if (type === 11) return { errno: 'EHOSTUNREACH', hard: false };
  if (type === 12) return { errno: 'EPROTO', hard: true };
  if (type !== 3) return undefined;
  const e = ICMP_UNREACH_ERR[code];
  return e ? { errno: e[0], hard: e[1] === 1 } : { errno: 'EHOSTUNREACH', hard: false };
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
  /**
   * The attempt could not be made or failed (no route, an ICMP error the socket reports, a
   * timeout). `errno` names what the application saw (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH,
   * EPERM, ...); absent for a timeout.
   */
  failed?(why: string, errno?: string): void;
  /** TCP: the connection is fully closed. */
  closed?(): void;
  /** A SYN (re)transmission. */
  synSent?(count: number): void;
  /**
   * ICMP (ping) only: an ICMP message other than an echo request or the socket's echo reply
   * reached the host while the socket was open (a raw socket sees every one: raw_v4_input).
   */
  icmp?(from: string, type: number, code: number): void;
}

/**
 * What a client's socket was told before connect()/sendto() (setsockopt and bind). Other socket
 * options are added at the end of this block.
 */
export interface SockOpts {
  /** bind(): the local address (TCP/UDP with the flow's port; ICMP: the raw socket). */
  readonly src?: number;
  /** IP_TTL. */
  readonly ttl?: number;
  /** IP_TOS (TCP keeps the ECN bits its own: the two low bits are cleared). */
  readonly tos?: number;
  /** IP_OPTIONS of a datagram socket (only options sent as given: NOP, EOL, router alert). */
  readonly ipOptions?: Uint8Array;
  /** TCP_MAXSEG before connect(): the SYN announces min(this, the route's advmss). */
  readonly mss?: number;
  /** Payload bytes (UDP datagram, ICMP echo data, TCP line) and IP_MTU_DISCOVER (frag.ts). */
  readonly size?: number;
  readonly df?: boolean;
  /** SO_MARK: every packet of the socket carries it. */
  readonly mark?: number;
  /** UDP: the datagram is a TFTP read request, and the first answer is acknowledged (ACK block 1). */
  readonly tftp?: boolean;
  /** TCP: an application (ftp.ts) drives the connection instead of the `ping` line and its answer. */
  readonly app?: TcpApp;
  /**
   * TCP: request/answer exchanges on the connection (`count`, default 1): line i leaves `interval`
   * s after line i - 1 or when the wait for its answer ended (the answer, or `timeout`), if later.
   */
  readonly count?: number;
  readonly interval?: number;
  /** SO_KEEPALIVE, with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT where given (keepalive.ts). */
  readonly keepalive?: KeepaliveOpts;
}

/** A TFTP read request for `natbox` in octet mode (RFC 1350), and the ACK of block 1. */
const TFTP_RRQ = new Uint8Array([
  0, 1, 0x6e, 0x61, 0x74, 0x62, 0x6f, 0x78, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0,
]);
const TFTP_ACK1 = new Uint8Array([0, 4, 0, 1]);

/** A listening socket's address: `bind` 0 is INADDR_ANY; `replyPort` (UDP) answers from it. */
export interface ListenOpts {
  readonly bind?: number;
  readonly replyPort?: number;
  /** TCP: an FTP server (ftp.ts) answers on this port, with passive data connections on FTP_PASV_PORT. */
  readonly ftp?: boolean;
  /** TCP: the application each accepted connection gets (an FTP server's sessions). */
  readonly app?: () => TcpApp;
  /** TCP: the server closes each connection right after its answer (the active close). */
  readonly closeFirst?: boolean;
  /**
   * IP_TRANSPARENT: TPROXY may hand it packets for any address (core/tproxy.ts); its accepted
   * connections keep the original destination as their local address and answer from it.
   */
  readonly transparent?: boolean;
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
  /**
   * sk_shutdown's RCV_SHUTDOWN from close() (__tcp_close: SHUTDOWN_MASK), not from shutdown(SHUT_WR):
   * new data reaching the socket afterwards in FIN_WAIT1/FIN_WAIT2 is answered by a reset
   * (tcp_rcv_state_process, TCPAbortOnData).
   */
  rcvShut?: boolean;
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
  /** Client: the SYN-ACK offered a zero window; the line waits for a window update. */
  zeroWindow?: boolean;
  /**
   * Client, several exchanges behind a zero window: the later lines written meanwhile, waiting in
   * the write queue behind the first (tcp_sendmsg appends them to its unsent skb).
   */
  queuedLines?: number;
  /**
   * Client, several exchanges (`count`): lines still to send after the current one, the seconds
   * between their starts (`interval`), when the first left, how long to wait for each answer,
   * and the lines sent and answers received so far.
   */
  more?: number;
  interval?: number;
  firstAt?: number;
  answerWait?: number;
  lines?: number;
  answers?: number;
  /**
   * Delayed ACKs (tcp_event_data_recv, __tcp_ack_snd_check): the time of the last data received
   * (icsk_ack.lrcvtime), pingpong mode (inet_csk_in_pingpong_mode: this end sent data within ato
   * of receiving some, net.ipv4.tcp_pingpong_thresh 1), and the delayed ACK armed (its arming,
   * cleared when any segment carries the ACK: tcp_event_ack_sent).
   */
  lrcv?: number;
  pingpong?: boolean;
  /** SO_KEEPALIVE (keepalive.ts): its settings, the last ACK processed (rcv_tstamp), icsk_probes_out. */
  ka?: KeepaliveOpts;
  rcvTs?: number;
  kaProbes?: number;
  delack?: number;
  /**
   * Data has been received (tcp_event_data_recv, tcp_enter_quickack_mode: icsk_ack.ato is
   * TCP_ATO_MIN from then on; 0 before, so a delayed ACK runs at the next tick).
   */
  rcvdData?: boolean;
  /**
   * After a retransmission timeout (tcp_enter_loss: cwnd = in_flight + 1, and the head's
   * retransmission fills it): snd_nxt then. Until an ACK reaches it the congestion window is full
   * (tcp_cwnd_test), and new data or a FIN wait in `held` (the write queue), in order.
   */
  lossUntil?: number;
  held?: { flags: number; payload: Uint8Array }[];
  /** Data bytes received since the last ACK sent (rcv_nxt - rcv_wup). */
  unacked?: number;
  /**
   * icsk_ack.rcv_mss: the peer's segment size as seen (tcp_measure_rcv_mss: the largest segment
   * received, at most advmss; TCP_MSS_DEFAULT 536 to start, tcp_initialize_rcv_mss).
   */
  rcvMss?: number;
  /** Client: the end of the last segment it sent shorter than the MSS (snd_sml: tcp_minshall_update). */
  sndSml?: number;
  /** Server, SYN_RECV: the timestamps of its first and latest SYN-ACK. */
  synackTsFirst?: number;
  synackTsLast?: number;
  /** SO_MARK: every packet of the socket carries it (skb->mark). */
  mark?: number;
  /** Accepted by an IP_TRANSPARENT listener (inherits its flag: inet_sk_transparent). */
  transparent?: boolean;
  /** The application on the connection (ftp.ts), and the connection as it sees it. */
  app?: TcpApp;
  conn?: TcpConn;
  /** IP_TTL and IP_TOS of the socket's packets. */
  ttl?: number;
  tos?: number;
  /** Server, SYN_RECV: SYN-ACK retransmissions by the timer (req->num_timeout). */
  synackTimeouts?: number;
  /** Server, SYN_RECV: the request timer's latest arming (mod_timer); the ISN of the client's SYN. */
  synackArm?: number;
  rcvIsn?: number;
  /** tcp_oow_rate_limited: the last time a repeated SYN was answered (-1: never). */
  lastOow?: number;
  /** When the last SYN or SYN-ACK left (seconds); the RTT estimator, from the handshake's sample on. */
  rttStart?: number;
  rtt?: TcpRtt;
  /**
   * The segments sendRetransmitted has in flight, as (end sequence, send time, retransmitted 0/1)
   * triples in sequence order: the RTT samples of the ACKs that acknowledge them (rttAck).
   */
  tx?: number[];
  /** sk_dst_pending_confirm: an ACK made forward progress; the next segment confirms the neighbour. */
  pendingConfirm?: boolean;
  /**
   * The options the handshake agreed (tcp-options.ts bits: timestamps, SACK, window scaling);
   * undefined on a client until the SYN-ACK, whose SYN offers what the sysctls allow.
   */
  optsOk?: number;
  /**
   * The system call that holds the socket (lock_sock, sock_owned_by_user): connect() from its SYN,
   * send() (tcp_sendmsg) from its data, close() (tcp_close) from its FIN, each until release_sock
   * has taken in the backlog. Segments that arrive meanwhile wait in `backlog` (tcp_add_backlog),
   * an ICMP redirect is dropped and fragmentation needed deferred (tcp_v4_err). The application's
   * next call waits in `calls` until then (userCall).
   */
  owned?: SockCall;
  backlog?: { ip: Uint8Array; o: number; total: number }[];
  calls?: { call: SockCall; fn: () => void }[];
  /**
   * tcp_v4_err while the socket was held: fragmentation needed noted (tp->mtu_info and
   * TCP_MTU_REDUCED_DEFERRED), taken at release_sock (tcp_release_cb → tcp_v4_mtu_reduced).
   */
  mtuInfo?: number;
  /**
   * Client: the handshake completed while connect() held the socket: the application learns it
   * (and starts writing) when connect() returns (releaseSock), unless a reset came first.
   */
  connectedPending?: boolean;
  /**
   * sk_err_soft: the errno of an ICMP error about the connection once it left SYN_SENT (tcp_v4_err:
   * soft without IP_RECVERR, also while the socket is held). Only a client whose connect() has not
   * returned yet reads it: Python's connect() with a timeout polls and reads SO_ERROR, which
   * returns sk_err_soft when sk_err is 0 (sock_getsockopt), so it fails with that errno.
   */
  errSoft?: { errno: string; why: string };
  /** Client, close() behind a zero window: the FIN waits in the write queue (tcp_send_fin). */
  finPending?: boolean;
  /** The persist timer is armed (probeZeroWindow). */
  probing?: boolean;
  /** The receiver's out-of-order queue and SACK blocks (tcp-ofo.ts), made when first needed. */
  ofo?: TcpOfo;
  /**
   * Client, a line sent in segments (sendLine): the sender's scoreboard (tcp-sack.ts), and its
   * one retransmission timer (icsk_retransmit_timer: the RTO, RACK's reorder timer or the tail
   * loss probe; `sbTimer` the arming's identity, `sbPending` icsk_pending), icsk_backoff and
   * icsk_retransmits.
   */
  sb?: TcpScoreboard;
  sbTimer?: number;
  sbPending?: 'rto' | 'reo' | 'tlp';
  sbBackoff?: number;
  sbRetries?: number;
}

/** The application's system calls that hold a TCP socket while the chain they set off runs. */
type SockCall = 'connect()' | 'send()' | 'close()' | 'shutdown()';

/** TCP_DELACK_MIN (HZ / 25): a delayed ACK's timeout, jiffies. */
const TCP_DELACK_MIN = HZ / 25;
/** TCP_ATO_MIN (HZ / 25): the delayed-ACK estimator's floor, jiffies (icsk_ack.ato). */
const TCP_ATO_MIN = HZ / 25;
/** TCP_TIMEOUT_INIT (1 s): the first SYN and SYN-ACK retransmission timeout, jiffies. */
const TCP_TIMEOUT_INIT = HZ;
/** TCP_TIMEWAIT_LEN (60 s): how long TIME_WAIT lasts, jiffies. */
const TCP_TIMEWAIT_LEN = 60 * HZ;
/** A close_first server's shutdown() after its answer (the kernel agent's setTimeout), seconds. */
export const CLOSE_FIRST_DELAY = 0.05;

/** The receive window natbox's sockets announce (502 << 7, as the window scale 7 makes it). */
const RCV_WINDOW = 64256;
const key = (la: number, lp: number, ra: number, rp: number): string => `${la}:${lp}>${ra}:${rp}`;
const ap = (a: number, p: number): string => `${formatIpv4(a)}:${p}`;

/** TCPCB_RETRANS on the segment of `tx` (sendRetransmitted's triples) that ends at `end`. */
function markRetransmitted(tx: number[] | undefined, end: number): void {
  if (!tx) return;
  for (let i = 0; i < tx.length; i += 3) if (tx[i] === end) tx[i + 2] = 1;
}

/**
 * The servers' answer, as the kernel reference runs' servers write it: who they saw the client
 * come from, the port zero-padded to five digits (`pong peer=192.168.1.1:04384\n`), so payload
 * lengths match the reference captures byte for byte.
 */
const pong = (a: number, p: number): Uint8Array =>
  new TextEncoder().encode(`pong peer=${formatIpv4(a)}:${String(p).padStart(5, '0')}\n`);

export class Sockets {
  /**
   * TcpExtLockDroppedIcmps (LINUX_MIB_LOCKDROPPEDICMPS): ICMP errors and redirects tcp_v4_err
   * found a system call holding their socket for (all but fragmentation needed).
   */
  lockDroppedIcmps = 0;
  /**
   * TcpExtOutOfWindowIcmps (LINUX_MIB_OUTOFWINDOWICMPS): ICMP errors and redirects tcp_v4_err
   * ignored because the segment they quote is not between snd_una and snd_nxt (icmpOutOfWindow).
   */
  outOfWindowIcmps = 0;
  /** Delayed ACK timers armed so far (each arming's identity). */
  private delackArms = 0;
  private readonly tcp = new Map<string, TcpSock>();
  /** secureSeq's hash per four-tuple, tsOff's per address pair. */
  private readonly isnBase = new Map<string, number>();
  private readonly tsOffs = new Map<string, number>();
  private readonly tcpListen = new Set<number>();
  private readonly udpListen = new Set<number>();
  /** Listening sockets bound to an address, or answering from another port: `proto/port` → them. */
  private readonly listenOpts = new Map<string, ListenOpts[]>();
  /** Client UDP sockets by local port: connected to (raddr, rport) or not (raddr 0). */
  private readonly udp = new Map<
    number,
    {
      raddr: number;
      rport: number;
      obs: SocketObserver;
      expected: string;
      pmtudisc?: number;
      laddr?: number;
      /** A TFTP client that has not yet acknowledged an answer. */
      tftp?: boolean;
    }
  >();
  /** Ping sockets by echo id (`laddr`: the address a raw socket is bound to, 0 for any). */
  private readonly ping = new Map<number, { dst: number; obs: SocketObserver; laddr?: number }>();
  /** Raw sockets of other protocols (rawSend: SCTP, DCCP, ESP, AH flows): they hear ICMP too. */
  private readonly raw: { obs: SocketObserver; laddr: number; proto: number }[] = [];
  server: ServerObserver | undefined;
  /**
   * SO_MARK of the packet about to be sent: set by tcpSegment, udpSend and pingSend from their
   * socket, read (and cleared) by send.
   */
  private markOut = 0;
  /** The TCP segment about to be sent is an IP_TRANSPARENT socket's (FLOWI_FLAG_ANYSRC). */
  private anySrcOut = false;

  constructor(private readonly host: SocketHost) {}

  listen(proto: 'tcp' | 'udp', port: number, opts: ListenOpts = {}): void {
    (proto === 'tcp' ? this.tcpListen : this.udpListen).add(port);
    const k = `${proto}/${port}`;
    const l = opts.ftp && proto === 'tcp' ? { ...opts, app: ftpServer(this.appHost(), ftpFile) } : opts;
    this.listenOpts.set(k, [...(this.listenOpts.get(k) ?? []), l]);
  }

  /**
   * What an application (ftp.ts) needs of these sockets: the clock, connect() with the application
   * on the connection, and listen()/close() of a TCP port on every address.
   */
  appHost(): FtpHost {
    return {
      now: () => this.now(),
      timer: (at, fn) => this.host.env.timer(at, fn),
      connect: (laddr, raddr, rport, lport, timeout, app, fail) =>
        this.tcpConnect(
          raddr,
          rport,
          lport,
          timeout,
          0,
          {
            failed: (why, errno) => fail(why, errno ?? 'ETIMEDOUT'),
            reset: () => fail('connection refused', 'ECONNREFUSED'),
          },
          { app, ...(laddr ? { src: laddr } : {}) },
        ),
      listen: (port, app) => {
        if (app) {
          this.tcpListen.add(port);
          this.listenOpts.set(`tcp/${port}`, [{ app }]);
        } else {
          this.tcpListen.delete(port);
          this.listenOpts.delete(`tcp/${port}`);
        }
      },
    };
  }

  /** The connection as its application sees it (write, close), made once. */
  private connOf(s: TcpSock): TcpConn {
    return (s.conn ??= {
      laddr: s.laddr,
      lport: s.lport,
      raddr: s.raddr,
      rport: s.rport,
      write: (b) =>
        this.userCall(s, 'send()', () => {
          if (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT') this.sendData(s, b);
        }),
      close: () => this.tcpClose(s),
      abort: () => this.tcpAbort(s),
    });
  }

  /** The listening socket a packet to `dst`:`port` reaches (one bound to `dst` before a wildcard). */
  private listener(proto: 'tcp' | 'udp', port: number, dst: number): ListenOpts | undefined {
    if (!(proto === 'tcp' ? this.tcpListen : this.udpListen).has(port)) return undefined;
    const all = this.listenOpts.get(`${proto}/${port}`) ?? [{}];
    return all.find((l) => l.bind === dst) ?? all.find((l) => !l.bind);
  }

  /**
   * The socket a packet (saddr:sport -> daddr:dport) would reach, for -m socket (XtEnv
   * socketLookup): a TCP connection of that tuple (a mini socket while SYN_RECV or TIME_WAIT),
   * a connected UDP socket, else a listener or unconnected UDP socket, all bound to 0.0.0.0.
   */
  xtLookup(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    const e = this.tproxyLookup(proto, saddr, sport, daddr, dport, false);
    if (e !== SK_NONE) return e;
    if (proto === IPPROTO_UDP) {
      const u = this.udp.get(dport);
      if (u && u.raddr === 0 && !this.listener('udp', dport, daddr)) return SK_WILDCARD;
    }
    return this.tproxyLookup(proto, saddr, sport, daddr, dport, true);
  }

  /**
   * nf_tproxy_get_sock_v4 (XtEnv.tproxyLookup): with `listener` false a TCP connection of the
   * tuple (SK_MINI while SYN_RECV or TIME_WAIT, SK_TIMEWAIT then) or a connected UDP socket; else
   * a TCP listener or UDP server on daddr:dport (SK_WILDCARD when bound to 0.0.0.0).
   * SK_TRANSPARENT when the socket has IP_TRANSPARENT.
   */
  readonly tproxyLookup: TproxyLookup = (proto, saddr, sport, daddr, dport, listener) => {
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return SK_NONE;
    const tcp = proto === IPPROTO_TCP;
    if (!listener) {
      if (!tcp) {
        const u = this.udp.get(dport);
        return u && u.raddr !== 0 && u.raddr === saddr && u.rport === sport ? SK_FULL : SK_NONE;
      }
      const s = this.tcp.get(key(daddr, dport, saddr, sport));
      if (!s) return SK_NONE;
      const t = s.transparent ? SK_TRANSPARENT : 0;
      if (s.state === 'TIME_WAIT') return SK_MINI | SK_TIMEWAIT | t;
      return (s.state === 'SYN_RECV' ? SK_MINI : SK_FULL) | t;
    }
    // A listener bound to the address is no wildcard socket (xt_socket's --nowildcard test).
    const l = this.listener(tcp ? 'tcp' : 'udp', dport, daddr);
    if (!l) return SK_NONE;
    return (l.bind ? SK_FULL : SK_WILDCARD) | (l.transparent ? SK_TRANSPARENT : 0);
  };

  private now(): number {
    return this.host.env.now();
  }

  /**
   * A kernel timer (sk_reset_timer / mod_timer) armed now for `jiffies`: `fn` runs when the timer
   * wheel runs it (timer-wheel.ts), which is returned. `pinned`: TIMER_PINNED (a request sock's);
   * `inTimer`: armed from a timer's handler (a retransmission re-arming its own timer).
   */
  private kernelTimer(jiffies: number, fn: () => void, pinned = false, inTimer = false): number {
    const at = kernelTimerAt(this.now(), jiffies, pinned, inTimer);
    this.host.env.timer(at, fn);
    return at;
  }

  /**
   * The keepalive timer (inet_csk_reset_keepalive_timer, unpinned) for keepalive_time, and each
   * time it runs tcp_keepalive_timer (keepalive.ts): a probe, a reset after keepalive_probes
   * unanswered ones (tcp_send_active_reset: RST|ACK at snd_nxt; tcp_write_err: ETIMEDOUT), or
   * nothing, and the timer again. It stops once the connection is no longer established.
   */
  private armKeepalive(s: TcpSock): void {
    const ka = s.ka!;
    const time = toJiffies(ka.idle ?? this.host.sysctl('net.ipv4.tcp_keepalive_time', KEEPALIVE_TIME));
    const intvl = toJiffies(ka.interval ?? this.host.sysctl('net.ipv4.tcp_keepalive_intvl', KEEPALIVE_INTVL));
    const probes = ka.count ?? this.host.sysctl('net.ipv4.tcp_keepalive_probes', KEEPALIVE_PROBES);
    s.rcvTs ??= this.now();
    s.kaProbes = 0;
    const fire = (): void => {
      if (s.state !== 'ESTABLISHED') return;
      const busy = s.sndNxt !== s.sndUna;
      const elapsed = jiffiesAt(this.now()) - jiffiesAt(s.rcvTs!);
      const action = keepaliveAction(busy, elapsed, s.kaProbes!, time, probes);
      if (action === KeepaliveAction.Reset) {
        this.send(this.tcpSegment(s, TCP_RST | TCP_ACK));
        s.state = 'CLOSED';
        this.tcp.delete(key(s.laddr, s.lport, s.raddr, s.rport));
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'closed',
            text: `connection with ${ap(s.raddr, s.rport)} timed out: ${probes} keepalive probes unanswered (ETIMEDOUT)`,
          });
        s.obs?.closed?.();
        return;
      }
      if (action === KeepaliveAction.Probe) {
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'retransmit',
            text: `keepalive probe ${s.kaProbes! + 1} to ${ap(s.raddr, s.rport)} (${elapsed / HZ} s idle)`,
          });
        this.send(this.tcpSegment(s, TCP_ACK, undefined, (s.sndUna - 1) >>> 0));
        s.kaProbes!++;
      }
      this.kernelTimer(keepaliveNext(action, busy, elapsed, time, intvl), fire, false, true);
    };
    this.kernelTimer(time, fire);
  }

  /**
   * The persist timer (tcp_check_probe_timer → tcp_probe_timer → tcp_send_probe0): while the
   * peer's window is 0 and data waits, a window probe (tcp_xmit_probe_skb: a pure ACK with seq
   * snd_una - 1) at the RTO (tcp_probe0_base: the handshake's RTO, at least tcp_rto_min), then
   * backed off (tcp_probe0_when: base << probes_out, at most TCP_RTO_MAX). Measured on Linux 6.18
   * behind SYNPROXY's zero-window SYN-ACK: +0.208, +0.632, +1.464 s (gen-1212-33).
   */
  private probeZeroWindow(s: TcpSock): void {
    if (s.probing) return; // tcp_check_probe_timer: armed once (icsk_pending)
    s.probing = true;
    let when = this.rto(s);
    const fire = (): void => {
      if (!s.zeroWindow || (s.state !== 'ESTABLISHED' && !(s.finPending && s.state === 'FIN_WAIT1'))) {
        s.probing = false;
        return;
      }
      this.send(this.tcpSegment(s, TCP_ACK, undefined, (s.sndUna - 1) >>> 0));
      when = Math.min(when * 2, 120 * HZ);
      this.kernelTimer(when, fire, false, true);
    };
    this.kernelTimer(when, fire);
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Sends a packet; `owned` when a socket of this host sends it (-m owner sees uid/gid 0). */
  private send(p: Uint8Array, obs?: SocketObserver, attach?: Attach, owned = true): boolean {
    const mark = this.markOut;
    this.markOut = 0;
    const anySrc = this.anySrcOut;
    this.anySrcOut = false;
    // __ip_route_output_key: a TCP segment from an address that is not this host's (an accepted
    // connection to a destination a local route brought up) has no route (ENETUNREACH) unless
    // its socket is IP_TRANSPARENT (FLOWI_FLAG_ANYSRC, inet_csk_route_req's no_srccheck). The
    // kernel's own packets (REJECT's reset: ip_route_me_harder takes any unicast source) pass.
    if (owned && p[9] === IPPROTO_TCP && !anySrc && !this.host.isLocal(ipv4Src(p, 0))) {
      if (this.host.countDrop(DropReason.IP_OUTNOROUTES))
        this.host.trace({
          kind: 'drop',
          host: this.host.name,
          reason: DropReason.IP_OUTNOROUTES,
          addr: ipv4Dst(p, 0),
          detail: `the source ${formatIpv4(ipv4Src(p, 0))} is not an address of this host and the socket is not IP_TRANSPARENT`,
        });
      obs?.failed?.('network is unreachable', 'ENETUNREACH');
      return false;
    }
    const err = this.host.output(p, attach, owned, mark);
    if (err) {
      obs?.failed?.(sendErrorText(err), sendErrno(err));
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
      val: this.tsNow(s),
      ecr: s.tsRecent,
    };
    if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
      // tcp_rsk(req)->snt_tsval_first and snt_tsval_last: the SYN-ACKs' timestamps.
      s.synackTsFirst ??= ts.val;
      s.synackTsLast = ts.val;
    }
    this.markOut = s.mark ?? 0;
    this.anySrcOut = s.transparent === true;
    // tcp_event_ack_sent: an ACK leaves, the delayed one is no longer needed; tcp_event_data_sent:
    // data sent within ato (TCP_ATO_MIN) of the last data received enters pingpong mode.
    if (flags & TCP_ACK) {
      s.delack = undefined;
      s.unacked = 0;
    }
    if (payload.length > 0 && s.lrcv !== undefined && jiffiesAt(this.now()) - jiffiesAt(s.lrcv) < TCP_ATO_MIN)
      s.pingpong = true;
    const confirm = s.pendingConfirm;
    if (confirm) this.confirmNeighbour(s);
    const syn = (flags & TCP_SYN) !== 0;
    // Linux's option layouts (tcp-options.ts): a SYN offers MSS, SACK-permitted, timestamps and
    // window scale (mss1460,sackOK,ts,ws) as the sysctls allow; a SYN-ACK answers with MSS and
    // what both ends agreed; later segments NOP, NOP, timestamps when agreed, else nothing.
    const bits = s.optsOk ?? enabledOptions((n, d) => this.host.sysctl(n, d));
    const options: TcpOption[] = syn
      ? synOptions(bits, s.advMss ?? 1460, ts, RCV_WSCALE)
      : establishedOptions(bits, ts);
    // tcp_established_options: the SACK blocks (D-SACK first) after the timestamps.
    if (!syn && s.ofo) s.ofo.writeOptions(options, bits & OPT_TS ? 12 : 0);
    // The initial window is 65535 rounded down to the MSS less the timestamps' 12 bytes
    // (tcp_select_initial_window); later ones 64256 rounded up to the scale's unit and shifted
    // (__tcp_select_window's ALIGN), 63 with the shift of 10, else 64240 (as Linux 6.18 sends them
    // in the kernel reference captures: `win 63`, `wscale 10`).
    const window = syn
      ? flags & TCP_ACK && bits & OPT_TS
        ? 65160
        : 64240
      : bits & OPT_WS
        ? Math.ceil(64256 / (1 << RCV_WSCALE))
        : 64240;
    const packet = buildTcpPacket(
      {
        src: s.laddr,
        dst: s.raddr,
        dontFragment: true,
        id: this.host.nextIpId(),
        ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
        ...(s.tos ? { tos: s.tos } : {}),
      },
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
    if (confirm) markPendingConfirm(packet); // skb->dst_pending_confirm (neigh.ts)
    return packet;
  }

  /** sock_confirm_neigh: the segment about to leave confirms its next hop (ip_finish_output2). */
  private confirmNeighbour(s: TcpSock): void {
    s.pendingConfirm = false;
    if (!this.host.confirmNeighbour) return;
    const r = this.host.routeTo(s.raddr, s.laddr, s.mark ?? 0);
    if (r) this.host.confirmNeighbour(r.dev, r.via || s.raddr);
  }

  // ---- TCP client --------------------------------------------------------------------------

  /**
   * bind() (an address of this host, else EADDRNOTAVAIL) and the route of a socket's first packet
   * (ip_route_connect): the local address, or undefined once `obs` was told why there is none.
   */
  private openRoute(
    obs: SocketObserver,
    opts: SockOpts,
    proto: number,
    dst: number,
    sport: number,
    dport: number,
    connect: boolean,
    call: string,
  ): number | undefined {
    if (opts.src && !this.host.isLocal(opts.src)) {
      obs.failed?.(
        `bind(): cannot assign requested address ${formatIpv4(opts.src)} (not an address of ${this.host.name})`,
        'EADDRNOTAVAIL',
      );
      return undefined;
    }
    const laddr = this.host.routeSource(
      dst,
      opts.src ?? 0,
      opts.mark ?? 0,
      proto,
      sport,
      dport,
      connect,
      opts.tos ?? 0,
    );
    if (laddr >= 0) return laddr;
    obs.failed?.(routeFailure(call, -laddr), ERRNO_NAME[-laddr]);
    return undefined;
  }

  /**
   * connect(): sends a SYN from `sport` and retransmits it (1 s apart for the first
   * net.ipv4.tcp_syn_linear_timeouts + 1 timeouts, then doubling) until `timeout` seconds pass
   * or tcp_syn_retries + tcp_syn_linear_timeouts retransmissions have gone unanswered.
   */
  tcpConnect(
    dst: number,
    dport: number,
    sport: number,
    timeout: number,
    hold: number,
    obs: SocketObserver,
    opts: SockOpts = {},
  ): void {
    const mark = opts.mark ?? 0;
    if (this.tcpPortListened(sport, opts.src ?? 0)) {
      obs.failed?.(
        `bind(): address already in use: TCP port ${sport} is held by a listening socket`,
        'EADDRINUSE',
      );
      return;
    }
    const laddr = this.openRoute(obs, opts, IPPROTO_TCP, dst, sport, dport, true, 'connect()');
    if (laddr === undefined) return;
    const r = this.host.lastRoute()!;
    const rng = this.host.env.rng;
    // __inet_check_established: a connection of the same four-tuple makes connect() fail with
    // EADDRNOTAVAIL, unless it is in TIME_WAIT and tcp_twsk_unique lets the new one take it over.
    const tw = this.tcp.get(key(laddr, sport, dst, dport));
    if (tw && !this.twReusable(tw)) {
      obs.failed?.(
        `connect(): cannot assign requested address: ${ap(laddr, sport)} is already connected to ${ap(dst, dport)}`,
        'EADDRNOTAVAIL',
      );
      return;
    }
    const s: TcpSock = {
      state: 'SYN_SENT',
      laddr,
      lport: sport,
      raddr: dst,
      rport: dport,
      sndNxt: this.secureSeq(laddr, sport, dst, dport, rng.u32()),
      sndUna: 0,
      rcvNxt: 0,
      tsOffset: this.tsOff(laddr, dst, rng.u32()),
      tsRecent: 0,
      server: false,
      obs,
      synCount: 0,
      hold,
      closing: false,
      advMss:
        opts.mss !== undefined
          ? Math.min(opts.mss, advertisedMss(this.host.frag, r, dst, routeAdvmss(r)))
          : advertisedMss(this.host.frag, r, dst, routeAdvmss(r)),
      line: linePayload(opts.size),
      mark,
      ...((opts.count ?? 1) > 1
        ? { more: opts.count! - 1, interval: opts.interval ?? 0, answerWait: timeout }
        : {}),
      ...(opts.app ? { app: opts.app } : {}),
      ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
      ...(opts.tos ? { tos: opts.tos & ~3 } : {}),
      ...(opts.keepalive ? { ka: opts.keepalive } : {}),
    };
    if (tw) {
      // tcp_twsk_unique: the new connection starts 65537 past the old one's last sequence number
      // (write_seq = tw_snd_nxt + 65535 + 2, never 0) and keeps its timestamps (ts_recent, and
      // the offset secure_tcp_ts_off derives from the address pair); the TIME_WAIT socket goes.
      s.sndNxt = (tw.sndNxt + 65537) >>> 0 || 1;
      s.tsOffset = tw.tsOffset;
      s.tsRecent = tw.tsRecent;
      tw.state = 'CLOSED';
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'closed',
          text: `a new connect() takes over the TIME_WAIT connection ${ap(laddr, sport)} > ${ap(dst, dport)} (tcp_twsk_unique)`,
        });
    }
    s.sndUna = s.sndNxt;
    this.tcp.set(key(laddr, sport, dst, dport), s);
    const start = this.now();
    const linear = this.host.sysctl('net.ipv4.tcp_syn_linear_timeouts', 4);
    const retries = this.host.sysctl('net.ipv4.tcp_syn_retries', 6);
    let lastSyn: Uint8Array | undefined;
    const sendSyn = (inTimer = false): void => {
      if (s.state !== 'SYN_SENT') return;
      s.synCount++;
      // tcp_retransmit_skb → skb_still_in_host_queue: the SYN sent before still waits in its
      // neighbour's queue (the clone tcp_transmit_skb made keeps the skb busy): -EBUSY, nothing
      // is sent (TCPSpuriousRtxHostQueues), and the timer goes on as after a retransmission
      // (gen-1801-87: r2's SYN waited for the ARP of its gateway, so no TEE copy of it followed).
      const busy = s.synCount > 1 && lastSyn !== undefined && stillInHostQueue(lastSyn);
      if (!busy) {
        s.rttStart = this.now();
        obs.synSent?.(s.synCount);
      }
      if (s.synCount > 1)
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'retransmit',
            text: busy
              ? `does not retransmit its SYN to ${ap(dst, dport)}: the last one still waits for its neighbour (skb_still_in_host_queue)`
              : `retransmits its SYN to ${ap(dst, dport)} (attempt ${s.synCount})`,
          });
      // tcp_connect: a SYN netfilter dropped on the way out (-EPERM) is no error for connect(),
      // which goes on retransmitting (only ECONNREFUSED from the transmit ends it); a REJECT's
      // answer comes back through lo and ends it (ECONNREFUSED from the reset, or the ICMP
      // error's errno); no route is reported.
      const syn = busy ? undefined : this.tcpSegment(s, TCP_SYN, undefined, s.sndUna);
      if (syn) lastSyn = syn;
      const err = syn ? this.host.output(syn, undefined, true, this.markOut) : undefined;
      this.markOut = 0;
      if (
        err &&
        err.reason !== DropReason.NETFILTER_DROP &&
        err.reason !== DropReason.NETFILTER_REJECT &&
        err.reason !== DropReason.NF_NAT_NO_FREE_TUPLE
      ) {
        s.state = 'CLOSED';
        this.tcp.delete(key(laddr, sport, dst, dport));
        obs.failed?.(sendErrorText(err), sendErrno(err));
        return;
      }
      // tcp_connect / tcp_retransmit_timer: the retransmit timer (unpinned) at icsk_rto: the
      // initial 1 s, kept while the timeouts so far (tp->total_rto) are at most
      // `tcp_syn_linear_timeouts`, then doubled at each (`total_rto > linear`): intervals
      // 1, 1, 1, 1, 1, 2, 4 ... s at the default 4, 1, 2, 4 ... at 0. When the timer runs,
      // connect() gives up with ETIMEDOUT (Python's connect() raises it as TimeoutError: a
      // timeout) once the time since the first SYN reaches what tcp_syn_retries exponential
      // retransmissions from 1 s would take (retransmits_timed_out with tcp_model_timeout:
      // 2^(retries+1) - 1 s up to 6 retries, then 120 s more each), whatever the linear timeouts
      // sent meanwhile. Measured on Linux 6.18 (tcp-syn-retransmit-series.yaml and its first
      // versions): retries 1 sent 2 retransmissions with linear 1 and 4; retries 2 with linear 4,
      // 5 (1 s apart; the next timer, at 7 s, gives up); retries 3 with linear 1, 0 1 2 4 8 s.
      const n = s.synCount; // the SYN just sent; the timer armed now is the n-th timeout
      const rto = n <= linear + 1 ? 1 : 2 ** (n - linear - 1);
      const giveUp = retries <= 6 ? 2 ** (retries + 1) - 1 : 127 + (retries - 6) * 120;
      this.kernelTimer(
        rto * TCP_TIMEOUT_INIT,
        () => {
          if (s.state !== 'SYN_SENT') return;
          if (this.now() - start < giveUp - 1e-9) return sendSyn(true);
          s.state = 'CLOSED';
          this.tcp.delete(key(laddr, sport, dst, dport));
          const why = `connect() timed out: ETIMEDOUT, ${giveUp} s after the first SYN (tcp_syn_retries ${retries})`;
          if (this.host.tracing)
            this.host.trace({ kind: 'socket', host: this.host.name, event: 'timeout', text: why });
          obs.failed?.(why);
        },
        false,
        inTimer,
      );
    };
    s.sndNxt = s.sndUna + 1;
    // connect() (inet_stream_connect): lock_sock, tcp_v4_connect → tcp_connect sends the SYN, and
    // the chain it sets off on the wire runs before release_sock (releaseSock).
    this.userCall(s, 'connect()', () => sendSyn());
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

  /**
   * A packet for this host passed INPUT: hand it to the protocol. `skPort`/`skAddr`: the listener
   * TPROXY assigned it to (Skb.skPort), 0 for none.
   */
  deliver(ip: Uint8Array, ifname: string, skPort = 0, skAddr = 0): void {
    const hl = ipv4HeaderLength(ip, 0);
    const total = ipv4TotalLength(ip, 0);
    const proto = ip[9]!;
    if (proto === IPPROTO_TCP) return this.tcpInput(ip, hl, total, skPort, skAddr);
    if (proto === IPPROTO_UDP) return this.udpInput(ip, hl, total, skPort, skAddr);
    if (proto === IPPROTO_ICMP) return this.icmpInput(ip, hl, total, ifname);
    // ip_local_deliver_finish: no handler and no raw socket for the protocol (IGMP and UDP-Lite
    // have handlers): ICMP protocol unreachable, as Linux 6.18 without SCTP/DCCP/ESP/AH answers.
    if (proto !== 2 && proto !== 136 && !this.raw.some((r) => r.proto === proto))
      this.sendIcmpError(ip, 3, 2, 0);
  }

  private tcpInput(ip: Uint8Array, o: number, total: number, skPort = 0, skAddr = 0): void {
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
    const tsval = findTsVal(ip, o + 20, o + doff);
    let s = this.tcp.get(key(dst, dport, src, sport));
    // TPROXY gave a SYN that met a TIME_WAIT socket to the listener (nf_tproxy_handle_time_wait4
    // descheduled the TIME_WAIT socket).
    if (s && skPort && s.state === 'TIME_WAIT') {
      this.tcp.delete(key(dst, dport, src, sport));
      s = undefined;
    }
    if (s?.owned) {
      // tcp_v4_rcv: the socket is owned by the user (a system call holds it): tcp_add_backlog;
      // the segment is taken in at release_sock.
      (s.backlog ??= []).push({ ip: ip.slice(0, total), o, total });
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'backlog',
          text: `TCP [${formatTcpFlags(flags)}] from ${ap(src, sport)} waits in the socket's backlog: ${s.owned} holds the socket (tcp_add_backlog)`,
        });
      return;
    }
    if (s) return this.tcpSocketSegment(s, ip, o, total);
    // The listener: TPROXY's (skb->sk, stolen by __inet_lookup_skb), else the port's.
    const l = skPort ? this.listener('tcp', skPort, skAddr) : this.listener('tcp', dport, dst);
    if (l && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      const offered = synOptionBits(ip, o + 20, o + doff);
      this.tcpAccept(src, sport, dst, dport, seq, tsval, offered, undefined, l.transparent === true);
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

  /** A segment for socket `s` (tcp_v4_do_rcv), from the wire or from its backlog. */
  private tcpSocketSegment(s: TcpSock, ip: Uint8Array, o: number, total: number): void {
    const seq = read32(ip, o + 4);
    const ack = read32(ip, o + 8);
    const flags = ip[o + 13]!;
    const doff = (ip[o + 12]! >> 4) * 4;
    const tsval = findTsVal(ip, o + 20, o + doff);
    if (flags & TCP_SYN) s.peerMss = mssOption(ip, o + 20, o + doff);
    if (s.state === 'SYN_SENT' && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && ack === s.sndNxt)
      s.optsOk = synOptionBits(ip, o + 20, o + doff) & enabledOptions((n, d) => this.host.sysctl(n, d));
    if (s.state === 'TIME_WAIT' && (flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN)
      return this.timeWaitSyn(
        s,
        seq,
        tsval,
        synOptionBits(ip, o + 20, o + doff),
        mssOption(ip, o + 20, o + doff),
      );
    // The SACK blocks, for a line's scoreboard (lineAck).
    this.sackN = s.sb && !s.sb.empty ? sackBlocks(ip, o + 20, o + doff, this.sackBuf) : 0;
    this.tcpSockInput(
      s,
      flags,
      seq,
      ack,
      ip.slice(o + doff, total),
      tsval,
      read16(ip, o + 14),
      findTsEcr(ip, o + 20, o + doff),
    );
  }

  /** The server application's answer to a line: who it saw (a reset socket has none to write). */
  private answer(s: TcpSock): void {
    if (s.state === 'CLOSED') return;
    const answer = pong(s.raddr, s.rport);
    this.userCall(s, 'send()', () => {
      if (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT') this.sendData(s, answer);
    });
    // close_first: shutdown() CLOSE_FIRST_DELAY after the answer (its ACK is in by then).
    if (this.listener('tcp', s.lport, s.laddr)?.closeFirst)
      this.host.env.timer(this.now() + CLOSE_FIRST_DELAY, () => this.tcpClose(s, true));
  }

  /** Runs `fn` once the softirq chain under way is over (HostEnv.wake); at once without one. */
  private wake(fn: () => void): void {
    const w = this.host.env.wake;
    if (w) w(fn);
    else fn();
  }

  /** A system call's window (HostEnv.syscall); without a simulator, `done` follows `fn` at once. */
  private syscall(fn: () => void, done: () => void): void {
    const sc = this.host.env.syscall;
    if (sc) return sc(fn, done);
    fn();
    done();
  }

  /**
   * A system call of the application on TCP socket `s` that takes the socket lock: connect()
   * (inet_stream_connect), send() (tcp_sendmsg) and close() (tcp_close) all lock_sock, do their
   * work (the SYN, the data, the FIN or tcp_close's reset leave, and on veth the chain they set
   * off runs in this context's softirq: world.ts) and release_sock (releaseSock). While a call
   * holds the socket the application is in it: its next call on the socket waits until release.
   */
  private userCall(s: TcpSock, call: SockCall, fn: () => void): void {
    if (s.owned) {
      (s.calls ??= []).push({ call, fn });
      return;
    }
    s.owned = call;
    this.syscall(fn, () => this.releaseSock(s));
  }

  /**
   * release_sock → __release_sock: the segments that waited in the backlog are taken in, in order
   * (sk_backlog_rcv → tcp_v4_do_rcv), with softirqs on: what one of them sends runs its chain
   * (whose segments for this socket join the backlog) before the next is taken. (tcp_close takes
   * them in the same way, __release_sock within __tcp_close.) Then tcp_release_cb runs what
   * tcp_v4_err deferred (TCP_MTU_REDUCED_DEFERRED: tcp_v4_mtu_reduced; softirqs are off until
   * the ownership is released, so what it sends runs its chain after that) and the socket is
   * released. connect() returns: a non-blocking one returned EINPROGRESS already, and the
   * application's poll() and SO_ERROR (the kernel reference's client: Python's connect with a
   * timeout) see the socket as release_sock left it: connected, reset (sk_err ECONNRESET, said by
   * tcpSockInput), or still in SYN_SENT. Then the application's next call, if one waited.
   */
  private releaseSock(s: TcpSock): void {
    const seg = s.backlog?.shift();
    if (seg) {
      // sk_backlog_rcv is tcp_v4_do_rcv on this socket (tcpSocketSegment), not tcp_v4_rcv again:
      // no lookup, so a segment for a socket closed meanwhile draws no reset (tcpInput would send
      // one); tcp_rcv_state_process drops what reaches a socket already closed (TCP_CLOSE: discard).
      this.syscall(
        () => {
          if (s.state !== 'CLOSED') this.tcpSocketSegment(s, seg.ip, seg.o, seg.total);
        },
        () => this.releaseSock(s),
      );
      return;
    }
    s.owned = undefined;
    s.backlog = undefined;
    if (s.mtuInfo !== undefined) {
      const mtu = s.mtuInfo;
      s.mtuInfo = undefined;
      this.mtuReduced(s, mtu);
    }
    if (s.connectedPending) {
      s.connectedPending = false;
      this.connected(s);
    }
    const next = s.owned ? undefined : s.calls?.shift();
    if (next) this.userCall(s, next.call, next.fn);
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
    bridged?: BridgedIn,
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
    // The kernel's own reset: no socket owns it.
    if (bridged) this.host.outputBridged(p, bridged);
    else this.send(p, undefined, attach, false);
  }

  /**
   * secure_tcp_seq: an ISN is a keyed hash of the four-tuple plus the clock in 64 ns steps
   * (ktime_get_real_ns() >> 6), so a four-tuple's next connection starts after its last one's
   * (what TIME_WAIT's acceptance of a new SYN relies on). natbox's hash: the first ISN drawn.
   */
  private secureSeq(la: number, lp: number, ra: number, rp: number, draw: number): number {
    const k = key(la, lp, ra, rp);
    const clock = Math.floor(this.now() * 15_625_000);
    let base = this.isnBase.get(k);
    if (base === undefined) this.isnBase.set(k, (base = (draw - clock) >>> 0));
    return (base + clock) >>> 0;
  }

  /** secure_tcp_ts_off: the timestamp offset is a keyed hash of the address pair (the first drawn). */
  private tsOff(la: number, ra: number, draw: number): number {
    const k = `${la}>${ra}`;
    const off = this.tsOffs.get(k);
    if (off !== undefined) return off;
    this.tsOffs.set(k, draw);
    return draw;
  }

  /**
   * tcp_timewait_state_process for a SYN (no ACK, no RST) reaching a connection in TIME_WAIT: one
   * PAWS accepts (its TSval not older than ts_recent) whose sequence number is after rcv_nxt or
   * whose TSval is newer reopens the connection (TCP_TW_SYN): the TIME_WAIT socket goes and the
   * listener answers with the ISN tw_snd_nxt + 65537 (tcp_v4_rcv → tcp_conn_request). Any other,
   * or with no listener, is answered with the TIME_WAIT ACK (tcp_v4_timewait_ack; the rejected
   * ones at most one per tcp_invalid_ratelimit), sent by no socket.
   */
  private timeWaitSyn(s: TcpSock, seq: number, tsval: number, offered: number, mss: number): void {
    const paws = tsval >= 0 && s.tsRecent !== 0 && ((s.tsRecent - tsval) | 0) > 1;
    const newer = ((seq - s.rcvNxt) | 0) > 0 || (tsval >= 0 && ((s.tsRecent - tsval) | 0) < 0);
    const listening = this.listener('tcp', s.lport, s.laddr) !== undefined;
    if (!paws && newer && listening) {
      this.tcp.delete(key(s.laddr, s.lport, s.raddr, s.rport));
      s.state = 'CLOSED';
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'closed',
          text: `a new SYN from ${ap(s.raddr, s.rport)} reopens the TIME_WAIT connection (tcp_timewait_state_process)`,
        });
      this.tcpAccept(
        s.raddr,
        s.rport,
        s.laddr,
        s.lport,
        seq,
        tsval,
        offered,
        (s.sndNxt + 65537) >>> 0 || 1,
        s.transparent === true,
      );
      const a = this.tcp.get(key(s.laddr, s.lport, s.raddr, s.rport));
      if (a) a.peerMss = mss;
      return;
    }
    if ((!paws && newer) || this.oowAllowed(s))
      this.send(this.tcpSegment(s, TCP_ACK), undefined, undefined, false);
  }

  private tcpAccept(
    src: number,
    sport: number,
    dst: number,
    dport: number,
    seq: number,
    tsval: number,
    offered: number,
    twIsn?: number,
    transparent = false,
  ): void {
    // tcp_conn_request: route_req for the SYN-ACK fails from an address not this host's unless
    // the listener is IP_TRANSPARENT (no_srccheck): the SYN is dropped, no request is kept.
    if (!transparent && !this.host.isLocal(dst)) {
      if (this.host.countDrop(DropReason.IP_OUTNOROUTES))
        this.host.trace({
          kind: 'drop',
          host: this.host.name,
          reason: DropReason.IP_OUTNOROUTES,
          addr: src,
          detail: `a SYN-ACK from ${formatIpv4(dst)}, not an address of this host, has no route: the listener is not IP_TRANSPARENT`,
        });
      return;
    }
    const rng = this.host.env.rng;
    const s: TcpSock = {
      ...(transparent ? { transparent } : {}),
      state: 'SYN_RECV',
      laddr: dst,
      lport: dport,
      raddr: src,
      rport: sport,
      sndNxt: this.secureSeq(dst, dport, src, sport, rng.u32()),
      sndUna: 0,
      rcvNxt: (seq + 1) >>> 0,
      tsOffset: this.tsOff(dst, src, rng.u32()),
      tsRecent: tsval,
      server: true,
      obs: undefined,
      synCount: 0,
      hold: 0,
      closing: false,
      synackTimeouts: 0,
      rcvIsn: seq,
      lastOow: -1,
      optsOk: offered & enabledOptions((n, d) => this.host.sysctl(n, d)),
    };
    if (twIsn !== undefined) s.sndNxt = twIsn; // tcp_conn_request: the ISN TIME_WAIT chose
    const back = this.host.routeTo(src, dst);
    if (back) s.advMss = advertisedMss(this.host.frag, back, src, routeAdvmss(back));
    s.sndUna = s.sndNxt;
    const k = key(dst, dport, src, sport);
    this.tcp.set(k, s);
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'syn-received',
        text: `port ${dport} is listening: answers ${ap(src, sport)} with SYN-ACK`,
      });
    s.rttStart = this.now();
    this.send(this.tcpSegment(s, TCP_SYN | TCP_ACK, undefined, s.sndUna));
    s.sndNxt = (s.sndUna + 1) >>> 0;
    this.armSynack(s, k, TCP_TIMEOUT_INIT);
  }

  /**
   * The request's timer (reqsk_timer_handler): while the handshake is not complete the SYN-ACK
   * is retransmitted after 1 s, then 2, 4, ... (TCP_TIMEOUT_INIT doubled per timeout), at most
   * net.ipv4.tcp_synack_retries times (5); one more timeout drops the request. `jiffies` from
   * now (reqsk_queue_hash_req's mod_timer, tcp_check_req's mod_timer_pending; `inTimer` when the
   * handler re-arms it).
   *
   * The timer is TIMER_PINNED: the timer wheel runs it before the unpinned timers of the same tick
   * (timer-wheel.ts). A client's SYN timer armed a moment before it (the SYN's flight) is rounded
   * up to the same tick (calc_index: a 1 s or 2 s timer to the end of its 32 ms bucket), so the
   * request's SYN-ACK goes first and the repeated SYN gets another one
   * (test/conformance/extra/sockets-synack-repeated-syn.yaml).
   */
  private armSynack(s: TcpSock, k: string, jiffies: number, inTimer = false): void {
    // mod_timer replaces the pending expiry: only the latest arming runs.
    const arm = (s.synackArm = (s.synackArm ?? 0) + 1);
    this.kernelTimer(
      jiffies,
      () => {
        if (s.state !== 'SYN_RECV' || this.tcp.get(k) !== s || s.synackArm !== arm) return;
        this.synackTimer(s, k);
      },
      true,
      inTimer,
    );
  }

  /**
   * reqsk_timer_handler: the SYN-ACK again and the timer re-armed, or after
   * net.ipv4.tcp_synack_retries timeouts the request dropped.
   */
  private synackTimer(s: TcpSock, k: string): void {
    const retries = this.host.sysctl('net.ipv4.tcp_synack_retries', 5);
    if (s.synackTimeouts! >= retries) {
      this.dropRequest(
        s,
        k,
        `gives up the half-open connection from ${ap(s.raddr, s.rport)} after ${retries} SYN-ACK retransmissions`,
      );
      return;
    }
    s.synackTimeouts!++;
    this.retransmitSynack(s, `attempt ${s.synackTimeouts! + 1}`);
    this.armSynack(s, k, TCP_TIMEOUT_INIT << s.synackTimeouts!, true);
  }

  /** inet_csk_reqsk_queue_drop: the request sock goes (its timer with it), traced as `why`. */
  private dropRequest(s: TcpSock, k: string, why: string): void {
    this.tcp.delete(k);
    s.state = 'CLOSED';
    if (this.host.tracing)
      this.host.trace({ kind: 'socket', host: this.host.name, event: 'timeout', text: why });
  }

  private retransmitSynack(s: TcpSock, why: string): void {
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'retransmit',
        text: `retransmits its SYN-ACK to ${ap(s.raddr, s.rport)} (${why})`,
      });
    s.rttStart = this.now();
    this.send(this.tcpSegment(s, TCP_SYN | TCP_ACK, undefined, s.sndUna));
  }

  /**
   * Sends the application's data and retransmits it while unacknowledged: first a tail loss
   * probe (tcp_schedule_loss_probe: min(2 SRTT + tcp_rto_min, RTO), the RTO the estimator's
   * (tcp-rtt.ts: SRTT plus rttvar, at least tcp_rto_min 200 ms)), then the RTO
   * timer re-armed from there, doubling at each expiry (tcp_retransmit_timer), at most
   * net.ipv4.tcp_retries2 (15) times.
   */
  private sendData(s: TcpSock, payload: Uint8Array): void {
    this.sendRetransmitted(s, TCP_PSH | TCP_ACK, payload);
  }

  /**
   * tcp_send_fin: the FIN (with the ACK) goes out and is retransmitted on the same schedule as data
   * (a tail loss probe, then the RTO doubling; measured on Linux 6.18: +0.21, +0.42, +0.85, +1.68,
   * +3.34 s after the first with a sub-millisecond RTT), until it is acknowledged. The socket is
   * closed by then (an orphan: -m owner sees no owner of the retransmissions), so it gives up after
   * tcp_orphan_retries (0 means 8 while the RTO is below TCP_RTO_MAX).
   */
  private sendFin(s: TcpSock): void {
    this.sendRetransmitted(s, TCP_FIN | TCP_ACK, new Uint8Array(0));
  }

  /** The socket's out-of-order queue: SACK blocks when the handshake agreed SACK (tcp_is_sack). */
  private newOfo(s: TcpSock): TcpOfo {
    return new TcpOfo(((s.optsOk ?? 0) & OPT_SACK) !== 0, this.host.sysctl('net.ipv4.tcp_dsack', 1) !== 0);
  }

  /**
   * __tcp_ack_snd_check after `len` bytes of data: the ACK now in quick ACK mode (not pingpong) or
   * with more than one full segment unacknowledged (rcv_nxt - rcv_wup > rcv_mss: 536, or the
   * largest segment seen: tcp_measure_rcv_mss), else tcp_send_delayed_ack: the delayed ACK timer (unpinned) at ato
   * (TCP_ATO_MIN), unless one is armed. It is sent when it fires unless a segment carried the ACK
   * first (tcp_event_ack_sent); firing in pingpong mode ends it (tcp_delack_timer_handler:
   * "delayed ACK missed").
   */
  private ackReceived(s: TcpSock, len: number, now = false): void {
    s.lrcv = this.now();
    s.unacked = (s.unacked ?? 0) + len;
    // tcp_event_data_recv → tcp_measure_rcv_mss, before the check: a full-sized segment raises it.
    const rcvMss = s.rcvMss ?? 536;
    if (len >= rcvMss) s.rcvMss = Math.min(len, s.advMss ?? 1460);
    // `now`: out-of-order data is queued, or the segment filled the gap before it (tcp_data_queue:
    // ICSK_ACK_NOW; __tcp_ack_snd_check: an out-of-order queue not empty sends the ACK at once).
    if (now || !s.pingpong || s.unacked > (s.rcvMss ?? 536)) {
      this.send(this.tcpSegment(s, TCP_ACK));
      return;
    }
    if (s.delack !== undefined) return;
    const arm = (s.delack = ++this.delackArms);
    this.kernelTimer(TCP_ATO_MIN, () => {
      if (s.delack !== arm || s.state === 'CLOSED') return;
      s.pingpong = false;
      this.send(this.tcpSegment(s, TCP_ACK));
    });
  }

  /**
   * Client with several exchanges: the wait for the answer to line `n` (1-based) started now; it
   * ends with the answer or after the flow's timeout (exchangeDone).
   */
  private awaitAnswer(s: TcpSock): void {
    if (s.answerWait === undefined) return;
    const n = s.lines!;
    this.host.env.timer(this.now() + s.answerWait, () => this.exchangeDone(s, n, false));
  }

  /**
   * Client: the wait for line `n`'s answer ended (`answered`, or timed out). The next line leaves
   * `interval` after the previous one's start or now, if later; after the last line's answer the
   * application holds the connection `hold` s and closes it (no answer: it stays open).
   */
  private exchangeDone(s: TcpSock, n: number, answered: boolean): void {
    if (s.lines !== n || s.state !== 'ESTABLISHED') return; // this wait already ended
    if (s.more! > 0) {
      s.more!--;
      s.lines = n + 1;
      const at = Math.max(s.firstAt! + n * s.interval!, this.now());
      this.host.env.timer(at, () => {
        if (s.state !== 'ESTABLISHED') return;
        this.userCall(s, 'send()', () => {
          if (s.state !== 'ESTABLISHED') return;
          // tcp_sendmsg → tcp_push: behind a zero window tcp_write_xmit sends nothing (its
          // tcp_snd_wnd_test fails); the line joins the queue and the persist timer goes on
          // (gen-2003-47: natbox sent the second line into the zero window).
          if (s.zeroWindow) {
            s.queuedLines = (s.queuedLines ?? 0) + 1;
            this.probeZeroWindow(s);
            return;
          }
          s.lineSeq = s.sndNxt;
          this.sendFirstLine(s);
        });
        this.awaitAnswer(s);
      });
    } else if (answered && !s.closing) {
      s.closing = true;
      this.host.env.timer(this.now() + s.hold, () => this.tcpClose(s));
    }
  }

  /**
   * Client: connect() reported the connection to the application, which starts: an FTP session
   * (ftp.ts), or its line: in one segment (retransmitted on loss: sendData), or a longer one in
   * segments of the MSS (sendLine); behind a zero window, the persist timer.
   */
  private connected(s: TcpSock): void {
    if (s.state === 'CLOSED') return;
    if (s.errSoft) {
      // SO_ERROR returned sk_err_soft (an ICMP error about the ACK or a later segment, taken in
      // before the application woke): the kernel reference's client reports it and closes the
      // socket (tcp_close: the FIN, which waits behind a zero window). gen-1903-44.
      const e = s.errSoft;
      s.errSoft = undefined;
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'icmp-error',
          text: `connect() to ${ap(s.raddr, s.rport)} fails with ${e.errno} (SO_ERROR reads sk_err_soft): ICMP ${e.why}`,
        });
      s.obs?.failed?.(`ICMP ${e.why}`, e.errno);
      s.obs = undefined;
      this.tcpClose(s);
      return;
    }
    s.obs?.connected?.(ap(s.laddr, s.lport), ap(s.raddr, s.rport));
    if (s.app) return s.app.open(this.connOf(s));
    s.lineSeq = s.sndNxt;
    s.firstAt = this.now();
    s.lines = 1;
    s.answers = 0;
    // send() (tcp_sendmsg): behind a zero window the data waits for the persist timer.
    if (s.zeroWindow) this.probeZeroWindow(s);
    else this.userCall(s, 'send()', () => this.sendFirstLine(s));
    this.awaitAnswer(s);
  }

  /**
   * The window opened: the first line and those written behind it meanwhile (queuedLines), one
   * skb (tcp_sendmsg filled the unsent tail) in one segment when it fits the MSS; else the first.
   */
  private sendQueuedLines(s: TcpSock): void {
    const k = 1 + (s.queuedLines ?? 0);
    s.queuedLines = 0;
    const line = s.line!;
    if (k === 1 || line.length === 0 || line.length * k > this.lineMss(s)) return this.sendFirstLine(s);
    const all = new Uint8Array(line.length * k);
    for (let i = 0; i < k; i++) all.set(line, i * line.length);
    this.sendData(s, all);
  }

  /** The client application's hello: its line in one segment (sendData), or in MSS-sized ones. */
  private sendFirstLine(s: TcpSock): void {
    if (s.line!.length === 0) return; // `size: 0`: the application writes nothing
    if (s.line!.length <= this.lineMss(s)) this.sendData(s, s.line!);
    else this.sendLine(s, s.sndNxt);
  }

  private sendRetransmitted(s: TcpSock, flags: number, payload: Uint8Array): void {
    if (this.cwndFull(s)) {
      // tcp_write_xmit: tcp_cwnd_test finds no room; the segment waits in the write queue (a FIN
      // in its own skb: tcp_send_fin only tacks it onto an unsent tail), not appended to the
      // retransmissions of earlier data, until an ACK opens the window (releaseHeld).
      (s.held ??= []).push({ flags, payload });
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'retransmit',
          text: `holds ${flags & TCP_FIN ? 'its FIN' : `${payload.length} bytes`} to ${ap(s.raddr, s.rport)}: the congestion window is full (after a retransmission timeout)`,
        });
      return;
    }
    const seq = s.sndNxt;
    const fin = (flags & TCP_FIN) !== 0;
    let last = this.tcpSegment(s, flags, payload);
    this.send(last);
    s.sndNxt = (s.sndNxt + payload.length + (fin ? 1 : 0)) >>> 0;
    const end = s.sndNxt;
    (s.tx ??= []).push(end, this.now(), 0);
    // The retransmit timer (unpinned) in jiffies, doubled per timeout as icsk_rto is; the first
    // run is the tail loss probe (tcp_schedule_loss_probe for one packet in flight: 2 SRTT plus
    // TCP_RTO_MIN, no later than the RTO), the RTO counted again from it (tcp_rearm_rto).
    let rto = this.rto(s);
    const tlp = Math.min(this.twoSrtt(s) + HZ / 5, rto);
    let n = 0;
    let probe = true;
    const check = (): void => {
      if (s.state === 'CLOSED' || ((end - s.sndUna) | 0) <= 0) return;
      const limit = fin
        ? this.host.sysctl('net.ipv4.tcp_orphan_retries', 0) || 8
        : this.host.sysctl('net.ipv4.tcp_retries2', 15);
      if (++n > limit) return;
      // __tcp_retransmit_skb → skb_still_in_host_queue: the last transmission still waits in its
      // neighbour's queue (its clone keeps the skb busy): -EBUSY, nothing sent (the probe or the
      // timeout goes on as after a retransmission).
      const busy = stillInHostQueue(last);
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'retransmit',
          text: `${busy ? 'does not retransmit' : 'retransmits'} ${fin ? 'its FIN' : `${payload.length} bytes`} to ${ap(s.raddr, s.rport)} (${probe ? 'tail loss probe' : 'retransmission timeout'} after ${((probe ? tlp : rto) * 1000) / HZ} ms${busy ? ': the last one still waits for its neighbour, skb_still_in_host_queue' : ''})`,
        });
      // tcp_retransmit_timer → tcp_enter_loss: cwnd = 1, everything sent so far in flight (a tail
      // loss probe leaves the window as it is).
      if (!probe) s.lossUntil = s.sndNxt;
      if (!busy) {
        markRetransmitted(s.tx, end);
        last = this.tcpSegment(s, flags, payload, seq);
        if (fin) this.send(last, undefined, undefined, false);
        else this.send(last);
      }
      if (probe) probe = false;
      else rto *= 2;
      this.kernelTimer(rto, check, false, true);
    };
    this.kernelTimer(tlp, check);
  }

  /**
   * tcp_cwnd_test: no room in the congestion window (in flight >= cwnd). natbox's one-segment
   * sends (sendRetransmitted) know it only after a retransmission timeout, until an ACK reaches
   * what was in flight then (exact for one segment in flight: cwnd 1, the head retransmitted; the
   * ACK makes cwnd 2 and in flight 0); a line in segments asks its scoreboard.
   */
  private cwndFull(s: TcpSock): boolean {
    if (s.sb && !s.sb.empty && s.sb.inFlight() >= s.sb.cwnd) return true;
    return s.lossUntil !== undefined && ((s.lossUntil - s.sndUna) | 0) > 0;
  }

  /** tcp_ack → tcp_data_snd_check: the window opened; what waited goes out, in order. */
  private releaseHeld(s: TcpSock): void {
    if (!s.held || this.cwndFull(s)) return;
    const held = s.held;
    s.held = undefined;
    for (const h of held) this.sendRetransmitted(s, h.flags, h.payload);
  }

  /**
   * tcp_send_delayed_ack with icsk_ack.ato: TCP_ATO_MIN once data was received, else 0 (ato > TCP_DELACK_MIN
   * is not the case, so neither pingpong nor the RTT stretch it): the delayed ACK timer
   * (unpinned) then runs at the next tick. An ACK sent before (tcp_event_ack_sent) cancels it.
   */
  private delayAck(s: TcpSock): void {
    if (s.delack !== undefined) return;
    const arm = (s.delack = ++this.delackArms);
    this.kernelTimer(s.rcvdData ? TCP_ATO_MIN : 0, () => {
      if (s.delack !== arm || s.state === 'CLOSED') return;
      this.send(this.tcpSegment(s, TCP_ACK));
    });
  }

  private tcpSockInput(
    s: TcpSock,
    flags: number,
    seq: number,
    ack: number,
    payload: Uint8Array,
    tsval: number,
    win: number,
    tsecr = -1,
  ): void {
    const k = key(s.laddr, s.lport, s.raddr, s.rport);
    if (s.state === 'SYN_SENT' && flags & TCP_ACK && ack !== s.sndNxt) {
      // tcp_rcv_synsent_state_process: an ACK of something never sent is answered by a reset
      // (seq from its ACK), unless it is a reset itself; the connect() goes on.
      if (!(flags & TCP_RST)) this.sendResetFor(s, ack);
      return;
    }
    if (flags & TCP_RST && !this.rstAcceptable(s, flags, seq)) return;
    // tcp_check_req keeps the request's ts_recent (the first SYN's TSval) for a repeated SYN: its
    // SYN-ACKs all echo the first SYN.
    const repeatedSyn = s.state === 'SYN_RECV' && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (
      s.state === 'ESTABLISHED' &&
      (flags & (TCP_SYN | TCP_RST | TCP_FIN | TCP_ACK)) === TCP_ACK &&
      payload.length === 0 &&
      seq === (s.rcvNxt - 1) >>> 0
    ) {
      // A keepalive (or window) probe, seq rcv_nxt - 1: tcp_validate_incoming finds it out of
      // window (tcp_sequence) and answers with a duplicate ACK (tcp_send_dupack, at most one per
      // tcp_invalid_ratelimit: tcp_oow_rate_limited), before ts_recent takes its TSval.
      if (this.oowAllowed(s)) this.send(this.tcpSegment(s, TCP_ACK));
      return;
    }
    if (s.ka && flags & TCP_ACK) {
      // tcp_ack: an ACK processed clears icsk_probes_out and sets rcv_tstamp.
      s.rcvTs = this.now();
      s.kaProbes = 0;
    }
    // tcp_replace_ts_recent: only a segment that starts at or before rcv_wup updates ts_recent:
    // data out of order (past rcv_nxt) does not.
    const ofoData =
      payload.length > 0 && s.state !== 'SYN_SENT' && s.state !== 'SYN_RECV' && ((seq - s.rcvNxt) | 0) > 0;
    if (tsval >= 0 && !repeatedSyn && !ofoData) s.tsRecent = tsval;
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
      if (s.connectedPending) {
        // tcp_reset in ESTABLISHED (sk_err ECONNRESET) before connect() returned: the
        // application's connect() fails with ECONNRESET; it never saw the connection.
        s.connectedPending = false;
        s.obs?.failed?.(`connection reset by ${ap(s.raddr, s.rport)}`, 'ECONNRESET');
        return;
      }
      s.obs?.reset?.(ap(s.raddr, s.rport));
      return;
    }
    switch (s.state) {
      case 'SYN_SENT':
        if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && ack === s.sndNxt) {
          s.rcvNxt = (seq + 1) >>> 0;
          s.sndUna = ack;
          s.pendingConfirm = true; // tcp_ack: the SYN acknowledged (sk_dst_confirm)
          s.state = 'ESTABLISHED';
          this.rttHandshake(s);
          // A SYN-ACK with a zero window (SYNPROXY's): tcp_snd_wnd_test keeps the line back until
          // a segment opens the window (tcp_ack_update_window).
          s.zeroWindow = win === 0;
          this.send(this.tcpSegment(s, TCP_ACK));
          // tcp_finish_connect: SOCK_KEEPOPEN arms the keepalive timer for keepalive_time.
          if (s.ka) this.armKeepalive(s);
          if (this.host.tracing)
            this.host.trace({
              kind: 'socket',
              host: this.host.name,
              event: 'connected',
              text: `connected to ${ap(s.raddr, s.rport)} from ${ap(s.laddr, s.lport)}`,
            });
          // Taken in from the backlog, while connect() still holds the socket: the application
          // hears of it when connect() returns (releaseSock). Else connect() returned EINPROGRESS
          // long ago, and the application's poll() runs once this softirq chain is over (its
          // SO_ERROR then sees an ICMP error the ACK's chain brought back: connected()).
          s.connectedPending = true;
          if (!s.owned)
            this.wake(() => {
              if (!s.connectedPending) return;
              s.connectedPending = false;
              this.connected(s);
            });
        }
        return;
      case 'SYN_RECV':
        if ((flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN && seq === s.rcvIsn) {
          // tcp_check_req: a retransmitted SYN is answered by a SYN-ACK retransmission (unless
          // one was sent for the same reason within net.ipv4.tcp_invalid_ratelimit, 500 ms), and
          // the request's timer restarts from now (reqsk_timeout: 1 s << timeouts so far).
          const now = this.now();
          const limit = this.host.sysctl('net.ipv4.tcp_invalid_ratelimit', 500) / 1000;
          if (s.lastOow! >= 0 && now - s.lastOow! < limit) return;
          s.lastOow = now;
          this.retransmitSynack(s, 'the client repeated its SYN');
          this.armSynack(s, k, TCP_TIMEOUT_INIT << s.synackTimeouts!);
          return;
        }
        if (
          tsecr > 0 &&
          s.synackTsFirst !== undefined &&
          (s.optsOk ?? 0) & OPT_TS &&
          (tsecr - s.synackTsFirst) >>> 0 > (s.synackTsLast! - s.synackTsFirst) >>> 0
        ) {
          // tcp_check_req (Linux 6.18): a TSecr that echoes none of our SYN-ACKs (tsecr_reject,
          // TSEcrRejected) is out of window: an ACK back (at most one per tcp_invalid_ratelimit,
          // except for data) and the segment dropped. SYNPROXY's ACK to the server is one: its
          // TSecr went through the timestamp adjustment twice.
          // (Data segments are not rate limited: tcp_oow_rate_limited.)
          if (!(flags & TCP_RST) && (payload.length > 0 || this.oowAllowed(s)))
            this.send(this.tcpSegment(s, TCP_ACK));
          return;
        }
        if (flags & TCP_ACK && ack === s.sndNxt) {
          s.state = 'ESTABLISHED';
          s.sndUna = ack;
          s.pendingConfirm = true;
          this.rttHandshake(s);
          if (this.host.tracing)
            this.host.trace({
              kind: 'socket',
              host: this.host.name,
              event: 'accepted',
              text: `accepted a connection from ${ap(s.raddr, s.rport)}`,
            });
          this.server?.peerSeen('tcp', ap(s.laddr, s.lport), ap(s.raddr, s.rport));
          const app = this.listener('tcp', s.lport, s.laddr)?.app;
          if (app) {
            s.app = app();
            s.app.open(this.connOf(s));
          }
        } else return;
        break;
      default:
        if (flags & TCP_SYN && s.state !== 'TIME_WAIT' && s.state !== 'CLOSED') {
          // tcp_validate_incoming, step 4 (RFC 5961 4.2): a SYN on a synchronized connection (a
          // server's retransmitted SYN-ACK, as behind SYNPROXY; also after our FIN, in FIN_WAIT1,
          // FIN_WAIT2, CLOSE_WAIT, LAST_ACK: tcp_rcv_state_process validates every state) gets a
          // challenge ACK and is dropped (at most one per tcp_invalid_ratelimit).
          if (this.oowAllowed(s)) this.send(this.tcpSegment(s, TCP_ACK));
          return;
        }
        break;
    }
    if (flags & TCP_ACK) {
      const advanced = ((ack - s.sndUna) | 0) > 0;
      if (advanced) s.pendingConfirm = true; // forward progress
      const line = s.sb && !s.sb.empty && ((s.sndNxt - ack) | 0) >= 0 && ((ack - s.sndUna) | 0) >= 0;
      s.sndUna = ack;
      if (line) {
        // A line in segments: its scoreboard takes the ACK and its SACK blocks (tcp-sack.ts).
        if (advanced) s.sbBackoff = 0;
        this.lineAck(s, ack, advanced, this.sackBuf, this.sackN, tsecr);
      } else if (advanced) this.rttAck(s, tsecr, true);
      if (advanced && s.held) this.releaseHeld(s);
      if (s.zeroWindow && win !== 0) {
        s.zeroWindow = false;
        // (Before connect() returned, the application has written nothing yet: connected().)
        if (s.finPending) {
          s.finPending = false;
          this.sendFin(s);
        } else if (!s.connectedPending) this.sendQueuedLines(s);
      }
    }
    if (s.rcvShut && this.abortOnData(s, flags, seq, ack, payload.length)) return;
    if (s.tailOff !== undefined && s.line && flags & TCP_ACK && ack === (s.lineSeq! + s.tailOff) >>> 0)
      this.sendLine(s, ack); // everything in flight is acknowledged: the short segment goes
    let ackNow = false;
    let dup = false;
    if (payload.length > 0 && seq !== s.rcvNxt) {
      const end = (seq + payload.length) >>> 0;
      const ofo = (s.ofo ??= this.newOfo(s));
      if (((seq - s.rcvNxt) | 0) > 0) {
        // tcp_data_queue_ofo: past rcv_nxt, it waits in the out-of-order queue (SACKed), and
        // the ACK goes at once (__tcp_ack_snd_check: the queue is not empty).
        if (s.state === 'ESTABLISHED' || s.state === 'FIN_WAIT1' || s.state === 'FIN_WAIT2')
          ofo.queue(seq, payload);
        this.send(this.tcpSegment(s, TCP_ACK));
        return;
      }
      s.rcvdData = true; // tcp_enter_quickack_mode (a duplicate) or tcp_event_data_recv
      if (((end - s.rcvNxt) | 0) <= 0) {
        // Data already received (a retransmission whose ACK was lost): a duplicate ACK at once
        // (tcp_data_queue: tcp_dsack_set, tcp_enter_quickack_mode), with its D-SACK.
        ofo.dsackSet(seq, end);
        this.send(this.tcpSegment(s, TCP_ACK));
        dup = true;
      } else {
        // Partly received already (tcp_data_queue's "partial packet"): the old bytes D-SACKed,
        // the new ones taken in.
        ofo.dsackSet(seq, s.rcvNxt);
        payload = payload.subarray((s.rcvNxt - seq) >>> 0);
        seq = s.rcvNxt;
      }
    }
    if (payload.length > 0 && !dup) {
      s.rcvdData = true;
      s.rcvNxt = (s.rcvNxt + payload.length) >>> 0;
      if (s.ofo && !s.ofo.empty) {
        // tcp_ofo_queue: what waited out of order follows on; the ACK goes at once (the gap
        // filled: ICSK_ACK_NOW; or the queue still not empty).
        const more = s.ofo.take(s.rcvNxt);
        if (more) {
          const all = new Uint8Array(payload.length + more.length);
          all.set(payload);
          all.set(more, payload.length);
          payload = all;
          s.rcvNxt = (s.rcvNxt + more.length) >>> 0;
        }
        ackNow = true;
      } else if (s.ofo) s.ofo.sackRemove(s.rcvNxt);
      if (s.app) {
        // Quick ACK (ftp.ts's applications answer later), then the application reads.
        this.send(this.tcpSegment(s, TCP_ACK));
        s.app.data(this.connOf(s), payload);
      } else if (s.server) {
        // The ACK (quick, or delayed in pingpong mode: ackReceived), then the server application's
        // answer once a whole line is in: who it saw. The answer carries the ACK, and answering at
        // once puts the socket in pingpong mode.
        this.ackReceived(s, payload.length, ackNow);
        s.rxLen = (s.rxLen ?? 0) + payload.length;
        if (payload[payload.length - 1] !== 0x0a) return;
        s.rxLen = 0;
        // The application, woken by the line, answers once the softirq chain that brought it is
        // over (HostEnv.wake): the quick ACK goes round first (gen-1415-17: a hairpin to itself).
        this.wake(() => this.answer(s));
      } else {
        this.ackReceived(s, payload.length, ackNow);
        s.obs?.data?.(ap(s.raddr, s.rport), payload, true);
        if (s.lines === undefined || s.answerWait === undefined) {
          // One exchange: the application, woken once the chain is over (its ACK goes round
          // first), closes `hold` after the answer.
          if (!s.closing) {
            s.closing = true;
            this.wake(() => this.host.env.timer(this.now() + s.hold, () => this.tcpClose(s)));
          }
        } else if (payload[payload.length - 1] === 0x0a) {
          s.answers = (s.answers ?? 0) + 1;
          const n = s.lines;
          this.wake(() => this.exchangeDone(s, n, true));
        }
      }
    }
    if (flags & TCP_FIN && payload.length === 0 && ((seq + 1 - s.rcvNxt) | 0) <= 0) {
      // A FIN already received, again (its ACK was lost): tcp_validate_incoming's duplicate ACK
      // (tcp_send_dupack), or in TIME_WAIT tcp_timewait_state_process's ACK (TCP_TW_ACK, sent
      // by no socket). A socket D-SACKs it (tcp_data_queue: !after(end_seq, rcv_nxt) →
      // tcp_dsack_set; tcp_rcv_state_process lets CLOSE_WAIT and LAST_ACK fall through to it).
      if (s.state !== 'TIME_WAIT') (s.ofo ??= this.newOfo(s)).dsackSet(seq, (seq + 1) >>> 0);
      const seg = this.tcpSegment(s, TCP_ACK);
      if (s.state === 'TIME_WAIT') this.send(seg, undefined, undefined, false);
      else this.send(seg);
      return;
    }
    if (flags & TCP_FIN && (seq + payload.length) >>> 0 === s.rcvNxt) {
      s.rcvNxt = (s.rcvNxt + 1) >>> 0;
      if (s.state === 'ESTABLISHED' && !s.server && !s.app) {
        // The server closed first: CLOSE_WAIT, and the application closes when its hold after the
        // answer ends (tcpClose). tcp_fin enters pingpong mode, so the FIN's ACK is delayed
        // (TCP_DELACK_MIN, 40 ms), unless the application's FIN carries it before.
        s.state = 'CLOSE_WAIT';
        this.kernelTimer(TCP_DELACK_MIN, () => {
          if (s.state === 'CLOSE_WAIT') this.send(this.tcpSegment(s, TCP_ACK));
        });
        if (!s.closing) {
          s.closing = true;
          this.host.env.timer(this.now() + s.hold, () => this.tcpClose(s));
        }
      } else if (s.state === 'ESTABLISHED') {
        // The peer closed: the application reads EOF and closes too; its FIN carries the ACK.
        // tcp_fin schedules the ACK (pingpong mode: __tcp_ack_snd_check delays it), so when the
        // FIN is held (the congestion window full after a retransmission timeout: tcp_send_fin
        // queues it, tcp_write_xmit keeps it) the delayed ACK timer sends a plain ACK: at the next
        // tick if no data was ever received (ato 0), else after TCP_ATO_MIN. Measured on 6.18:
        // the ACK 0.45-4 ms after the FIN, before the application's read() of EOF (gen-1701-14).
        s.state = 'CLOSE_WAIT';
        this.delayAck(s);
        // An application not reading yet (an FTP client still waiting for its 150) reads EOF
        // later, and closes then (its eof); meanwhile the FIN's ACK waits for the timer.
        if (s.app?.deferEof?.(this.connOf(s))) return;
        this.tcpClose(s);
        s.app?.eof?.(this.connOf(s));
      } else if (s.state === 'FIN_WAIT1' || s.state === 'FIN_WAIT2') {
        s.state = 'TIME_WAIT';
        s.lastOow = -1; // tcp_time_wait: tw_last_oow_ack_time = 0
        // The application closed the socket (close(): sock_orphan after the FIN), so no socket
        // owns this ACK: -m owner sees none, as in the kernel.
        this.send(this.tcpSegment(s, TCP_ACK), undefined, undefined, false);
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'closed',
            text: `connection with ${ap(s.raddr, s.rport)} closed`,
          });
        s.obs?.closed?.();
        // inet_twsk_schedule: the TIME_WAIT sock's timer (inet_twsk_alloc: TIMER_PINNED; 6.10's
        // un-pinning was reverted), TCP_TIMEWAIT_LEN.
        this.kernelTimer(
          TCP_TIMEWAIT_LEN,
          () => {
            if (this.tcp.get(k) === s) this.tcp.delete(k);
          },
          true,
        );
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

  /**
   * tcp_rcv_state_process after close() (RCV_SHUTDOWN): a segment bringing anything past rcv_nxt
   * (end_seq != seq and after(end_seq - fin, rcv_nxt): new data, or a FIN out of order) in
   * FIN_WAIT1 or FIN_WAIT2 (also CLOSE_WAIT/LAST_ACK for one that starts before rcv_nxt: step 7
   * falls through) resets the connection: tcp_reset (or, in FIN_WAIT1 once the ACK takes it to
   * FIN_WAIT2 on an orphan, tcp_done: "Receive out of order FIN after close()"), and the reason
   * (SKB_DROP_REASON_TCP_ABORT_ON_DATA) makes tcp_v4_do_rcv answer the segment with
   * tcp_v4_send_reset: RST, seq = its ack_seq, from no socket. A FIN_WAIT2 orphan is a timewait
   * sock there (tcp_time_wait(TCP_FIN_WAIT2)): tcp_timewait_state_process answers new data in its
   * window with TCP_TW_RST, the same reset. Data already received falls through to
   * tcp_data_queue (its duplicate ACK). A segment without ACK is dropped earlier (TCP_FLAGS).
   */
  private abortOnData(s: TcpSock, flags: number, seq: number, ack: number, len: number): boolean {
    const fin = flags & TCP_FIN ? 1 : 0;
    if (len + fin === 0 || !(flags & TCP_ACK)) return false;
    if (s.state === 'CLOSE_WAIT' || s.state === 'LAST_ACK') {
      if (((seq - s.rcvNxt) | 0) >= 0) return false;
    } else if (s.state !== 'FIN_WAIT1' && s.state !== 'FIN_WAIT2') return false;
    // (tcp_sequence: a segment past the receive window got a duplicate ACK before.)
    if (((seq + len - s.rcvNxt) | 0) <= 0 || ((seq - s.rcvNxt) | 0) >= RCV_WINDOW) return false;
    this.tcp.delete(key(s.laddr, s.lport, s.raddr, s.rport));
    s.state = 'CLOSED';
    this.sendResetFor(s, ack, 'data after close(): the application will never read it (TCPAbortOnData)');
    return true;
  }

  /**
   * Whether a reset may end the connection (RFC 5961 as tcp_validate_incoming and tcp_check_req
   * apply it): in SYN_SENT only with an ACK of the SYN (checked before) and never without an ACK;
   * in SYN_RECV when its sequence number is in the window; later only when it is exactly the next
   * expected one. A reset elsewhere in the window gets a challenge ACK (rate limited as
   * tcp_oow_rate_limited); one outside is dropped silently.
   */
  private rstAcceptable(s: TcpSock, flags: number, seq: number): boolean {
    if (s.state === 'SYN_SENT') return (flags & TCP_ACK) !== 0;
    const off = (seq - s.rcvNxt) >>> 0;
    if (s.state === 'SYN_RECV') return off < RCV_WINDOW;
    if (s.state === 'TIME_WAIT') return off === 0;
    if (off === 0) return true;
    if (off < RCV_WINDOW) {
      if (this.oowAllowed(s)) {
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'retransmit',
            text: `a reset from ${ap(s.raddr, s.rport)} is in the window but not the next sequence number: sends a challenge ACK (RFC 5961)`,
          });
        this.send(this.tcpSegment(s, TCP_ACK));
      }
    }
    return false;
  }

  /**
   * tcp_oow_rate_limited: whether an answer to an out-of-window segment may go now (at most one per
   * net.ipv4.tcp_invalid_ratelimit, 500 ms); if so, the time is kept.
   */
  private oowAllowed(s: TcpSock): boolean {
    const now = this.now();
    const limit = this.host.sysctl('net.ipv4.tcp_invalid_ratelimit', 500) / 1000;
    if (s.lastOow !== undefined && s.lastOow >= 0 && now - s.lastOow < limit) return false;
    s.lastOow = now;
    return true;
  }

  /** A reset from this socket's addresses with sequence number `seq` (tcp_v4_send_reset). */
  private sendResetFor(s: TcpSock, seq: number, why = 'the segment acknowledges data never sent'): void {
    const p = buildTcpPacket(
      { src: s.laddr, dst: s.raddr, dontFragment: true, id: 0 },
      { srcPort: s.lport, dstPort: s.rport, seq, flags: TCP_RST, window: 0 },
    );
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'rst-sent',
        text: `sends RST to ${ap(s.raddr, s.rport)}: ${why}`,
      });
    this.send(p, undefined, undefined, false);
  }

  /**
   * tcp_twsk_unique for a socket bound to its port (connect() after bind(): no port search, so
   * tcp_tw_reuse is not asked): a TIME_WAIT connection is taken over when it has seen the peer's
   * timestamps (tw_ts_recent_stamp; natbox's peers always send them). Any other state is in use.
   */
  private twReusable(tw: TcpSock): boolean {
    return tw.state === 'TIME_WAIT' && tw.tsRecent !== 0;
  }

  /**
   * close() with data the application never read (tcp_close: data_was_unread): no FIN; the socket
   * goes to TCP_CLOSE and sends a RST|ACK at snd_nxt (tcp_send_active_reset,
   * SK_RST_REASON_TCP_ABORT_ON_CLOSE). From other states a plain close().
   */
  private tcpAbort(s: TcpSock): void {
    this.userCall(s, 'close()', () => this.tcpAbortHeld(s));
  }

  private tcpAbortHeld(s: TcpSock): void {
    if (s.state !== 'ESTABLISHED' && s.state !== 'CLOSE_WAIT') return this.tcpCloseHeld(s);
    this.tcp.delete(key(s.laddr, s.lport, s.raddr, s.rport));
    s.state = 'CLOSED';
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'rst-sent',
        text: `close() with unread data: sends RST to ${ap(s.raddr, s.rport)}`,
      });
    this.send(this.tcpSegment(s, TCP_RST | TCP_ACK));
  }

  /**
   * close() (tcp_close: lock_sock, __tcp_close sends the FIN, release_sock); with `shutdown`,
   * shutdown(SHUT_WR) (tcp_shutdown: the FIN, but the socket still reads: no RCV_SHUTDOWN).
   */
  private tcpClose(s: TcpSock, shutdown = false): void {
    this.userCall(s, shutdown ? 'shutdown()' : 'close()', () => this.tcpCloseHeld(s, shutdown));
  }

  private tcpCloseHeld(s: TcpSock, shutdown = false): void {
    if (!shutdown) s.rcvShut = true; // __tcp_close: sk_shutdown = SHUTDOWN_MASK
    if (s.state === 'CLOSE_WAIT') s.state = 'LAST_ACK';
    else if (s.state === 'ESTABLISHED') s.state = 'FIN_WAIT1';
    else return;
    // tcp_send_fin → __tcp_push_pending_frames: behind a zero window the FIN waits (the persist
    // timer's probes go on: probeZeroWindow).
    if (s.zeroWindow) {
      s.finPending = true;
      this.probeZeroWindow(s);
      return;
    }
    this.sendFin(s);
  }

  // ---- UDP ---------------------------------------------------------------------------------

  /**
   * Sends one datagram ("ping\n") from `sport` (and `opts.src` when bound); a connected socket
   * takes answers only from dst, and hears the hard ICMP errors about its datagrams.
   */
  udpSend(
    dst: number,
    dport: number,
    sport: number,
    connected: boolean,
    obs: SocketObserver,
    opts: SockOpts = {},
  ): void {
    const mark = opts.mark ?? 0;
    const call = connected ? 'connect()' : 'sendto()';
    const holder = this.udpPortHolder(sport, opts.src ?? 0, obs);
    if (holder !== undefined) {
      obs.failed?.(`bind(): address already in use: UDP port ${sport} is held by ${holder}`, 'EADDRINUSE');
      return;
    }
    const laddr = this.openRoute(obs, opts, IPPROTO_UDP, dst, sport, dport, connected, call);
    if (laddr === undefined) return;
    const r = this.host.lastRoute()!;
    this.udp.set(sport, {
      raddr: connected ? dst : 0,
      rport: connected ? dport : 0,
      obs,
      expected: ap(dst, dport),
      pmtudisc: pmtudiscOf(opts),
      laddr: connected || opts.src ? laddr : 0,
      ...(opts.tftp ? { tftp: true } : {}),
    });
    const data = opts.tftp ? TFTP_RRQ : linePayload(opts.size);
    const ip = this.datagramIp(opts, laddr, dst, r, 8 + data.length, obs);
    if (!ip) return;
    this.markOut = mark;
    this.send(buildUdpPacket(ip, { srcPort: sport, dstPort: dport }, data), obs);
  }

  /**
   * What already holds UDP port `port` so that bind() to `addr` (0: any) fails with EADDRINUSE
   * (udp_lib_lport_inuse, no SO_REUSEADDR/SO_REUSEPORT: either address is 0.0.0.0, or they are the
   * same), in words; undefined when the port is free for it. `obs`'s own socket (a flow sending its
   * next datagram) does not count.
   */
  private udpPortHolder(port: number, addr: number, obs: SocketObserver): string | undefined {
    const clash = (held: number): boolean => addr === 0 || held === 0 || held === addr;
    const c = this.udp.get(port);
    if (c && c.obs !== obs && clash(c.laddr ?? 0)) return "another flow's socket";
    if (this.udpListen.has(port))
      for (const l of this.listenOpts.get(`udp/${port}`) ?? [{}])
        if (clash(l.bind ?? 0)) return 'a listening socket';
    for (const [k, ls] of this.listenOpts)
      if (k.startsWith('udp/'))
        for (const l of ls) if (l.replyPort === port && clash(l.bind ?? 0)) return "a server's reply socket";
    return undefined;
  }

  /**
   * Whether a listening TCP socket holds `port` so that a client's bind() to `addr` (0: any) fails
   * with EADDRINUSE: inet_csk_bind_conflict, where every client (the kernel reference's sets
   * SO_REUSEADDR, as libuv does for Node's sockets) shares a port with the other sockets on it but
   * never with one in TCP_LISTEN, when either address is 0.0.0.0 or both are the same. An active
   * FTP client's data port is one (gen-2101-12: a flow from that port while the client still
   * waits in accept()).
   */
  private tcpPortListened(port: number, addr: number): boolean {
    if (!this.tcpListen.has(port)) return false;
    return (this.listenOpts.get(`tcp/${port}`) ?? [{}]).some((l) => !addr || !l.bind || l.bind === addr);
  }

  /** close() of a flow's UDP socket: its port is free again, and datagrams to it are refused. */
  udpClose(port: number, obs: SocketObserver): void {
    if (this.udp.get(port)?.obs === obs) this.udp.delete(port);
  }

  /**
   * The IP header of a datagram socket's packet (UDP, ping): DF as IP_MTU_DISCOVER and the path MTU
   * say, the socket's TTL and TOS; undefined when DF forbids a datagram this long (EMSGSIZE, told
   * to `obs`).
   */
  private datagramIp(
    opts: SockOpts,
    src: number,
    dst: number,
    r: Route,
    len: number,
    obs: SocketObserver,
  ):
    | {
        src: number;
        dst: number;
        dontFragment: boolean;
        id: number;
        ttl?: number;
        tos?: number;
        options?: Uint8Array;
      }
    | undefined {
    const df = datagramDf(
      pmtudiscOf(opts),
      len + (opts.ipOptions?.length ?? 0),
      this.host.frag.outputMtu(r, dst),
    );
    if (df === 'EMSGSIZE') {
      this.tooLong(obs, dst);
      return undefined;
    }
    return {
      src,
      dst,
      dontFragment: df,
      id: this.host.nextIpId(),
      ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
      ...(opts.tos ? { tos: opts.tos } : {}),
      ...(opts.ipOptions ? { options: opts.ipOptions } : {}),
    };
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
    obs.failed?.('sendto(): Message too long (EMSGSIZE)', 'EMSGSIZE');
  }

  private udpInput(ip: Uint8Array, o: number, total: number, skPort = 0, skAddr = 0): void {
    const src = ipv4Src(ip, 0);
    const dst = ipv4Dst(ip, 0);
    const sport = read16(ip, o);
    const dport = read16(ip, o + 2);
    const payload = ip.slice(o + 8, total);
    // TPROXY's socket (skb->sk: __udp4_lib_rcv's skb_steal_sock), else the port's.
    const l = skPort ? this.listener('udp', skPort, skAddr) : this.listener('udp', dport, dst);
    if (l) {
      this.server?.peerSeen('udp', ap(dst, dport), ap(src, sport));
      // reply_port: the answer leaves from a second socket bound to bind:reply_port; else from
      // the socket's own port (TPROXY's listener: its port, not the one the client sent to).
      const from = l.replyPort ?? (skPort || dport);
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'data',
          text: `UDP port ${dport} got a datagram from ${ap(src, sport)} and answers it${from !== dport ? ` from port ${from}` : ''}`,
        });
      const answer = pong(src, sport);
      // sendto() from the listening socket: bound to an address, from it; bound to 0.0.0.0, from
      // the source the route to the client gives (udp_sendmsg: ip_route_output_flow with saddr 0),
      // which for a client on this host is the client's own address, not the one it sent to.
      const laddr = l.bind || this.host.routeSource(src, 0, 0, IPPROTO_UDP, from, sport, false);
      if (laddr < 0) return;
      const ipf = { src: laddr, dst: src, dontFragment: true, id: this.host.nextIpId() };
      this.send(buildUdpPacket(ipf, { srcPort: from, dstPort: sport }, answer));
      return;
    }
    // The answering socket of a reply_port server takes what comes to it (and answers nothing).
    if (this.replySocket(dport, dst)) return;
    const sock0 = this.udp.get(dport);
    const sock = sock0 && (!sock0.laddr || sock0.laddr === dst) ? sock0 : undefined;
    const expectedFrom = sock && (sock.raddr === 0 || (sock.raddr === src && sock.rport === sport));
    if (sock && expectedFrom) {
      const expected = sock.expected === ap(src, sport);
      if (!expected) sock.obs.unexpected?.(ap(src, sport), sock.expected, 'UDP');
      sock.obs.data?.(ap(src, sport), payload, expected);
      if (sock.tftp) {
        // The TFTP client acknowledges block 1 to the port the answer came from (the transfer id).
        sock.tftp = false;
        const ipf = { src: dst, dst: src, dontFragment: true, id: this.host.nextIpId() };
        this.send(buildUdpPacket(ipf, { srcPort: dport, dstPort: sport }, TFTP_ACK1));
      }
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

  /**
   * ping: one echo request with this id (sequence `seq`, default 1; `opts.size` bytes of data, 16 by
   * default), from a raw socket (bound to `opts.src` when given) that then sees every ICMP message
   * reaching the host.
   */
  pingSend(dst: number, id: number, obs: SocketObserver, opts: SockOpts = {}, seq = 1): void {
    const mark = opts.mark ?? 0;
    const laddr = this.openRoute(obs, opts, IPPROTO_ICMP, dst, 0, 0, false, 'sendto()');
    if (laddr === undefined) return;
    const r = this.host.lastRoute()!;
    this.ping.set(id, { dst, obs, laddr: opts.src ?? 0 });
    const data = new Uint8Array(opts.size ?? 16);
    const ip = this.datagramIp(opts, laddr, dst, r, 8 + data.length, obs);
    if (!ip) return;
    this.markOut = mark;
    this.send(buildIcmpIpv4Packet(ip, { kind: 'echo-request', id, seq }, data), obs);
  }

  /**
   * A raw socket of protocol `proto` (SCTP, DCCP, ESP, AH flows) sends `payload` to `dst` once,
   * its IP header written as a raw socket's is (DF under the default IP_PMTUDISC_WANT), and an
   * ICMP raw socket beside it hears every ICMP message reaching the host (obs.icmp).
   */
  rawSend(proto: number, dst: number, payload: Uint8Array, obs: SocketObserver, opts: SockOpts = {}): void {
    const laddr = this.openRoute(obs, opts, proto, dst, 0, 0, false, 'sendto()');
    if (laddr === undefined) return;
    const r = this.host.lastRoute()!;
    this.raw.push({ obs, laddr: opts.src ?? 0, proto });
    const ip = this.datagramIp(opts, laddr, dst, r, payload.length, obs);
    if (!ip) return;
    this.markOut = opts.mark ?? 0;
    this.send(buildRawPacket(ip, proto, payload), obs);
  }

  /** Whether `port` on `dst` is the answering socket of a UDP server with reply_port. */
  private replySocket(port: number, dst: number): boolean {
    for (const [k, ls] of this.listenOpts)
      if (k.startsWith('udp/'))
        for (const l of ls) if (l.replyPort === port && (!l.bind || l.bind === dst)) return true;
    return false;
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
      const p0 = this.ping.get(id);
      const p = p0 && (!p0.laddr || p0.laddr === dst) ? p0 : undefined;
      if (p) p.obs.data?.(formatIpv4(src), ip.slice(o, total), src === p.dst);
      if (p && src !== p.dst) p.obs.unexpected?.(formatIpv4(src), formatIpv4(p.dst), 'ICMP echo reply');
      return;
    }
    // A raw ICMP socket (the ping client) sees every ICMP message that reaches the host
    // (raw_v4_input runs before icmp_rcv), whichever packet an error is about.
    for (const p of this.ping.values())
      if (!p.laddr || p.laddr === dst) p.obs.icmp?.(formatIpv4(src), type, ip[o + 1]!);
    for (const p of this.raw)
      if (!p.laddr || p.laddr === dst) p.obs.icmp?.(formatIpv4(src), type, ip[o + 1]!);
    if (type === 5) return this.redirectInput(ip, o, total);
    if (type === 3 || type === 11 || type === 12) {
      // An error about one of our packets: tell the socket it quotes (icmp_unreach → err_handler).
      const inner = o + 8;
      if (total - inner < 28) return;
      const code = ip[o + 1]!;
      const ihl = ipv4HeaderLength(ip, inner);
      const iproto = ip[inner + 9]!;
      const isport = read16(ip, inner + ihl);
      const idst = ipv4Dst(ip, inner);
      const idport = read16(ip, inner + ihl + 2);
      const why =
        type === 11
          ? `time exceeded (from ${formatIpv4(src)})`
          : type === 12
            ? `parameter problem (from ${formatIpv4(src)})`
            : `destination unreachable code ${code} (from ${formatIpv4(src)})`;
      if (iproto === IPPROTO_TCP) {
        const h = this.tcp.get(key(ipv4Src(ip, inner), isport, idst, idport));
        if (h?.owned && h.state !== 'TIME_WAIT' && h.state !== 'SYN_RECV' && !(type === 3 && code === 4))
          this.lockDroppedIcmps++;
        if (h && this.icmpOutOfWindow(h, read32(ip, inner + ihl + 4))) return;
      }
      if (type === 3 && code === 4 && this.fragNeeded(ip, o, inner, iproto, isport, idst, idport)) return;
      const e = icmpErrno(type, code);
      if (!e) return;
      if (iproto === IPPROTO_TCP) {
        const s = this.tcp.get(key(ipv4Src(ip, inner), isport, idst, idport));
        if (
          s?.state === 'SYN_RECV' &&
          (type !== 3 || code <= 1) &&
          read32(ip, inner + ihl + 4) === s.sndUna
        ) {
          // tcp_v4_err → tcp_req_err: time exceeded, parameter problem, net or host unreachable
          // about the request's SYN-ACK (its seq the ISN) remove the request silently; the
          // client's next SYN makes a new one, with a new ISN. Other errors leave it.
          this.dropRequest(
            s,
            key(s.laddr, s.lport, s.raddr, s.rport),
            `drops the half-open connection from ${ap(s.raddr, s.rport)}: ICMP ${why} about its SYN-ACK`,
          );
          return;
        }
        if (s && s.state === 'SYN_SENT' && !(type === 3 && code === 4)) {
          // tcp_v4_err: in SYN_SENT every error but fragmentation needed ends connect() at once
          // with its errno (tcp_done_with_error): port unreachable ECONNREFUSED, host unreachable
          // and time exceeded EHOSTUNREACH, net unreachable ENETUNREACH. Later states take ICMP
          // errors as soft (only IP_RECVERR would report them). While connect() holds the socket
          // (s.owned) the kernel only sets sk_err_soft and stays in SYN_SENT, but the kernel
          // reference's client (Python's connect() with a timeout) gets POLLERR at once and reads
          // the errno with SO_ERROR (sock_getsockopt returns sk_err_soft), then closes the socket:
          // the same outcome at once (measured on 6.18: one SYN, ECONNREFUSED after 0.2 ms).
          this.closeOnIcmp(s, `connect() to ${ap(s.raddr, s.rport)} fails with ${e.errno}: ICMP ${why}`);
          s.obs?.failed?.(`ICMP ${why}`, e.errno);
        } else if (s && s.connectedPending && !s.server && !(type === 3 && code === 4)) {
          // tcp_v4_err after SYN_SENT: "we will keep trying", the errno kept as sk_err_soft (no
          // IP_RECVERR), also while the socket is held. Only a connect() that has not returned
          // yet reads it (connected()).
          s.errSoft = { errno: e.errno, why };
        }
      } else if (iproto === IPPROTO_UDP) {
        // __udp4_lib_err: without IP_RECVERR only a hard error reaches the application, and only
        // on a connected socket (time exceeded and host/net unreachable are soft: ignored).
        // Fragmentation needed is EMSGSIZE and hard unless IP_MTU_DISCOVER is DONT.
        const u = this.udp.get(isport);
        const hard = e.hard || (type === 3 && code === 4);
        if (u && hard && u.raddr === idst && u.rport === idport) {
          if (this.host.tracing)
            this.host.trace({
              kind: 'socket',
              host: this.host.name,
              event: 'icmp-error',
              text: `the UDP socket connected to ${ap(idst, idport)} reports ${e.errno}: ICMP ${why}`,
            });
          u.obs.failed?.(`ICMP ${why}`, e.errno);
        }
      }
    }
  }

  /** A TCP socket or request an ICMP error ends (tcp_v4_err), with the trace's words. */
  private closeOnIcmp(s: TcpSock, text: string): void {
    s.state = 'CLOSED';
    this.tcp.delete(key(s.laddr, s.lport, s.raddr, s.rport));
    if (this.host.tracing)
      this.host.trace({ kind: 'socket', host: this.host.name, event: 'icmp-error', text });
  }

  /**
   * icmp_redirect → the quoted packet's socket (udp_err, tcp_v4_err, ping_err: ipv4_sk_redirect,
   * do_redirect) → __ip_do_redirect: codes 0 to 3, from the gateway the socket's route uses, naming
   * another one. Without a socket nothing happens.
   */
  private redirectInput(ip: Uint8Array, o: number, total: number): void {
    const inner = o + 8;
    if (total - inner < 28 || (ip[o + 1]! & 7) > 3 || !this.host.redirectNeighbour) return;
    const ihl = ipv4HeaderLength(ip, inner);
    const iproto = ip[inner + 9]!;
    const isrc = ipv4Src(ip, inner);
    const idst = ipv4Dst(ip, inner);
    const isport = read16(ip, inner + ihl);
    const idport = read16(ip, inner + ihl + 2);
    const owned =
      iproto === IPPROTO_TCP
        ? this.tcp.has(key(isrc, isport, idst, idport))
        : iproto === IPPROTO_UDP
          ? this.udp.has(isport)
          : iproto === IPPROTO_ICMP && this.ping.has(read16(ip, inner + ihl + 4));
    if (!owned) return;
    // tcp_v4_err: a redirect about a request socket's SYN-ACK (TCP_NEW_SYN_RECV) goes to
    // tcp_req_err, which does nothing with it (only errors that abort the request count there).
    if (iproto === IPPROTO_TCP && this.tcp.get(key(isrc, isport, idst, idport))!.state === 'SYN_RECV') return;
    // tcp_v4_err: a redirect for a socket a system call holds (connect(), send() or close()
    // while the chain its segment set off runs) is counted (LINUX_MIB_LOCKDROPPEDICMPS) and
    // dropped: do_redirect only `if (!sock_owned_by_user(sk))`.
    const s = iproto === IPPROTO_TCP ? this.tcp.get(key(isrc, isport, idst, idport))! : undefined;
    const held = s?.owned;
    if (held) this.lockDroppedIcmps++;
    if (s && this.icmpOutOfWindow(s, read32(ip, inner + ihl + 4))) return;
    if (held) {
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'icmp-error',
          text: `drops the ICMP redirect from ${formatIpv4(ipv4Src(ip, 0))}: ${held} holds the socket (tcp_v4_err, LockDroppedIcmps)`,
        });
      return;
    }
    const r = this.host.routeTo(idst, isrc);
    const gw = read32(ip, o + 4);
    if (!r || r.via !== ipv4Src(ip, 0) || gw === r.via) return;
    this.host.redirectNeighbour(r.dev, gw);
  }

  /**
   * tcp_v4_err: an ICMP message about a segment of a socket (not a request, TIME_WAIT or a closed
   * one) whose sequence number is not between snd_una and snd_nxt is counted
   * (LINUX_MIB_OUTOFWINDOWICMPS) and ignored, whatever its type: a redirect, an error or
   * fragmentation needed about a zero-window probe or a keepalive (seq snd_una - 1), or about a
   * segment acknowledged since (gen-2201-57: r1's redirects about h11's zero-window probes).
   */
  private icmpOutOfWindow(s: TcpSock, seq: number): boolean {
    if (s.state === 'SYN_RECV' || s.state === 'TIME_WAIT' || s.state === 'CLOSED') return false;
    if ((seq - s.sndUna) >>> 0 <= (s.sndNxt - s.sndUna) >>> 0) return false;
    this.outOfWindowIcmps++;
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'icmp-error',
        text: `ignores an ICMP message about its segment seq ${seq} to ${ap(s.raddr, s.rport)}: not between snd_una ${s.sndUna} and snd_nxt ${s.sndNxt} (tcp_v4_err, OutOfWindowIcmps)`,
      });
    return true;
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
      // tcp_v4_err: tp->mtu_info = info; tcp_v4_mtu_reduced now, or, while a system call holds
      // the socket, at its release_sock (TCP_MTU_REDUCED_DEFERRED → tcp_release_cb).
      if (s.owned) {
        s.mtuInfo = mtu;
        if (this.host.tracing)
          this.host.trace({
            kind: 'socket',
            host: this.host.name,
            event: 'icmp-error',
            text: `ICMP fragmentation needed (MTU ${mtu}) from ${formatIpv4(ipv4Src(ip, 0))} waits: ${s.owned} holds the socket (TCP_MTU_REDUCED_DEFERRED)`,
          });
      } else this.mtuReduced(s, mtu);
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
   * tcp_v4_mtu_reduced: the route to the peer learns the path MTU (inet_csk_update_pmtu) and, when
   * that is below what the segments were cut for, what is unacknowledged goes again in segments
   * that fit (tcp_sync_mss, tcp_simple_retransmit). Nothing for a closed socket.
   */
  private mtuReduced(s: TcpSock, mtu: number): void {
    if (s.state === 'CLOSED') return;
    const r = this.host.routeTo(s.raddr, s.laddr, s.mark ?? 0);
    if (!r) return;
    this.host.frag.learn(r, s.raddr, mtu);
    const pmtu = this.host.frag.outputMtu(r, s.raddr);
    if (s.state !== 'SYN_SENT' && s.line && s.lineSeq !== undefined && (s.pmtuCookie ?? 0) > pmtu) {
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'retransmit',
          text: `path MTU to ${formatIpv4(s.raddr)} is ${pmtu}: sends unacknowledged data again in smaller segments`,
        });
      // tcp_simple_retransmit: with a line's scoreboard, only segments longer than the MSS now
      // are lost (not the SACKed ones), sent again as the congestion window allows (tcp-sack.ts).
      if (s.sb && !s.sb.empty) {
        if (s.sb.simpleRetransmit(this.lineMss(s), s.sndNxt)) this.lineXmitRetransmitQueue(s);
      } else this.sendLine(s, s.sndUna, false);
    }
  }

  /** tcp_sync_mss: the segment size for the path MTU now (the cookie noted), with timestamps. */
  private lineMss(s: TcpSock): number {
    const r = this.host.routeTo(s.raddr, s.laddr, s.mark ?? 0);
    const pmtu = r ? this.host.frag.outputMtu(r, s.raddr) : 1500;
    s.pmtuCookie = pmtu;
    return segmentSize(pmtu, s.peerMss ?? 536, (s.optsOk ?? OPT_TS) & OPT_TS ? 12 : 0);
  }

  /**
   * Sends the client's line from sequence number `from` (the line's first byte is s.lineSeq) to
   * its end, in segments of the MSS for the path MTU now (tcp_sync_mss), PSH on the last one. A
   * retransmission (`nagle` false: tcp_xmit_retransmit_queue) sends the short tail at once too.
   */
  private sendLine(s: TcpSock, from: number, nagle = true): void {
    s.tailOff = undefined;
    s.sndNxt = (s.lineSeq! + s.line!.length) >>> 0;
    this.lineFrom(s, (from - s.lineSeq!) >>> 0, this.lineMss(s), nagle);
  }

  /**
   * sendLine's segments from offset `off` of the line. In a system call (the socket held: send(),
   * or release_sock taking in the ACK that lets the tail go), tcp_write_xmit sends each segment
   * once the chain the previous one set off is over (HostEnv.xmit: its dev_queue_xmit's
   * local_bh_enable runs net_rx_action, the server's quick ACK coming back to the backlog
   * included). In softirq context (a timer's retransmission, tcp_v4_err) they go back to back.
   */
  private lineFrom(s: TcpSock, off: number, mss: number, nagle: boolean): void {
    const line = s.line!;
    const xmit = s.owned ? this.host.env.xmit : undefined;
    while (off < line.length) {
      const n = Math.min(mss, line.length - off);
      const seq = (s.lineSeq! + off) >>> 0;
      if (nagle && n < mss && seq !== s.sndUna && s.sndSml !== undefined && ((s.sndSml - s.sndUna) | 0) > 0) {
        // Nagle with Minshall's modification (tcp_nagle_check → tcp_minshall_check): a segment
        // shorter than the MSS waits while data is in flight and a short one sent before is not
        // yet acknowledged. (Autocorking never holds it on veth: veth_xmit orphans the skb.)
        s.tailOff = off;
        return;
      }
      const last = off + n === line.length;
      const seg = this.tcpSegment(s, last ? TCP_PSH | TCP_ACK : TCP_ACK, line.subarray(off, off + n), seq);
      off += n;
      if (n < mss) s.sndSml = (seq + n) >>> 0; // tcp_minshall_update
      if (xmit && !last) {
        const next = off;
        // One closure per segment of a write longer than the MSS (not per packet forwarded).
        return xmit(
          () => {
            this.send(seg);
            if (nagle) this.lineSent(s, seq, n);
          },
          () => {
            if (s.state !== 'CLOSED') this.lineFrom(s, next, mss, nagle);
          },
        );
      }
      this.send(seg);
      if (nagle) this.lineSent(s, seq, n);
    }
  }

  /**
   * A new segment of the line left (tcp_event_new_data_sent): into the scoreboard (tcp-sack.ts),
   * and the retransmission timer: the RTO when nothing was in flight, then the tail loss probe
   * (tcp_schedule_loss_probe, with SACK agreed, in CA_Open).
   */
  private lineSent(s: TcpSock, seq: number, n: number): void {
    const sb = (s.sb ??= new TcpScoreboard(s.rtt?.srtt ?? 0));
    const wasEmpty = sb.empty;
    sb.sent(seq, (seq + n) >>> 0, 1, this.now());
    if (wasEmpty) this.lineTimer(s, 'rto', this.lineRto(s));
    this.scheduleLossProbe(s);
  }

  /** icsk_rto (rto), doubled per backoff (jiffies). */
  private lineRto(s: TcpSock): number {
    return Math.min(this.rto(s) << (s.sbBackoff ?? 0), 120 * HZ);
  }

  /**
   * icsk_rto in jiffies (tcp-rtt.ts): after the handshake's RTT sample m, srtt = m and mdev = 2m
   * ("make sure rto = 3*rtt"), rttvar = max(mdev, tcp_rto_min), and __tcp_set_rto is srtt +
   * rttvar. So m + 200 ms for a LAN's sub-millisecond RTT, but 3m from m = 100 ms on: a SYN that
   * waited a second in its neighbour's queue (gen-2102-48: its RTT counts from its first
   * transmission, the retransmission skb_still_in_host_queue refused not being one). Each later
   * sample (rttAck) is averaged in: after quick ACKs the RTO comes down again.
   */
  private rto(s: TcpSock): number {
    return s.rtt ? s.rtt.rto() : toJiffies(0.2);
  }

  /** usecs_to_jiffies(srtt_us >> 2): the tail loss probe's base, twice the smoothed RTT. */
  private twoSrtt(s: TcpSock): number {
    return s.rtt ? s.rtt.twoSrtt() : 0;
  }

  /** Our TCP timestamp clock (tcp_time_stamp_ts: 1 ms, plus the connection's offset). */
  private tsNow(s: TcpSock): number {
    return (Math.floor(this.now() * 1000) + s.tsOffset) >>> 0;
  }

  /** The handshake's RTT sample (tcp_synack_rtt_meas, or the SYN's in tcp_clean_rtx_queue). */
  private rttHandshake(s: TcpSock): void {
    s.rtt = new TcpRtt();
    s.rtt.sample(Math.round((this.now() - (s.rttStart ?? this.now())) * 1e6), s.sndUna, s.sndNxt);
  }

  /**
   * tcp_clean_rtx_queue → tcp_ack_update_rtt, for an ACK that acknowledged new data (`acked`:
   * FLAG_ACKED) or, on a line in segments, SACKed some (`sb` after its ack()): seq_rtt from the
   * oldest segment acknowledged when none acknowledged was retransmitted (Karn), else from the
   * first newly SACKed one, else from the timestamp echoed (with FLAG_ACKED), into the estimator.
   */
  private rttAck(s: TcpSock, tsecr: number, acked: boolean, sb?: TcpScoreboard): void {
    const now = this.now();
    let first = -1;
    let retrans = false;
    const tx = s.tx;
    if (tx && acked) {
      let i = 0;
      for (; i < tx.length && ((tx[i]! - s.sndUna) | 0) <= 0; i += 3) {
        if (tx[i + 2]) retrans = true;
        else if (first < 0) first = tx[i + 1]!;
      }
      tx.splice(0, i);
    }
    if (sb) {
      if (sb.retransAcked) retrans = true;
      if (sb.firstAckt >= 0 && (first < 0 || sb.firstAckt < first)) first = sb.firstAckt;
    }
    let m = !retrans && first >= 0 ? Math.round((now - first) * 1e6) : -1;
    if (m < 0 && sb && sb.firstSackt >= 0) m = Math.round((now - sb.firstSackt) * 1e6);
    if (m < 0 && acked && tsecr > 0 && (s.optsOk ?? 0) & OPT_TS) m = tsoptRttUs(this.tsNow(s), tsecr);
    if (m < 0 || !s.rtt) return;
    s.rtt.sample(m, s.sndUna, s.sndNxt);
    if (s.sb) s.sb.srtt = s.rtt.srtt;
  }

  /**
   * tcp_schedule_loss_probe: in CA_Open with SACK agreed and no probe out, the probe at 2 SRTT
   * plus TCP_RTO_MIN for one packet in flight, else TCP_TIMEOUT_MIN (2 jiffies), but no later
   * than the RTO would fire (tcp_rto_delta_us). Returns false when none is scheduled.
   */
  private scheduleLossProbe(s: TcpSock, inTimer = false): boolean {
    const sb = s.sb!;
    if (sb.caState !== CA_OPEN || sb.tlpOut || !((s.optsOk ?? 0) & OPT_SACK) || sb.empty) return false;
    let t = this.twoSrtt(s) + (sb.packetsOut === 1 ? HZ / 5 : 2);
    const delta = sb.q[0]!.sent + this.lineRto(s) / HZ - this.now();
    if (delta > 0) t = Math.min(t, toJiffies(delta));
    this.lineTimer(s, 'tlp', t, inTimer);
    return true;
  }

  /**
   * tcp_rearm_rto: the RTO from now, or, while the reorder timer or a loss probe was pending,
   * from when the first segment in flight left (tcp_rto_delta_us).
   */
  private rearmRto(s: TcpSock, inTimer = false): void {
    const sb = s.sb!;
    if (sb.empty) return this.lineTimer(s, undefined, 0);
    let t = this.lineRto(s);
    if (s.sbPending === 'reo' || s.sbPending === 'tlp')
      t = Math.max(toJiffies(sb.q[0]!.sent + t / HZ - this.now()), 1);
    this.lineTimer(s, 'rto', t, inTimer);
  }

  /** inet_csk_reset_xmit_timer: the line's one retransmission timer, `kind` after `jiffies`. */
  private lineTimer(
    s: TcpSock,
    kind: 'rto' | 'reo' | 'tlp' | undefined,
    jiffies: number,
    inTimer = false,
  ): void {
    const arm = (s.sbTimer = (s.sbTimer ?? 0) + 1);
    s.sbPending = kind;
    if (!kind) return;
    this.kernelTimer(
      jiffies,
      () => {
        if (s.sbTimer !== arm || s.state === 'CLOSED' || !s.sb || s.sb.empty) return;
        if (kind === 'rto') this.lineRetransmitTimer(s);
        else if (kind === 'reo') this.lineReoTimeout(s);
        else this.lineLossProbe(s);
      },
      false,
      inTimer,
    );
  }

  /** The line's bytes [seq, end) again, in segments of `mss` (PSH on the one that ends the line). */
  private lineResend(s: TcpSock, seq: number, end: number, mss: number): void {
    const lineEnd = (s.lineSeq! + s.line!.length) >>> 0;
    while (((end - seq) | 0) > 0) {
      const n = Math.min(mss, (end - seq) >>> 0);
      const off = (seq - s.lineSeq!) >>> 0;
      const e = (seq + n) >>> 0;
      const flags = e === lineEnd ? TCP_PSH | TCP_ACK : TCP_ACK;
      if (this.host.tracing)
        this.host.trace({
          kind: 'socket',
          host: this.host.name,
          event: 'retransmit',
          text: `retransmits ${n} bytes (seq ${(seq - s.lineSeq!) >>> 0 || 0} of the line) to ${ap(s.raddr, s.rport)}`,
        });
      this.send(this.tcpSegment(s, flags, s.line!.subarray(off, off + n), seq));
      seq = e;
    }
  }

  /** tcp_xmit_retransmit_queue at the MSS now; the RTO rearmed when the first segment went. */
  private lineXmitRetransmitQueue(s: TcpSock, inTimer = false): void {
    const sb = s.sb!;
    const mss = this.lineMss(s);
    const head = sb.xmitRetransmitQueue(mss, this.now(), (a, b) => this.lineResend(s, a, b, mss));
    if (head && s.sbPending !== 'reo') this.lineTimer(s, 'rto', this.lineRto(s), inTimer);
  }

  /**
   * tcp_ack for the line: the cumulative ACK and the SACK blocks of the segment (`blocks`, `n`),
   * RACK's loss detection (tcp_rack_mark_lost, its reorder timer), the congestion state
   * (tcp_fastretrans_alert), the timer (tcp_set_xmit_timer) and the retransmissions
   * (tcp_xmit_recovery).
   */
  private lineAck(
    s: TcpSock,
    ack: number,
    unaAdvanced: boolean,
    blocks: number[],
    n: number,
    tsecr: number,
  ): void {
    const sb = s.sb!;
    const now = this.now();
    const delivered = sb.ack(ack, blocks, n, now);
    this.rttAck(s, tsecr, unaAdvanced, sb);
    if (unaAdvanced) s.sbRetries = 0;
    let lost = 0;
    let reo = false;
    // tcp_ack_is_dubious → tcp_fastretrans_alert → tcp_identify_packet_loss → tcp_rack_mark_lost:
    // a duplicate ACK, one that SACKs data, or any ACK outside CA_Open.
    const dubious = !unaAdvanced || sb.newlySacked > 0 || sb.caState !== CA_OPEN;
    if (dubious && sb.rackAdvanced) {
      sb.rackAdvanced = false;
      lost = sb.rackDetectLoss(now, this.reoWait);
      if (this.reoWait[0]! > 0) {
        // tcp_rack_mark_lost: the reorder timer, usecs_to_jiffies(remaining) + TCP_TIMEOUT_MIN.
        this.lineTimer(s, 'reo', toJiffies(this.reoWait[0]!) + 2);
        reo = true;
      }
    }
    sb.afterAck(ack, s.sndNxt, delivered, lost, unaAdvanced);
    if (sb.empty) {
      this.lineTimer(s, undefined, 0);
      sb.tlpOut = false;
      return;
    }
    if (!reo && (unaAdvanced || lost > 0) && !this.scheduleLossProbe(s)) this.rearmRto(s);
    this.lineXmitRetransmitQueue(s);
  }

  /** tcp_rack_reo_timeout: the reorder window passed; what is lost now goes again. */
  private lineReoTimeout(s: TcpSock): void {
    const sb = s.sb!;
    s.sbPending = undefined;
    const prior = sb.inFlight();
    sb.rackDetectLoss(this.now(), this.reoWait);
    if (prior !== sb.inFlight()) {
      if (sb.caState !== 3) {
        sb.enterRecovery(s.sndNxt);
        sb.cwndReduction(1, false, false);
      }
      this.lineXmitRetransmitQueue(s, true);
    }
    if (s.sbPending !== 'rto') this.rearmRto(s, true);
  }

  /** tcp_send_loss_probe: the last segment again (one packet of the MSS), then the RTO. */
  private lineLossProbe(s: TcpSock): void {
    const sb = s.sb!;
    const x: TxSeg = sb.q[sb.q.length - 1]!;
    const mss = this.lineMss(s);
    const seq = (x.end - x.seq) >>> 0 > mss ? (x.end - mss) >>> 0 : x.seq;
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'retransmit',
        text: `tail loss probe to ${ap(s.raddr, s.rport)}`,
      });
    this.lineResend(s, seq, x.end, mss);
    x.sent = this.now();
    sb.tlpOut = true;
    this.rearmRto(s, true);
  }

  /**
   * tcp_retransmit_timer: tcp_enter_loss (all not SACKed lost, cwnd = in_flight + 1), the first
   * segment again (one packet), the RTO doubled (icsk_backoff), at most tcp_retries2 times.
   */
  private lineRetransmitTimer(s: TcpSock): void {
    const sb = s.sb!;
    s.sbPending = undefined;
    const retries = (s.sbRetries = (s.sbRetries ?? 0) + 1);
    if (retries > this.host.sysctl('net.ipv4.tcp_retries2', 15)) return;
    sb.enterLoss(s.sndNxt);
    sb.tlpOut = false;
    const mss = this.lineMss(s);
    if (this.host.tracing)
      this.host.trace({
        kind: 'socket',
        host: this.host.name,
        event: 'retransmit',
        text: `retransmission timeout (${(this.lineRto(s) * 1000) / HZ} ms): the line's first unacknowledged segment again`,
      });
    sb.retransmit(sb.q[0]!, 1, mss, this.now(), (a, b) => this.lineResend(s, a, b, mss));
    s.sbBackoff = (s.sbBackoff ?? 0) + 1;
    this.lineTimer(s, 'rto', this.lineRto(s), true);
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
    // icmp_send routes the error back to the sender (its source chosen by that route), a
    // multipath route's path by the hash of the packet it is about (icmp_route_lookup passes
    // skb_in to ip_route_output_key_hash); the send below looks the same route up again.
    const hf = (this.icmpHashFrom ??= newFlowKey());
    const proto = orig[9]!;
    const ports = proto === 6 || proto === 17 || proto === 132 || proto === 136;
    hf.src = osrc;
    hf.dst = odst;
    hf.proto = proto;
    hf.sport = ports ? read16(orig, ohl) : 0;
    hf.dport = ports ? read16(orig, ohl + 2) : 0;
    const policy = this.host.policy;
    policy.hashFrom = hf;
    try {
      this.sendIcmpErrorRouted(orig, type, code, info, osrc, odst, attach);
    } finally {
      policy.hashFrom = undefined;
    }
  }
  private icmpHashFrom: FlowKey | undefined;
  /** tcp_rack_detect_loss's reorder wait (seconds), reused. */
  private readonly reoWait = [0];
  /** The SACK blocks of the segment being taken in (sackBlocks), reused, and how many. */
  private readonly sackBuf: number[] = [];
  private sackN = 0;

  private sendIcmpErrorRouted(
    orig: Uint8Array,
    type: number,
    code: number,
    info: number,
    osrc: number,
    odst: number,
    attach: Attach | undefined,
  ): void {
    const back = this.host.routeSource(osrc, 0, 0, IPPROTO_ICMP, 0, 0, false);
    if (back < 0) return;
    const src = this.host.isLocal(odst) ? odst : back;
    // icmpv4_global_allow / icmpv4_xrlim_allow: a type in icmp_ratemask (not fragmentation needed)
    // to another host passes the destination's inet_peer limit, shared with ip_error and the
    // redirects (test/conformance/generated/gen-202-8.yaml). Not modelled: the host-wide
    // icmp_msgs_per_sec bucket (1000/s, bursts of 50, each message taking 0 to 2 credits at random).
    const mask = this.host.sysctl('net.ipv4.icmp_ratemask', ICMP_RATEMASK);
    if (
      type <= 18 &&
      (mask & (1 << type)) !== 0 &&
      !(type === 3 && code === 4) &&
      !this.host.isLocal(osrc) &&
      !this.host.peers.xrlimAllow(
        osrc,
        this.host.env.now(),
        this.host.sysctl('net.ipv4.icmp_ratelimit', 1000),
      )
    )
      return;
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

  /**
   * REJECT: answer the rejected packet as --reject-with says (ipt_REJECT.c). A TCP reset for a
   * packet that came in by a bridge port with bridge-nf-call-iptables leaves by that port
   * (`bridged`, nf_send_reset); ICMP answers have no such branch (nf_send_unreach → icmp_send).
   */
  reject(orig: Uint8Array, withWhat: string, attach?: Attach, bridged?: BridgedIn): void {
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
        bridged,
      );
      return;
    }
    if (!unreachChecksumOk(orig)) return;
    this.sendIcmpError(orig, 3, codes[withWhat] ?? 3, 0, attach);
  }
}

/**
 * nf_send_unreach's test before icmp_send: no ICMP error about a packet whose transport checksum is
 * wrong (nf_ip_checksum, the packet being CHECKSUM_NONE off a veth), except for the protocols
 * nf_reject_verify_csum skips (AH, ESP, SCTP, UDP-Lite, GRE, and UDP without a checksum). TCP and
 * UDP are summed with their pseudo-header, anything else over its payload alone (skb->csum 0).
 * Linux 6.18 checks DCCP too (gen-1702-112: no error about the verify harness's DCCP Request,
 * whose checksum field is 0).
 */
function unreachChecksumOk(ip: Uint8Array): boolean {
  const hl = ipv4HeaderLength(ip, 0);
  const end = Math.min(ipv4TotalLength(ip, 0), ip.length);
  const proto = ip[9]!;
  if ((read16(ip, 6) & 0x1fff) !== 0) return true; // a later fragment: icmp_send answers none anyway
  if (proto === 51 || proto === 50 || proto === 132 || proto === 136 || proto === 47) return true;
  if (proto === IPPROTO_UDP && end - hl >= 8 && read16(ip, hl + 6) === 0) return true;
  const len = end - hl;
  const init =
    proto === IPPROTO_TCP || proto === IPPROTO_UDP
      ? pseudoHeaderSum(ipv4Src(ip, 0), ipv4Dst(ip, 0), proto, len)
      : 0;
  return checksum(ip, hl, len, init) === 0;
}

function findTsVal(b: Uint8Array, start: number, end: number): number {
  const at = tcpOptionAt(b, start, end, 8, 10);
  return at < 0 ? -1 : read32(b, at);
}

/** The TSecr of a segment's timestamp option, -1 when it has none. */
function findTsEcr(b: Uint8Array, start: number, end: number): number {
  const at = tcpOptionAt(b, start, end, 8, 10);
  return at < 0 ? -1 : read32(b, at + 4);
}

/** An ICMP error in words, for the trace: `redirect (use 192.168.1.200)`, `port-unreachable`. */
function icmpErrorName(type: number, code: number, info: number): string {
  if (type === 3) return `destination unreachable (${ICMP_UNREACH_NAMES[code] ?? `code ${code}`})`;
  if (type === 11)
    return code === 0 ? 'time exceeded (TTL expired in transit)' : 'time exceeded (fragment reassembly)';
  if (type === 5) return `redirect (use ${formatIpv4(info)} directly)`;
  return `type ${type} code ${code}`;
}

/** icmp_err_convert (net/ipv4/icmp.c): destination-unreachable code → [errno, fatal]. */
const ICMP_UNREACH_ERR: readonly (readonly [string, number])[] = [
  ['ENETUNREACH', 0],
  ['EHOSTUNREACH', 0],
  ['ENOPROTOOPT', 1],
  ['ECONNREFUSED', 1],
  ['EMSGSIZE', 0],
  ['EOPNOTSUPP', 0],
  ['ENETUNREACH', 1],
  ['EHOSTDOWN', 1],
  ['ENONET', 1],
  ['ENETUNREACH', 1],
  ['EHOSTUNREACH', 1],
  ['ENETUNREACH', 0],
  ['EHOSTUNREACH', 0],
  ['EHOSTUNREACH', 1],
  ['EHOSTUNREACH', 1],
  ['EHOSTUNREACH', 1],
];

/** A socket call's failure for a route lookup's errno: `connect(): EHOSTUNREACH (No route to host)`. */
function routeFailure(call: string, errno: number): string {
  return errno === ENETUNREACH
    ? `${call}: network is unreachable (no route)`
    : `${call}: ${errnoWords(errno)}`;
}

/** The file an FTP server sends for `RETR natbox-N`: N bytes as a flow's line (`ping`, dashes, newline); `natbox`: `ping\n`. */
function ftpFile(name: string): Uint8Array {
  const m = /^natbox-(\d+)$/.exec(name);
  return name === FTP_FILE ? linePayload(undefined) : linePayload(m ? Number(m[1]) : 0);
}
