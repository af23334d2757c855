// The page's one call into the engine: scenario text in, everything the views draw out. The engine
// is imported from src/ unchanged (the same modules `natbox trace` runs); this file only derives
// what the page needs to step through packets: each hop's details (what the receiving host did
// with it, hook by hook), whether the sender translated it, and the conntrack tables at any step.
import type { Scenario } from '../../src/scenario/model.ts';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { simulate, type SimResult } from '../../src/sim/run.ts';
import { buildTraceDoc, type TraceDoc, type TraceStep } from '../../src/trace/model.ts';
import { buildSequence, wireHops, type Hop, type Sequence } from '../../src/trace/sequence.ts';

export interface Run {
  readonly scenario: Scenario;
  readonly sim: SimResult;
  readonly doc: TraceDoc;
  readonly seq: Sequence;
  /** The hops the sequence diagram draws as arrows, in order (ARP left out). */
  readonly arrows: readonly Arrow[];
  readonly warnings: readonly string[];
}

export interface Arrow {
  readonly hop: Hop;
  readonly label: string;
  /** A TCP RST: the packet the client's kernel sent to reject an answer (or any reset). */
  readonly alarm: boolean;
  /** The sender rewrote this packet (NAT rule or conntrack mapping) before it left. */
  readonly translated: boolean;
  /** Indexes in doc.steps of what the receiving host did with the packet, in order. */
  readonly episode: readonly number[];
  /** Indexes in doc.steps of what the sending host did just before the packet left, in order. */
  readonly sender: readonly number[];
  /** The flow the trace attributes the packet to, if any. */
  readonly flow?: string;
}

export type RunOutcome = { ok: true; run: Run } | { ok: false; errors: string[] };

/** Loads, builds and simulates `text` (named `file` in messages); never throws. */
export function runScenario(text: string, file: string): RunOutcome {
  try {
    const p = prepareScenario(text, file);
    if (!p.ok) return { ok: false, errors: p.errors };
    const sim = simulate(p.built.world, p.built.flows, { seed: 1 });
    const s = p.scenario;
    const doc = buildTraceDoc(
      { name: s.name, file, ...(s.description ? { description: s.description } : {}) },
      sim,
      p.built.skipped,
    );
    const seq = buildSequence(doc);
    return {
      ok: true,
      run: { scenario: s, sim, doc, seq, arrows: arrowsOf(doc, seq), warnings: p.built.warnings ?? [] },
    };
  } catch (e) {
    return { ok: false, errors: [`${file}: ${e instanceof Error ? e.message : String(e)}`] };
  }
}

type NatStep = Extract<TraceStep, { kind: 'nat' }>;

/** `src:port > dst:port` as a NAT step writes it (`ip id N > ip id 0` for ICMP echo). */
export function tupleOf(p: Hop['packet']): string | undefined {
  if ((p.proto === 'tcp' || p.proto === 'udp') && p.sport !== undefined)
    return `${p.src}:${p.sport} > ${p.dst}:${p.dport}`;
  if (p.proto === 'icmp' && p.icmp?.id !== undefined) return `${p.src} id ${p.icmp.id} > ${p.dst} id 0`;
  return undefined;
}

function arrowsOf(doc: TraceDoc, seq: Sequence): Arrow[] {
  // Where each host rewrote a packet to a tuple, and when: an arrow leaving with that tuple soon
  // after was translated by its sender.
  const rewrote = new Map<string, number>();
  const hops = wireHops(doc);
  const hopIns = new Set(hops.map((h) => h.inIndex));
  const natAt: { i: number; key: string; t: number }[] = [];
  doc.steps.forEach((s, i) => {
    if (s.kind === 'nat' && s.by !== 'null-binding') natAt.push({ i, key: `${s.host} ${s.after}`, t: s.t });
  });
  let k = 0;
  const out: Arrow[] = [];
  for (const e of seq.events) {
    if (e.kind !== 'arrow') continue;
    const h = e.hop;
    while (k < natAt.length && natAt[k]!.i < h.outIndex) {
      rewrote.set(natAt[k]!.key, natAt[k]!.t);
      k++;
    }
    const tuple = tupleOf(h.packet);
    const when = tuple !== undefined ? rewrote.get(`${h.from} ${tuple}`) : undefined;
    out.push({
      hop: h,
      label: e.label,
      alarm: e.alarm,
      translated: when !== undefined && h.t - when <= 1,
      episode: episodeOf(doc, h, hopIns),
      sender: senderOf(doc, h, hopIns, out),
      ...(flowOf(doc, h) !== undefined ? { flow: flowOf(doc, h)! } : {}),
    });
  }
  return out;
}

/**
 * What the receiving host did with the packet at the instant it arrived: every step of that host
 * at that time after the arrival, up to the next packet arriving there (ARP frames aside).
 */
function episodeOf(doc: TraceDoc, h: Hop, hopIns: ReadonlySet<number>): number[] {
  const out: number[] = [];
  const t = doc.steps[h.inIndex]!.t;
  for (let j = h.inIndex + 1; j < doc.steps.length; j++) {
    const s = doc.steps[j]!;
    if (s.t !== t) break;
    if (s.host !== h.to) continue;
    if (s.kind === 'packet') {
      if (s.dir === 'in' && hopIns.has(j) && s.packet.proto !== 'arp') break;
      if (s.dir === 'out' && s.packet.proto !== 'arp') out.push(j);
      continue;
    }
    out.push(j);
  }
  return out;
}

const flowOf = (doc: TraceDoc, h: Hop): string | undefined =>
  doc.steps[h.outIndex]!.flow ?? doc.steps[h.inIndex]!.flow;

/**
 * What the sending host did at the instant the packet left, before it left: its steps at that time
 * back to the packet that made it send this one (ARP frames aside). For a client that is what its
 * socket saw (an answer from the wrong address, the RST it sends), the route and its hooks.
 */
function senderOf(doc: TraceDoc, h: Hop, hopIns: ReadonlySet<number>, before: readonly Arrow[]): number[] {
  const out: number[] = [];
  const t = doc.steps[h.outIndex]!.t;
  for (let j = h.outIndex - 1; j >= 0; j--) {
    const s = doc.steps[j]!;
    if (s.t !== t) break;
    if (s.host !== h.from) continue;
    if (s.kind === 'packet') {
      if (s.packet.proto === 'arp') continue;
      if ((s.dir === 'in' && hopIns.has(j)) || s.dir === 'out') break;
      continue;
    }
    out.push(j);
  }
  if (out.length > 0) return out.reverse();
  // Sent later than it was handled (held while the host asked ARP for the next hop): what the host
  // did when the packet it forwards reached it, the latest packet of the same flow that came to it.
  const flow = flowOf(doc, h);
  for (let k = before.length - 1; k >= 0; k--) {
    const b = before[k]!;
    if (b.hop.to === h.from && b.hop.inIndex < h.outIndex && flow !== undefined && b.flow === flow)
      return [...b.episode];
  }
  return [];
}

/** One hook's part of an episode: the packet's tuple before and after it, and what happened. */
export interface HookPart {
  readonly hook: string;
  readonly before?: string;
  readonly after?: string;
  readonly steps: readonly TraceStep[];
}

/** An episode's steps grouped by hook in order; steps with no hook (route, socket…) stand alone. */
export function hookParts(doc: TraceDoc, a: Arrow): HookPart[] {
  return partsOf(doc, a.episode, tupleOf(a.hop.packet));
}

/** The sender's steps grouped by hook: headers from its first NAT's tuple to the packet on the wire. */
export function senderParts(doc: TraceDoc, a: Arrow): HookPart[] {
  const nat = a.sender.map((i) => doc.steps[i]!).find((s): s is NatStep => s.kind === 'nat');
  return partsOf(doc, a.sender, nat && nat.by !== 'null-binding' ? nat.before : tupleOf(a.hop.packet));
}

function partsOf(doc: TraceDoc, indexes: readonly number[], start: string | undefined): HookPart[] {
  const parts: { hook: string; before?: string; after?: string; steps: TraceStep[] }[] = [];
  let cur = start;
  // An ICMP message the host sent meanwhile (a redirect) goes through OUTPUT on its own: its hooks
  // are not the packet's, so they show no headers of the packet.
  let icmp = false;
  for (const i of indexes) {
    const s = doc.steps[i]!;
    const hook = 'hook' in s ? s.hook : '';
    if (s.kind === 'icmp-sent') icmp = true;
    else if (hook && hook !== 'OUTPUT') icmp = false;
    const label = hook && icmp ? `${hook} (the ICMP message)` : hook;
    let last = parts[parts.length - 1];
    if (!last || last.hook !== label || hook === '') {
      last = { hook: label, steps: [], ...(hook && cur && !icmp ? { before: cur } : {}) };
      parts.push(last);
    }
    last.steps.push(s);
    if (s.kind === 'nat' && s.by !== 'null-binding' && !icmp) {
      cur = (s as NatStep).after;
    }
    if (hook && cur && !icmp) last.after = cur;
  }
  return parts;
}

/** Each host's conntrack entries as of step `upTo` (inclusive): the last line of every entry. */
export function conntrackAt(doc: TraceDoc, upTo: number): Map<string, string[]> {
  const byHost = new Map<string, Map<string, string>>();
  for (let i = 0; i <= upTo && i < doc.steps.length; i++) {
    const s = doc.steps[i]!;
    if (s.kind !== 'ct-event') continue;
    let m = byHost.get(s.host);
    if (!m) byHost.set(s.host, (m = new Map()));
    m.set(JSON.stringify(s.entry.orig), s.line);
  }
  const out = new Map<string, string[]>();
  for (const h of Object.keys(doc.conntrack)) out.set(h, [...(byHost.get(h)?.values() ?? [])]);
  for (const [h, m] of byHost) if (!out.has(h)) out.set(h, [...m.values()]);
  return out;
}

/** The last step index an arrow covers: its episode's end, else its arrival. */
export const arrowEnd = (a: Arrow): number =>
  a.episode.length > 0 ? a.episode[a.episode.length - 1]! : a.hop.inIndex;
