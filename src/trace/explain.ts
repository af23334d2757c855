// The verdict of a flow and its reason, in one plain sentence that names addresses and ports, in
// the words of the seed: who translated what, where the answer went, and why the client took it or
// not. Built from the flow's result and the NAT steps the trace recorded.
import { flowTarget, type FlowResult } from '../sim/flows.ts';
import type { TimedStep } from '../stack/steps.ts';

type NatStep = Extract<TimedStep, { kind: 'nat' }>;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The NAT bindings (nat table decisions) this flow's first packet went through, in order. */
export function bindingsOf(r: FlowResult, steps: readonly TimedStep[]): NatStep[] {
  const f = r.flow;
  const out: NatStep[] = [];
  let cur = undefined as string | undefined;
  for (const s of steps) {
    if (s.kind !== 'nat' || s.by !== 'rule' || s.t < r.startedAt) continue;
    const [src] = s.before.split(' > ');
    if (cur === undefined) {
      // The first translation of this flow starts from the client's own packet. An ICMP echo end
      // is `ip id N`: the identifier on the source side, `id 0` on the destination side.
      if (f.proto === 'icmp') {
        if (!s.before.endsWith(`> ${flowTarget(f)} id 0`) || !src!.endsWith(` id ${f.icmpId}`)) continue;
      } else if (!s.before.endsWith(`> ${flowTarget(f)}`) || !src!.endsWith(`:${f.sport}`)) continue;
    } else if (s.before !== cur) continue;
    out.push(s);
    cur = s.after;
  }
  return out;
}

/** The two ends of a NAT step's `src > dst`; an ICMP echo's destination loses its `id 0`. */
export function natEnds(tuple: string): [string, string] {
  const [src = '', dst = ''] = tuple.split(' > ');
  return [src, dst.replace(/ id 0$/, '')];
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

/** One sentence saying why the flow ended as it did. */
export function explain(r: FlowResult, steps: readonly TimedStep[]): string {
  const f = r.flow;
  const target = flowTarget(f);
  const b = bindingsOf(r, steps);
  const dnat = b.find((s) => s.manip === 'DNAT');
  const snat = b.find((s) => s.manip === 'SNAT');
  const nat = b.length > 0 ? natWords(b) : '';
  const u = r.unexpected[0];

  if (f.proto === 'tcp') {
    if (r.verdict === 'connected') {
      const via = nat
        ? ` ${nat}; the server's answer came back through ${b[0]!.host}, which translated it back to come from ${target}`
        : ` with no translation on the way`;
      const saw = r.serverSaw ? ` The server saw the client as ${r.serverSaw}.` : '';
      return `Connected to ${target}:${via}.${saw}`;
    }
    if (r.verdict === 'timeout' && u) {
      const server = u.from;
      const why =
        dnat && !snat
          ? `${dnat.host} DNATed the SYN to ${natEnds(dnat.after)[1]} but left its source ${natEnds(dnat.before)[0]} unchanged, so the server answered the client directly from ${server}, not through ${dnat.host}`
          : `the answer came from ${server}`;
      return `Timed out: ${why}. The client expected the answer from ${target}, so its kernel answered each ${u.what} with RST (${plural(u.count, 'time')}); it sent ${plural(r.syns, 'SYN')} and connect() gave up after ${f.timeout} s.`;
    }
    if (r.verdict === 'timeout') {
      return `Timed out: ${plural(r.syns, 'SYN')} to ${target} got no answer${nat ? ` (${nat})` : ''} and connect() gave up after ${f.timeout} s.`;
    }
    if (r.verdict === 'reset')
      return `Refused: ${r.detail}${nat ? ` (${nat})` : ''}; nothing listens there, or a rule rejected the connection.`;
    return `Unreachable: ${r.detail}.`;
  }

  const what = f.proto === 'udp' ? 'datagram' : 'echo request';
  if (r.verdict === 'reply') {
    const via = nat ? `: ${nat}, and the answer was translated back` : '';
    return `Answered from ${r.replyFrom ?? target}${via}.${r.serverSaw ? ` The server saw the client as ${r.serverSaw}.` : ''}`;
  }
  if (r.verdict === 'reply-from-unexpected-source') {
    const why =
      dnat && !snat
        ? `${dnat.host} DNATed the ${what} to ${natEnds(dnat.after)[1]} but left its source unchanged, so the answer went straight back`
        : 'the answer took another path';
    return `An answer came from ${r.replyFrom}, not from ${target}: ${why}. The client's socket is not connected, so it took the answer anyway, but from the wrong address.`;
  }
  if (r.verdict === 'timeout' && u) {
    const why =
      dnat && !snat
        ? `${dnat.host} DNATed the ${what} to ${natEnds(dnat.after)[1]} but left its source unchanged, so the answer came straight from ${u.from}`
        : `the answer came from ${u.from}`;
    return `No answer from ${target} within ${f.timeout} s: ${why}; the client's connected socket takes answers only from ${target}, so its kernel dropped it${f.proto === 'udp' ? ' and sent ICMP port unreachable' : ''}.`;
  }
  if (r.verdict === 'timeout')
    return `No answer from ${target} within ${f.timeout} s${nat ? ` (${nat})` : ''}.`;
  return `Unreachable: ${r.detail}.`;
}

export const describeClient = (r: FlowResult): string =>
  `${r.flow.from} ${r.flow.proto} ${r.local ?? ''} → ${flowTarget(r.flow)}`;
