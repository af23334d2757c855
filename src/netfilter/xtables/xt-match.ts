// What one match module is to the engine (the kernel's struct xt_match): whether natbox can
// evaluate it with what the caller fills in (check, as checkentry), the per-rule state it keeps
// (xt_limit's bucket, xt_statistic's counter: made when the engine compiles the chain, so each
// engine instance and each rule has its own), the evaluation itself (match, on the packet's
// numbers: no per-packet objects), and the words the trace gives when it does not match. Each
// module is one file, match-<name>.ts, listed in matches.ts; match.ts drives them for a rule.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import type { CtStateName, IfaceMatch, Inv, Match, PortRange } from '../../rules/iptables/model.ts';
import {
  CT_INVALID,
  CT_UNTRACKED,
  IP_CT_ESTABLISHED,
  IP_CT_ESTABLISHED_REPLY,
  IP_CT_NEW,
  IP_CT_RELATED,
  IP_CT_RELATED_REPLY,
  type Skb,
} from '../core/skb.ts';

/** The model's variant of one module: MatchOf<'limit'> is the limit match's data. */
export type MatchOf<K extends Match['module']> = Extract<Match, { readonly module: K }>;

/**
 * What the caller of ruleMatches() fills in beyond the packet: each flag unlocks the matches that
 * need it (until then they are refused, never silently misread).
 */
export interface MatchCaps {
  /** skb.env is set (addrtype, statistic, connmark, conntrack beyond --ctstate). */
  readonly env?: boolean;
  /** skb.now is set on every hook (limit, conntrack --ctexpire). */
  readonly clock?: boolean;
  /** skb.srcMac and skb.pktType come from the frame (mac, pkttype). */
  readonly linkLayer?: boolean;
  /** skb.uid and skb.gid are set for packets of local sockets (owner). */
  readonly owner?: boolean;
}

/**
 * State one engine instance shares between its rules (the kernel keeps it per network namespace):
 * -m recent's and -m hashlimit's named tables. Each module keys its entries with its own prefix
 * (`recent:NAME`). Made once per engine, never a module variable.
 */
export type XtShared = Map<string, unknown>;

/** One match module on the engine side. `S` is its per-rule state (none when `newState` is absent). */
export interface XtMatch<M extends Match, S = undefined> {
  /** Why natbox cannot evaluate `m` with `caps`, or undefined when it can (default: it can). */
  check?(m: M, caps: MatchCaps): string | undefined;
  /**
   * A fresh state for one rule's copy of this match, made when its chain is compiled; `shared` is
   * the engine instance's store for what several rules share (named tables).
   */
  newState?(m: M, shared: XtShared): S;
  /** Whether the packet matches; `state` is this rule's (from newState). */
  match(m: M, skb: Skb, state: S): boolean;
  /** Why it did not match, for the trace (default: `-m NAME did not match`). */
  describe?(m: M, skb: Skb, state?: S): string;
}

export const inv = (m: boolean, i: boolean): boolean => m !== i;

export const inRange = (n: number, r: PortRange): boolean => n >= r.min && n <= r.max;

/** An absent option matches; else the (maybe inverted) range test. */
export function portOk(p: number, m: Inv<PortRange> | undefined): boolean {
  return m === undefined || inv(inRange(p, m.value), m.invert);
}

export function ifaceMatches(name: string, m: IfaceMatch): boolean {
  return m.wildcard ? name.startsWith(m.name) : name === m.name;
}

/** checkMatch's refusal for a match that needs something the caller does not fill in yet. */
export function needs(module: string, what: string, cap: boolean | undefined): string | undefined {
  return cap
    ? undefined
    : `match "${module}" needs ${what}, which the engine does not pass yet: not simulated`;
}

/** The ctstate bit of this packet, as xt_conntrack and xt_state compute it (XT_CONNTRACK_STATE_BIT). */
export function ctStateName(skb: Skb): CtStateName {
  switch (skb.ctinfo) {
    case IP_CT_NEW:
      return 'NEW';
    case IP_CT_ESTABLISHED:
    case IP_CT_ESTABLISHED_REPLY:
      return 'ESTABLISHED';
    case IP_CT_RELATED:
    case IP_CT_RELATED_REPLY:
      return 'RELATED';
    case CT_UNTRACKED:
      return 'UNTRACKED';
    case CT_INVALID:
    default:
      return 'INVALID';
  }
}

export const protoWord = (p: number): string =>
  p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_ICMP ? 'icmp' : `protocol ${p}`;

/** The part of the trace's words that shows the packet's ports, when it has them. */
export const portsWord = (skb: Skb): string =>
  skb.proto === IPPROTO_TCP || skb.proto === IPPROTO_UDP ? ` (sport ${skb.sport}, dport ${skb.dport})` : '';
