// Compares a natbox simulation with a kernel reference run (reference.ts) the way the reference
// was recorded: per interface (`ns:ifname`), in capture order, the IPv4 packets only (ARP is
// compared for information), each reduced to the fields result.json keeps. natbox's TCP sequence
// numbers are relabelled as the reference labels them (I0 = the first ISN seen in the whole run,
// I1 the next, `+n` an offset from one), and the values the reference marks as volatile ($p1 for a
// port, $id1 for an ICMP id the kernel chose at random) are bound to natbox's value at the same
// position the first time they are met and must then be the same everywhere. Flow outcomes, the
// final conntrack tables (timeouts ignored) and the rule counters (packets) are compared too.
// Every check reports its first difference: case, where, which field, natbox's value, the kernel's.
import { seqLabel } from '../../src/cli/verify/compare.ts';
import { readFileSync } from 'node:fs';
import { formatIpv4, formatMac } from '../../src/wire/addr.ts';
import { read16, read32 } from '../../src/wire/checksum.ts';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ethType } from '../../src/wire/ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { formatTcpFlags, parseTcpOptions } from '../../src/wire/tcp.ts';
import { entryJson, type CtEntryJson } from '../../src/netfilter/conntrack/format.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import type { Ruleset, TableName } from '../../src/rules/iptables/model.ts';
import { simulate, type SimResult } from '../../src/sim/run.ts';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import type { KernelCase, RefCtEntry, RefPacket, RefTuple, ResultJson } from './reference.ts';

// ---- the normalised packet ------------------------------------------------------------------

/** One packet as both sides are compared: the reference's fields, values as text. */
export interface NormPacket {
  dir: string;
  proto: string;
  src: string;
  dst: string;
  /** ARP only. */
  op?: string;
  flags?: string;
  seq?: string | null;
  ack?: string | null;
  len?: number;
  opts?: string;
  ttl?: number;
  type?: number;
  code?: number;
  id?: number | string;
  icmp_seq?: number;
  gateway?: string;
  inner?: { proto: string; src: string; dst: string; seq?: string };
  /** The owner of the frame's source MAC, `ns:ifname` (the MACs are the reference's). */
  lladdr?: string;
  /** The reference's timeline index, or natbox's time (for messages). */
  at: string;
}

/** The fields compared, in the order a difference is looked for. */
export const PACKET_FIELDS = [
  'proto',
  'dir',
  'src',
  'dst',
  'op',
  'flags',
  'seq',
  'ack',
  'len',
  'opts',
  'ttl',
  'type',
  'code',
  'id',
  'icmp_seq',
  'gateway',
  'inner.proto',
  'inner.src',
  'inner.dst',
  'inner.seq',
  'lladdr',
] as const;
export type PacketField = (typeof PACKET_FIELDS)[number];

function field(p: NormPacket, f: PacketField): string | undefined {
  if (f.startsWith('inner.')) {
    const v = p.inner?.[f.slice(6) as 'proto' | 'src' | 'dst' | 'seq'];
    return v === undefined ? undefined : String(v);
  }
  const v = p[f as keyof NormPacket];
  return v === undefined ? undefined : v === null ? 'null' : String(v);
}

/** A packet in one line, tcpdump-like, for messages. */
export function packetText(p: NormPacket | undefined): string {
  if (!p) return '(none)';
  const parts = [p.dir, p.proto, `${p.src} > ${p.dst}`];
  if (p.op) parts.push(p.op);
  if (p.flags !== undefined) parts.push(`[${p.flags}]`);
  if (p.seq) parts.push(`seq ${p.seq}`);
  if (p.ack) parts.push(`ack ${p.ack}`);
  if (p.type !== undefined) parts.push(`type ${p.type}/${p.code}`);
  if (p.id !== undefined) parts.push(`id ${p.id}`);
  if (p.gateway) parts.push(`gateway ${p.gateway}`);
  if (p.inner)
    parts.push(
      `inner ${p.inner.proto} ${p.inner.src} > ${p.inner.dst}${p.inner.seq ? ` seq ${p.inner.seq}` : ''}`,
    );
  if (p.len !== undefined) parts.push(`len ${p.len}`);
  if (p.opts) parts.push(`opts ${p.opts}`);
  if (p.ttl !== undefined) parts.push(`ttl ${p.ttl}`);
  if (p.lladdr) parts.push(`from ${p.lladdr}`);
  parts.push(`(${p.at})`);
  return parts.join(' ');
}

export function fromReference(p: RefPacket): NormPacket {
  const out: NormPacket = { dir: p.dir, proto: p.proto, src: p.src, dst: p.dst, at: `kernel #${p.n}` };
  for (const k of [
    'op',
    'flags',
    'seq',
    'ack',
    'len',
    'opts',
    'ttl',
    'type',
    'code',
    'id',
    'icmp_seq',
    'gateway',
    'lladdr',
  ] as const) {
    if (p[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = p[k];
  }
  if (p.inner) out.inner = { ...p.inner };
  return out;
}

// ---- natbox's frames, decoded and relabelled -----------------------------------------------

/** TCP sequence numbers as labels: I<k> for the k-th ISN seen (a SYN's seq), `+n` an offset. */
export class SeqLabeller {
  private readonly isns: number[] = [];
  /** A SYN's seq is an ISN, new unless seen before (a retransmitted SYN). */
  syn(seq: number): void {
    if (!this.isns.includes(seq)) this.isns.push(seq);
  }
  label(v: number): string {
    return seqLabel(this.isns, v);
  }
}

const OPT_NAMES: Readonly<Record<string, (o: { mss?: number }) => string>> = {
  mss: (o) => `mss${o.mss}`,
  sackOK: () => 'sackOK',
  ts: () => 'ts',
  ws: () => 'ws',
  sack: () => 'sack',
};

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

function l4Ends(f: Uint8Array, ip: number, proto: number): { src: string; dst: string; l4: number } {
  const l4 = ip + (f[ip]! & 0x0f) * 4;
  const s = formatIpv4(read32(f, ip + 12));
  const d = formatIpv4(read32(f, ip + 16));
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    return { src: `${s}:${read16(f, l4)}`, dst: `${d}:${read16(f, l4 + 2)}`, l4 };
  }
  return { src: s, dst: d, l4 };
}

const PROTO_NAMES: Readonly<Record<number, string>> = {
  [IPPROTO_TCP]: 'tcp',
  [IPPROTO_UDP]: 'udp',
  [IPPROTO_ICMP]: 'icmp',
};

/**
 * Decodes one Ethernet frame to the reference's fields, with TCP seq/ack (and a quoted TCP seq)
 * still raw (`natboxPackets` labels them in trace order). describeFrame (src/trace/frame.ts) has no
 * TCP options, ICMP quote or redirect gateway, hence this decoder. `owners` maps a MAC to `ns:ifname`.
 */
export function decodeFrame(
  f: Uint8Array,
  dir: string,
  at: string,
  owners: ReadonlyMap<string, string>,
): (NormPacket & { rawSeq?: number; rawAck?: number; rawInnerSeq?: number; syn?: boolean }) | undefined {
  const mac = formatMac(f, 6);
  const lladdr = owners.get(mac) ?? mac;
  const o = ETH_HEADER_LEN;
  const type = ethType(f);
  if (type === ETHERTYPE_ARP) {
    const op = read16(f, o + 6) === 1 ? 'request' : 'reply';
    return {
      dir,
      proto: 'arp',
      src: formatIpv4(read32(f, o + 14)),
      dst: formatIpv4(read32(f, o + 24)),
      op,
      lladdr,
      at,
    };
  }
  if (type !== ETHERTYPE_IPV4) return undefined;
  const proto = f[o + 9]!;
  const ttl = f[o + 8]!;
  const total = read16(f, o + 2);
  const { src, dst, l4 } = l4Ends(f, o, proto);
  const p: NormPacket & { rawSeq?: number; rawAck?: number; rawInnerSeq?: number; syn?: boolean } = {
    dir,
    proto: PROTO_NAMES[proto] ?? `ip${proto}`,
    src,
    dst,
    at,
  };
  if (proto === IPPROTO_TCP) {
    const doff = (f[l4 + 12]! >> 4) * 4;
    const flagsByte = f[l4 + 13]!;
    p.flags = formatTcpFlags(flagsByte);
    p.rawSeq = read32(f, l4 + 4);
    p.syn = (flagsByte & 0x02) !== 0;
    if (flagsByte & 0x10) p.rawAck = read32(f, l4 + 8);
    else p.ack = null;
    p.len = total - (f[o]! & 0x0f) * 4 - doff;
    const opts = parseTcpOptions(f, l4 + 20, l4 + doff);
    if (opts.ok) {
      const names = opts.value
        .filter((x) => x.kind in OPT_NAMES)
        .map((x) => OPT_NAMES[x.kind]!(x as { mss?: number }));
      if (names.length) p.opts = names.join(',');
    } else p.opts = `(bad options: ${opts.error})`;
  } else if (proto === IPPROTO_UDP) {
    p.len = read16(f, l4 + 4) - 8;
  } else if (proto === IPPROTO_ICMP) {
    const t = f[l4]!;
    p.type = t;
    p.code = f[l4 + 1]!;
    if (t === 0 || t === 8) {
      p.id = read16(f, l4 + 4);
      p.icmp_seq = read16(f, l4 + 6);
    }
    if (t === 5) p.gateway = formatIpv4(read32(f, l4 + 4));
    if (ICMP_ERRORS.has(t)) {
      const q = l4 + 8;
      const qp = f[q + 9]!;
      const ends = l4Ends(f, q, qp);
      p.inner = { proto: PROTO_NAMES[qp] ?? `ip${qp}`, src: ends.src, dst: ends.dst };
      if (qp === IPPROTO_TCP && ends.l4 + 8 <= f.length) p.rawInnerSeq = read32(f, ends.l4 + 4);
    }
  }
  p.ttl = ttl;
  p.lladdr = lladdr;
  return p;
}

/** natbox's packets per `host:ifname`, in trace order, decoded and with sequence labels. */
export function natboxPackets(kc: KernelCase, sim: SimResult): Map<string, NormPacket[]> {
  const owners = new Map<string, string>();
  for (const [name, i] of Object.entries(kc.result.topology.interfaces))
    owners.set(i.mac.toLowerCase(), name);
  const labeller = new SeqLabeller();
  const out = new Map<string, NormPacket[]>();
  for (const s of sim.steps) {
    if (s.kind !== 'packet') continue;
    const p = decodeFrame(s.frame, s.dir, `natbox t=${s.t.toFixed(4)}`, owners);
    if (!p) continue;
    if (p.syn && p.rawSeq !== undefined) labeller.syn(p.rawSeq);
    if (p.rawSeq !== undefined) p.seq = labeller.label(p.rawSeq);
    if (p.rawAck !== undefined) p.ack = labeller.label(p.rawAck);
    if (p.rawInnerSeq !== undefined && p.inner) p.inner.seq = labeller.label(p.rawInnerSeq);
    delete p.rawSeq;
    delete p.rawAck;
    delete p.rawInnerSeq;
    delete p.syn;
    const key = `${s.host}:${s.ifname}`;
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
 * The reference's volatile labels ($p1, $id1) bound to natbox's values as they are met. A label
 * may not stand for a value the case uses literally (the requested ports and ids): the kernel
 * chose another value because that one clashed, so natbox must choose another one too.
 */
export class Labels {
  readonly bound = new Map<string, string>();
  constructor(private readonly literal: ReadonlySet<string>) {}

  /** Whether natbox's `actual` matches the kernel's `expected`, binding labels in it. */
  match(expected: string, actual: string): boolean {
    if (!expected.includes('$')) return expected === actual;
    const names: string[] = [];
    const re = new RegExp(
      '^' +
        expected
          .split(/(\$[a-z]+\d+)/)
          .map((part) => {
            if (!/^\$[a-z]+\d+$/.test(part)) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            const b = this.bound.get(part);
            if (b !== undefined) return b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            names.push(part);
            return '(\\d+)';
          })
          .join('') +
        '$',
    );
    const m = re.exec(actual);
    if (!m) return false;
    const fresh = new Map<string, string>();
    for (let i = 0; i < names.length; i++) {
      const v = m[i + 1]!;
      if (this.literal.has(v)) return false;
      const prev = fresh.get(names[i]!);
      if (prev !== undefined && prev !== v) return false;
      fresh.set(names[i]!, v);
    }
    for (const [k, v] of fresh) this.bound.set(k, v);
    return true;
  }
}

export function labelsFor(kc: KernelCase): Labels {
  const lit = new Set<string>();
  for (const f of kc.case.flows) {
    for (const v of [f.sport, f.dport, f.icmp_id]) if (v !== undefined) lit.add(String(v));
  }
  return new Labels(lit);
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
  labels: Labels,
): Difference | undefined {
  const n = Math.max(natbox.length, kernel.length);
  for (let i = 0; i < n; i++) {
    const a = natbox[i];
    const b = kernel[i];
    const context = `  natbox: ${packetText(a)}\n  kernel: ${packetText(b)}`;
    const order = b ? Number(b.at.replace(/\D+/g, '')) : Number.MAX_SAFE_INTEGER;
    if (!a || !b) {
      return {
        case: caseName,
        what: 'packets',
        where: iface,
        index: i,
        field: 'packet',
        natbox: a ? packetText(a) : `(none: natbox has ${natbox.length} packets)`,
        kernel: b ? packetText(b) : `(none: the kernel has ${kernel.length} packets)`,
        context,
        order,
      };
    }
    for (const f of PACKET_FIELDS) {
      const x = field(a, f);
      const y = field(b, f);
      if (x === undefined && y === undefined) continue;
      if (x !== undefined && y !== undefined && labels.match(y, x)) continue;
      return {
        case: caseName,
        what: 'packets',
        where: iface,
        index: i,
        field: f,
        natbox: show(x),
        kernel: show(y),
        context,
        order,
      };
    }
  }
  return undefined;
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
  labels: Labels,
): PacketReport {
  const ifaces = [...new Set([...ref.keys(), ...nb.keys()])];
  // Interfaces in the order the kernel first used them, so labels bind where they first appear.
  const firstN = (k: string): number =>
    Number(ref.get(k)?.[0]?.at.replace(/\D+/g, '') ?? Number.MAX_SAFE_INTEGER);
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
    const ad = diffInterface(caseName, k, aa, ba, new Labels(new Set()));
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

const tupleKeys = ['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'] as const;
const tupleText = (t: RefTuple | CtEntryJson['orig']): string =>
  tupleKeys
    .filter((k) => t[k] !== undefined)
    .map((k) => `${k}=${t[k]}`)
    .join(' ');

export function entryText(e: RefCtEntry | CtEntryJson): string {
  return `${e.proto}${e.state ? ` ${e.state}` : ''} ${tupleText(e.orig)} | ${tupleText(e.reply)} [${[...e.flags].sort().join(',')}] mark=${e.mark}`;
}

/** natbox's conntrack entries of a host at the end of the run, as the reference shapes them. */
export function natboxConntrack(sim: SimResult, host: string): CtEntryJson[] {
  const nf = sim.world.hosts.get(host)?.nf;
  if (!nf) return [];
  const now = sim.end;
  return nf.conntrack.entries(now).map((e) => entryJson(nf.conntrack, e, now));
}

export function compareConntrack(kc: KernelCase, sim: SimResult, labels = labelsFor(kc)): Difference[] {
  const out: Difference[] = [];
  const hosts = new Set([...Object.keys(kc.result.conntrack), ...sim.world.hosts.keys()]);
  for (const h of [...hosts].sort()) {
    // The kernel lists in hash order; both sides sorted by the original tuple (never volatile).
    const key = (e: RefCtEntry | CtEntryJson): string => `${e.proto} ${tupleText(e.orig)}`;
    const k = [...(kc.result.conntrack[h] ?? [])].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const n = natboxConntrack(sim, h).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const ctx = `  natbox: ${n.map(entryText).join('\n          ') || '(empty)'}\n  kernel: ${k.map(entryText).join('\n          ') || '(empty)'}`;
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
      const a = n[i]!;
      const b = k[i]!;
      const fields: [string, string | undefined, string | undefined][] = [
        ['proto', a.proto, b.proto],
        ['state', a.state, b.state],
        ...tupleKeys.map((t): [string, string | undefined, string | undefined] => [
          `orig.${t}`,
          str(a.orig[t]),
          str(b.orig[t]),
        ]),
        ...tupleKeys.map((t): [string, string | undefined, string | undefined] => [
          `reply.${t}`,
          str(a.reply[t]),
          str(b.reply[t]),
        ]),
        ['flags', [...a.flags].sort().join(','), [...b.flags].sort().join(',')],
        ['mark', String(a.mark), String(b.mark)],
      ];
      const bad = fields.find(
        ([, x, y]) =>
          !(x === undefined && y === undefined) &&
          !(x !== undefined && y !== undefined && labels.match(y, x)),
      );
      if (bad) {
        out.push({
          case: kc.name,
          what: 'conntrack',
          where: `${h} entry ${i}`,
          field: bad[0],
          natbox: show(bad[1]),
          kernel: show(bad[2]),
          context: ctx,
        });
        break;
      }
    }
  }
  return out;
}

const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));

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
