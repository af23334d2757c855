// Conntrack entries from both sides in one shape: the kernel's `conntrack -L` lines parsed, and
// natbox's table at the end of its run (entryJson, the same field names).
import type { CtTupleJson } from '../../netfilter/conntrack/format.ts';
import { entryJson } from '../../netfilter/conntrack/format.ts';
import type { SimResult } from '../../sim/run.ts';

/** A conntrack tuple as the engine's structured form has it (shared with src/netfilter). */
export type CtTuple = CtTupleJson;

export interface CtEntry {
  proto: string;
  state?: string;
  orig: CtTuple;
  reply: CtTuple;
  /** UNREPLIED, ASSURED…, sorted. */
  flags: string[];
}

const NUMERIC = new Set(['sport', 'dport', 'type', 'code', 'id']);

/**
 * One `conntrack -L` line, e.g.
 * `tcp      6 117 SYN_SENT src=… dst=… sport=… dport=… [UNREPLIED] src=… … mark=0 use=1`.
 * Undefined for lines that are not entries (the tool's summary goes to stderr anyway).
 */
export function parseConntrackLine(line: string): CtEntry | undefined {
  const words = line.trim().split(/\s+/);
  if (words.length < 4 || !/^\d+$/.test(words[1] ?? '')) return undefined;
  const proto = words[0]!;
  const e: CtEntry = { proto, orig: { src: '', dst: '' }, reply: { src: '', dst: '' }, flags: [] };
  let tuple = -1;
  for (const w of words.slice(3)) {
    const flag = /^\[([A-Z_]+)\]$/.exec(w);
    if (flag) {
      e.flags.push(flag[1]!);
      continue;
    }
    const kv = /^([a-z_]+)=(.*)$/.exec(w);
    if (!kv) {
      if (tuple < 0 && /^[A-Z_]+$/.test(w)) e.state = w;
      continue;
    }
    const [, k, v] = kv as unknown as [string, string, string];
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

export function parseConntrackList(text: string): CtEntry[] {
  return text
    .split('\n')
    .map(parseConntrackLine)
    .filter((e): e is CtEntry => e !== undefined);
}

/** natbox's table of one host at the end of the run. */
export function natboxConntrack(sim: SimResult, host: string): CtEntry[] {
  const nf = sim.world.hosts.get(host)?.nf;
  if (!nf) return [];
  return nf.conntrack.entries(sim.end).map((x) => {
    const j = entryJson(nf.conntrack, x, sim.end);
    return {
      proto: j.proto,
      ...(j.state !== undefined ? { state: j.state } : {}),
      orig: { ...j.orig },
      reply: { ...j.reply },
      flags: [...j.flags].sort(),
    };
  });
}
