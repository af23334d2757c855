// The engine's match modules by name: the registry match.ts evaluates a rule's -m blocks with.
// Adding a match is a file match-<name>.ts (an XtMatch) and one line here; see
// docs/adding-a-match.md. The type makes the list complete: every module of the model has an entry.
import type { Match } from '../../rules/iptables/model.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';
import { addrtypeMatch } from './match-addrtype.ts';
import { commentMatch } from './match-comment.ts';
import { connmarkMatch } from './match-connmark.ts';
import { conntrackMatch } from './match-conntrack.ts';
import { dscpMatch } from './match-dscp.ts';
import { icmpMatch } from './match-icmp.ts';
import { iprangeMatch } from './match-iprange.ts';
import { lengthMatch } from './match-length.ts';
import { limitMatch } from './match-limit.ts';
import { macMatch } from './match-mac.ts';
import { markMatch } from './match-mark.ts';
import { multiportMatch } from './match-multiport.ts';
import { otherMatch } from './match-other.ts';
import { ownerMatch } from './match-owner.ts';
import { physdevMatch } from './match-physdev.ts';
import { pkttypeMatch } from './match-pkttype.ts';
import { setMatch } from './match-set.ts';
import { statisticMatch } from './match-statistic.ts';
import { stateMatch } from './match-state.ts';
import { tcpMatch, udpMatch } from './match-tcpudp.ts';
import { tosMatch } from './match-tos.ts';
import { ttlMatch } from './match-ttl.ts';
import { timeMatch } from './match-time.ts';
import { socketMatch } from './match-socket.ts';
import { cgroupMatch } from './match-cgroup.ts';
import { cpuMatch } from './match-cpu.ts';
import { devgroupMatch } from './match-devgroup.ts';
import { realmMatch } from './match-realm.ts';
import { osfMatch } from './match-osf.ts';
import { clusterMatch } from './match-cluster.ts';
import { nfacctMatch } from './match-nfacct.ts';
import { ipvsMatch } from './match-ipvs.ts';
import { rateestMatch } from './match-rateest.ts';
import { connlimitMatch } from './match-connlimit.ts';
import { connbytesMatch } from './match-connbytes.ts';
import { helperMatch } from './match-helper.ts';
import { quotaMatch } from './match-quota.ts';
import { connlabelMatch } from './match-connlabel.ts';
import { stringMatch } from './match-string.ts';
import { sctpMatch } from './match-sctp.ts';
import { dccpMatch } from './match-dccp.ts';
import { espMatch } from './match-esp.ts';
import { ahMatch } from './match-ah.ts';
import { ecnMatch } from './match-ecn.ts';
import { tcpmssMatch } from './match-tcpmss.ts';
import { policyMatch } from './match-policy.ts';
import { rpfilterMatch } from './match-rpfilter.ts';
import { recentMatch } from './match-recent.ts';
import { hashlimitMatch } from './match-hashlimit.ts';
import { u32Match } from './match-u32.ts';
import { bpfMatch } from './match-bpf.ts';

export type MatchRegistry = {
  readonly [K in Match['module']]: XtMatch<MatchOf<K>, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

/**
 * The same four members in the same order for every entry: the engine's per-packet loads of
 * `match` (and `newState`) then see one object shape, not one per module.
 */
function entry<M extends Match, S>(x: XtMatch<M, S>): XtMatch<M, S> {
  return { check: x.check, newState: x.newState, match: x.match, describe: x.describe };
}

/** An object literal (fast properties: the per-packet `MATCHES[m.module]` is a cheap keyed load). */
export const MATCHES: MatchRegistry = {
  tcp: entry(tcpMatch),
  udp: entry(udpMatch),
  icmp: entry(icmpMatch),
  comment: entry(commentMatch),
  conntrack: entry(conntrackMatch),
  state: entry(stateMatch),
  multiport: entry(multiportMatch),
  addrtype: entry(addrtypeMatch),
  iprange: entry(iprangeMatch),
  mark: entry(markMatch),
  connmark: entry(connmarkMatch),
  mac: entry(macMatch),
  length: entry(lengthMatch),
  ttl: entry(ttlMatch),
  pkttype: entry(pkttypeMatch),
  tos: entry(tosMatch),
  dscp: entry(dscpMatch),
  limit: entry(limitMatch),
  statistic: entry(statisticMatch),
  physdev: entry(physdevMatch),
  owner: entry(ownerMatch),
  set: entry(setMatch),
  sctp: entry(sctpMatch),
  dccp: entry(dccpMatch),
  esp: entry(espMatch),
  ah: entry(ahMatch),
  ecn: entry(ecnMatch),
  tcpmss: entry(tcpmssMatch),
  policy: entry(policyMatch),
  rpfilter: entry(rpfilterMatch),
  u32: entry(u32Match),
  bpf: entry(bpfMatch),
  other: entry(otherMatch),
  time: entry(timeMatch),
  socket: entry(socketMatch),
  cgroup: entry(cgroupMatch),
  cpu: entry(cpuMatch),
  devgroup: entry(devgroupMatch),
  realm: entry(realmMatch),
  osf: entry(osfMatch),
  cluster: entry(clusterMatch),
  nfacct: entry(nfacctMatch),
  ipvs: entry(ipvsMatch),
  rateest: entry(rateestMatch),
  connlimit: entry(connlimitMatch),
  connbytes: entry(connbytesMatch),
  helper: entry(helperMatch),
  quota: entry(quotaMatch),
  connlabel: entry(connlabelMatch),
  string: entry(stringMatch),
  recent: entry(recentMatch),
  hashlimit: entry(hashlimitMatch),
};

/** The entry for `m`, typed for a caller that does not know which module it is. */
export const xtMatch = (m: Match): XtMatch<Match, unknown> =>
  MATCHES[m.module] as unknown as XtMatch<Match, unknown>;
