// The trace as a sequence of events between hosts, for the sequence-diagram renderers (Mermaid,
// SVG) and the step list in words: each packet hop on a wire (an `out` step on one host paired
// with the `in` step of the same frame on another host), and, between them, notes for what a host
// did to a packet (NAT rewrites, rule matches, socket decisions, drops), then each flow's verdict.
// Pure: it reads a TraceDoc only (no topology), so it works on a trace loaded from JSON too.
import { arpText, type FrameInfo } from './frame.ts';
import type { TraceDoc, TraceFlow, TraceStep } from './model.ts';

type PacketStep = Extract<TraceStep, { kind: 'packet' }>;
type NatStep = Extract<TraceStep, { kind: 'nat' }>;

/** One frame crossing a wire from one host to another. */
export interface Hop {
  /** Indexes of the `out` and `in` steps in doc.steps. */
  readonly outIndex: number;
  readonly inIndex: number;
  readonly t: number;
  readonly from: string;
  readonly fromIf: string;
  readonly to: string;
  readonly toIf: string;
  readonly packet: FrameInfo;
}

export const frameKey = (p: FrameInfo): string => `${p.ether.src} ${p.ether.dst} ${p.ttl ?? ''} ${p.summary}`;

/**
 * Pairs every `in` packet step with the `out` step that put the same frame on the wire: the last
 * `out` of an identical frame (same MACs, TTL and tcpdump line) on another host before it. A frame
 * that leaves by a bridge is seen on the bridge and on its port; the port's (later) step wins. A
 * frame flooded by a switch makes one hop per receiving host; the receiver's bridge seeing the frame
 * after its port is not another hop.
 */
export function wireHops(doc: TraceDoc): Hop[] {
  const lastOut = new Map<string, number[]>();
  const hops: Hop[] = [];
  const paired = new Set<string>();
  doc.steps.forEach((s, i) => {
    if (s.kind !== 'packet') return;
    const key = frameKey(s.packet);
    if (s.dir === 'out') {
      const l = lastOut.get(key);
      if (l) l.push(i);
      else lastOut.set(key, [i]);
      return;
    }
    const outs = lastOut.get(key);
    if (!outs) return;
    for (let k = outs.length - 1; k >= 0; k--) {
      const o = doc.steps[outs[k]!] as PacketStep;
      if (o.host === s.host || o.t >= s.t) continue;
      // The same frame seen again on the receiver's bridge is not another hop.
      const pair = `${outs[k]!} ${s.host}`;
      if (paired.has(pair)) break;
      paired.add(pair);
      hops.push({
        outIndex: outs[k]!,
        inIndex: i,
        t: o.t,
        from: o.host,
        fromIf: o.ifname,
        to: s.host,
        toIf: s.ifname,
        packet: s.packet,
      });
      break;
    }
  });
  return hops;
}

export type NoteTone = 'nat' | 'rule' | 'socket' | 'alarm' | 'info';

export type SeqEvent =
  | { readonly kind: 'arrow'; readonly hop: Hop; readonly label: string; readonly alarm: boolean }
  | {
      readonly kind: 'note';
      readonly t: number;
      readonly host: string;
      /** May hold `\n` where a line should break. */
      readonly text: string;
      readonly tone: NoteTone;
    }
  | { readonly kind: 'verdict'; readonly flow: TraceFlow };

export interface Sequence {
  readonly title: string;
  /** Participants, in the order they first take part. */
  readonly hosts: string[];
  readonly events: SeqEvent[];
}

export interface SequenceOptions {
  /** Show ARP frames too (left out by default: the story is about IP). */
  arp?: boolean;
  /** Notes for the conntrack-mapping rewrites of every later packet (default true). */
  mappings?: boolean;
}

/** `TCP [S] 192.168.1.10:40000 → 82.120.11.22:80` */
export function packetLabel(p: FrameInfo): string {
  switch (p.proto) {
    case 'tcp':
      return `TCP [${p.flags}] ${p.src}:${p.sport} → ${p.dst}:${p.dport}${p.len ? ` len ${p.len}` : ''}`;
    case 'udp':
      return `UDP ${p.src}:${p.sport} → ${p.dst}:${p.dport} len ${p.len}`;
    case 'icmp': {
      const i = p.icmp!;
      const what =
        i.type === 8
          ? 'echo request'
          : i.type === 0
            ? 'echo reply'
            : i.type === 3
              ? `unreachable (code ${i.code})`
              : `type ${i.type} code ${i.code}`;
      return `ICMP ${what} ${p.src} → ${p.dst}${i.id !== undefined ? ` id ${i.id}` : ''}`;
    }
    case 'arp':
      return arpText(p);
    default:
      return p.summary;
  }
}

const arrow = (s: string): string => s.replace(/ > /g, ' → ').replace(/ id 0$/, '');

/** The part of an iptables-save rule from its target on: `-j DNAT --to-destination 192.168.1.200`. */
export function ruleTarget(rule: string): string {
  const j = rule.search(/(^| )-[jg] /);
  return j < 0 ? rule : rule.slice(j).trim();
}

const SOCKET_NOTES = new Set([
  'unexpected-source',
  'rst-sent',
  'rst-received',
  'connected',
  'timeout',
  'port-unreachable',
  'retransmit',
  'syn-received',
  'reply',
  'data',
]);

export function buildSequence(doc: TraceDoc, opts: SequenceOptions = {}): Sequence {
  const showMappings = opts.mappings ?? true;
  const hops = wireHops(doc).filter((h) => opts.arp || h.packet.proto !== 'arp');
  const hopAt = new Map(hops.map((h) => [h.inIndex, h]));
  const events: SeqEvent[] = [];
  const hosts: string[] = [];
  const take = (h: string): void => {
    if (!hosts.includes(h)) hosts.push(h);
  };
  for (const f of doc.flows) take(f.from);
  let nat: NatStep[] = [];
  const flushNat = (): void => {
    if (nat.length === 0) return;
    const first = nat[0]!;
    const last = nat[nat.length - 1]!;
    const manips = nat.map((s) => s.manip).join('+');
    const by = first.by === 'mapping' ? ' (conntrack mapping)' : '';
    if (first.by !== 'mapping' || showMappings)
      events.push({
        kind: 'note',
        t: first.t,
        host: first.host,
        text: `${manips}${by}:\n${arrow(first.before)}\n⇒ ${arrow(last.after)}`,
        tone: 'nat',
      });
    nat = [];
  };
  doc.steps.forEach((s, i) => {
    // Rewrites of one packet at one host read as one note: DNAT then SNAT, before ⇒ after.
    if (s.kind === 'nat' && s.by !== 'null-binding') {
      const prev = nat[nat.length - 1];
      if (prev && (prev.host !== s.host || prev.after !== s.before || prev.by !== s.by)) flushNat();
      nat.push(s);
      return;
    }
    if (s.kind === 'nat') return;
    if (s.kind === 'packet' && s.dir === 'in' && !hopAt.has(i)) return; // bridge's own view, or ARP
    if (s.kind === 'packet' && s.dir === 'out') return;
    if (s.kind === 'conntrack' || s.kind === 'route' || s.kind === 'ct-event') return;
    flushNat();
    switch (s.kind) {
      case 'packet': {
        const h = hopAt.get(i)!;
        take(h.from);
        take(h.to);
        const alarm = h.packet.proto === 'tcp' && (h.packet.flags ?? '').includes('R');
        events.push({ kind: 'arrow', hop: h, label: packetLabel(h.packet), alarm });
        break;
      }
      case 'rule':
        if (s.table === 'filter' && /-j ACCEPT$/.test(s.rule)) break;
        events.push({
          kind: 'note',
          t: s.t,
          host: s.host,
          text: `${s.table} ${s.chain} rule ${s.index}: ${ruleTarget(s.rule)}`,
          tone: 'rule',
        });
        break;
      case 'policy':
        if (s.policy !== 'ACCEPT')
          events.push({
            kind: 'note',
            t: s.t,
            host: s.host,
            text: `${s.table} ${s.chain}: policy ${s.policy}`,
            tone: 'alarm',
          });
        break;
      case 'socket':
        if (SOCKET_NOTES.has(s.event))
          events.push({
            kind: 'note',
            t: s.t,
            host: s.host,
            text: s.text,
            tone: ['unexpected-source', 'rst-sent', 'timeout', 'port-unreachable'].includes(s.event)
              ? 'alarm'
              : 'socket',
          });
        break;
      case 'drop':
        events.push({
          kind: 'note',
          t: s.t,
          host: s.host,
          text: `dropped${s.ifname ? ` on ${s.ifname}` : ''}: ${s.reason}`,
          tone: 'alarm',
        });
        break;
      case 'icmp-sent':
        events.push({ kind: 'note', t: s.t, host: s.host, text: s.text, tone: 'info' });
        break;
    }
  });
  flushNat();
  // Notes of hosts that never appear in a hop still need a lifeline.
  for (const e of events) if (e.kind === 'note') take(e.host);
  for (const f of doc.flows) events.push({ kind: 'verdict', flow: f });
  return { title: doc.scenario.name, hosts, events };
}

/** `✓ as expected`, `✗ expected connected, got timeout`, or nothing when nothing was expected. */
export function expectationMark(f: TraceFlow): string {
  if (f.pass === undefined) return '';
  return f.pass ? '✓ as expected' : `✗ ${f.mismatches.join('; ')}`;
}
