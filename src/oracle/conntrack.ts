// Conntrack entries from every side in one shape: the kernel's `conntrack -L` lines parsed, natbox's
// table (entryJson of src/netfilter/conntrack/format.ts has this shape already) and the kernel
// reference's result.json (ports there may be labels). The mark is compared only where both sides
// have it; the connection labels and the remaining timeout only by natbox verify (compare.ts), as
// `conntrack -L -o labels` prints them with a connlabel.conf naming each bit by its number.
// entryFields is the field list a difference is looked for in.
import type { ValueLabels } from './labels.ts';

/** A conntrack tuple; a port or id may be a label (`$p1`) where another side gave one. */
export interface CtTuple {
  src: string;
  dst: string;
  sport?: number | string;
  dport?: number | string;
  type?: number;
  code?: number;
  id?: number | string;
}

export interface CtEntry {
  proto: string;
  state?: string;
  orig: CtTuple;
  reply: CtTuple;
  /** UNREPLIED, ASSURED…, sorted. */
  flags: string[];
  /** The connection's mark, where the side has it. */
  mark?: number;
  /** The zone when not 0: `zone=N` (both directions), `zone-orig=N`, `zone-reply=N`. */
  zone?: number;
  zoneOrig?: number;
  zoneReply?: number;
  /** The conntrack helper attached (`helper=ftp`), when there is one. */
  helper?: string;
  /**
   * The label bits set, ascending and comma-joined (`3,100`; '' for none), where the side read
   * them: the kernel's `conntrack -L -o labels` with every bit named by its number, natbox's table.
   */
  labels?: string;
  /**
   * Seconds left: the kernel's column (whole seconds, as ctnetlink_dump_timeout divides by HZ);
   * natbox's exact time left at the run's end. Compared within a tolerance (compare.ts).
   */
  timeout?: number;
}

export const TUPLE_KEYS = ['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'] as const;

const NUMERIC = new Set(['sport', 'dport', 'type', 'code', 'id']);

/**
 * One `conntrack -L` line, e.g.
 * `tcp      6 117 SYN_SENT src=… dst=… sport=… dport=… [UNREPLIED] src=… … mark=0 use=1`.
 * Undefined for lines that are not entries (the tool's summary goes to stderr anyway).
 */
export function parseConntrackLine(
  line: string,
  opts: { readonly labels?: boolean } = {},
): CtEntry | undefined {
  const words = line.trim().split(/\s+/);
  if (words.length < 4 || !/^\d+$/.test(words[1] ?? '')) return undefined;
  const proto = words[0]!;
  const e: CtEntry = { proto, orig: { src: '', dst: '' }, reply: { src: '', dst: '' }, flags: [] };
  if (/^\d+$/.test(words[2]!)) e.timeout = Number(words[2]);
  // Read with -o labels and a map naming every bit: ` labels=3,100` after use=, none when no bit.
  if (opts.labels) e.labels = '';
  let tuple = -1;
  for (const w of words.slice(3)) {
    const flag = /^\[([A-Z_]+)\]$/.exec(w);
    if (flag) {
      e.flags.push(flag[1]!);
      continue;
    }
    const kv = /^([a-z_-]+)=(.*)$/.exec(w);
    if (!kv) {
      if (tuple < 0 && /^[A-Z_]+$/.test(w)) e.state = w;
      continue;
    }
    const [, k, v] = kv as unknown as [string, string, string];
    // The zone: after the mark (both directions), or after its tuple (one direction).
    if (k === 'zone' || k === 'zone-orig' || k === 'zone-reply') {
      if (/^\d+$/.test(v))
        e[k === 'zone' ? 'zone' : k === 'zone-orig' ? 'zoneOrig' : 'zoneReply'] = Number(v);
      continue;
    }
    if (k === 'helper') {
      e.helper = v;
      continue;
    }
    if (k === 'labels') {
      if (opts.labels) e.labels = v;
      continue;
    }
    if (k === 'src') tuple++;
    if (tuple < 0 || tuple > 1) continue;
    const t = tuple === 0 ? e.orig : e.reply;
    if (k === 'src' || k === 'dst') t[k] = v;
    else if (NUMERIC.has(k)) (t as unknown as Record<string, number>)[k] = Number(v);
  }
  if (tuple < 1) return undefined;
  e.flags.sort();
  return e;
}

export function parseConntrackList(text: string, opts: { readonly labels?: boolean } = {}): CtEntry[] {
  return text
    .split('\n')
    .map((l) => parseConntrackLine(l, opts))
    .filter((e): e is CtEntry => e !== undefined);
}

/**
 * An entry of natbox's table (entryJson's shape: timeout dropped, flags sorted, tuples copied);
 * with `mark: false` the mark is left out too (natbox verify does not read the kernel's); with
 * `labels`, the label bits as `labels`; with `timeLeft`, that as the timeout.
 */
export function ctEntry(
  j: {
    readonly proto: string;
    readonly state?: string;
    readonly orig: CtTuple;
    readonly reply: CtTuple;
    readonly flags: readonly string[];
    readonly mark?: number;
    readonly zone?: number;
    readonly zoneOrig?: number;
    readonly zoneReply?: number;
    readonly helper?: string;
    readonly labels?: readonly number[];
  },
  opts: { readonly mark?: boolean; readonly labels?: boolean; readonly timeLeft?: number } = {},
): CtEntry {
  return {
    proto: j.proto,
    ...(j.state !== undefined ? { state: j.state } : {}),
    orig: { ...j.orig },
    reply: { ...j.reply },
    flags: [...j.flags].sort(),
    ...(opts.mark !== false && j.mark !== undefined ? { mark: j.mark } : {}),
    ...zoneFields(j),
    ...(j.helper !== undefined ? { helper: j.helper } : {}),
    ...(opts.labels ? { labels: (j.labels ?? []).join(',') } : {}),
    ...(opts.timeLeft !== undefined ? { timeout: opts.timeLeft } : {}),
  };
}

/** The zone fields that are there (0 is never there: the default zone is not printed). */
function zoneFields(j: {
  readonly zone?: number;
  readonly zoneOrig?: number;
  readonly zoneReply?: number;
}): Pick<CtEntry, 'zone' | 'zoneOrig' | 'zoneReply'> {
  return {
    ...(j.zone !== undefined ? { zone: j.zone } : {}),
    ...(j.zoneOrig !== undefined ? { zoneOrig: j.zoneOrig } : {}),
    ...(j.zoneReply !== undefined ? { zoneReply: j.zoneReply } : {}),
  };
}

/** Ports and ids as they are. */
export const PLAIN: Pick<ValueLabels, 'port' | 'id'> = { port: String, id: String };

function tupleValues(t: CtTuple, l: Pick<ValueLabels, 'port' | 'id'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TUPLE_KEYS) {
    const v = t[k];
    if (v === undefined) continue;
    out[k] =
      typeof v === 'number' && (k === 'sport' || k === 'dport')
        ? l.port(v)
        : typeof v === 'number' && k === 'id'
          ? l.id(v)
          : String(v);
  }
  return out;
}

/** The fields compared, in order: proto, state, orig.*, reply.*, flags, and mark when present. */
export function entryFields(
  e: CtEntry,
  l: Pick<ValueLabels, 'port' | 'id'> = PLAIN,
): [string, string | undefined][] {
  const o = tupleValues(e.orig, l);
  const r = tupleValues(e.reply, l);
  return [
    ['proto', e.proto],
    ['state', e.state],
    ...TUPLE_KEYS.map((k): [string, string | undefined] => [`orig.${k}`, o[k]]),
    ...TUPLE_KEYS.map((k): [string, string | undefined] => [`reply.${k}`, r[k]]),
    ['flags', [...e.flags].sort().join(',')],
    ...(e.mark !== undefined ? [['mark', String(e.mark)] as [string, string]] : []),
    ...(e.zoneOrig !== undefined ? [['zone-orig', String(e.zoneOrig)] as [string, string]] : []),
    ...(e.zoneReply !== undefined ? [['zone-reply', String(e.zoneReply)] as [string, string]] : []),
    ...(e.zone !== undefined ? [['zone', String(e.zone)] as [string, string]] : []),
    ...(e.helper !== undefined ? [['helper', e.helper] as [string, string]] : []),
  ];
}

/** `tcp TIME_WAIT src=… dst=… sport=… dport=… | src=… … [ASSURED] mark=0`, for messages and order. */
export function entryText(e: CtEntry, l: Pick<ValueLabels, 'port' | 'id'> = PLAIN): string {
  const f = new Map(entryFields(e, l));
  const tup = (d: string): string =>
    TUPLE_KEYS.filter((k) => f.get(`${d}.${k}`) !== undefined)
      .map((k) => `${k}=${f.get(`${d}.${k}`)}`)
      .join(' ');
  const zones = `${e.zoneOrig !== undefined ? ` zone-orig=${e.zoneOrig}` : ''}${e.zoneReply !== undefined ? ` zone-reply=${e.zoneReply}` : ''}${e.zone !== undefined ? ` zone=${e.zone}` : ''}`;
  return `${e.proto}${e.state ? ` ${e.state}` : ''} ${tup('orig')} | ${tup('reply')}${e.flags.length ? ` [${[...e.flags].sort().join(',')}]` : ''}${e.mark !== undefined ? ` mark=${e.mark}` : ''}${zones}${e.helper !== undefined ? ` helper=${e.helper}` : ''}${e.labels ? ` labels=${e.labels}` : ''}`;
}

/** The original tuple as text (never volatile: both sides sort by it). */
export const origText = (e: CtEntry): string =>
  `${e.proto} ${TUPLE_KEYS.filter((k) => e.orig[k] !== undefined)
    .map((k) => `${k}=${e.orig[k]}`)
    .join(' ')}`;

/**
 * The `conntrack -S` counters verify compares: those natbox counts where the kernel counts them
 * (conntrack/table.ts's ConntrackStats). Left out: `insert` (Linux 6.18 prints 0), `search_restart`
 * and `chaintoolong` (the kernel's hash resizes and chain lengths, nothing natbox has).
 */
export const CT_STATS_COMPARED = [
  'found',
  'invalid',
  'insert_failed',
  'drop',
  'early_drop',
  'error',
  'clash_resolve',
] as const;

export type CtStatsCompared = Record<(typeof CT_STATS_COMPARED)[number], number>;

/**
 * `conntrack -S` text (one `cpu=N\tname=value …` line per CPU) summed over the CPUs, the compared
 * counters only; undefined when no line has them (the tool failed).
 */
export function parseConntrackStats(text: string): CtStatsCompared | undefined {
  const out = Object.fromEntries(CT_STATS_COMPARED.map((k) => [k, 0])) as CtStatsCompared;
  let lines = 0;
  for (const line of text.split('\n')) {
    if (!/^cpu=\d+/.test(line.trim())) continue;
    lines++;
    for (const m of line.matchAll(/([a-z_]+)=(\d+)/g)) {
      const k = m[1] as keyof CtStatsCompared;
      if ((CT_STATS_COMPARED as readonly string[]).includes(k)) out[k] += Number(m[2]);
    }
  }
  return lines > 0 ? out : undefined;
}

/** The compared counters out of natbox's ConntrackStats (or any object that has them). */
export function ctStatsCompared(s: Readonly<Record<string, number>>): CtStatsCompared {
  return Object.fromEntries(CT_STATS_COMPARED.map((k) => [k, s[k] ?? 0])) as CtStatsCompared;
}

/**
 * The first counter that differs (`conntrack -S <name>`), or undefined. `late`: how many packets
 * the kernel's counters may hold that natbox's do not (compare.ts's lateCtPackets): each kernel
 * counter may be ahead by up to that many, never behind.
 */
export function firstStatsDifference(
  natbox: CtStatsCompared,
  kernel: CtStatsCompared,
  late = 0,
): { field: string; natbox: string; kernel: string } | undefined {
  for (const k of CT_STATS_COMPARED)
    if (kernel[k] < natbox[k] || kernel[k] > natbox[k] + late)
      return { field: `conntrack -S ${k}`, natbox: String(natbox[k]), kernel: String(kernel[k]) };
  return undefined;
}

/** The compared counters as `conntrack -S` prints them (for a difference's context). */
export const statsText = (s: CtStatsCompared): string =>
  CT_STATS_COMPARED.map((k) => `${k}=${s[k]}`).join(' ');
