// The typed steps a host reports while it handles packets, when a tracer is attached: frames in
// and out of each device, netfilter's rules, conntrack and NAT, routing, socket decisions, drops.
// Values are plain data (strings are made only when tracing) so renderers need no engine access.
import type { HookName, TracedRule } from '../netfilter/core/trace-events.ts';
import type { CtEntryJson } from '../netfilter/conntrack/format.ts';
import type { DropReason } from '../netfilter/core/drop.ts';

export type Step =
  | { kind: 'packet'; host: string; ifname: string; dir: 'in' | 'out'; frame: Uint8Array }
  | {
      kind: 'rule';
      host: string;
      hook: HookName;
      table: string;
      chain: string;
      index: number;
      rule: TracedRule;
    }
  | {
      kind: 'rule-miss';
      host: string;
      hook: HookName;
      table: string;
      chain: string;
      index: number;
      rule: TracedRule;
      why: string;
    }
  | { kind: 'policy'; host: string; hook: HookName; table: string; chain: string; policy: string }
  /** The packet's conntrack classification (ctstate) at a hook. */
  | { kind: 'conntrack'; host: string; hook: HookName; state: string; created: boolean }
  /** A conntrack event (`conntrack -E`): NEW at confirmation, UPDATE on a state/status change. */
  | { kind: 'ct-event'; host: string; event: 'NEW' | 'UPDATE'; line: string; entry: CtEntryJson }
  | {
      kind: 'nat';
      host: string;
      hook: HookName;
      manip: 'SNAT' | 'DNAT';
      by: 'rule' | 'null-binding' | 'mapping';
      before: string;
      after: string;
    }
  | {
      kind: 'route';
      host: string;
      dst: string;
      /** flowtable: forwarded at ingress by an nft flowtable (no prerouting/forward/postrouting). */
      decision: 'local' | 'forward' | 'unreachable' | 'bridge' | 'flowtable';
      via?: string;
      dev?: string;
      /**
       * Decision unreachable: what answered the lookup (route, table, rule) and the packet's mark,
       * e.g. `EINVAL: blackhole default (table 100, rule 1000), mark 0x3`.
       */
      why?: string;
      /** The flowtable's name (decision flowtable). */
      flowtable?: string;
      /** Why Linux's choice of this multipath path is random (natbox's is the flow's hash). */
      random?: string;
    }
  | { kind: 'socket'; host: string; event: SocketEvent; text: string }
  | DropStep
  | { kind: 'icmp-sent'; host: string; text: string }
  /** The host's configuration changed while running (an address removed, a link down). */
  | { kind: 'config'; host: string; text: string }
  /**
   * A scenario event ran a command on the host (sim/events.ts): the command line, its exit status,
   * what it printed and what changed, in words.
   */
  | {
      kind: 'event';
      host: string;
      command: string;
      rc: number;
      stderr: string;
      stdout?: string;
      effect: string;
    };

/**
 * A packet the host dropped: why (a DropReason number, named after the kernel's skb_drop_reason)
 * and what the reason needs to be said in full. The words are made only by the trace
 * (trace/drop-words.ts); which fields a reason carries is listed there and beside each field.
 */
export interface DropStep {
  kind: 'drop';
  host: string;
  /** The device the packet came in by (absent for a packet the host sent itself). */
  ifname?: string;
  reason: DropReason;
  /**
   * The address the reason names: the destination (IP_NOT_FORWARDING, IP_INNOROUTES,
   * IP_TTL_EXPIRED), the source (IP_RPFILTER), the next hop (NEIGH_FAILED).
   */
  addr?: number;
  /** Netfilter reasons: the table, as `Skb.dropTable` numbers it (DROP_TABLES). */
  table?: number;
  /** IP_RPFILTER: the device the route back leaves by (absent: no route back). STP: the bridge. */
  dev?: string;
  /** STP_PORT_STATE, STP_LEARNING: the port. */
  port?: string;
  /** STP_PORT_STATE: the port's state (BR_STATE_*). */
  state?: number;
  /** NEIGH_FAILED: ARP requests sent; NF_CT_TABLE_FULL: nf_conntrack_max; PKT_TOO_BIG: the MTU. */
  count?: number;
  /** IP_INHDR: what is wrong with the header. */
  detail?: string;
}

export type SocketEvent =
  | 'syn-received'
  | 'connected'
  | 'accepted'
  | 'rst-sent'
  | 'rst-received'
  | 'unexpected-source'
  | 'data'
  | 'closed'
  | 'timeout'
  | 'retransmit'
  | 'reply'
  | 'port-unreachable'
  | 'icmp-error'
  /** A segment waits in the socket's backlog: a system call holds the socket (tcp_add_backlog). */
  | 'backlog';

export interface StackTracer {
  step(time: number, s: Step): void;
}

/** A step with the time it happened. */
export type TimedStep = Step & { readonly t: number };
