// Flows: the connections and exchanges a scenario asks for, run on the simulated hosts' sockets,
// and what came of each (the verdict and the facts behind it), compared with the expectation.
import { formatIpv4, parseIpv4 } from '../wire/addr.ts';
import type { SocketObserver, SockOpts } from '../stack/sockets.ts';
import type { KeepaliveOpts } from '../stack/keepalive.ts';
import type { World } from './world.ts';
import { DIR_ORIGINAL, DIR_REPLY, TupleBuf } from '../netfilter/conntrack/tuple.ts';
import { RAW_PROTO_NUMBER, rawFlowPayload, type RawFlowProto } from '../wire/raw.ts';
import { repeatLength, repeatSends, type Repeat } from './repeat.ts';
import { ftpClient, FTP_SESSION } from '../stack/ftp.ts';

/**
 * How a flow ended, in the kernel reference's words (its `outcome.result`):
 * `connected` (TCP: handshake and the server's answer), `connected-then-failed` (the handshake
 * completed, then the connection was reset or failed before the answer), `refused` (ECONNREFUSED:
 * a RST answering the SYN, ICMP port unreachable for a SYN or for a connected UDP socket),
 * `error` (another errno, named in `errno` and the detail: EHOSTUNREACH, ENETUNREACH, EPERM, ...),
 * `timeout`, `reply`, `reply-from-unexpected-source`, `icmp-error` (a ping got ICMP messages but
 * no echo reply: `received` lists them). `storm`: the network melted down before the flow could
 * end (frames circulating on a bridge loop without STP, or multiplying past the simulator's queue
 * budget): the run was stopped there, and `detail` names the loop.
 *
 * `reset` and `unreachable` are natbox's older words, still accepted as expectations (see
 * verdictSatisfies) but never a result.
 */
/** The protocols a flow speaks: sockets (tcp, udp), ping (icmp), or one raw packet (RawFlowProto). */
export type FlowProto = 'tcp' | 'udp' | 'icmp' | RawFlowProto;

export type Verdict =
  | 'connected'
  | 'reset'
  | 'timeout'
  | 'unreachable'
  | 'reply'
  | 'reply-from-unexpected-source'
  | 'storm'
  | 'refused'
  | 'error'
  | 'icmp-error'
  | 'connected-then-failed';

/**
 * Whether the verdict a flow got satisfies the expected one. The kernel's words match only
 * themselves; the two older words are aliases: `reset` (TCP) is `refused`, and `unreachable` is
 * what an error from the network or the host now reads as: TCP `error`; UDP `refused` or `error`;
 * ICMP `icmp-error` or `error`.
 */
export function verdictSatisfies(expected: Verdict, got: Verdict, proto: FlowProto): boolean {
  if (expected === got) return true;
  if (expected === 'reset') return got === 'refused';
  if (expected === 'unreachable')
    return (
      got === 'error' ||
      (proto === 'udp' && got === 'refused') ||
      (proto !== 'tcp' && proto !== 'udp' && got === 'icmp-error')
    );
  return false;
}

/**
 * The kernel reference's outcome (`flows[].outcome.result`) a natbox verdict stands for: the same
 * word (natbox's verdicts are the reference's vocabulary), except `storm`, which the kernel never
 * reports (the run stops). Its errno is `FlowResult.errno` (the reference's `outcome.error`), and
 * an ICMP flow's messages are `FlowResult.received` (the reference's `outcome.received`).
 */
export function kernelOutcome(v: Verdict): string | undefined {
  if (v === 'storm') return undefined;
  if (v === 'reset') return 'refused';
  return v;
}

export interface Flow {
  readonly name: string;
  readonly from: string;
  /** sctp, dccp, esp, ah: one packet from a raw socket (wire/raw.ts), ICMP errors heard. */
  readonly proto: FlowProto;
  readonly dst: number;
  readonly dport: number;
  readonly sport: number;
  readonly at: number;
  readonly timeout: number;
  readonly hold: number;
  readonly udpConnect: boolean;
  readonly icmpId: number;
  /**
   * UDP datagrams / ICMP echoes to send (sequence 1..count; default 1): sim/repeat.ts; TCP: lines
   * sent and answered on the one connection (sockets.ts).
   */
  readonly count?: number;
  /** Seconds between them (i is sent at i*interval, or when the wait for i-1 ended if later). */
  readonly interval?: number;
  /** SO_MARK on the client's socket (absent: 0). */
  readonly mark?: number;
  /** Socket options: bound source address, IP_TTL, IP_TOS, TCP_MAXSEG (absent: the defaults). */
  readonly src?: number;
  readonly ttl?: number;
  readonly tos?: number;
  /** IP_OPTIONS (udp), padded to a multiple of 4. */
  readonly ipOptions?: Uint8Array;
  readonly mss?: number;
  /** TCP: SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT where given (SockOpts.keepalive). */
  readonly keepalive?: KeepaliveOpts;
  /** UDP: a TFTP read request, the first answer acknowledged (SockOpts.tftp). */
  readonly tftp?: boolean;
  /**
   * TCP: an FTP session on the connection (stack/ftp.ts): PASV or PORT, RETR of a file of `size`
   * bytes (absent: `ping\n`) over a data connection from or to port sport + 1, QUIT.
   */
  readonly ftp?: 'passive' | 'active';
  readonly expect?: {
    readonly verdict?: Verdict;
    readonly serverSees?: string;
    readonly translatedSource?: string;
  };
  /** Payload bytes (UDP datagram, ICMP echo data, TCP line); absent: `ping\n` (ICMP: 16). */
  readonly size?: number;
  /** IP_MTU_DISCOVER: true DO (DF, EMSGSIZE when too big), false DONT; absent: WANT. */
  readonly df?: boolean;
  /** ESP and AH flows: the SPI their header carries. */
  readonly spi?: number;
}

export interface Unexpected {
  readonly from: string;
  readonly expected: string;
  readonly what: string;
  count: number;
}

export interface FlowResult {
  readonly flow: Flow;
  verdict: Verdict;
  /** The socket's own words for a failure (e.g. "connect() timed out after 2.5 s"). */
  detail: string;
  /** SYNs sent (TCP). */
  syns: number;
  unexpected: Unexpected[];
  /** Who the server says it saw (from its "pong peer=IP:PORT" answer), when the answer arrived. */
  serverSaw: string | undefined;
  /** The address the answer came from. */
  replyFrom: string | undefined;
  /**
   * The source the flow's packets had after every NAT on the way, read from the conntrack tables
   * at the end of the run (each NAT's reply tuple), as `conntrack -L` on each box would show.
   */
  translatedSource: string | undefined;
  local: string | undefined;
  readonly startedAt: number;
  endedAt: number;
  /** Expectations that did not hold, in words; empty when the flow passed (or expected nothing). */
  mismatches: string[];
  /** The errno the application saw (`refused`: ECONNREFUSED; `error`: the one named). */
  errno?: string;
  /**
   * ICMP flows: the ICMP messages that reached the host while the raw socket was open, as the
   * kernel reference's `outcome.received` lists them: errors and other messages (from, type,
   * code), and the echo reply with the flow's id (also its id and seq).
   */
  received?: { from: string; type: number; code: number; id?: number; seq?: number }[];
  /** FTP flows: the control connection's lines, `> ` sent and `< ` received, in order. */
  ftp?: string[];
}

const PEER_RE = /pong peer=(\d+\.\d+\.\d+\.\d+):(\d+)/;

/** How to settle a flow from outside its sockets (the run stopped early). */
const settlers = new WeakMap<FlowResult, (v: Verdict, detail: string) => void>();

/**
 * The run stopped early: every flow not yet ended gets `verdict` with `detail` (flows that already
 * ended keep their verdict). Returns how many flows it settled.
 */
export function settleUnfinished(results: readonly FlowResult[], verdict: Verdict, detail: string): number {
  let n = 0;
  for (const r of results) {
    const s = settlers.get(r);
    if (s?.(verdict, detail)) n++;
  }
  return n;
}

/** Schedules every flow; results fill in as the world runs. */
export function startFlows(world: World, flows: readonly Flow[]): FlowResult[] {
  return flows.map((flow) => {
    const res: FlowResult = {
      flow,
      verdict: 'timeout',
      detail: '',
      syns: 0,
      unexpected: [],
      serverSaw: undefined,
      replyFrom: undefined,
      translatedSource: undefined,
      local: undefined,
      startedAt: flow.at,
      endedAt: flow.at + flow.timeout,
      mismatches: [],
    };
    let settled = false;
    const settle = (v: Verdict, detail: string): boolean => {
      if (settled) return false;
      settled = true;
      res.verdict = v;
      res.detail = detail;
      res.endedAt = world.sched.now;
      return true;
    };
    settlers.set(res, settle);
    // Several datagrams or echoes (count > 1): each answer ends the wait for the one in flight.
    let repeat: Repeat | undefined;
    // TCP: connected once the handshake completed; a reset or error before the answer then makes
    // it connected-then-failed (as the kernel reference's client reports it).
    let awaitingAnswer = false;
    const afterConnect = (why: string, errno: string): void => {
      if (!awaitingAnswer) return;
      awaitingAnswer = false;
      res.verdict = 'connected-then-failed';
      res.detail = why;
      res.errno = errno;
      res.endedAt = world.sched.now;
    };
    // A UDP flow's socket is closed once its wait is over (an answer, an error, the timeout; with
    // count > 1 the last datagram's), `hold` seconds later, as the kernel reference's client does:
    // until then its port is taken (EADDRINUSE), afterwards datagrams to it are refused.
    let closing = false;
    const closeUdp = (): void => {
      if (flow.proto !== 'udp' || closing) return;
      closing = true;
      const sockets = world.host(flow.from).sockets;
      world.sched.at(world.sched.now + flow.hold, () => sockets.udpClose(flow.sport, obs));
    };
    const obs: SocketObserver = {
      synSent: (n) => (res.syns = n),
      connected: (local) => {
        res.local = local;
        awaitingAnswer = settle('connected', 'connection established');
      },
      reset: (from) => {
        if (awaitingAnswer) return afterConnect(`connection reset by ${from} (ECONNRESET)`, 'ECONNRESET');
        if (settle('refused', `connection refused (ECONNREFUSED): RST from ${from}`))
          res.errno = 'ECONNREFUSED';
      },
      unexpected: (from, expected, what) => {
        const u = res.unexpected.find((x) => x.from === from && x.what === what);
        if (u) u.count++;
        else res.unexpected.push({ from, expected, what, count: 1 });
      },
      data: (from, payload, expectedSource) => {
        // A datagram or echo reply after a one-shot flow's wait is over (its answer, an error, the
        // timeout): the kernel reference's client no longer reads (it reported and left), so it
        // neither answers nor names who sent it (gen-1801-3: another host's echo reply with the
        // same id, 3 s after this ping's timeout, named its sender in natbox only).
        if (flow.proto !== 'tcp' && !repeat && settled) return;
        awaitingAnswer = false;
        if (flow.proto === 'icmp' && !settled && payload.length >= 8)
          (res.received ??= []).push({
            from,
            type: 0,
            code: 0,
            id: (payload[4]! << 8) | payload[5]!,
            seq: (payload[6]! << 8) | payload[7]!,
          });
        const m = PEER_RE.exec(new TextDecoder().decode(payload));
        if (m) res.serverSaw = `${m[1]}:${Number(m[2])}`; // the servers zero-pad the port
        res.replyFrom = from;
        if (repeat) {
          repeat.answered();
          // An answer from the address asked wins over what an earlier datagram got.
          if (expectedSource && res.verdict !== 'reply') settled = false;
        }
        if (flow.proto !== 'tcp') {
          settle(
            expectedSource ? 'reply' : 'reply-from-unexpected-source',
            expectedSource ? `answer from ${from}` : `answer from ${from}, not from the address asked`,
          );
          if (!repeat) closeUdp();
        }
      },
      failed: (why, errno) => {
        repeat?.answered();
        if (!repeat) closeUdp();
        if (errno && awaitingAnswer) return afterConnect(`${errno}: ${why}`, errno);
        if (!errno) return void settle(/timed out/.test(why) ? 'timeout' : 'error', why);
        if (settle(errno === 'ECONNREFUSED' ? 'refused' : 'error', `${errno}: ${why}`)) res.errno = errno;
      },
      icmp: (from, type, code) => {
        if (settled) return;
        (res.received ??= []).push({ from, type, code });
        res.replyFrom ??= from; // what answered, as the kernel's client reports it
      },
    };
    const opts: SockOpts = {
      ...(flow.src !== undefined ? { src: flow.src } : {}),
      ...(flow.ttl !== undefined ? { ttl: flow.ttl } : {}),
      ...(flow.tos !== undefined ? { tos: flow.tos } : {}),
      ...(flow.ipOptions ? { ipOptions: flow.ipOptions } : {}),
      ...(flow.mss !== undefined ? { mss: flow.mss } : {}),
      ...(flow.keepalive ? { keepalive: flow.keepalive } : {}),
      ...(flow.tftp ? { tftp: true } : {}),
      ...(flow.size !== undefined ? { size: flow.size } : {}),
      ...(flow.df !== undefined ? { df: flow.df } : {}),
      ...(flow.mark !== undefined ? { mark: flow.mark } : {}),
      // TCP: several request/answer exchanges on the one connection (sockets.ts exchangeDone).
      ...(flow.proto === 'tcp' && (flow.count ?? 1) > 1
        ? { count: flow.count!, interval: flow.interval ?? 0 }
        : {}),
    };
    const send = (seq = 1): void => {
      const sockets = world.host(flow.from).sockets;
      if (flow.proto === 'tcp' && flow.ftp) {
        const lines: string[] = (res.ftp = []);
        const app = ftpClient(
          sockets.appHost(),
          flow.ftp,
          flow.sport + 1,
          flow.size,
          flow.timeout,
          flow.hold,
          {
            line: (dir, text) => void lines.push(`${dir} ${text}`),
            done: (ok, detail, errno) => {
              if (!ok) return obs.failed!(detail, errno);
              obs.data!(`${formatIpv4(flow.dst)}:${flow.dport}`, new Uint8Array(0), true);
              res.detail = detail;
            },
          },
        );
        sockets.tcpConnect(flow.dst, flow.dport, flow.sport, flow.timeout, flow.hold, obs, { ...opts, app });
      } else if (flow.proto === 'tcp')
        sockets.tcpConnect(flow.dst, flow.dport, flow.sport, flow.timeout, flow.hold, obs, opts);
      else if (flow.proto === 'udp')
        sockets.udpSend(flow.dst, flow.dport, flow.sport, flow.udpConnect, obs, opts);
      else if (flow.proto === 'icmp') sockets.pingSend(flow.dst, flow.icmpId, obs, opts, seq);
      else
        sockets.rawSend(
          RAW_PROTO_NUMBER[flow.proto],
          flow.dst,
          rawFlowPayload(flow.proto, flow.sport, flow.dport, flow.spi ?? 0),
          obs,
          opts,
        );
    };
    // The wait is over without an answer: a ping that got ICMP errors ends icmp-error.
    const noAnswer = (): void => {
      const got = res.received;
      if (flow.proto !== 'tcp' && flow.proto !== 'udp' && got?.some((m) => m.type !== 0))
        settle(
          'icmp-error',
          `no ${flow.proto === 'icmp' ? 'echo reply' : 'answer'} within ${flow.timeout} s; received ${got
            .filter((m) => m.type !== 0)
            .map((m) => `ICMP type ${m.type} code ${m.code} from ${m.from}`)
            .join(', ')}`,
        );
      else settle('timeout', `no answer within ${flow.timeout} s`);
      closeUdp();
    };
    if ((flow.count ?? 1) > 1 && flow.proto !== 'tcp') {
      repeat = repeatSends(world, flow, send, noAnswer);
      return res;
    }
    world.sched.at(flow.at, () => send());
    world.sched.at(flow.at + flow.timeout, noAnswer);
    return res;
  });
}

/**
 * The source address:port of the flow after the NATs it crossed: starting from the client's
 * tuple, every host whose conntrack holds it in the original direction translated it to the
 * inverse of its reply tuple; the chain is followed host to host (double NAT).
 */
export function translatedSource(world: World, r: FlowResult): string | undefined {
  const f = r.flow;
  const client = world.host(f.from);
  const pr =
    f.proto === 'tcp' ? 6 : f.proto === 'udp' ? 17 : f.proto === 'icmp' ? 1 : RAW_PROTO_NUMBER[f.proto];
  const chosen = client.routeSource(f.dst, 0, f.mark ?? 0, pr, f.sport, f.dport, true, f.tos ?? 0);
  if (chosen < 0) return undefined;
  const local = r.local ? parseIpv4(r.local.split(':')[0] ?? '') : undefined;
  let src = local?.ok ? local.value : chosen;
  let sport = f.proto === 'icmp' ? f.icmpId : f.sport;
  let dst = f.dst;
  let dport = f.proto === 'icmp' ? 8 << 8 : f.dport;
  const proto = pr;
  const seen = new Set<string>();
  const t = new TupleBuf();
  for (let changed = true; changed;) {
    changed = false;
    for (const h of world.hosts.values()) {
      const ct = h.nf?.conntrack;
      if (!ct || seen.has(h.name)) continue;
      const ed = ct.lookup(src, dst, proto, sport, dport, world.sched.now);
      if (ed < 0 || (ed & 1) !== DIR_ORIGINAL) continue;
      seen.add(h.name);
      ct.readTuple(ed >>> 1, DIR_REPLY, t);
      // The reply comes from the new destination to the new source.
      [src, sport, dst, dport] = [
        t.dst,
        f.proto === 'icmp' ? t.sport : t.dport,
        t.src,
        f.proto === 'icmp' ? dport : t.sport,
      ];
      changed = true;
    }
  }
  return f.proto === 'icmp' ? `${formatIpv4(src)} id ${sport}` : `${formatIpv4(src)}:${sport}`;
}

/**
 * Whether what was seen (`ip:port`, or `ip id N` for ICMP) is what was expected: `ip:port` must be
 * equal; an address alone checks only the address.
 */
function sameEndpoint(expected: string, seen: string | undefined): boolean {
  if (seen === undefined) return false;
  if (expected.includes(':')) return expected === seen;
  return /^[^: ]*/.exec(seen)![0] === expected;
}

/** Fills in `mismatches` from each flow's expectation. */
export function checkExpectations(results: readonly FlowResult[]): void {
  for (const r of results) {
    const e = r.flow.expect;
    if (!e) continue;
    if (e.translatedSource && !sameEndpoint(e.translatedSource, r.translatedSource)) {
      r.mismatches.push(
        `expected the source after NAT to be ${e.translatedSource}, it was ${r.translatedSource ?? 'unknown (no conntrack entry holds the flow)'}`,
      );
    }
    if (e.verdict && !verdictSatisfies(e.verdict, r.verdict, r.flow.proto))
      r.mismatches.push(`expected ${e.verdict}, got ${r.verdict}`);
    if (e.serverSees && !sameEndpoint(e.serverSees, r.serverSaw)) {
      r.mismatches.push(
        `expected the server to see ${e.serverSees}, ${r.serverSaw ? `it saw ${r.serverSaw}` : 'no answer came back to say what it saw'}`,
      );
    }
  }
}

/** How long a run must last for every flow to finish, close and settle. */
export function runLength(flows: readonly Flow[]): number {
  let end = 0;
  for (const f of flows) end = Math.max(end, f.at + flowWait(f) + f.hold + 1);
  return end;
}

/** How long a flow may wait for its outcome: its timeout, its repeats', an FTP session's. */
export const flowWait = (f: Flow): number =>
  Math.max(f.timeout, repeatLength(f)) + (f.ftp ? f.timeout + FTP_SESSION : 0);

export const flowTarget = (f: Flow): string =>
  f.proto === 'icmp' ? formatIpv4(f.dst) : `${formatIpv4(f.dst)}:${f.dport}`;
