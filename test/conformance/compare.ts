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
import { parseIpv4 } from '../../src/wire/addr.ts';
import { ERRNO_TEXT } from '../../src/route/errors.ts';
import { routeGet } from '../../src/stack/route-get.ts';
import { entryJson } from '../../src/netfilter/conntrack/format.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import type { Ruleset, TableName } from '../../src/rules/iptables/model.ts';
import { simulate, type SimResult } from '../../src/sim/run.ts';
import type { FlowResult } from '../../src/sim/flows.ts';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { rawPacket } from '../../src/oracle/packets.ts';
import { ipv4Details } from '../../src/oracle/fragments.ts';
import { BoundLabels, SeqLabeller } from '../../src/oracle/labels.ts';
import {
  fragText,
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
  // The reference writes a raw 0 near no ISN as `0` (README, "Labels"); natbox's labeller as `?0`
  // (src/oracle/labels.ts: the seq of a reset answering a SYN). The same value.
  set('seq', text(p.seq) === '0' ? '?0' : text(p.seq));
  set('ack', text(p.ack));
  set('len', text(p.len));
  set('opts', p.opts);
  set('ttl', text(p.ttl));
  if (p.type !== undefined) set('icmp', icmpText(p.type, p.code ?? 0, text(p.id)));
  set('icmp_seq', text(p.icmp_seq));
  set('gateway', p.gateway);
  if (p.inner)
    set('inner', innerText({ ...p.inner, id: p.inner.id === undefined ? undefined : String(p.inner.id) }));
  set('lladdr', p.lladdr);
  set('ipproto', p.ipproto);
  if (p.frag) set('frag', fragText(p.frag));
  set('mtu', text(p.mtu));
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
      const raw = rawPacket(d.ipv4, s.t, key, s.dir, d.ether.src, ipv4Details(s.frame, 14));
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

/**
 * The ports a case writes as numbers (README, "Labels"): a flow's sport/dport, a server's port and
 * reply_port, `--dport N`, `--sport N`, `--to-port(s) N[-M]`, `--to-destination`/`--to-source
 * IP:N[-M]` in rules, rules_restore and actions, and known_ports; less label_ports.
 */
export function literalPorts(kc: KernelCase): Set<string> {
  const c = kc.case;
  const lit = new Set<string>();
  for (const f of c.flows) for (const v of [f.sport, f.dport]) if (v !== undefined) lit.add(String(v));
  const servers = c.servers ?? kc.topology.servers;
  for (const s of servers) for (const v of [s.port, s.reply_port]) if (v !== undefined) lit.add(String(v));
  const texts: string[] = [
    ...Object.values(c.rules ?? {}).flat(),
    ...Object.values(c.rules_restore ?? {}).flatMap((t) => (typeof t === 'string' ? t.split('\n') : [...t])),
    ...(c.actions ?? []).map((a) => a.cmd),
  ];
  const range = (a: string, b: string | undefined): void => {
    lit.add(String(Number(a)));
    if (b !== undefined) lit.add(String(Number(b)));
  };
  for (const t of texts) {
    for (const m of t.matchAll(/--(?:dport|sport|to-ports?)\s+(\d+)(?:[-:](\d+))?/g)) range(m[1]!, m[2]);
    for (const m of t.matchAll(/--to-(?:destination|source)\s+[\d.]*:(\d+)(?:-(\d+))?/g)) range(m[1]!, m[2]);
  }
  for (const p of c.known_ports ?? []) lit.add(String(p));
  for (const p of c.label_ports ?? []) lit.delete(String(p));
  return lit;
}

/**
 * The case's labels: a label may not stand for a port the case writes as a number (literalPorts)
 * or an echo id a flow asks for (its icmp_id, or the default 20306 of a ping).
 */
export function labelsFor(kc: KernelCase): BoundLabels {
  const lit = literalPorts(kc);
  for (const f of kc.case.flows) {
    if (f.icmp_id !== undefined) lit.add(String(f.icmp_id));
    else if (f.proto === 'icmp') lit.add('20306');
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
    // The errno the application saw (verdicts refused and error), named in natbox's detail.
    if (o.error !== undefined && /^E[A-Z]+$/.test(o.error)) d('errno', errnoOf(r.detail), o.error);
  }
  return out;
}

/** The errno a flow's detail names (`connect() failed: EHOSTUNREACH ...`), if any. */
export const errnoOf = (detail: string): string | undefined => /\b(E[A-Z]{3,})\b/.exec(detail)?.[1];

// ---- what natbox does not expose by itself yet: hooks ----------------------------------------

/** A received ICMP message as the reference lists it (`outcome.received`). */
export interface ReceivedIcmp {
  readonly from: string;
  readonly type: number;
  readonly code: number;
  readonly id?: number;
  readonly seq?: number;
}

/** A timed event as natbox ran it: the command, its exit status and stderr. */
export interface EventResult {
  readonly at: number;
  readonly host: string;
  readonly run: string;
  readonly rc: number;
  readonly stderr: string;
}

/**
 * Where the comparison reads what natbox's results do not hold yet (issue 14 is adding them):
 * the lead wires each to the code that has it. Unset, the subtest that needs it is not computed
 * (kernel-reference.test.ts NOT_COMPARED says why).
 */
export interface NatboxHooks {
  /**
   * `ip route get DST` in `host` at the end of the run, as iproute2 prints it, without mark or
   * source (the reference's `route_after`: `10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0
   * cache expires 598sec mtu 1400`; the expiry is compared as `expires Nsec`).
   */
  routeGet?: (sim: SimResult, host: string, dst: string) => string;
  /** The top-level `events:` as natbox ran them, in order. */
  eventResults?: (sim: SimResult) => readonly EventResult[];
  /** The ICMP messages a ping flow's raw socket received, in order. */
  received?: (r: FlowResult) => readonly ReceivedIcmp[];
  /** The errors a UDP flow's socket reported (errno names), in order. */
  socketErrors?: (r: FlowResult) => readonly string[];
}

/** The hooks this suite runs with: each wired to the natbox result that has it. */
export const hooks: NatboxHooks = {
  // iproute2's two lines as the reference keeps them: on one line, spaces collapsed.
  routeGet: (sim, host, dst) => {
    const d = parseIpv4(dst);
    if (!d.ok) return `Error: ${d.error}`;
    const a = routeGet(sim.world.host(host), { dst: d.value }, sim.end);
    return a.ok ? a.text.replace(/\s+/g, ' ').trim() : `RTNETLINK answers: ${ERRNO_TEXT[a.errno] ?? a.errno}`;
  },
  received: (r) => r.received ?? [],
  eventResults: (sim) =>
    sim.events.map((e) => ({
      at: e.event.at,
      host: e.event.host,
      run: e.event.run,
      rc: e.rc,
      stderr: e.stderr,
    })),
};

/** `route_after` per flow; undefined when natbox has no `ip route get` (hooks.routeGet). */
export function compareRouteAfter(
  kc: KernelCase,
  sim: SimResult,
  h: NatboxHooks = hooks,
): Difference[] | undefined {
  const get = h.routeGet;
  if (!get) return undefined;
  const out: Difference[] = [];
  for (const rf of kc.result.flows) {
    if (rf.route_after === undefined) continue;
    const got = get(sim, rf.client, rf.dst).replace(/\bexpires \d+sec\b/, 'expires Nsec');
    if (got !== rf.route_after)
      out.push({
        case: kc.name,
        what: 'flow',
        where: rf.id,
        field: 'route_after',
        natbox: show(got),
        kernel: show(rf.route_after),
      });
  }
  return out;
}

const receivedText = (m: {
  readonly from: string;
  readonly type: number;
  readonly code: number;
  readonly id?: number | string;
  readonly seq?: number;
}): string =>
  `${icmpText(m.type, m.code, m.id === undefined ? undefined : String(m.id))} from ${m.from}${m.seq !== undefined ? ` seq ${m.seq}` : ''}`;

/**
 * What the client's socket got: ICMP flows' `received` lists, UDP flows' `socket_errors` (where the
 * kernel recorded them). Undefined when natbox does not report them (hooks.received/socketErrors).
 */
export function compareReceived(
  kc: KernelCase,
  sim: SimResult,
  labels = labelsFor(kc),
  h: NatboxHooks = hooks,
): Difference[] | undefined {
  const out: Difference[] = [];
  let computed = false;
  for (const rf of kc.result.flows) {
    const r = sim.results.find((x) => x.flow.name === rf.id);
    const o = rf.outcome;
    const lists: [string, readonly string[] | undefined, readonly string[]][] = [];
    if (o.received !== undefined) {
      const got = r && h.received ? h.received(r).map(receivedText) : undefined;
      lists.push(['received', got, o.received.map(receivedText)]);
    }
    if (o.socket_errors !== undefined) {
      const got = r && h.socketErrors ? h.socketErrors(r) : undefined;
      lists.push(['socket_errors', got, o.socket_errors]);
    }
    for (const [field, got, want] of lists) {
      if (got === undefined) return undefined;
      computed = true;
      const n = Math.max(got.length, want.length);
      for (let i = 0; i < n; i++) {
        const a = got[i];
        const b = want[i];
        if (a !== undefined && b !== undefined && labels.match(b, a)) continue;
        out.push({
          case: kc.name,
          what: 'flow',
          where: rf.id,
          field: `${field}[${i}]`,
          natbox: show(a),
          kernel: show(b),
          context: `  natbox: ${got.join('; ') || '(none)'}\n  kernel: ${want.join('; ') || '(none)'}`,
        });
        break;
      }
    }
  }
  return computed || out.length ? out : [];
}

/** The timed actions: natbox's events against the kernel's (`rc`, `stderr`); undefined unwired. */
export function compareActions(
  kc: KernelCase,
  sim: SimResult,
  h: NatboxHooks = hooks,
): Difference[] | undefined {
  const want = kc.result.actions ?? [];
  if (!h.eventResults) return undefined;
  const got = h.eventResults(sim);
  const out: Difference[] = [];
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const a = got[i];
    const b = want[i];
    const fields: [string, string | undefined, string | undefined][] = [
      ['at', a && String(a.at), b && String(b.at)],
      ['host', a?.host, b?.ns],
      ['cmd', a?.run, b?.cmd],
      ['rc', a && String(a.rc), b && String(b.rc)],
      // The kernel keeps stderr only when rc is not 0.
      ['stderr', a && (a.stderr.trim() || undefined), b?.stderr],
    ];
    const bad = fields.find(([, x, y]) => x !== y);
    if (bad)
      out.push({
        case: kc.name,
        what: 'action',
        where: `#${i}${b ? ` ${b.cmd}` : ''}`,
        field: bad[0],
        natbox: show(bad[1]),
        kernel: show(bad[2]),
      });
  }
  return out;
}

/** `conntrack -S` of the recorded hosts: the counters the kernel kept, natbox's from its table. */
export function compareConntrackStats(kc: KernelCase, sim: SimResult): Difference[] {
  const out: Difference[] = [];
  for (const [h, counters] of Object.entries(kc.result.conntrack_stats ?? {})) {
    const st = sim.world.hosts.get(h)?.nf?.conntrack.stats as Readonly<Record<string, number>> | undefined;
    for (const [k, v] of Object.entries(counters)) {
      const got = st?.[k] ?? 0;
      if (got !== v)
        out.push({
          case: kc.name,
          what: 'conntrack -S',
          where: h,
          field: k,
          natbox: String(got),
          kernel: String(v),
        });
    }
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

/**
 * The conntrack tables of the hosts the kernel recorded (those with rules or rules_restore, and
 * the case's conntrack_ns): the other namespaces' tables are not in result.json.
 */
export function compareConntrack(kc: KernelCase, sim: SimResult, labels = labelsFor(kc)): Difference[] {
  const out: Difference[] = [];
  for (const h of Object.keys(kc.result.conntrack).sort()) {
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
  // The rulesets at the end of the run: a timed event may have replaced a host's.
  const rulesets = new Map(p.built.rulesets);
  for (const h of sim.world.hosts.values()) if (h.ruleset) rulesets.set(h.name, h.ruleset);
  return { kc, sim, rulesets };
}

export interface CaseReport {
  readonly packets: PacketReport;
  readonly flows: Difference[];
  readonly conntrack: Difference[];
  readonly counters: Difference[];
  readonly conntrackStats: Difference[];
  /** Undefined: not comparable yet (a hook is not wired). */
  readonly routeAfter: Difference[] | undefined;
  readonly received: Difference[] | undefined;
  readonly actions: Difference[] | undefined;
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
    conntrackStats: compareConntrackStats(run.kc, run.sim),
    routeAfter: compareRouteAfter(run.kc, run.sim),
    received: compareReceived(run.kc, run.sim, labels),
    actions: compareActions(run.kc, run.sim),
  };
}
