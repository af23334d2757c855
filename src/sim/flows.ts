// Flows: the connections and exchanges a scenario asks for, run on the simulated hosts' sockets,
// and what came of each (the verdict and the facts behind it), compared with the expectation.
import { formatIpv4 } from '../wire/addr.ts';
import type { SocketObserver } from '../stack/sockets.ts';
import type { World } from './world.ts';

export type Verdict =
  'connected' | 'reset' | 'timeout' | 'unreachable' | 'reply' | 'reply-from-unexpected-source';

export interface Flow {
  readonly name: string;
  readonly from: string;
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly dst: number;
  readonly dport: number;
  readonly sport: number;
  readonly at: number;
  readonly timeout: number;
  readonly hold: number;
  readonly udpConnect: boolean;
  readonly icmpId: number;
  readonly expect?: { readonly verdict?: Verdict; readonly serverSees?: string };
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
  local: string | undefined;
  readonly startedAt: number;
  endedAt: number;
  /** Expectations that did not hold, in words; empty when the flow passed (or expected nothing). */
  mismatches: string[];
}

const PEER_RE = /pong peer=(\d+\.\d+\.\d+\.\d+):(\d+)/;

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
      local: undefined,
      startedAt: flow.at,
      endedAt: flow.at + flow.timeout,
      mismatches: [],
    };
    let settled = false;
    const settle = (v: Verdict, detail: string): void => {
      if (settled) return;
      settled = true;
      res.verdict = v;
      res.detail = detail;
      res.endedAt = world.sched.now;
    };
    const obs: SocketObserver = {
      synSent: (n) => (res.syns = n),
      connected: (local) => {
        res.local = local;
        settle('connected', 'connection established');
      },
      reset: (from) =>
        settle(
          'reset',
          from.startsWith('ICMP') ? `connection refused (${from})` : `connection reset by ${from}`,
        ),
      unexpected: (from, expected, what) => {
        const u = res.unexpected.find((x) => x.from === from && x.what === what);
        if (u) u.count++;
        else res.unexpected.push({ from, expected, what, count: 1 });
      },
      data: (from, payload, expectedSource) => {
        const m = PEER_RE.exec(new TextDecoder().decode(payload));
        if (m) res.serverSaw = `${m[1]}:${Number(m[2])}`; // the servers zero-pad the port
        res.replyFrom = from;
        if (flow.proto !== 'tcp') {
          settle(
            expectedSource ? 'reply' : 'reply-from-unexpected-source',
            expectedSource ? `answer from ${from}` : `answer from ${from}, not from the address asked`,
          );
        }
      },
      failed: (why) => settle(/timed out/.test(why) ? 'timeout' : 'unreachable', why),
    };
    world.sched.at(flow.at, () => {
      const sockets = world.host(flow.from).sockets;
      if (flow.proto === 'tcp')
        sockets.tcpConnect(flow.dst, flow.dport, flow.sport, flow.timeout, flow.hold, obs);
      else if (flow.proto === 'udp') sockets.udpSend(flow.dst, flow.dport, flow.sport, flow.udpConnect, obs);
      else sockets.pingSend(flow.dst, flow.icmpId, obs);
    });
    world.sched.at(flow.at + flow.timeout, () => settle('timeout', `no answer within ${flow.timeout} s`));
    return res;
  });
}

/** Fills in `mismatches` from each flow's expectation. */
export function checkExpectations(results: readonly FlowResult[]): void {
  for (const r of results) {
    const e = r.flow.expect;
    if (!e) continue;
    if (e.verdict && e.verdict !== r.verdict) r.mismatches.push(`expected ${e.verdict}, got ${r.verdict}`);
    if (e.serverSees && e.serverSees !== r.serverSaw) {
      r.mismatches.push(
        `expected the server to see ${e.serverSees}, ${r.serverSaw ? `it saw ${r.serverSaw}` : 'no answer came back to say what it saw'}`,
      );
    }
  }
}

/** How long a run must last for every flow to finish, close and settle. */
export function runLength(flows: readonly Flow[]): number {
  let end = 0;
  for (const f of flows) end = Math.max(end, f.at + f.timeout + f.hold + 1);
  return end;
}

export const flowTarget = (f: Flow): string =>
  f.proto === 'icmp' ? formatIpv4(f.dst) : `${formatIpv4(f.dst)}:${f.dport}`;
