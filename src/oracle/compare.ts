// Comparison: the first difference of two packet lists (per interface), of two conntrack entries,
// of two field lists; and compareRuns, natbox's run against a live kernel run (natbox verify).
// A comparison takes `same(expected, actual)`: plain equality where each side was labelled on its
// own (natbox verify), BoundLabels.match where the other side's labels bind to natbox's values
// (the conformance tests against the kernel reference). Every comparison reports its first
// difference: flow, host:interface, packet index, field, natbox's value, the kernel's value.
import {
  entryFields,
  entryText,
  firstStatsDifference,
  statsText,
  type CtEntry,
  type CtStatsCompared,
} from './conntrack.ts';
import { SideLabels, type OracleFlow } from './labels.ts';
import {
  LIVE_FIELDS,
  normalise,
  PACKET_FIELDS,
  packetText,
  type NormPacket,
  type PacketField,
} from './normalise.ts';
import { alignConversations, CAPTURE_RESOLUTION } from './interleave.ts';
import type { ArpPacket, RawPacket, Side } from './packets.ts';
import { compareNftSets, type SetListing } from './nft-sets.ts';

/** Whether natbox's `actual` value agrees with the kernel's `expected` one. */
export type Same = (expected: string, actual: string) => boolean;
export const strictSame: Same = (a, b) => a === b;

/**
 * The first field whose values differ, the lists aligned by name (natbox's order, then names only
 * the kernel has). Absent on both sides is the same; absent on one is a difference.
 */
export function firstFieldDifference(
  natbox: ReadonlyArray<readonly [string, string | undefined]>,
  kernel: ReadonlyArray<readonly [string, string | undefined]>,
  same: Same = strictSame,
): { field: string; natbox: string | undefined; kernel: string | undefined } | undefined {
  const k = new Map(kernel);
  const names = [
    ...natbox.map(([n]) => n),
    ...kernel.map(([n]) => n).filter((n) => !natbox.some(([m]) => m === n)),
  ];
  const n = new Map(natbox);
  for (const name of names) {
    const x = n.get(name);
    const y = k.get(name);
    if (x === undefined && y === undefined) continue;
    if (x !== undefined && y !== undefined && same(y, x)) continue;
    return { field: name, natbox: x, kernel: y };
  }
  return undefined;
}

export interface PacketDifference {
  /** Index in both lists, 0-based. */
  readonly index: number;
  /** The field, or `packet` when one side has no packet at that index. */
  readonly field: PacketField | 'packet';
  readonly natbox: NormPacket | undefined;
  readonly kernel: NormPacket | undefined;
  /** The field's values (undefined: absent). */
  readonly natboxValue?: string;
  readonly kernelValue?: string;
}

const fieldsOf = (p: NormPacket): [string, string | undefined][] => PACKET_FIELDS.map((f) => [f, p[f]]);

/** The first difference of two packet lists of one interface, in order, or undefined. */
export function firstPacketDifference(
  natbox: readonly NormPacket[],
  kernel: readonly NormPacket[],
  same: Same = strictSame,
): PacketDifference | undefined {
  const n = Math.max(natbox.length, kernel.length);
  for (let i = 0; i < n; i++) {
    const a = natbox[i];
    const b = kernel[i];
    if (!a || !b) return { index: i, field: 'packet', natbox: a, kernel: b };
    const d = firstFieldDifference(fieldsOf(a), fieldsOf(b), same);
    if (d)
      return {
        index: i,
        field: d.field as PacketField,
        natbox: a,
        kernel: b,
        ...(d.natbox !== undefined ? { natboxValue: d.natbox } : {}),
        ...(d.kernel !== undefined ? { kernelValue: d.kernel } : {}),
      };
  }
  return undefined;
}

export interface InterfaceResult {
  readonly iface: string;
  readonly natbox: number;
  readonly kernel: number;
  readonly difference?: PacketDifference;
}

/**
 * Both sides' packets per interface, compared interface by interface in `order` (then by name):
 * with BoundLabels, labels bind where they first appear in that order.
 */
export function compareInterfaces(
  natbox: ReadonlyMap<string, readonly NormPacket[]>,
  kernel: ReadonlyMap<string, readonly NormPacket[]>,
  order: (iface: string) => number,
  same: Same = strictSame,
): InterfaceResult[] {
  const ifaces = [...new Set([...natbox.keys(), ...kernel.keys()])].sort(
    (x, y) => order(x) - order(y) || (x < y ? -1 : 1),
  );
  return ifaces.map((iface) => {
    const a = natbox.get(iface) ?? [];
    const b = kernel.get(iface) ?? [];
    const d = firstPacketDifference(a, b, same);
    return { iface, natbox: a.length, kernel: b.length, ...(d ? { difference: d } : {}) };
  });
}

/** Items grouped by their `iface`, each group in the order given. */
export function byInterface<T extends { readonly iface: string }>(xs: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    let l = m.get(x.iface);
    if (!l) m.set(x.iface, (l = []));
    l.push(x);
  }
  return m;
}

// ---- natbox against a live kernel run (natbox verify) -----------------------------------------

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
  /** `conntrack -S` per host with rules, where the side has it (compared when both have it). */
  readonly ctStats?: ReadonlyMap<string, CtStatsCompared>;
  /**
   * The kernel's side: when its `conntrack -L` of each host ran, as seconds after the run's end
   * [before the command started, after it returned]. Timeouts are compared only with it.
   */
  readonly ctReadAt?: ReadonlyMap<string, readonly [number, number]>;
  /**
   * The kernel's side: when its `conntrack -S` of each host returned, seconds after the run's end.
   * Its counters then include the packets of that host captured after the end until that moment.
   */
  readonly ctStatsAt?: ReadonlyMap<string, number>;
  /** Each nft host's named sets and maps as listed at the end (natbox: Host.nftListing; the kernel: nft list ruleset). */
  readonly nftSets?: ReadonlyMap<string, readonly SetListing[]>;
  /**
   * The kernel's side: the hosts whose `nft list ruleset` natbox could not read back, with the
   * reader's error: their sets are not compared, and the report says so.
   */
  readonly nftUnread?: ReadonlyMap<string, string>;
  /** The kernel's side: when each host's `nft list ruleset` was read, seconds after the end. */
  readonly nftReadAt?: ReadonlyMap<string, readonly [number, number]>;
}

/**
 * How far (seconds) the kernel's last refresh of an entry may be from natbox's: the flow clients
 * start each flow at its wall-clock time (late by their scheduling, a few ms on a shared machine),
 * and a packet an endpoint's timer sends (a retransmission) leaves when the kernel's timer wheel
 * runs the timer, which depends on the wheel's tick phase natbox cannot know (timer-wheel.ts puts a
 * tick at 0): each timer of 1-2 s is rounded up by up to 32 ms, of 2-16 s by up to 256 ms, and the
 * delays add up along a series (a SYN retransmitted after 1, 2, 4 and 8 s: up to 0.58 s,
 * tcp-syn-retransmit-series.yaml). Timers of 16 s and more (level 3, 2.048 s buckets) would need
 * more; no scenario's run is long enough for a retransmission after one to refresh an entry.
 */
export const CT_TIMEOUT_JITTER = 0.6;

/**
 * The remaining timeouts natbox's exact time left `left` allows in the kernel's column, read `at`
 * = [from, to] seconds after the run's end: the kernel's time left then is within
 * [left - to - jitter, left - from + jitter], and it prints it in whole seconds rounded down
 * (ctnetlink_dump_timeout: nf_ct_expires(ct) / HZ), never below 0.
 */
export function timeoutRange(left: number, at: readonly [number, number]): [number, number] {
  const lo = Math.max(0, Math.floor(left - at[1] - CT_TIMEOUT_JITTER));
  const hi = Math.max(0, Math.floor(left - at[0] + CT_TIMEOUT_JITTER));
  return [lo, hi];
}

export interface Difference {
  readonly what: 'packets' | 'conntrack' | 'verdict' | 'arp' | 'nft';
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
  /** The elements of nft sets and maps after the run (nft-sets.ts), where both sides listed them. */
  readonly nft: {
    readonly match: boolean;
    readonly compared: readonly string[];
    readonly first?: Difference;
  };
  /** ARP: a summary line and one line per interface that differs. */
  readonly arp: string[];
  /** ARP compared (compareArp); it counts towards the result only where the input asks (`arp`). */
  readonly arpCompared: { readonly match: boolean; readonly counted: boolean; readonly first?: Difference };
  /** Every first difference (one per interface, host or flow), earliest first. */
  readonly differences: Difference[];
}

const show = (v: string | undefined): string => (v === undefined ? '(absent)' : v);

/** The flow a packet belongs to: by its ports or echo id, else the last flow of that protocol begun. */
function flowOf(p: RawPacket | undefined, flows: readonly OracleFlow[]): string | undefined {
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
  flows: readonly OracleFlow[],
  nb: Side,
  kn: Side,
  ln: SideLabels,
  lk: SideLabels,
  end: number,
): { interfaces: InterfaceCount[]; diffs: Difference[] } {
  const a = byInterface(nb.packets);
  const b = byInterface(kn.packets);
  // The run's end: natbox's simulation stops there, the kernel's capture runs on a little (the
  // tables are read first). The kernel's packets after it are left out; natbox's last packets of
  // an interface whose kernel twins came after it (a timer the wheel rounded past the end on
  // either side) are no difference: they are left out when the kernel had packets after the end
  // there and each of them lies within ARP_LATE of it.
  for (const [k, ys] of b) {
    const kept = ys.filter((p) => p.t <= end);
    if (kept.length === ys.length) continue;
    b.set(k, kept);
    const xs = a.get(k);
    if (!xs || xs.length <= kept.length) continue;
    if (xs.slice(kept.length).every((p) => p.t + ARP_LATE > end)) a.set(k, xs.slice(0, kept.length));
  }
  // Two conversations' packets close together come in natbox's order (src/oracle/interleave.ts).
  for (const [k, ys] of b) b.set(k, alignConversations(a.get(k) ?? [], ys));
  const norm = (m: Map<string, RawPacket[]>, l: SideLabels): Map<string, NormPacket[]> =>
    new Map([...m].map(([k, ps]) => [k, ps.map((p) => normalise(p, l, { fields: LIVE_FIELDS }))]));
  const first = (k: string): number => Math.min(b.get(k)?.[0]?.t ?? Infinity, a.get(k)?.[0]?.t ?? Infinity);
  const interfaces: InterfaceCount[] = [];
  const diffs: Difference[] = [];
  for (const r of compareInterfaces(norm(a, ln), norm(b, lk), first)) {
    interfaces.push({ iface: r.iface, natbox: r.natbox, kernel: r.kernel, match: !r.difference });
    const d = r.difference;
    if (!d) continue;
    const x = d.natbox;
    const y = d.kernel;
    const flow = flowOf(b.get(r.iface)?.[d.index] ?? a.get(r.iface)?.[d.index], flows);
    const common = {
      what: 'packets' as const,
      where: r.iface,
      index: d.index,
      context: `  natbox: ${packetText(x)}\n  kernel: ${packetText(y)}`,
      t: (y ?? x)!.t,
      ...(flow ? { flow } : {}),
    };
    diffs.push(
      d.field === 'packet'
        ? {
            ...common,
            field: 'packet',
            natbox: x ? packetText(x) : `(none: natbox has ${r.natbox} packets here)`,
            kernel: y ? packetText(y) : `(none: the kernel has ${r.kernel} packets here)`,
          }
        : { ...common, field: d.field, natbox: show(d.natboxValue), kernel: show(d.kernelValue) },
    );
  }
  return { interfaces, diffs };
}

/**
 * How far the kernel's ARP frame may be from natbox's, in seconds: earlier by ARP_EARLY (the
 * capture's clock against the start time the agents were given), later by ARP_LATE (a 5 s
 * neighbour timer sits in the timer wheel's level 3, which rounds its expiry up by up to 512
 * jiffies at HZ 1000; natbox fires it on time; plus a loaded machine's scheduling).
 */
export const ARP_EARLY = 0.1;
export const ARP_LATE = 0.75;

/**
 * How much later than the kernel's natbox may send a timer's ARP frame, in seconds: a 5 s
 * neighbour timer sits in the timer wheel's level 2 at HZ 250, rounded up by up to 256 ms from a
 * tick phase natbox's is not (gen-20261201-1: the kernel's probe at 5.012 s, before the end, natbox's
 * in its own bucket after it).
 */
export const ARP_TAIL = 0.3;

/** An ARP frame as compared: direction, operation, sender > target. */
const arpText = (p: ArpPacket): string => `${p.dir} ${p.op} ${p.sender} > ${p.target}`;
const arpAt = (p: ArpPacket | undefined): string => (p ? `${arpText(p)} (t=${p.t.toFixed(4)})` : '(none)');

/**
 * natbox's frames of one interface sent at the same instant: the same simulated time (to within
 * SAME_INSTANT, below the simulator's 0.1 ms link latency), as when two hosts' broadcasts meet on a
 * link or a redirect and a forwarded packet leave together. The kernel's order of such frames is a
 * race between namespaces (softirqs on different CPUs), so the comparison takes them in any order.
 */
export const SAME_INSTANT = 1e-6;

/**
 * The kernel's frames reordered so that within each group of natbox frames at the same instant
 * (indices i..j-1 in `x`), the kernel's frames at those indices come in natbox's order where they
 * are the same frames (by `arpText`); the others keep their order after them.
 */
export function alignSameInstant(x: readonly ArpPacket[], y: readonly ArpPacket[]): ArpPacket[] {
  const out = [...y];
  for (let i = 0; i < x.length;) {
    let j = i + 1;
    while (j < x.length && Math.abs(x[j]!.t - x[i]!.t) < SAME_INSTANT) j++;
    if (j - i > 1 && i < out.length) {
      const rest = out.slice(i, Math.min(j, out.length));
      const took: ArpPacket[] = [];
      for (let k = i; k < j; k++) {
        const m = rest.findIndex((q) => arpText(q) === arpText(x[k]!));
        if (m >= 0) took.push(...rest.splice(m, 1));
      }
      out.splice(i, took.length + rest.length, ...took, ...rest);
    }
    i = j;
  }
  return out;
}

/**
 * ARP per interface: the frames up to `end` (the run's end: the kernel's neighbour timers go on
 * probing and refreshing after it), in order (frames natbox sends at the same instant in any
 * order: alignSameInstant), the same direction, operation, sender and target, and the kernel's
 * within [−ARP_EARLY, +ARP_LATE] of natbox's, or of the window natbox's frame carries (`window`:
 * a timer the kernel randomises). A summary line, then one per interface that differs; `diffs`
 * holds the first difference of each such interface.
 */
export function compareArp(
  nb: readonly ArpPacket[],
  kn: readonly ArpPacket[],
  end: number,
): { lines: string[]; diffs: Difference[] } {
  const a = byInterface(nb.filter((p) => p.t <= end));
  const b = byInterface(kn.filter((p) => p.t <= end));
  const lines: string[] = [];
  const diffs: Difference[] = [];
  const ifaces = [...new Set([...a.keys(), ...b.keys()])].sort();
  let frames = 0;
  for (const k of ifaces) {
    const x = a.get(k) ?? [];
    const y = alignSameInstant(x, b.get(k) ?? []);
    frames += y.length;
    let d: Difference | undefined;
    for (let i = 0; i < Math.max(x.length, y.length) && !d; i++) {
      const p = x[i];
      const q = y[i];
      // natbox's frame whose kernel counterpart may come after the end (within its lateness): the
      // kernel's is then left out with the frames after the end, so from here nothing is missing.
      if (p && !q && (p.window ? p.window[1] : p.t) + ARP_LATE > end) break;
      // And the other way: the kernel's frame near the end whose natbox twin may come after it (a
      // neighbour timer natbox's wheel phase fires up to ARP_TAIL later): natbox's is not recorded.
      if (q && !p && q.t + ARP_TAIL + CAPTURE_RESOLUTION > end) break;
      const common = {
        what: 'arp' as const,
        where: k,
        index: i,
        t: (q ?? p)!.t,
        context: `  natbox: ${arpAt(p)}\n  kernel: ${arpAt(q)}`,
      };
      if (!p || !q || arpText(p) !== arpText(q))
        d = {
          ...common,
          field: 'frame',
          natbox: p ? arpText(p) : `(none: natbox has ${x.length} ARP frames here)`,
          kernel: q ? arpText(q) : `(none: the kernel has ${y.length} ARP frames here)`,
        };
      else {
        const [lo, hi] = p.window
          ? [p.window[0] - ARP_EARLY, p.window[1] + ARP_LATE]
          : [p.t - ARP_EARLY, p.t + ARP_LATE];
        if (q.t < lo || q.t > hi)
          d = {
            ...common,
            field: 'time',
            natbox: p.window ? `${lo.toFixed(3)}..${hi.toFixed(3)}` : p.t.toFixed(3),
            kernel: q.t.toFixed(3),
          };
      }
    }
    if (d) {
      diffs.push(d);
      lines.push(
        `${k}: ARP ${x.length} natbox / ${y.length} kernel; #${d.index}: ${d.field}: natbox ${d.natbox}, kernel ${d.kernel}`,
      );
    }
  }
  const late = kn.length - kn.filter((p) => p.t <= end).length;
  lines.unshift(
    `ARP: ${nb.filter((p) => p.t <= end).length} natbox / ${frames} kernel frames up to the end (t=${end.toFixed(1)}${late ? `; ${late} kernel frames after it left out` : ''}), the same on ${ifaces.length - diffs.length} of ${ifaces.length} interfaces`,
  );
  return { lines, diffs };
}

const labelField = (e: CtEntry): [string, string][] =>
  e.labels !== undefined ? [['labels', e.labels || '(none)']] : [];

/**
 * Helpers whose entries' timeouts are compared: those natbox runs (conntrack/helper.ts). The others
 * natbox attaches by name only, and some set the timeout themselves on every packet (sip_help_udp:
 * nf_ct_refresh to sip_timeout, 3600 s; H.323's RAS likewise), which natbox does not do: measured
 * in fw4-helpers.yaml, the kernel's sip entry had 3596 s left where natbox's udp timeout left 27.
 */
const TIMED_HELPERS: ReadonlySet<string> = new Set(['ftp', 'tftp']);

/** The remaining timeout outside timeoutRange (natbox's exact, the kernel's printed column). */
function timeoutDifference(
  a: CtEntry,
  b: CtEntry,
  at: readonly [number, number] | undefined,
): { field: string; natbox: string; kernel: string } | undefined {
  if (at === undefined || a.timeout === undefined || b.timeout === undefined) return undefined;
  if (b.helper !== undefined && !TIMED_HELPERS.has(b.helper)) return undefined;
  const [lo, hi] = timeoutRange(a.timeout, at);
  if (b.timeout >= lo && b.timeout <= hi) return undefined;
  const allowed = lo === hi ? `${lo}` : `${lo}-${hi}`;
  return {
    field: 'timeout',
    natbox: `${a.timeout.toFixed(3)} s left at the end (${allowed} when the kernel's table was read, ${at[0].toFixed(2)}-${at[1].toFixed(2)} s after)`,
    kernel: String(b.timeout),
  };
}

/**
 * How many of the kernel's packets at host `h` (any interface) were captured after the run's end
 * and by the moment its `conntrack -S` returned: each passed conntrack at most once (a forwarded
 * one is captured twice), so the kernel's counters may be ahead of natbox's (read at the end) by
 * at most that many. A timer the wheel rounded just past the end sends them (gen-2001-54: r1's
 * SYN-ACK sent again at 7.58 s and its client's ACK, both INVALID, read at 15 against natbox's 13).
 */
export function lateCtPackets(kn: SideRun, h: string, end: number): number {
  const at = kn.ctStatsAt?.get(h);
  if (at === undefined || !Number.isFinite(end)) return 0;
  const prefix = `${h}:`;
  let n = 0;
  for (const p of kn.side.packets) if (p.t > end && p.t <= end + at && p.iface.startsWith(prefix)) n++;
  return n;
}

function compareConntrack(
  hosts: readonly string[],
  nb: SideRun,
  kn: SideRun,
  ln: SideLabels,
  lk: SideLabels,
  flows: readonly OracleFlow[],
  end: number,
): Difference[] {
  const out: Difference[] = [];
  for (const h of hosts) {
    const key = (l: SideLabels) => (e: CtEntry) => `${e.proto} ${entryText(e, l)}`;
    // The labels, where both sides read them (the kernel's tool reads them only with its map).
    const na = nb.conntrack.get(h) ?? [];
    const kb = kn.conntrack.get(h) ?? [];
    const labelled = [...na, ...kb].every((e) => e.labels !== undefined);
    const strip = (e: CtEntry): CtEntry => {
      if (labelled || e.labels === undefined) return e;
      const { labels: _, ...rest } = e;
      return rest;
    };
    const a = na.map(strip).sort((x, y) => (key(ln)(x) < key(ln)(y) ? -1 : 1));
    const b = kb.map(strip).sort((x, y) => (key(lk)(x) < key(lk)(y) ? -1 : 1));
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
    const at = kn.ctReadAt?.get(h);
    for (let i = 0; i < a.length; i++) {
      const d =
        firstFieldDifference(
          [...entryFields(a[i]!, ln), ...labelField(a[i]!)],
          [...entryFields(b[i]!, lk), ...labelField(b[i]!)],
        ) ?? timeoutDifference(a[i]!, b[i]!, at);
      if (d) {
        const flow = flowFor(b[i]);
        out.push({
          what: 'conntrack',
          where: h,
          index: i,
          field: d.field,
          natbox: show(d.natbox),
          kernel: show(d.kernel),
          context,
          ...(flow ? { flow } : {}),
        });
        break;
      }
    }
    // The counters, once the entries agree (conntrack/table.ts counts them where the kernel does).
    const sa = nb.ctStats?.get(h);
    const sb = kn.ctStats?.get(h);
    if (sa && sb && !out.some((d) => d.where === h)) {
      const late = lateCtPackets(kn, h, end);
      const d = firstStatsDifference(sa, sb, late);
      if (d)
        out.push({
          what: 'conntrack',
          where: h,
          field: d.field,
          natbox: d.natbox,
          kernel: d.kernel,
          context: `  natbox: ${statsText(sa)}\n  kernel: ${statsText(sb)}${late ? ` (${late} packets of ${h} after the end counted)` : ''}`,
        });
    }
  }
  return out;
}

function compareVerdicts(
  flows: readonly OracleFlow[],
  nb: SideRun,
  kn: SideRun,
  ln: SideLabels,
  lk: SideLabels,
): Difference[] {
  const out: Difference[] = [];
  flows.forEach((f, i) => {
    const a = nb.flows[i];
    const b = kn.flows[i];
    const d = firstFieldDifference(
      [
        ['verdict', a?.verdict],
        ['server saw', ln.endpoint(a?.serverSaw)],
        ['reply from', ln.endpoint(a?.replyFrom)],
      ],
      [
        ['verdict', b?.verdict],
        ['server saw', lk.endpoint(b?.serverSaw)],
        ['reply from', lk.endpoint(b?.replyFrom)],
      ],
    );
    if (d)
      out.push({
        what: 'verdict',
        flow: f.name,
        where: f.name,
        field: d.field,
        natbox: show(d.natbox),
        kernel: show(d.kernel),
        context: `  natbox: ${a ? `${a.verdict} (${a.detail ?? ''})` : '(none)'}\n  kernel: ${b ? `${b.verdict} (${b.detail ?? ''})` : '(none)'}`,
        t: f.at,
      });
  });
  return out;
}

export interface CompareInput {
  readonly flows: readonly OracleFlow[];
  /** Ports and ids the scenario names (never labelled). */
  readonly literal: ReadonlySet<number>;
  /** Hosts whose conntrack tables are compared (those with rules). */
  readonly ctHosts: readonly string[];
  readonly natbox: SideRun;
  readonly kernel: SideRun;
  /** The run's end (natbox's virtual time): the kernel's packets and ARP frames after it are left out. */
  readonly end?: number;
  /** ARP differences count (verify's `arp: compare`); else ARP is reported only. */
  readonly arp?: boolean;
}

/** natbox's run against a live kernel run: packets, conntrack tables, verdicts. */
export function compareRuns(inp: CompareInput): Comparison {
  const ln = new SideLabels(inp.literal);
  const lk = new SideLabels(inp.literal);
  ln.learn(inp.natbox.side.packets);
  lk.learn(inp.kernel.side.packets);
  const p = comparePackets(inp.flows, inp.natbox.side, inp.kernel.side, ln, lk, inp.end ?? Infinity);
  const v = compareVerdicts(inp.flows, inp.natbox, inp.kernel, ln, lk);
  const c = compareConntrack(inp.ctHosts, inp.natbox, inp.kernel, ln, lk, inp.flows, inp.end ?? Infinity);
  const earliest = (ds: Difference[]): Difference | undefined =>
    [...ds].sort((x, y) => (x.t ?? Infinity) - (y.t ?? Infinity))[0];
  const fp = earliest(p.diffs);
  const fc = c[0];
  const fv = earliest(v);
  const sets =
    inp.natbox.nftSets && inp.kernel.nftSets
      ? compareNftSets(inp.natbox.nftSets, inp.kernel.nftSets, inp.kernel.nftReadAt, inp.kernel.nftUnread)
      : { diffs: [], compared: [] };
  const n = sets.diffs.map((d): Difference => ({ what: 'nft', ...d }));
  const fn = n[0];
  const arp = compareArp(inp.natbox.side.arp, inp.kernel.side.arp, inp.end ?? Infinity);
  const fa = earliest(arp.diffs);
  return {
    packets: { match: !fp, interfaces: p.interfaces, ...(fp ? { first: fp } : {}) },
    conntrack: { match: !fc, hosts: [...inp.ctHosts], ...(fc ? { first: fc } : {}) },
    verdict: { match: !fv, ...(fv ? { first: fv } : {}) },
    nft: { match: !fn, compared: sets.compared, ...(fn ? { first: fn } : {}) },
    arp: arp.lines,
    arpCompared: { match: !fa, counted: inp.arp ?? false, ...(fa ? { first: fa } : {}) },
    differences: [...p.diffs, ...v, ...c, ...n, ...(inp.arp ? arp.diffs : [])].sort(
      (x, y) => (x.t ?? Infinity) - (y.t ?? Infinity),
    ),
  };
}

export function formatDifference(d: Difference): string {
  const flow = d.flow ? `flow "${d.flow}", ` : '';
  const idx =
    d.index !== undefined
      ? d.what === 'packets' || d.what === 'arp'
        ? ` packet #${d.index}`
        : ` entry #${d.index}`
      : '';
  const head = `${d.what}: ${flow}${d.where}${idx}: ${d.field}: natbox ${d.natbox}, kernel ${d.kernel}`;
  return d.context ? `${head}\n${d.context}` : head;
}
