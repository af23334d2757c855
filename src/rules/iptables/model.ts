// The ruleset model: tables, chains and rules as data, in the kernel's terms (xt matches and
// targets by their iptables names). The front end (parse-command.ts, parse-save.ts) builds it, the
// printer (print-save.ts) prints it back, and netfilter/ evaluates it. No behaviour lives here.
// The match extensions that have their own file (ext/<name>.ts) keep their data type there.
import type { Prefix } from '../../wire/addr.ts';
import type { AddrtypeMatch } from './ext/addrtype.ts';
import type { CommentMatch } from './ext/comment.ts';
import type { ConntrackMatch } from './ext/conntrack.ts';
import type { DscpMatch } from './ext/dscp.ts';
import type { IcmpMatch } from './ext/icmp.ts';
import type { MultiportMatch } from './ext/multiport.ts';
import type { OwnerMatch } from './ext/owner.ts';
import type { PhysdevMatch } from './ext/physdev.ts';
import type { SetMatch } from './ext/set.ts';
import type { StateMatch } from './ext/state.ts';
import type { TcpMatch, UdpMatch } from './ext/tcpudp.ts';
import type { IprangeMatch } from './ext/iprange.ts';
import type { LengthMatch } from './ext/length.ts';
import type { LimitMatch } from './ext/limit.ts';
import type { MacMatch } from './ext/mac.ts';
import type { ConnmarkMatch, MarkMatch } from './ext/mark.ts';
import type { PkttypeMatch } from './ext/pkttype.ts';
import type { StatisticMatch } from './ext/statistic.ts';
import type { TosMatch } from './ext/tos.ts';
import type { TtlMatch } from './ext/ttl.ts';
import type { TimeMatch } from './ext/time.ts';
import type { SocketMatch } from './ext/socket.ts';
import type { CgroupMatch } from './ext/cgroup.ts';
import type { CpuMatch } from './ext/cpu.ts';
import type { DevgroupMatch } from './ext/devgroup.ts';
import type { RealmMatch } from './ext/realm.ts';
import type { OsfMatch } from './ext/osf.ts';
import type { ClusterMatch } from './ext/cluster.ts';
import type { NfacctMatch } from './ext/nfacct.ts';
import type { IpvsMatch } from './ext/ipvs.ts';
import type { RateestMatch } from './ext/rateest.ts';
import type { ConnlimitMatch } from './ext/connlimit.ts';
import type { ConnbytesMatch } from './ext/connbytes.ts';
import type { HelperMatch } from './ext/helper.ts';
import type { QuotaMatch } from './ext/quota.ts';
import type { ConnlabelMatch } from './ext/connlabel.ts';
import type { StringMatch } from './ext/string.ts';
import type { SctpMatch } from './ext/sctp.ts';
import type { DccpMatch } from './ext/dccp.ts';
import type { AhMatch, EspMatch } from './ext/esp.ts';
import type { EcnMatch } from './ext/ecn.ts';
import type { TcpmssMatch } from './ext/tcpmss.ts';
import type { PolicyMatch } from './ext/policy.ts';
import type { RpfilterMatch } from './ext/rpfilter.ts';
import type { RecentMatch } from './ext/recent.ts';
import type { HashlimitMatch } from './ext/hashlimit.ts';
import type { DnatTarget, MasqueradeTarget, RedirectTarget, SnatTarget } from './ext/target-nat.ts';
import type { RejectTarget } from './ext/target-reject.ts';
import type { LogTarget } from './ext/target-log.ts';
import type { ConnmarkTarget, MarkTarget } from './ext/target-mark.ts';
import type { CtTarget, NotrackTarget } from './ext/target-ct.ts';
import type { NetmapTarget } from './ext/target-netmap.ts';
import type { TcpmssTarget } from './ext/target-tcpmss.ts';
import type { TraceTarget } from './ext/target-trace.ts';
import type { NflogTarget } from './ext/target-nflog.ts';
import type {
  AuditTarget,
  ChecksumTarget,
  ClassifyTarget,
  ConnsecmarkTarget,
  IdletimerTarget,
  LedTarget,
  SecmarkTarget,
} from './ext/target-simple.ts';
import type { DscpTarget, EcnTarget, TosTarget, TtlTarget } from './ext/target-iphdr.ts';
import type { NfqueueTarget } from './ext/target-nfqueue.ts';
import type { SetTarget } from './ext/target-set.ts';
import type { ClusteripTarget, SynproxyTarget, TeeTarget, TproxyTarget } from './ext/target-proxy.ts';
import type { HmarkTarget } from './ext/target-hmark.ts';
import type { RateestTarget } from './ext/target-rateest.ts';
import type { TcpoptstripTarget } from './ext/target-tcpoptstrip.ts';
import type { U32Match } from './ext/u32.ts';
import type { BpfMatch } from './ext/bpf.ts';

/** xt_ct_target_info_v1's flags (XT_CT_*) that -j CT's zone options set (ext/target-ct.ts). */
export const XT_CT_ZONE_DIR_ORIG = 1 << 2;
export const XT_CT_ZONE_DIR_REPL = 1 << 3;
export const XT_CT_ZONE_MARK = 1 << 4;

export type { PktTypeName } from './ext/pkttype.ts';
export type { ConntrackMatch } from './ext/conntrack.ts';

/**
 * XT_LIMIT_SCALE (xt_limit.h): limit's periods are in 1/10000 s, in the model as in the kernel's
 * struct xt_rateinfo. A unit of the model, shared by the front ends and the engine.
 */
export const XT_LIMIT_SCALE = 10000;

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export type Policy = 'ACCEPT' | 'DROP';

/** Built-in chains per table, in the order iptables-save prints them. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Where a piece of rule text came from, for diagnostics and for the trace. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based
}

/**
 * A rule's or a policy's packet and byte counters, u64 in the kernel. `packets` and `bytes` are
 * the values while they are below 2^52 (every real count); above, the multiples of 2^52 are in
 * `packetsHi`/`bytesHi`. Read, write and add them with counters.ts (exact to 2^64 - 1).
 */
export interface Counters {
  packets: number;
  bytes: number;
  packetsHi?: number;
  bytesHi?: number;
}

export interface Ruleset {
  /** Only the tables that were loaded or touched, in iptables-save's order (see TABLE_ORDER). */
  readonly tables: Map<TableName, Table>;
}

export interface Table {
  readonly name: TableName;
  /** Built-in chains first (BUILTIN_CHAINS order), then user chains in the order printed. */
  readonly chains: Map<string, Chain>;
}

export interface Chain {
  readonly name: string;
  readonly builtin: boolean;
  policy: Policy | undefined; // built-in chains only
  counters: Counters; // the policy's counters
  rules: Rule[];
}

/** A value with iptables' `!` in front of it. */
export interface Inv<T> {
  readonly value: T;
  readonly invert: boolean;
}

/** An interface name as -i/-o take it: `eth+` matches every name starting with `eth`. */
export interface IfaceMatch {
  readonly name: string;
  readonly wildcard: boolean;
}

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/**
 * One `-m module ...` block (or the implicit one after -p tcp/udp/icmp): each module's data type
 * lives with its extension (ext/<name>.ts).
 */
export type Match =
  | TcpMatch
  | UdpMatch
  | IcmpMatch
  | CommentMatch
  | ConntrackMatch
  | StateMatch
  | MultiportMatch
  | AddrtypeMatch
  | IprangeMatch
  | MarkMatch
  | ConnmarkMatch
  | MacMatch
  | LengthMatch
  | TtlMatch
  | PkttypeMatch
  | TosMatch
  | DscpMatch
  | LimitMatch
  | StatisticMatch
  | PhysdevMatch
  | OwnerMatch
  | SetMatch
  | TimeMatch
  | SocketMatch
  | CgroupMatch
  | CpuMatch
  | DevgroupMatch
  | RealmMatch
  | OsfMatch
  | ClusterMatch
  | NfacctMatch
  | IpvsMatch
  | RateestMatch
  | ConnlimitMatch
  | ConnbytesMatch
  | HelperMatch
  | QuotaMatch
  | ConnlabelMatch
  | StringMatch
  | SctpMatch
  | DccpMatch
  | EspMatch
  | AhMatch
  | EcnMatch
  | TcpmssMatch
  | PolicyMatch
  | RpfilterMatch
  | RecentMatch
  | HashlimitMatch
  | U32Match
  | BpfMatch
  /** Any other module the front end understood; netfilter/ must refuse what it cannot evaluate. */
  | { readonly module: 'other'; readonly name: string; readonly args: readonly string[] };

/** An inclusive range of IPv4 addresses (host-order numbers). */
export interface AddrRange {
  readonly min: number;
  readonly max: number;
}

export interface ValueMask {
  readonly value: number;
  readonly mask: number;
}

export type CtStateName = 'INVALID' | 'NEW' | 'ESTABLISHED' | 'RELATED' | 'UNTRACKED' | 'SNAT' | 'DNAT';

/** A NAT range as the kernel's nf_nat_range2 holds it (addresses and ports host-order numbers). */
export interface NatRange {
  readonly minAddr: number;
  readonly maxAddr: number;
  /** 0 when no port was given. */
  readonly minPort: number;
  readonly maxPort: number;
  readonly hasAddr: boolean;
  readonly hasPorts: boolean;
  /** DNAT/SNAT `:min-max/base` (NF_NAT_RANGE_PROTO_OFFSET): ports shift by (orig - base). */
  readonly basePort?: number;
}

export interface NatFlags {
  readonly random: boolean;
  readonly randomFully: boolean;
  readonly persistent: boolean;
}

/**
 * What follows -j or -g: the verdicts and chains here, every other target's data type with its
 * extension (ext/target-<name>.ts). `kind` is the -j name.
 */
export type Target =
  | { readonly kind: 'ACCEPT' }
  | { readonly kind: 'DROP' }
  | { readonly kind: 'RETURN' }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'goto'; readonly chain: string }
  | DnatTarget
  | SnatTarget
  | MasqueradeTarget
  | RedirectTarget
  | RejectTarget
  | LogTarget
  | MarkTarget
  | ConnmarkTarget
  | CtTarget
  | NotrackTarget
  | NetmapTarget
  | TcpmssTarget
  | TraceTarget
  | NflogTarget
  | AuditTarget
  | ChecksumTarget
  | ClassifyTarget
  | ClusteripTarget
  | ConnsecmarkTarget
  | DscpTarget
  | EcnTarget
  | HmarkTarget
  | IdletimerTarget
  | LedTarget
  | NfqueueTarget
  | RateestTarget
  | SecmarkTarget
  | SetTarget
  | SynproxyTarget
  | TcpoptstripTarget
  | TeeTarget
  | TosTarget
  | TproxyTarget
  | TtlTarget
  /** Any other target the front end understood; netfilter/ must refuse what it cannot evaluate. */
  | { readonly kind: 'other'; readonly name: string; readonly args: readonly string[] };

/** The verdicts the table walk itself carries out (ipt_do_table); every other kind is an extension. */
export type VerdictKind = 'ACCEPT' | 'DROP' | 'RETURN' | 'jump' | 'goto';
/** The targets with an extension on both sides (ext/target-<name>.ts, xtables/target-<name>.ts). */
export type ExtTargetKind = Exclude<Target['kind'], VerdictKind | 'other'>;
/** The model's variant of one target: TargetOf<'TTL'> is the TTL target's data. */
export type TargetOf<K extends Target['kind']> = Extract<Target, { readonly kind: K }>;

export interface Rule {
  readonly src?: Inv<Prefix>;
  readonly dst?: Inv<Prefix>;
  readonly inIface?: Inv<IfaceMatch>;
  readonly outIface?: Inv<IfaceMatch>;
  /** IP protocol number; 0 is "all". */
  readonly protocol?: Inv<number>;
  readonly fragment?: Inv<true>;
  readonly matches: readonly Match[];
  /** Absent when the rule has no -j/-g: it only counts. */
  readonly target?: Target;
  counters: Counters;
  /** Where the rule was written, when it came from text. */
  readonly loc?: SourceLoc;
}

/**
 * The order iptables-save (1.8.9, nf_tables) prints tables in, whatever order they were created in
 * (measured on Linux 6.18; it is enum nft_table_type in iptables/nft.h). Not the hook order: for
 * that see the priorities in netfilter/.
 */
export const TABLE_ORDER: readonly TableName[] = ['mangle', 'security', 'raw', 'filter', 'nat'];

/** XT_HASHLIMIT_SCALE_v2: -m hashlimit's packet periods are in 1/1000000 s (revisions 2 and 3). */
export const HASHLIMIT_SCALE = 1000000;
