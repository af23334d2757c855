// Conntrack timeouts with the kernel's defaults, keyed by their sysctl names
// (net.netfilter.nf_conntrack_*; Documentation/networking/nf_conntrack-sysctl.rst).

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
