// The verdict of a flow and its reason, in one plain sentence that names addresses and ports, in
// the words of the seed: who translated what, where the answer went, why the client took it or
// not, and which rule or policy dropped or rejected a packet. Every address and port in the
// sentence is read from the flow's own steps (its packets and NAT rewrites, see attribute.ts),
// never from the scenario, so the reason cannot contradict the trace above it.
import { STOLEN_WORDS } from './drop-words.ts';
import { flowTarget, type FlowResult } from '../sim/flows.ts';
import type { TimedStep } from '../stack/steps.ts';
import { attributeSteps, flowKey } from './attribute.ts';
import type { FrameInfo } from './frame.ts';
import { toTraceStep, type TraceStep } from './trace-step.ts';

type NatStep = Extract<TraceStep, { kind: 'nat' }>;
type PacketStep = Extract<TraceStep, { kind: 'packet' }>;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `ip:port` for TCP/UDP, `ip` otherwise. */
const srcEnd = (p: FrameInfo): string =>
  (p.proto === 'tcp' || p.proto === 'udp') && p.sport !== undefined ? `${p.src}:${p.sport}` : `${p.src}`;
const dstEnd = (p: FrameInfo): string =>
  (p.proto === 'tcp' || p.proto === 'udp') && p.dport !== undefined ? `${p.dst}:${p.dport}` : `${p.dst}`;

/** The two ends of a NAT step's `src > dst`; an ICMP echo's destination loses its `id 0`. */
export function natEnds(tuple: string): [string, string] {
  const [src = '', dst = ''] = tuple.split(' > ');
  return [src, dst.replace(/ id 0$/, '')];
}

/** The NAT bindings (nat table decisions) among a flow's steps, in order, each once. */
export function flowBindings(steps: readonly TraceStep[]): NatStep[] {
  const out: NatStep[] = [];
  const seen = new Set<string>();
  for (const s of steps) {
    if (s.kind !== 'nat' || s.by !== 'rule') continue;
    const k = `${s.host} ${s.manip} ${s.before} ${s.after}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(s);
  }
  return out;
}

/** What stopped a flow's packet: a rule or a policy that dropped or rejected it, or a drop. */
export interface Decision {
  host: string;
  /**
   * As the trace says it: `filter FORWARD: no rule matched, policy DROP`, `filter FORWARD rule 2:
   * -A FORWARD -p tcp -j DROP` (the rule as iptables-save prints it), or a drop's own reason.
   */
  where: string;
  verb: 'dropped' | 'rejected';
  /** Times it happened to the flow's packets. */
  count: number;
  /** The packet it stopped. */
  packet?: FrameInfo;
}

const STOPS = /(^| )-j (DROP|REJECT)( |$)/;
/** An nft rule (as rule-text.ts prints it) whose verdict is drop or reject. */
const NFT_STOPS = /(^| )(drop|reject( with [a-z0-9 -]+)?)( comment "(?:[^"\\]|\\.)*")? # handle \d+$/;

/** `router: filter FORWARD rule 2: -A FORWARD -p tcp -j DROP` */
export function decisionText(d: Decision): string {
  return `${d.host}: ${d.where}`;
}

/**
 * The rule or policy that dropped or rejected the flow's packets (the first one, and how often it
 * did), read from the flow's steps: a `policy` step with DROP, a rule with -j DROP or -j REJECT,
 * or a drop step with its own reason (rp_filter, no route, TTL). ICMP redirects dropped by NAT are
 * not the flow's packets.
 */
export function decisionOf(steps: readonly TraceStep[]): Decision | undefined {
  let found: Decision | undefined;
  let packet: PacketStep | undefined;
  let last: TraceStep | undefined;
  for (const s of steps) {
    if (s.kind === 'packet') {
      packet = s;
      last = undefined;
      continue;
    }
    let d: Decision | undefined;
    if (s.kind === 'rule' && (STOPS.test(s.rule) || NFT_STOPS.test(s.rule))) {
      const verb = /-j REJECT| reject( with [a-z0-9 -]+)?( comment "(?:[^"\\]|\\.)*")? # handle \d+$/.test(
        s.rule,
      )
        ? 'rejected'
        : 'dropped';
      d = { host: s.host, where: `${s.table} ${s.chain} rule ${s.index}: ${s.rule}`, verb, count: 1 };
    } else if (s.kind === 'policy' && s.policy.toUpperCase() !== 'ACCEPT') {
      d = {
        host: s.host,
        where: `${s.table} ${s.chain}: no rule matched, policy ${s.policy}`,
        verb: 'dropped',
        count: 1,
      };
    } else if (s.kind === 'drop' && !/ICMP redirect/.test(s.reason) && s.reason !== STOLEN_WORDS) {
      // A drop right after a rule or policy that dropped is that rule's, already counted.
      if (last === undefined || last.host !== s.host || last.t !== s.t)
        d = { host: s.host, where: s.reason, verb: 'dropped', count: 1 };
    }
    if (!d) continue;
    last = s;
    if (packet && packet.host === s.host) d.packet = packet.packet;
    if (!found) found = d;
    else if (found.host === d.host && found.where === d.where) found.count++;
  }
  return found;
}

function natWords(b: readonly NatStep[]): string {
  return b
    .map((s) => {
      const [bs, bd] = natEnds(s.before);
      const [as, ad] = natEnds(s.after);
      return s.manip === 'DNAT'
        ? `${s.host} DNATed the destination ${bd} to ${ad}`
        : `${s.host} SNATed the source ${bs} to ${as}`;
    })
    .join(', then ');
}

const packetWhat = (p: FrameInfo | undefined): string =>
  !p
    ? 'packet'
    : p.proto === 'tcp'
      ? p.flags === 'S'
        ? 'SYN'
        : `TCP [${p.flags}]`
      : p.proto === 'udp'
        ? 'datagram'
        : p.proto === 'icmp' && p.icmp?.type === 8
          ? 'echo request'
          : p.proto === 'icmp' && p.icmp?.type === 0
            ? 'echo reply'
            : 'packet';

function decisionWords(d: Decision): string {
  const what = packetWhat(d.packet);
  const times = d.count > 1 ? ` ${plural(d.count, 'time')}` : '';
  return `${d.host} ${d.verb} the ${what}${times} (${d.where})`;
}

/** One sentence saying why the flow ended as it did, from the flow's own steps (in order). */
export function explainFlow(r: FlowResult, steps: readonly TraceStep[]): string {
  const f = r.flow;
  const packets = steps.filter((s): s is PacketStep => s.kind === 'packet');
  const first = packets.find((s) => s.host === f.from && s.dir === 'out' && s.packet.proto === f.proto);
  const target = first ? dstEnd(first.packet) : flowTarget(f);
  // What reached the client: its own flow's packets coming in (ICMP errors included).
  const back = packets.filter((s) => s.host === f.from && s.dir === 'in' && s.packet.proto !== 'arp');
  const answers = back.filter((s) => s.packet.proto === f.proto);
  const b = flowBindings(steps);
  const dnat = b.find((s) => s.manip === 'DNAT');
  const snat = b.find((s) => s.manip === 'SNAT');
  const nat = b.length > 0 ? natWords(b) : '';
  const stop = decisionOf(steps);
  const stopped = stop ? `; ${decisionWords(stop)}` : '';
  const unexpected = answers.find((s) => srcEnd(s.packet) !== target);
  const saw =
    r.serverSaw && packets.some((s) => s.dir === 'in' && srcEnd(s.packet) === r.serverSaw)
      ? ` The server saw the client as ${r.serverSaw}.`
      : '';

  if (f.proto === 'tcp') {
    if (r.verdict === 'connected') {
      const synAck = answers.find((s) => s.packet.flags === 'S.');
      const from = synAck ? srcEnd(synAck.packet) : target;
      const backBy = steps.find(
        (s): s is NatStep => s.kind === 'nat' && s.by === 'mapping' && natEnds(s.after)[0] === from,
      );
      const via = nat
        ? ` ${nat}; the server's answer came back through ${backBy?.host ?? b[0]!.host}, which translated it back to come from ${from}`
        : ` with no translation on the way`;
      return `Connected to ${target}:${via}.${saw}`;
    }
    const syns = plural(r.syns, 'SYN');
    if (r.verdict === 'timeout' && unexpected) {
      const server = srcEnd(unexpected.packet);
      const u = r.unexpected[0];
      const count = u ? ` (${plural(u.count, 'time')})` : '';
      const what = u?.what ?? `TCP [${unexpected.packet.flags}]`;
      const why =
        dnat && !snat
          ? `${dnat.host} DNATed the SYN to ${natEnds(dnat.after)[1]} but left its source ${natEnds(dnat.before)[0]} unchanged, so the server answered the client directly from ${server}, not through ${dnat.host}`
          : `the answer came from ${server}`;
      return `Timed out: ${why}. The client expected the answer from ${target}, so its kernel answered each ${what} with RST${count}; it sent ${syns} and connect() gave up after ${f.timeout} s.`;
    }
    if (r.verdict === 'timeout') {
      return `Timed out: ${syns} to ${target} got no answer${nat ? ` (${nat})` : ''}${stopped}; connect() gave up after ${f.timeout} s.`;
    }
    if (r.verdict === 'refused') {
      const rst = answers.find((s) => (s.packet.flags ?? '').includes('R'));
      const by = rst ? `connection reset by ${srcEnd(rst.packet)}` : r.detail;
      const why = stop
        ? `${decisionWords(stop)}`
        : 'nothing listens there, or a rule rejected the connection';
      return `Refused: ${by}${nat ? ` (${nat})` : ''}; ${why}.`;
    }
    return `${failedWord(r)}: ${r.detail}${stopped}.`;
  }

  const what = f.proto === 'udp' ? 'datagram' : 'echo request';
  const reply = answers.find((s) => f.proto !== 'icmp' || s.packet.icmp?.type === 0);
  const replyFrom = reply ? srcEnd(reply.packet) : undefined;
  if (r.verdict === 'reply') {
    const via = nat ? `: ${nat}, and the answer was translated back` : '';
    return `Answered from ${replyFrom ?? target}${via}.${saw}`;
  }
  if (r.verdict === 'reply-from-unexpected-source') {
    const why =
      dnat && !snat
        ? `${dnat.host} DNATed the ${what} to ${natEnds(dnat.after)[1]} but left its source unchanged, so the answer went straight back`
        : 'the answer took another path';
    return `An answer came from ${replyFrom}, not from ${target}: ${why}. The client's socket is not connected, so it took the answer anyway, but from the wrong address.${saw}`;
  }
  if (r.verdict === 'timeout' && unexpected) {
    const from = srcEnd(unexpected.packet);
    const why =
      dnat && !snat
        ? `${dnat.host} DNATed the ${what} to ${natEnds(dnat.after)[1]} but left its source unchanged, so the answer came straight from ${from}`
        : `the answer came from ${from}`;
    return `No answer from ${target} within ${f.timeout} s: ${why}; the client's connected socket takes answers only from ${target}, so its kernel dropped it${f.proto === 'udp' ? ' and sent ICMP port unreachable' : ''}.`;
  }
  if (r.verdict === 'timeout')
    return `No answer from ${target} within ${f.timeout} s${nat ? ` (${nat})` : ''}${stopped}.`;
  return `${failedWord(r)}: ${r.detail}${stopped}.`;
}

/** The first word of a failed flow's sentence: what the application saw. */
function failedWord(r: FlowResult): string {
  if (r.verdict === 'refused') return 'Refused';
  if (r.verdict === 'icmp-error') return 'ICMP error';
  if (r.verdict === 'connected-then-failed') return 'Connected, then failed';
  return 'Failed';
}

/**
 * One sentence saying why the flow ended as it did, from the whole run's steps (the flow's own are
 * picked out first: linear in the number of steps). The trace builds its reasons with explainFlow
 * from steps it has already attributed once for all flows.
 */
export function explain(r: FlowResult, steps: readonly TimedStep[]): string {
  const ts = steps.map(toTraceStep);
  const f = r.flow;
  const owner = attributeSteps(ts, [flowKey(r)]);
  return explainFlow(
    r,
    ts.filter((_, i) => owner[i] === f.name),
  );
}

export const describeClient = (r: FlowResult): string =>
  `${r.flow.from} ${r.flow.proto} ${r.local ?? ''} → ${flowTarget(r.flow)}`;
