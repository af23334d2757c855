// Conntrack entries as the tools print them: `conntrack -L` lines, `/proc/net/nf_conntrack` lines,
// `conntrack -E` event lines, `conntrack -S` counters, and a structured form for JSON. Strings are made here only, for
// output; nothing on the packet path calls this.
import { formatIpv4 } from '../../wire/addr.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { TCP_STATE_NAMES } from './proto-tcp.ts';
import { SCTP_STATE_NAMES } from './proto-sctp.ts';
import { IPPROTO_SCTP } from '../../wire/sctp.ts';
import { IPPROTO_DCCP } from '../../wire/dccp.ts';
import {
  IPS_ASSURED,
  IPS_OFFLOAD,
  IPS_SEEN_REPLY,
  type ConntrackStats,
  type ConntrackTable,
  type CtEventKind,
} from './table.ts';
import { DIR_ORIGINAL, DIR_REPLY } from './tuple.ts';
import { zoneParts } from './zone.ts';

const PROTO_NAMES: Record<number, string> = {
  [IPPROTO_TCP]: 'tcp',
  [IPPROTO_UDP]: 'udp',
  [IPPROTO_ICMP]: 'icmp',
  [IPPROTO_SCTP]: 'sctp',
  [IPPROTO_DCCP]: 'dccp',
};

export const protoName = (p: number): string => PROTO_NAMES[p] ?? 'unknown';

function tupleText(t: ConntrackTable, e: number, dir: number): string {
  const p = t.protoOf(e);
  const base = `src=${formatIpv4(t.src(e, dir))} dst=${formatIpv4(t.dst(e, dir))}`;
  if (p === IPPROTO_ICMP) {
    const td = t.dport(e, dir);
    return `${base} type=${td >>> 8} code=${td & 0xff} id=${t.sport(e, dir)}`;
  }
  if (p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP)
    return `${base} sport=${t.sport(e, dir)} dport=${t.dport(e, dir)}`;
  // Linux 6.18 has no DCCP conntrack: generic tracking, zero ports, which conntrack-tools prints.
  if (p === IPPROTO_DCCP) return `${base} sport=0 dport=0`;
  return base;
}

/** Whole seconds left, as the kernel prints (ct->timeout - now) / HZ. */
export function secondsLeft(t: ConntrackTable, e: number, now: number): number {
  return t.secondsLeft(e, now);
}

/** ` packets=N bytes=N` after a tuple while accounting is on (nf_conntrack_acct), as -L prints. */
function acctText(t: ConntrackTable, e: number, dir: number, counters: boolean): string {
  const a = t.acct;
  if (!counters || a === undefined) return '';
  return ` packets=${a[e * 4 + dir * 2]} bytes=${a[e * 4 + dir * 2 + 1]}`;
}

/**
 * The body after the timeout, shared by every form: state, tuples (zone-orig/zone-reply, counters),
 * flags, mark, zone. Measured on Linux 6.18 with conntrack-tools 1.4.7: `zone-orig=N` follows the
 * original tuple and `zone-reply=N` the reply tuple, before their counters; a zone of both
 * directions is `zone=N` after the mark, left out when 0 (ctnetlink_dump_zone_id), and printed
 * even when 0 in /proc (ct_show_zone): `proc`.
 */
function body(t: ConntrackTable, e: number, counters = true, mark = true, proc = false): string {
  const p = t.protoOf(e);
  const st = t.statusOf(e);
  const z = zoneParts(t.zoneOf(e));
  const parts: string[] = [];
  if (p === IPPROTO_TCP) parts.push(TCP_STATE_NAMES[t.tcpState(e)] ?? 'NONE');
  if (p === IPPROTO_SCTP) parts.push(SCTP_STATE_NAMES[t.tcpState(e)] ?? 'NONE');
  const zo = z.orig !== undefined ? ` zone-orig=${z.orig}` : '';
  const zr = z.reply !== undefined ? ` zone-reply=${z.reply}` : '';
  parts.push(tupleText(t, e, DIR_ORIGINAL) + zo + acctText(t, e, DIR_ORIGINAL, counters));
  if (!(st & IPS_SEEN_REPLY)) parts.push('[UNREPLIED]');
  parts.push(tupleText(t, e, DIR_REPLY) + zr + acctText(t, e, DIR_REPLY, counters));
  // [OFFLOAD] in place of [ASSURED] (libnetfilter_conntrack __snprintf_status_assured, ct_seq_show).
  if (st & IPS_OFFLOAD) parts.push('[OFFLOAD]');
  else if (st & IPS_ASSURED) parts.push('[ASSURED]');
  if (mark) parts.push(`mark=${t.mark[e]}`);
  if (z.zone !== undefined) parts.push(`zone=${z.zone}`);
  else if (proc && z.orig === undefined && z.reply === undefined) parts.push('zone=0');
  // The helper (conntrack/helper.ts), after the mark as conntrack -L prints it (measured).
  const helper = mark && !proc ? (t.helperExt?.helperName(e) ?? '') : '';
  if (helper) parts.push(`helper=${helper}`);
  return parts.join(' ');
}

/** The label bits set on entry `e`, ascending (none while labels are off). */
export function labelBits(t: ConntrackTable, e: number): number[] {
  const l = t.labels;
  const out: number[] = [];
  if (l === undefined) return out;
  for (let w = 0; w < 4; w++) {
    const v = l[e * 4 + w]!;
    if (v !== 0) for (let b = 0; b < 32; b++) if (v & (1 << b)) out.push(w * 32 + b);
  }
  return out;
}

/**
 * A label map (connlabel.conf: `bit name` lines) naming bit b `name(b)`, or undefined when unnamed.
 * `BIT_NAMES` names every bit by its number, the file natbox verify gives the kernel's tool.
 */
export type LabelNames = (bit: number) => string | undefined;
export const BIT_NAMES: LabelNames = String;

/**
 * ` labels=a,b` as `conntrack -L -o labels` appends it after `use=1` (libnetfilter_conntrack
 * 1.0.9 __snprintf_clabels, with conntrack-tools 1.4.7; measured on Linux 6.18): the named bits in
 * ascending order, unnamed ones left out; ` labels` alone (the `=` taken back with the last comma)
 * when bits are set but none is named; nothing when no bit is set (ctnetlink_dump_labels sends
 * no CTA_LABELS for all-zero labels). Without a connlabel.conf the tool prints no labels at all.
 */
export function labelsText(t: ConntrackTable, e: number, names: LabelNames): string {
  const bits = labelBits(t, e);
  if (bits.length === 0) return '';
  const named = bits.map(names).filter((n): n is string => n !== undefined && n !== '');
  return named.length === 0 ? ' labels' : ` labels=${named.join(',')}`;
}

/**
 * One `conntrack -L` line, e.g. `tcp      6 117 SYN_SENT src=… [UNREPLIED] src=… mark=0 use=1`;
 * with `labels`, the `conntrack -L -o labels` line with that connlabel.conf (labelsText).
 */
export function formatConntrackLine(t: ConntrackTable, e: number, now: number, labels?: LabelNames): string {
  const p = t.protoOf(e);
  const l = labels !== undefined ? labelsText(t, e, labels) : '';
  return `${protoName(p).padEnd(8)} ${p} ${secondsLeft(t, e, now)} ${body(t, e)} use=1${l}`;
}

/** One `/proc/net/nf_conntrack` line (adds the family and zone). */
export function formatProcLine(t: ConntrackTable, e: number, now: number): string {
  const p = t.protoOf(e);
  return `ipv4     2 ${protoName(p).padEnd(8)} ${p} ${secondsLeft(t, e, now)} ${body(t, e, true, true, true)} use=2`;
}

/** One `conntrack -E` line: `    [NEW] tcp      6 120 SYN_SENT src=…` (no mark/use, as the tool). */
export function formatEventLine(kind: CtEventKind, t: ConntrackTable, e: number, now: number): string {
  const p = t.protoOf(e);
  const tag = `[${kind}]`.padStart(9);
  const b = body(t, e, false, false);
  const timeout = kind === 'DESTROY' ? '' : ` ${secondsLeft(t, e, now)}`;
  return `${tag} ${protoName(p).padEnd(8)} ${p}${timeout} ${b}`;
}

/**
 * `conntrack -S` (conntrack-tools 1.4.7 on Linux 6.18): one line per CPU, `cpu=%-4u\t` then each
 * counter as `name=value ` in ctnetlink's order. natbox has one CPU.
 */
export function formatConntrackStats(s: ConntrackStats): string {
  return (
    `cpu=0   \tfound=${s.found} invalid=${s.invalid} insert=${s.insert} insert_failed=${s.insert_failed} ` +
    `drop=${s.drop} early_drop=${s.early_drop} error=${s.error} search_restart=${s.search_restart} ` +
    `clash_resolve=${s.clash_resolve} chaintoolong=${s.chaintoolong} \n`
  );
}

export interface CtTupleJson {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  type?: number;
  code?: number;
  id?: number;
}

export interface CtEntryJson {
  proto: string;
  state?: string;
  orig: CtTupleJson;
  reply: CtTupleJson;
  flags: string[];
  mark: number;
  timeout: number;
  /** The zone when not 0: `zone` (both directions), `zoneOrig`, `zoneReply` (as -L prints them). */
  zone?: number;
  zoneOrig?: number;
  zoneReply?: number;
  /** The helper attached (`helper=` in conntrack -L), when there is one. */
  helper?: string;
  /** The label bits set, ascending, when labels are in use and one is set (`labels=` of -o labels). */
  labels?: number[];
}

function tupleJson(t: ConntrackTable, e: number, dir: number): CtTupleJson {
  const p = t.protoOf(e);
  const out: CtTupleJson = { src: formatIpv4(t.src(e, dir)), dst: formatIpv4(t.dst(e, dir)) };
  if (p === IPPROTO_ICMP) {
    const td = t.dport(e, dir);
    out.type = td >>> 8;
    out.code = td & 0xff;
    out.id = t.sport(e, dir);
  } else if (p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP) {
    out.sport = t.sport(e, dir);
    out.dport = t.dport(e, dir);
  } else if (p === IPPROTO_DCCP) {
    out.sport = 0;
    out.dport = 0;
  }
  return out;
}

/** The structured form, with the same field names as the kernel reference runs' result.json. */
export function entryJson(t: ConntrackTable, e: number, now: number): CtEntryJson {
  const p = t.protoOf(e);
  const st = t.statusOf(e);
  const flags: string[] = [];
  if (!(st & IPS_SEEN_REPLY)) flags.push('UNREPLIED');
  if (st & IPS_OFFLOAD) flags.push('OFFLOAD');
  else if (st & IPS_ASSURED) flags.push('ASSURED');
  const out: CtEntryJson = {
    proto: protoName(p),
    orig: tupleJson(t, e, DIR_ORIGINAL),
    reply: tupleJson(t, e, DIR_REPLY),
    flags,
    mark: t.mark[e]!,
    timeout: secondsLeft(t, e, now),
  };
  if (p === IPPROTO_TCP) out.state = TCP_STATE_NAMES[t.tcpState(e)] ?? 'NONE';
  if (p === IPPROTO_SCTP) out.state = SCTP_STATE_NAMES[t.tcpState(e)] ?? 'NONE';
  const z = zoneParts(t.zoneOf(e));
  if (z.zone !== undefined) out.zone = z.zone;
  if (z.orig !== undefined) out.zoneOrig = z.orig;
  if (z.reply !== undefined) out.zoneReply = z.reply;
  const helper = t.helperExt?.helperName(e) ?? '';
  if (helper) out.helper = helper;
  const bits = labelBits(t, e);
  if (bits.length > 0) out.labels = bits;
  return out;
}
