// Which flow each trace step belongs to, in one pass over the steps (linear in their number): the
// flow's first packet is the client's first packet to the flow's destination after the flow
// starts; from there every packet whose addresses and ports (both directions) the flow has used
// belongs to it, and every NAT rewrite of such a packet teaches the flow its new addresses. Steps
// that are not packets (rules, NAT, conntrack, routing, socket decisions, drops) belong to the
// packet the host is handling at that moment: the last packet it saw at the same instant, or, for
// what a host does before it sends (a SYN retransmitted), the next packet it sends at that instant.
// ARP frames belong to no flow; an ICMP error belongs to the flow of the packet that caused it.
import type { FrameInfo } from './frame.ts';
import type { TraceStep } from './trace-step.ts';
import { flowTarget, type FlowResult } from '../sim/flows.ts';

/** What attribution needs to know about a flow. */
export interface FlowKey {
  readonly name: string;
  readonly from: string;
  readonly proto: 'tcp' | 'udp' | 'icmp' | 'sctp' | 'dccp' | 'esp' | 'ah';
  /** `ip:port`, or `ip` for ICMP. */
  readonly to: string;
  readonly sport?: number;
  readonly icmpId?: number;
  readonly at: number;
  readonly timeout: number;
}

/** The two ends of a conversation, in either order, as one key. */
function pairKey(proto: string, a: string, b: string): string {
  return a < b ? `${proto} ${a} ${b}` : `${proto} ${b} ${a}`;
}

/** The key of an IP packet's conversation, or undefined when it has none (ARP, ICMP errors). */
export function packetKey(p: FrameInfo): string | undefined {
  if ((p.proto === 'tcp' || p.proto === 'udp') && p.sport !== undefined)
    return pairKey(p.proto, `${p.src}:${p.sport}`, `${p.dst}:${p.dport}`);
  if (p.proto === 'icmp' && p.icmp?.id !== undefined && (p.icmp.type === 0 || p.icmp.type === 8))
    return `${pairKey('icmp', p.src!, p.dst!)} ${p.icmp.id}`;
  return undefined;
}

/** The key of a NAT step's `src > dst` tuple (`ip:port`, or `ip id N` for ICMP echo). */
export function tupleKey(proto: string, tuple: string): string | undefined {
  const [a = '', b = ''] = tuple.split(' > ');
  if (proto === 'icmp') {
    const ma = /^(\S+) id (\d+)$/.exec(a);
    const mb = /^(\S+) id (\d+)$/.exec(b);
    if (!ma || !mb) return undefined;
    return `${pairKey('icmp', ma[1]!, mb[1]!)} ${ma[2] !== '0' ? ma[2] : mb[2]}`;
  }
  if (!a.includes(':') || !b.includes(':')) return undefined;
  return pairKey(proto, a, b);
}

const clientEnd = (p: FrameInfo): string | undefined =>
  p.proto === 'tcp' || p.proto === 'udp'
    ? `${p.proto} ${p.dst}:${p.dport} ${p.sport}`
    : p.proto === 'icmp' && p.icmp?.type === 8
      ? `icmp ${p.dst} ${p.icmp.id}`
      : undefined;

const flowEnd = (f: FlowKey): string =>
  f.proto === 'icmp' ? `icmp ${f.to} ${f.icmpId ?? ''}` : `${f.proto} ${f.to} ${f.sport ?? ''}`;

/**
 * The name of the flow each step belongs to (undefined for none), index for index. Linear: every
 * step is looked at once, with map lookups only.
 */
export function attributeSteps(
  steps: readonly TraceStep[],
  flows: readonly FlowKey[],
): (string | undefined)[] {
  const out: (string | undefined)[] = new Array<string | undefined>(steps.length).fill(undefined);
  // Flows not yet seen, by client and first packet: the earliest start first.
  const waiting = new Map<string, FlowKey[]>();
  for (const f of [...flows].sort((x, y) => x.at - y.at)) {
    const k = `${f.from} ${flowEnd(f)}`;
    const l = waiting.get(k);
    if (l) l.push(f);
    else waiting.set(k, [f]);
  }
  const byKey = new Map<string, string>();
  /** A frame put on a wire → its flow, so its arrival on the other end finds it (ICMP errors). */
  const byFrame = new Map<string, string | undefined>();
  /** Per host: the packet it handles now (its flow, time and protocol). */
  const ctx = new Map<string, { flow: string | undefined; t: number; proto: string }>();
  /** Per host: steps waiting for the next packet the host sends at the same instant. */
  const pending = new Map<string, number[]>();
  /**
   * `host peer:port` → the flow of the last packet the host took in from that peer: a retransmission
   * whose packet never leaves (no route back) belongs to the flow it answers.
   */
  const heardFrom = new Map<string, string>();
  /** Retransmission step → the flow it answers (heardFrom when it happened), if none sends. */
  const answering = new Map<number, string>();
  const timeouts: number[] = [];

  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind === 'packet') {
      const p = s.packet;
      let flow: string | undefined;
      if (p.proto !== 'arp') {
        const key = packetKey(p);
        if (s.dir === 'out' && key !== undefined) {
          const ce = clientEnd(p);
          const l = ce !== undefined ? waiting.get(`${s.host} ${ce}`) : undefined;
          // A flow's first packet; the same addresses and ports again later are the later flow's.
          if (l && l.length > 0 && l[0]!.at <= s.t + 1e-9) {
            flow = l.shift()!.name;
            byKey.set(key, flow);
          }
        }
        if (flow === undefined && key !== undefined) flow = byKey.get(key);
        const c = ctx.get(s.host);
        if (flow === undefined && s.dir === 'out' && c && c.t === s.t) {
          flow = c.flow;
          // An answer from other addresses than asked (a server's second socket): the same flow.
          if (flow !== undefined && key !== undefined) byKey.set(key, flow);
        }
        const frame = `${p.ether.src} ${p.ether.dst} ${p.ttl ?? ''} ${p.summary}`;
        if (flow === undefined && s.dir === 'in') flow = byFrame.get(frame);
        if (s.dir === 'out') byFrame.set(frame, flow);
      }
      out[i] = flow;
      if (flow !== undefined && s.dir === 'in' && p.sport !== undefined)
        heardFrom.set(`${s.host} ${p.src}:${p.sport}`, flow);
      ctx.set(s.host, { flow, t: s.t, proto: p.proto });
      const w = pending.get(s.host);
      if (w) {
        for (const j of w) if (steps[j]!.t === s.t) out[j] = flow;
        pending.delete(s.host);
      }
      continue;
    }
    if (s.kind === 'config' || s.kind === 'event') continue;
    const c = ctx.get(s.host);
    const early = s.kind === 'socket' && s.event === 'retransmit';
    if (early) {
      const peer = / to (\S+:\d+)/.exec(s.text);
      const f = peer ? heardFrom.get(`${s.host} ${peer[1]}`) : undefined;
      if (f !== undefined) answering.set(i, f);
    }
    if (!early && c && c.t === s.t) {
      out[i] = c.flow;
      if (s.kind === 'nat' && c.flow !== undefined) {
        const after = tupleKey(c.proto, s.after);
        if (after !== undefined) byKey.set(after, c.flow);
      }
      continue;
    }
    if (s.kind === 'socket' && s.event === 'timeout') {
      timeouts.push(i);
      continue;
    }
    const w = pending.get(s.host);
    if (w) w.push(i);
    else pending.set(s.host, [i]);
  }
  for (const [j, flow] of answering) out[j] ??= flow;
  // connect() giving up: the flow of that client whose time ran out then.
  if (timeouts.length > 0) {
    const ends = new Map<string, FlowKey[]>();
    for (const f of flows) {
      const k = `${f.from} ${(f.at + f.timeout).toFixed(6)}`;
      const l = ends.get(k);
      if (l) l.push(f);
      else ends.set(k, [f]);
    }
    for (const i of timeouts) {
      const s = steps[i]!;
      const text = s.kind === 'socket' ? s.text : '';
      const f = (ends.get(`${s.host} ${s.t.toFixed(6)}`) ?? []).filter((x) => text.includes(` ${x.to} `));
      if (f.length === 1) out[i] = f[0]!.name;
    }
  }
  return out;
}

/** The indexes of each flow's steps, in order: one pass. */
export function stepsByFlow(attribution: readonly (string | undefined)[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  attribution.forEach((f, i) => {
    if (f === undefined) return;
    const l = m.get(f);
    if (l) l.push(i);
    else m.set(f, [i]);
  });
  return m;
}

/** What attribution needs of a flow. */
export function flowKey(r: FlowResult): FlowKey {
  const f = r.flow;
  return {
    name: f.name,
    from: f.from,
    proto: f.proto,
    to: flowTarget(f),
    ...(f.proto === 'icmp' ? { icmpId: f.icmpId } : { sport: f.sport }),
    at: f.at,
    timeout: f.timeout,
  };
}
