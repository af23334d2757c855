// The iptables front end's match extensions by -m name: one file ext/<name>.ts each (a MatchExt:
// parser, save and print forms, model type). parse-command.ts takes its parsers from here, and
// print-save.ts / print-list.ts their forms. Adding a match: see docs/adding-a-match.md.
import type { Match } from '../model.ts';
import type { MatchExt } from './ext.ts';
import { addrtype } from './addrtype.ts';
import { comment } from './comment.ts';
import { conntrack } from './conntrack.ts';
import { dscp } from './dscp.ts';
import { icmp } from './icmp.ts';
import { iprange } from './iprange.ts';
import { length } from './length.ts';
import { limit } from './limit.ts';
import { mac } from './mac.ts';
import { connmark, mark } from './mark.ts';
import { multiport } from './multiport.ts';
import { owner } from './owner.ts';
import { physdev } from './physdev.ts';
import { pkttype } from './pkttype.ts';
import { set } from './set.ts';
import { state } from './state.ts';
import { statistic } from './statistic.ts';
import { tcp, udp } from './tcpudp.ts';
import { tos } from './tos.ts';
import { ttl } from './ttl.ts';
import { time } from './time.ts';
import { socket } from './socket.ts';
import { cgroup } from './cgroup.ts';
import { cpu } from './cpu.ts';
import { devgroup } from './devgroup.ts';
import { realm } from './realm.ts';
import { osf } from './osf.ts';
import { cluster } from './cluster.ts';
import { nfacct } from './nfacct.ts';
import { ipvs } from './ipvs.ts';
import { rateest } from './rateest.ts';
import { connlimit } from './connlimit.ts';
import { connbytes } from './connbytes.ts';
import { helper } from './helper.ts';
import { quota } from './quota.ts';
import { connlabel } from './connlabel.ts';
import { string } from './string.ts';
import { sctp } from './sctp.ts';
import { dccp } from './dccp.ts';
import { ah, esp } from './esp.ts';
import { ecn } from './ecn.ts';
import { tcpmss } from './tcpmss.ts';
import { policy } from './policy.ts';
import { rpfilter } from './rpfilter.ts';
import { recent } from './recent.ts';
import { hashlimit } from './hashlimit.ts';
import { u32 } from './u32.ts';
import { bpf } from './bpf.ts';

export type { MatchExt } from './ext.ts';

/** The extensions, in the order `natbox` lists the matches it supports. */
export const MATCH_EXTS = [
  tcp,
  udp,
  icmp,
  comment,
  conntrack,
  state,
  multiport,
  addrtype,
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
  physdev,
  owner,
  set,
  time,
  socket,
  cgroup,
  cpu,
  devgroup,
  realm,
  osf,
  cluster,
  nfacct,
  ipvs,
  rateest,
  connlimit,
  connbytes,
  helper,
  quota,
  connlabel,
  string,
  sctp,
  dccp,
  esp,
  ah,
  ecn,
  tcpmss,
  policy,
  rpfilter,
  recent,
  hashlimit,
  u32,
  bpf,
] as const;

/** The -m names that have their file under ext/, and their model types. */
export type ExtName = (typeof MATCH_EXTS)[number]['name'];
export type ExtMatch = Extract<Match, { readonly module: ExtName }>;

const BY_NAME = new Map<string, MatchExt<Match>>(
  MATCH_EXTS.map((e) => [e.name, e as unknown as MatchExt<Match>]),
);

/** The extension of a model match (every module but `other`, which is printed as it was read). */
export const extOf = (m: ExtMatch): MatchExt<Match> => BY_NAME.get(m.module)!;

/** The parser factory for `-m NAME`, or undefined for a match natbox does not read. */
export const matchParser = (name: string): MatchExt<Match>['parser'] | undefined => BY_NAME.get(name)?.parser;

/** Every -m name natbox reads, in MATCH_EXTS order. */
export const MATCH_NAMES: readonly string[] = MATCH_EXTS.map((e) => e.name);
