// Compares a natbox simulation with a kernel reference run (reference.ts) the way the reference
// was recorded: per interface (`ns:ifname`), in capture order, the IPv4 packets only (ARP is
// compared for information), each reduced to the fields result.json keeps. natbox's TCP sequence
// numbers are relabelled as the reference labels them (I0 = the first ISN seen in the whole run,
// I1 the next, `+n` an offset from one), and the values the reference marks as volatile ($p1 for a
// port, $id1 for an ICMP id the kernel chose at random) are bound to natbox's value at the same
// position the first time they are met and must then be the same everywhere. Flow outcomes, the
// final conntrack tables (timeouts ignored) and the rule counters (packets) are compared too.
// Every check reports its first difference: case, where, which field, natbox's value, the kernel's.
import { readFileSync } from 'node:fs';
import { decodeEthernet } from '../../src/wire/decode.ts';
import { entryJson } from '../../src/netfilter/conntrack/format.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import type { Ruleset, TableName } from '../../src/rules/iptables/model.ts';
import { simulate, type SimResult } from '../../src/sim/run.ts';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { rawPacket } from '../../src/oracle/packets.ts';
import { BoundLabels, SeqLabeller } from '../../src/oracle/labels.ts';
import {
  icmpText,
  innerText,
  normalise,
  normaliseArp,
  packetText,
  REFERENCE_FIELDS,
  type NormPacket,
} from '../../src/oracle/normalise.ts';
import { ctEntry, entryFields, entryText, origText, type CtEntry } from '../../src/oracle/conntrack.ts';
import { firstFieldDifference, firstPacketDifference } from '../../src/oracle/compare.ts';
import type { KernelCase, RefPacket, ResultJson } from './reference.ts';

// The packet form, the field list, the text form, the decoder, the labels and the comparison are
// src/oracle's (shared with natbox verify); what is here is the reference's side of them.
export type { NormPacket } from '../../src/oracle/normalise.ts';
export { packetText } from '../../src/oracle/normalise.ts';
export { SeqLabeller } from '../../src/oracle/labels.ts';
/** The reference's volatile labels ($p1, $id1) bound to natbox's values (src/oracle/labels.ts). */
export { BoundLabels as Labels } from '../../src/oracle/labels.ts';

// ---- the reference's packets ----------------------------------------------------------------

/** A result.json packet in the oracle's form (its timeline index is its `t`). */
export function fromReference(p: RefPacket): NormPacket {
  const out: NormPacket = {
    t: p.n,
    at: `kernel #${p.n}`,
    dir: p.dir,
    proto: p.proto,
    src: p.src,
    dst: p.dst,
  };
  const text = (v: string | number | null | undefined): string | undefined =>
    v === undefined || v === null ? undefined : String(v);
  const set = (k: keyof NormPacket, v: string | undefined): void => {
    if (v !== undefined) (out as unknown as Record<string, string>)[k] = v;
  };
  set('op', p.op);
  set('flags', p.flags);
  set('seq', text(p.seq));
  set('ack', text(p.ack));
  set('len', text(p.len));
  set('opts', p.opts);
  set('ttl', text(p.ttl));
  if (p.type !== undefined) set('icmp', icmpText(p.type, p.code ?? 0, text(p.id)));
  set('icmp_seq', text(p.icmp_seq));
  set('gateway', p.gateway);
  if (p.inner) set('inner', innerText(p.inner));
  set('lladdr', p.lladdr);
  return out;
}

// ---- natbox's frames, decoded and relabelled -----------------------------------------------

/**
 * natbox's packets per `host:ifname`, in trace order, decoded (src/wire/decode.ts) and normalised
 * with the reference's fields: TCP sequence numbers labelled as the reference labels them (in
 * trace order), source MACs named by their owner (`ns:ifname`, the reference's MACs).
 */
export function natboxPackets(kc: KernelCase, sim: SimResult): Map<string, NormPacket[]> {
  const owners = new Map<string, string>();
  for (const [name, i] of Object.entries(kc.result.topology.interfaces))
    owners.set(i.mac.toLowerCase(), name);
  const owner = (mac: string): string => owners.get(mac) ?? mac;
  const labeller = new SeqLabeller();
  const out = new Map<string, NormPacket[]>();
  for (const s of sim.steps) {
    if (s.kind !== 'packet') continue;
    const key = `${s.host}:${s.ifname}`;
    const opts = { fields: REFERENCE_FIELDS, at: `natbox t=${s.t.toFixed(4)}`, owner };
    const d = decodeEthernet(s.frame);
    let p: NormPacket | undefined;
    if (d.arp) p = normaliseArp({ t: s.t, iface: key, dir: s.dir, ...d.arp, mac: d.ether.src }, opts);
    else if (d.ipv4) {
      const raw = rawPacket(d.ipv4, s.t, key, s.dir, d.ether.src);
      if (raw?.syn && raw.seq !== undefined) labeller.syn(raw.seq);
      if (raw) p = normalise(raw, labeller, opts);
    }
    if (!p) continue;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(p);
  }
  return out;
}

export function referencePackets(kc: KernelCase): Map<string, NormPacket[]> {
  const out = new Map<string, NormPacket[]>();
  for (const [k, v] of Object.entries(kc.result.packets)) out.set(k, v.map(fromReference));
  return out;
}

// ---- volatile labels -------------------------------------------------------------------------

/** The case's labels: a label may not stand for a port or id the case requests. */
export function labelsFor(kc: KernelCase): BoundLabels {
  const lit = new Set<string>();
  for (const f of kc.case.flows) {
    for (const v of [f.sport, f.dport, f.icmp_id]) if (v !== undefined) lit.add(String(v));
  }
  return new BoundLabels(lit);
}

// ---- differences -----------------------------------------------------------------------------

export interface Difference {
  readonly case: string;
  /** packets | flow | conntrack | counters */
  readonly what: string;
  /** Interface `ns:ifname`, flow id, `ns` or `ns table chain #i`. */
  readonly where: string;
  /** Packet index among the compared packets on that interface (0-based). */
  readonly index?: number;
  readonly field: string;
  readonly natbox: string;
  readonly kernel: string;
  /** Both packets (or entries) in full, for context. */
  readonly context?: string;
  /** Reference timeline index (packets), to find the earliest difference. */
  readonly order?: number;
}

export function formatDifference(d: Difference): string {
  const idx = d.index !== undefined ? ` IP packet #${d.index}` : '';
  const head = `${d.case}: ${d.what} ${d.where}${idx}: ${d.field}: natbox ${d.natbox}, kernel ${d.kernel}`;
  return d.context ? `${head}\n${d.context}` : head;
}

const show = (v: string | undefined): string => (v === undefined ? '(absent)' : JSON.stringify(v));

/** The first difference between two packet lists of one interface, or undefined. */
export function diffInterface(
  caseName: string,
  iface: string,
  natbox: readonly NormPacket[],
  kernel: readonly NormPacket[],
  labels: BoundLabels,
): Difference | undefined {
  const d = firstPacketDifference(natbox, kernel, (y, x) => labels.match(y, x));
  if (!d) return undefined;
  const a = d.natbox;
  const b = d.kernel;
  const common = {
    case: caseName,
    what: 'packets',
    where: iface,
    index: d.index,
    context: `  natbox: ${packetText(a)}\n  kernel: ${packetText(b)}`,
    order: b ? b.t : Number.MAX_SAFE_INTEGER,
  };
  if (d.field === 'packet')
    return {
      ...common,
      field: 'packet',
      natbox: a ? packetText(a) : `(none: natbox has ${natbox.length} packets)`,
      kernel: b ? packetText(b) : `(none: the kernel has ${kernel.length} packets)`,
    };
  return { ...common, field: d.field, natbox: show(d.natboxValue), kernel: show(d.kernelValue) };
}

export interface PacketReport {
  /** The first difference per interface, earliest (in the kernel's timeline) first. */
  readonly differences: Difference[];
  /** Interfaces compared, with the IP packet counts and the first difference, if any. */
  readonly interfaces: Map<string, { natbox: number; kernel: number; difference: Difference | undefined }>;
  /** How ARP compares (information only: not asserted): a summary, then each differing interface. */
  readonly arp: string[];
}

const isIp = (p: NormPacket): boolean => p.proto !== 'arp';

export function comparePackets(kc: KernelCase, sim: SimResult, labels = labelsFor(kc)): PacketReport {
  return comparePacketLists(kc.name, natboxPackets(kc, sim), referencePackets(kc), labels);
}

/** Both sides' packets per interface (ARP included), compared interface by interface. */
export function comparePacketLists(
  caseName: string,
  nb: ReadonlyMap<string, readonly NormPacket[]>,
  ref: ReadonlyMap<string, readonly NormPacket[]>,
  labels: BoundLabels,
): PacketReport {
  const ifaces = [...new Set([...ref.keys(), ...nb.keys()])];
  // Interfaces in the order the kernel first used them, so labels bind where they first appear.
  const firstN = (k: string): number => ref.get(k)?.[0]?.t ?? Number.MAX_SAFE_INTEGER;
  ifaces.sort((a, b) => firstN(a) - firstN(b) || (a < b ? -1 : 1));
  const differences: Difference[] = [];
  const interfaces = new Map<
    string,
    { natbox: number; kernel: number; difference: Difference | undefined }
  >();
  const arp: string[] = [];
  let arpSame = 0;
  for (const k of ifaces) {
    const a = (nb.get(k) ?? []).filter(isIp);
    const b = (ref.get(k) ?? []).filter(isIp);
    const d = diffInterface(caseName, k, a, b, labels);
    interfaces.set(k, { natbox: a.length, kernel: b.length, difference: d });
    if (d) differences.push(d);
    const aa = (nb.get(k) ?? []).filter((p) => !isIp(p));
    const ba = (ref.get(k) ?? []).filter((p) => !isIp(p));
    const ad = diffInterface(caseName, k, aa, ba, new BoundLabels(new Set()));
    if (ad) {
      arp.push(
        `${k}: ARP ${aa.length} natbox / ${ba.length} kernel; #${ad.index} ${ad.field}: natbox ${ad.natbox}, kernel ${ad.kernel}`,
      );
    } else arpSame += aa.length;
  }
  differences.sort((x, y) => (x.order ?? 0) - (y.order ?? 0));
  arp.unshift(
    `${arpSame} ARP packets the same on ${ifaces.length - arp.length} of ${ifaces.length} interfaces`,
  );
  return { differences, interfaces, arp };
}

// ---- flows -----------------------------------------------------------------------------------

export function compareFlows(kc: KernelCase, sim: SimResult, labels = labelsFor(kc)): Difference[] {
  const out: Difference[] = [];
  for (const rf of kc.result.flows) {
    const r = sim.results.find((x) => x.flow.name === rf.id);
    const d = (fieldName: string, natbox: string | undefined, kernel: string | undefined): void => {
      if (kernel === undefined && natbox === undefined) return;
      if (kernel !== undefined && natbox !== undefined && labels.match(kernel, natbox)) return;
      out.push({
        case: kc.name,
        what: 'flow',
        where: rf.id,
        field: fieldName,
        natbox: show(natbox),
        kernel: show(kernel),
      });
    };
    if (!r) {
      out.push({
        case: kc.name,
        what: 'flow',
        where: rf.id,
        field: 'flow',
        natbox: '(no such flow)',
        kernel: rf.outcome.result,
      });
      continue;
    }
    d('verdict', r.verdict, rf.outcome.result);
    const o = rf.outcome;
    d('server_saw_client_as', r.serverSaw, o.server_saw_client_as ?? o.replies?.[0]?.server_saw_client_as);
    // Where the answer came from (UDP: ip:port; ping: the address).
    // (TCP: the connection's peer, which result.json does not repeat.)
    if (rf.proto !== 'tcp') d('reply_from', r.replyFrom, o.replies?.[0]?.from ?? o.received?.[0]?.from);
  }
  return out;
}

// ---- conntrack -------------------------------------------------------------------------------

/** natbox's conntrack entries of a host at the end of the run, as the reference shapes them. */
export function natboxConntrack(sim: SimResult, host: string): CtEntry[] {
  const nf = sim.world.hosts.get(host)?.nf;
  if (!nf) return [];
  const now = sim.end;
  return nf.conntrack.entries(now).map((e) => ctEntry(entryJson(nf.conntrack, e, now)));
}

export function compareConntrack(kc: KernelCase, sim: SimResult, labels = labelsFor(kc)): Difference[] {
  const out: Difference[] = [];
  const hosts = new Set([...Object.keys(kc.result.conntrack), ...sim.world.hosts.keys()]);
  for (const h of [...hosts].sort()) {
    // The kernel lists in hash order; both sides sorted by the original tuple (never volatile).
    const byOrig = (a: CtEntry, b: CtEntry): number => (origText(a) < origText(b) ? -1 : 1);
    const k = (kc.result.conntrack[h] ?? []).map((e) => ctEntry(e)).sort(byOrig);
    const n = natboxConntrack(sim, h).sort(byOrig);
    const ctx = `  natbox: ${n.map((e) => entryText(e)).join('\n          ') || '(empty)'}\n  kernel: ${k.map((e) => entryText(e)).join('\n          ') || '(empty)'}`;
    if (n.length !== k.length) {
      out.push({
        case: kc.name,
        what: 'conntrack',
        where: h,
        field: 'entries',
        natbox: String(n.length),
        kernel: String(k.length),
        context: ctx,
      });
      continue;
    }
    for (let i = 0; i < k.length; i++) {
      const bad = firstFieldDifference(entryFields(n[i]!), entryFields(k[i]!), (y, x) => labels.match(y, x));
      if (bad) {
        out.push({
          case: kc.name,
          what: 'conntrack',
          where: `${h} entry ${i}`,
          field: bad.field,
          natbox: show(bad.natbox),
          kernel: show(bad.kernel),
          context: ctx,
        });
        break;
      }
    }
  }
  return out;
}

// ---- rule counters ---------------------------------------------------------------------------

/**
 * Rule counters (packets) per table, chain and rule position, and the rule's text as
 * iptables-save prints it. Policy counters only with `policies` (the iptables-legacy runs):
 * iptables-nft reports 0 for every policy, even where packets fell through to it.
 */
export function compareCounters(
  kc: KernelCase,
  rulesets: ReadonlyMap<string, Ruleset>,
  opts: { readonly result?: ResultJson; readonly policies?: boolean } = {},
): Difference[] {
  const out: Difference[] = [];
  const result = opts.result ?? kc.result;
  for (const [ns, list] of Object.entries(result.rule_counters)) {
    const seen = new Map<string, number>();
    for (const c of list) {
      const chain = rulesets
        .get(ns)
        ?.tables.get(c.table as TableName)
        ?.chains.get(c.chain);
      if (c.rule === undefined) {
        if (!opts.policies) continue;
        const where = `${ns} ${c.table} ${c.chain} policy`;
        const got = chain ? chain.counters.packets : 0;
        if (got !== c.packets)
          out.push({
            case: kc.name,
            what: 'counters',
            where,
            field: 'packets',
            natbox: String(got),
            kernel: String(c.packets),
          });
        continue;
      }
      const ck = `${c.table} ${c.chain}`;
      const i = seen.get(ck) ?? 0;
      seen.set(ck, i + 1);
      const where = `${ns} ${c.table} ${c.chain} #${i + 1}`;
      const rule = chain?.rules[i];
      if (!rule) {
        out.push({
          case: kc.name,
          what: 'counters',
          where,
          field: 'rule',
          natbox: '(no such rule)',
          kernel: c.rule,
        });
        continue;
      }
      const text = formatRule(c.chain, rule);
      if (text !== c.rule)
        out.push({
          case: kc.name,
          what: 'counters',
          where,
          field: 'rule text',
          natbox: show(text),
          kernel: show(c.rule),
        });
      if (rule.counters.packets !== c.packets) {
        out.push({
          case: kc.name,
          what: 'counters',
          where,
          field: 'packets',
          natbox: String(rule.counters.packets),
          kernel: String(c.packets),
          context: `  rule: ${c.rule}`,
        });
      }
    }
  }
  return out;
}

// ---- running a case --------------------------------------------------------------------------

export const SCENARIO_DIR = new URL('./scenarios/', import.meta.url);

export interface CaseRun {
  readonly kc: KernelCase;
  readonly sim: SimResult;
  readonly rulesets: ReadonlyMap<string, Ruleset>;
}

/** Loads scenarios/<case>.yaml, simulates it (with the trace) and returns it with the reference. */
export function runCase(kc: KernelCase, seed = 1): CaseRun {
  const file = `test/conformance/scenarios/${kc.name}.yaml`;
  const p = prepareScenario(readFileSync(new URL(`${kc.name}.yaml`, SCENARIO_DIR), 'utf8'), file);
  if (!p.ok) throw new Error(`${file} does not load:\n${p.errors.join('\n')}`);
  const sim = simulate(p.built.world, p.built.flows, { seed });
  if (!sim.complete) throw new Error(`${file}: the simulation hit its event bound`);
  return { kc, sim, rulesets: p.built.rulesets };
}

export interface CaseReport {
  readonly packets: PacketReport;
  readonly flows: Difference[];
  readonly conntrack: Difference[];
  readonly counters: Difference[];
}

/** Every comparison of one run, with one set of label bindings shared by all of them. */
export function compareCase(run: CaseRun): CaseReport {
  const labels = labelsFor(run.kc);
  const packets = comparePackets(run.kc, run.sim, labels);
  return {
    packets,
    flows: compareFlows(run.kc, run.sim, labels),
    conntrack: compareConntrack(run.kc, run.sim, labels),
    counters: compareCounters(run.kc, run.rulesets),
  };
}
