// Conntrack timeouts with the kernel's defaults, keyed by their sysctl names
// (net.netfilter.nf_conntrack_*; Documentation/networking/nf_conntrack-sysctl.rst), and the same
// in table ticks, converted once, for the packet path.
import { ConntrackTable } from './table.ts';

export const DEFAULT_TIMEOUTS = {
  nf_conntrack_tcp_timeout_syn_sent: 120,
  nf_conntrack_tcp_timeout_syn_recv: 60,
  nf_conntrack_tcp_timeout_established: 432000,
  nf_conntrack_tcp_timeout_fin_wait: 120,
  nf_conntrack_tcp_timeout_close_wait: 60,
  nf_conntrack_tcp_timeout_last_ack: 30,
  nf_conntrack_tcp_timeout_time_wait: 120,
  nf_conntrack_tcp_timeout_close: 10,
  nf_conntrack_tcp_timeout_max_retrans: 300,
  nf_conntrack_tcp_timeout_unacknowledged: 300,
  nf_conntrack_udp_timeout: 30,
  nf_conntrack_udp_timeout_stream: 120,
  nf_conntrack_icmp_timeout: 30,
  nf_conntrack_generic_timeout: 600,
} as const;

export type TimeoutName = keyof typeof DEFAULT_TIMEOUTS;
export type Timeouts = Record<TimeoutName, number>;

export function defaultTimeouts(): Timeouts {
  return { ...DEFAULT_TIMEOUTS };
}

export const isTimeoutName = (name: string): name is TimeoutName => name in DEFAULT_TIMEOUTS;

/** The timeout of each TCP state (TCP_CONNTRACK_NONE .. SYN_SENT2), as tcp_timeouts[] maps them. */
const TCP_STATE_TIMEOUT: readonly TimeoutName[] = [
  'nf_conntrack_tcp_timeout_close', // NONE: never kept
  'nf_conntrack_tcp_timeout_syn_sent',
  'nf_conntrack_tcp_timeout_syn_recv',
  'nf_conntrack_tcp_timeout_established',
  'nf_conntrack_tcp_timeout_fin_wait',
  'nf_conntrack_tcp_timeout_close_wait',
  'nf_conntrack_tcp_timeout_last_ack',
  'nf_conntrack_tcp_timeout_time_wait',
  'nf_conntrack_tcp_timeout_close',
  'nf_conntrack_tcp_timeout_syn_sent', // SYN_SENT2
];

/** A set of timeouts in table ticks (ConntrackTable.ticks of each), read on every packet. */
export class TimeoutTicks {
  /** Per TCP state number. */
  readonly tcp: Uint32Array;
  readonly tcpUnacknowledged: number;
  readonly udp: number;
  readonly udpStream: number;
  readonly icmp: number;
  readonly generic: number;
  /** nf_conntrack_tcp_timeout_max_retrans (window tracking: retransmissions, a zero window). */
  readonly tcpMaxRetrans: number;
  /** The seconds these ticks were made from. */
  readonly source: Readonly<Timeouts>;
  constructor(to: Readonly<Timeouts>) {
    this.source = to;
    this.tcp = Uint32Array.from(TCP_STATE_TIMEOUT, (name) => ConntrackTable.ticks(to[name]));
    this.tcpUnacknowledged = ConntrackTable.ticks(to.nf_conntrack_tcp_timeout_unacknowledged);
    this.udp = ConntrackTable.ticks(to.nf_conntrack_udp_timeout);
    this.udpStream = ConntrackTable.ticks(to.nf_conntrack_udp_timeout_stream);
    this.icmp = ConntrackTable.ticks(to.nf_conntrack_icmp_timeout);
    this.generic = ConntrackTable.ticks(to.nf_conntrack_generic_timeout);
    this.tcpMaxRetrans = ConntrackTable.ticks(to.nf_conntrack_tcp_timeout_max_retrans);
  }
}

/**
 * A timeout policy (nf_ct_timeout: nft's `ct timeout` object, attached to a connection by
 * `ct timeout set`): the timeouts it gives, over the netns's for the others (the kernel copies the
 * netns's values when the object is made, tcp_timeout_nlattr_to_obj; natbox takes the current
 * ones). The packet path reads its ticks through `over`, made once per base.
 */
export class TimeoutPolicy {
  private base: TimeoutTicks | undefined;
  private ticks: TimeoutTicks | undefined;
  constructor(readonly overrides: Readonly<Partial<Timeouts>>) {}

  /** The policy's ticks over `base` (the engine's). */
  over(base: TimeoutTicks): TimeoutTicks {
    if (base !== this.base || this.ticks === undefined) {
      this.base = base;
      this.ticks = new TimeoutTicks({ ...base.source, ...this.overrides });
    }
    return this.ticks;
  }
}
