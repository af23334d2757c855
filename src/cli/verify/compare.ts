// natbox against the kernel, for one scenario: packets per interface, conntrack tables at the end,
// and each flow's verdict. Values that differ from run to run are compared as labels, given on
// each side independently in the order they first appear in the run (all interfaces merged by
// time): TCP initial sequence numbers (I0, I1, …; other sequence numbers as `I1+6`) and every port
// or ICMP id the scenario does not name ($p1, $id1: what NAT chose on a clash). Each comparison
// reports its first difference: flow, host:interface, packet index, field, natbox's value, the
// kernel's value.
import type { Flow } from '../../sim/flows.ts';
import type { CtEntry, CtTuple } from './conntrack.ts';
import type { ArpPacket, RawPacket, Side } from './packets.ts';

export interface FlowOutcome {
  verdict: string;
  detail?: string;
  serverSaw?: string;
  replyFrom?: string;
}

/** One side of a run: its packets, its conntrack tables (hosts with rules), its flows' outcomes. */
export interface SideRun {
  readonly side: Side;
  readonly conntrack: ReadonlyMap<string, readonly CtEntry[]>;
  /** In the order of the scenario's flows. */
  readonly flows: readonly FlowOutcome[];
}

export interface Difference {
  readonly what: 'packets' | 'conntrack' | 'verdict';
  /** The flow the packet or entry belongs to, when one can be told. */
  readonly flow?: string;
  /** `host:ifname` (packets), host (conntrack), flow name (verdict). */
  readonly where: string;
  /** Packet index among the IPv4 packets of that interface, or entry index, 0-based. */
  readonly index?: number;
  readonly field: string;
  readonly natbox: string;
  readonly kernel: string;
  /** Both packets or tables in full. */
  readonly context?: string;
  /** Seconds from the start of the run, to find the earliest difference. */
  readonly t?: number;
}

export interface InterfaceCount {
  readonly iface: string;
  readonly natbox: number;
  readonly kernel: number;
  readonly match: boolean;
}

export interface Comparison {
  readonly packets: {
    readonly match: boolean;
    readonly interfaces: InterfaceCount[];
    readonly first?: Difference;
  };
  readonly conntrack: { readonly match: boolean; readonly hosts: string[]; readonly first?: Difference };
  readonly verdict: { readonly match: boolean; readonly first?: Difference };
  /** ARP, for information only: a summary line and one line per interface that differs. */
  readonly arp: string[];
  /** Every first difference (one per interface, host or flow), earliest first. */
  readonly differences: Difference[];
}

// ---- labels ----------------------------------------------------------------------------------

/** One side's labels: ISNs and the ports / ICMP ids the scenario does not name. */
export class SideLabels {
  private readonly isns: number[] = [];
  private readonly ports = new Map<number, string>();
  private readonly ids = new Map<number, string>();
  constructor(private readonly literal: ReadonlySet<number>) {}

  /** Walks the run in time order so labels are given where values first appear. */
  learn(packets: readonly RawPacket[]): void {
    const byTime = [...packets].sort((a, b) => a.t - b.t);
    for (const p of byTime) {
      if (p.syn && p.seq !== undefined && !this.isns.includes(p.seq)) this.isns.push(p.seq);
      if (p.sport !== undefined) this.port(p.sport);
      if (p.dport !== undefined) this.port(p.dport);
      if (p.icmpId !== undefined) this.id(p.icmpId);
    }
  }

  port(v: number): string {
    if (this.literal.has(v)) return String(v);
    let l = this.ports.get(v);
    if (!l) this.ports.set(v, (l = `$p${this.ports.size + 1}`));
    return l;
  }

  id(v: number): string {
    if (this.literal.has(v)) return String(v);
    let l = this.ids.get(v);
    if (!l) this.ids.set(v, (l = `$id${this.ids.size + 1}`));
    return l;
  }

  seq(v: number): string {
    return seqLabel(this.isns, v);
  }

  /** `ip:port` with the port labelled. */
  endpoint(s: string | undefined): string | undefined {
    if (s === undefined) return undefined;
    const m = /^(.*):(\d+)$/.exec(s);
    return m ? `${m[1]}:${this.port(Number(m[2]))}` : s;
  }
}

/** Every port and id the scenario names: flows' ports and ids, listening ports, numbers in rules. */
export function literalNumbers(
  flows: readonly Flow[],
  listen: readonly number[],
  ruleText: readonly string[],
): Set<number> {
  const lit = new Set<number>(listen);
  for (const f of flows) {
    lit.add(f.sport);
    lit.add(f.dport);
    if (f.proto === 'icmp') lit.add(f.icmpId);
  }
  for (const line of ruleText) {
    const noAddrs = line.replace(/\d+\.\d+\.\d+\.\d+(\/\d+)?/g, ' ');
    for (const m of noAddrs.matchAll(/\d+/g)) lit.add(Number(m[0]));
  }
  return lit;
}

// ---- packets ---------------------------------------------------------------------------------

/** A packet as compared: every value as text, labels applied. */
export interface NormPacket {
  readonly t: number;
  readonly fields: ReadonlyArray<readonly [string, string | undefined]>;
}

export const PACKET_FIELDS = ['dir', 'proto', 'src', 'dst', 'flags', 'seq', 'ack', 'len', 'ttl', 'icmp'];

export function normalise(p: RawPacket, l: SideLabels): NormPacket {
  const at = (ip: string, port: number | undefined): string =>
    port === undefined ? ip : `${ip}:${l.port(port)}`;
  const icmp =
    p.icmpType === undefined
      ? undefined
      : `type ${p.icmpType} code ${p.icmpCode}${p.icmpId !== undefined ? ` id ${l.id(p.icmpId)}` : ''}`;
  return {
    t: p.t,
    fields: [
      ['dir', p.dir],
      ['proto', p.proto],
      ['src', at(p.src, p.sport)],
      ['dst', at(p.dst, p.dport)],
      ['flags', p.flags],
      ['seq', p.seq === undefined ? undefined : l.seq(p.seq)],
      ['ack', p.ack === undefined ? undefined : l.seq(p.ack)],
      ['len', p.len === undefined ? undefined : String(p.len)],
      ['ttl', String(p.ttl)],
      ['icmp', icmp],
    ],
  };
}

export function packetText(p: NormPacket | undefined): string {
  if (!p) return '(none)';
  const f = new Map(p.fields);
  const parts = [f.get('dir'), f.get('proto'), `${f.get('src')} > ${f.get('dst')}`];
  if (f.get('flags') !== undefined) parts.push(`[${f.get('flags')}]`);
  if (f.get('seq') !== undefined) parts.push(`seq ${f.get('seq')}`);
  if (f.get('ack') !== undefined) parts.push(`ack ${f.get('ack')}`);
  if (f.get('icmp') !== undefined) parts.push(f.get('icmp'));
  if (f.get('len') !== undefined) parts.push(`len ${f.get('len')}`);
  parts.push(`ttl ${f.get('ttl')}`, `(t=${p.t.toFixed(4)})`);
  return parts.join(' ');
}

function groupBy<T extends { iface: string }>(xs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    let l = m.get(x.iface);
    if (!l) m.set(x.iface, (l = []));
    l.push(x);
  }
  return m;
}

/** The flow a packet belongs to: by its ports or echo id, else the last flow of that protocol begun. */
function flowOf(p: RawPacket | undefined, flows: readonly Flow[]): string | undefined {
  if (!p) return undefined;
  const byPort = flows.find(
    (f) =>
      f.proto === p.proto &&
      (f.proto === 'icmp' ? p.icmpId === f.icmpId : p.sport === f.sport || p.dport === f.sport),
  );
  if (byPort) return byPort.name;
  const started = flows.filter((f) => f.proto === p.proto && f.at <= p.t + 0.05);
  return started[started.length - 1]?.name;
}

function comparePackets(
  flows: readonly Flow[],
  nb: Side,
  kn: Side,
  ln: SideLabels,
  lk: SideLabels,
): { interfaces: InterfaceCount[]; diffs: Difference[] } {
  const a = groupBy(nb.packets);
  const b = groupBy(kn.packets);
  const first = (k: string): number => Math.min(b.get(k)?.[0]?.t ?? Infinity, a.get(k)?.[0]?.t ?? Infinity);
  const ifaces = [...new Set([...a.keys(), ...b.keys()])].sort(
    (x, y) => first(x) - first(y) || (x < y ? -1 : 1),
  );
  const interfaces: InterfaceCount[] = [];
  const diffs: Difference[] = [];
  for (const k of ifaces) {
    const ra = a.get(k) ?? [];
    const rb = b.get(k) ?? [];
    const na = ra.map((p) => normalise(p, ln));
    const nk = rb.map((p) => normalise(p, lk));
    let d: Difference | undefined;
    for (let i = 0; i < Math.max(na.length, nk.length) && !d; i++) {
      const x = na[i];
      const y = nk[i];
      const context = `  natbox: ${packetText(x)}\n  kernel: ${packetText(y)}`;
      const flow = flowOf(rb[i] ?? ra[i], flows);
      const common = {
        what: 'packets' as const,
        where: k,
        index: i,
        context,
        t: (y ?? x)!.t,
        ...(flow ? { flow } : {}),
      };
      if (!x || !y) {
        d = {
          ...common,
          field: 'packet',
          natbox: x ? packetText(x) : `(none: natbox has ${na.length} packets here)`,
          kernel: y ? packetText(y) : `(none: the kernel has ${nk.length} packets here)`,
        };
        break;
      }
      for (let j = 0; j < x.fields.length; j++) {
        const [name, vx] = x.fields[j]!;
        const vy = y.fields[j]![1];
        if (vx !== vy) {
          d = { ...common, field: name, natbox: show(vx), kernel: show(vy) };
          break;
        }
      }
    }
    interfaces.push({ iface: k, natbox: na.length, kernel: nk.length, match: !d });
    if (d) diffs.push(d);
  }
  return { interfaces, diffs };
}

const show = (v: string | undefined): string => (v === undefined ? '(absent)' : v);

function arpSummary(nb: readonly ArpPacket[], kn: readonly ArpPacket[]): string[] {
  const text = (p: ArpPacket): string => `${p.dir} ${p.op} ${p.sender} > ${p.target}`;
  const a = groupBy(nb);
  const b = groupBy(kn);
  const lines: string[] = [];
  let same = 0;
  const ifaces = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const k of ifaces) {
    const x = (a.get(k) ?? []).map(text);
    const y = (b.get(k) ?? []).map(text);
    const i = x.findIndex((v, n) => v !== y[n]);
    const at = i >= 0 ? i : x.length !== y.length ? Math.min(x.length, y.length) : -1;
    if (at < 0) same++;
    else
      lines.push(
        `${k}: ARP ${x.length} natbox / ${y.length} kernel; #${at}: natbox ${x[at] ?? '(none)'}, kernel ${y[at] ?? '(none)'}`,
      );
  }
  lines.unshift(
    `ARP (not compared): ${nb.length} natbox / ${kn.length} kernel frames, the same on ${same} of ${ifaces.length} interfaces`,
  );
  return lines;
}

// ---- conntrack -------------------------------------------------------------------------------

const TUPLE_KEYS = ['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'] as const;

function labelTuple(t: CtTuple, l: SideLabels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TUPLE_KEYS) {
    const v = t[k];
    if (v === undefined) continue;
    out[k] =
      k === 'sport' || k === 'dport' ? l.port(v as number) : k === 'id' ? l.id(v as number) : String(v);
  }
  return out;
}

function ctFields(e: CtEntry, l: SideLabels): [string, string | undefined][] {
  const o = labelTuple(e.orig, l);
  const r = labelTuple(e.reply, l);
  return [
    ['proto', e.proto],
    ['state', e.state],
    ...TUPLE_KEYS.map((k): [string, string | undefined] => [`orig.${k}`, o[k]]),
    ...TUPLE_KEYS.map((k): [string, string | undefined] => [`reply.${k}`, r[k]]),
    ['flags', e.flags.join(',')],
  ];
}

export function entryText(e: CtEntry, l: SideLabels): string {
  const f = new Map(ctFields(e, l));
  const tup = (d: string): string =>
    TUPLE_KEYS.filter((k) => f.get(`${d}.${k}`) !== undefined)
      .map((k) => `${k}=${f.get(`${d}.${k}`)}`)
      .join(' ');
  return `${e.proto}${e.state ? ` ${e.state}` : ''} ${tup('orig')} | ${tup('reply')}${e.flags.length ? ` [${e.flags.join(',')}]` : ''}`;
}

function compareConntrack(
  hosts: readonly string[],
  nb: SideRun,
  kn: SideRun,
  ln: SideLabels,
  lk: SideLabels,
  flows: readonly Flow[],
): Difference[] {
  const out: Difference[] = [];
  for (const h of hosts) {
    const key = (l: SideLabels) => (e: CtEntry) => `${e.proto} ${entryText(e, l)}`;
    const a = [...(nb.conntrack.get(h) ?? [])].sort((x, y) => (key(ln)(x) < key(ln)(y) ? -1 : 1));
    const b = [...(kn.conntrack.get(h) ?? [])].sort((x, y) => (key(lk)(x) < key(lk)(y) ? -1 : 1));
    const context = `  natbox: ${a.map((e) => entryText(e, ln)).join('\n          ') || '(empty)'}\n  kernel: ${b.map((e) => entryText(e, lk)).join('\n          ') || '(empty)'}`;
    const flowFor = (e: CtEntry | undefined): string | undefined =>
      e &&
      flows.find((f) => f.proto === e.proto && (e.orig.sport === f.sport || e.orig.id === f.icmpId))?.name;
    if (a.length !== b.length) {
      const flow = flowFor(b[0] ?? a[0]);
      out.push({
        what: 'conntrack',
        where: h,
        field: 'entries',
        natbox: String(a.length),
        kernel: String(b.length),
        context,
        ...(flow ? { flow } : {}),
      });
      continue;
    }
    for (let i = 0; i < a.length; i++) {
      const fa = ctFields(a[i]!, ln);
      const fb = ctFields(b[i]!, lk);
      const j = fa.findIndex(([, v], n) => v !== fb[n]![1]);
      if (j >= 0) {
        const flow = flowFor(b[i]);
        out.push({
          what: 'conntrack',
          where: h,
          index: i,
          field: fa[j]![0],
          natbox: show(fa[j]![1]),
          kernel: show(fb[j]![1]),
          context,
          ...(flow ? { flow } : {}),
        });
        break;
      }
    }
  }
  return out;
}

// ---- verdicts --------------------------------------------------------------------------------

function compareVerdicts(
  flows: readonly Flow[],
  nb: SideRun,
  kn: SideRun,
  ln: SideLabels,
  lk: SideLabels,
): Difference[] {
  const out: Difference[] = [];
  flows.forEach((f, i) => {
    const a = nb.flows[i];
    const b = kn.flows[i];
    const fields: [string, string | undefined, string | undefined][] = [
      ['verdict', a?.verdict, b?.verdict],
      ['server saw', ln.endpoint(a?.serverSaw), lk.endpoint(b?.serverSaw)],
      ['reply from', ln.endpoint(a?.replyFrom), lk.endpoint(b?.replyFrom)],
    ];
    const bad = fields.find(([, x, y]) => x !== y);
    if (bad)
      out.push({
        what: 'verdict',
        flow: f.name,
        where: f.name,
        field: bad[0],
        natbox: show(bad[1]),
        kernel: show(bad[2]),
        context: `  natbox: ${a ? `${a.verdict} (${a.detail ?? ''})` : '(none)'}\n  kernel: ${b ? `${b.verdict} (${b.detail ?? ''})` : '(none)'}`,
        t: f.at,
      });
  });
  return out;
}

// ---- all of it -------------------------------------------------------------------------------

export interface CompareInput {
  readonly flows: readonly Flow[];
  /** Ports and ids the scenario names (never labelled). */
  readonly literal: ReadonlySet<number>;
  /** Hosts whose conntrack tables are compared (those with rules). */
  readonly ctHosts: readonly string[];
  readonly natbox: SideRun;
  readonly kernel: SideRun;
}

export function compareRuns(inp: CompareInput): Comparison {
  const ln = new SideLabels(inp.literal);
  const lk = new SideLabels(inp.literal);
  ln.learn(inp.natbox.side.packets);
  lk.learn(inp.kernel.side.packets);
  const p = comparePackets(inp.flows, inp.natbox.side, inp.kernel.side, ln, lk);
  const v = compareVerdicts(inp.flows, inp.natbox, inp.kernel, ln, lk);
  const c = compareConntrack(inp.ctHosts, inp.natbox, inp.kernel, ln, lk, inp.flows);
  const earliest = (ds: Difference[]): Difference | undefined =>
    [...ds].sort((x, y) => (x.t ?? Infinity) - (y.t ?? Infinity))[0];
  const fp = earliest(p.diffs);
  const fc = c[0];
  const fv = earliest(v);
  return {
    packets: { match: !fp, interfaces: p.interfaces, ...(fp ? { first: fp } : {}) },
    conntrack: { match: !fc, hosts: [...inp.ctHosts], ...(fc ? { first: fc } : {}) },
    verdict: { match: !fv, ...(fv ? { first: fv } : {}) },
    arp: arpSummary(inp.natbox.side.arp, inp.kernel.side.arp),
    differences: [...p.diffs, ...v, ...c].sort((x, y) => (x.t ?? Infinity) - (y.t ?? Infinity)),
  };
}

export function formatDifference(d: Difference): string {
  const flow = d.flow ? `flow "${d.flow}", ` : '';
  const idx =
    d.index !== undefined ? (d.what === 'packets' ? ` packet #${d.index}` : ` entry #${d.index}`) : '';
  const head = `${d.what}: ${flow}${d.where}${idx}: ${d.field}: natbox ${d.natbox}, kernel ${d.kernel}`;
  return d.context ? `${head}\n${d.context}` : head;
}

/**
 * A TCP sequence number as the kernel reference runs label it: `I<k>` for the k-th initial
 * sequence number seen, `I<k>+<offset>` after it (the nearest ISN below, within 2^24).
 */
export function seqLabel(isns: readonly number[], v: number): string {
  let best = -1;
  let off = 0;
  isns.forEach((isn, k) => {
    const o = (v - isn) >>> 0;
    if (o < 1 << 24 && (best < 0 || o < off)) {
      best = k;
      off = o;
    }
  });
  if (best < 0) return `?${v}`;
  return off === 0 ? `I${best}` : `I${best}+${off}`;
}
