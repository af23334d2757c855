// The iptables front end's match extensions by -m name: one file ext/<name>.ts each (a MatchExt:
// parser, save and print forms, model type). parse-command.ts takes its parsers from here, and
// print-save.ts / print-list.ts their forms. Adding a match: see docs/adding-a-match.md.
import type { Match } from '../model.ts';
import type { MatchExt } from './ext.ts';
import { dscp } from './dscp.ts';
import { iprange } from './iprange.ts';
import { length } from './length.ts';
import { limit } from './limit.ts';
import { mac } from './mac.ts';
import { connmark, mark } from './mark.ts';
import { pkttype } from './pkttype.ts';
import { statistic } from './statistic.ts';
import { tos } from './tos.ts';
import { ttl } from './ttl.ts';

export type { MatchExt } from './ext.ts';
export { dscp, iprange, length, limit, mac, connmark, mark, pkttype, statistic, tos, ttl };

/** The extensions, in the order `natbox` lists the matches it supports (after the built-in ones). */
export const MATCH_EXTS = [
  iprange,
  mark,
  connmark,
  mac,
  length,
  ttl,
  pkttype,
  tos,
  dscp,
  limit,
  statistic,
] as const;

/** The -m names that have their file under ext/, and their model types. */
export type ExtName = (typeof MATCH_EXTS)[number]['name'];
export type ExtMatch = Extract<Match, { readonly module: ExtName }>;

const BY_NAME = new Map<string, MatchExt<Match>>(
  MATCH_EXTS.map((e) => [e.name, e as unknown as MatchExt<Match>]),
);

/** Whether `m` is of an extension under ext/ (the others are still parsed and printed inline). */
export const isExtMatch = (m: Match): m is ExtMatch => BY_NAME.has(m.module);

/** The extension of a match isExtMatch() said yes to. */
export const extOf = (m: ExtMatch): MatchExt<Match> => BY_NAME.get(m.module)!;
