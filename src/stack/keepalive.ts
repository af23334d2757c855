// TCP keepalive (SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, or the sysctls
// net.ipv4.tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes): the decision that
// net/ipv4/tcp_timer.c tcp_keepalive_timer takes each time the keepalive timer runs. The socket
// (sockets.ts) sends what it decides and re-arms the timer for the jiffies it returns.
//
// tcp_keepalive_timer, for an established connection with SOCK_KEEPOPEN:
//   - data in flight (packets_out) or queued: nothing, the timer again in keepalive_time;
//   - elapsed = keepalive_time_elapsed (jiffies since the last ACK processed, rcv_tstamp, or the
//     last data received, icsk_ack.lrcvtime, whichever is later);
//   - elapsed >= keepalive_time: after keepalive_probes unanswered probes (icsk_probes_out) the
//     connection is reset (tcp_send_active_reset) and the application sees ETIMEDOUT
//     (tcp_write_err); else a probe (tcp_write_wakeup → tcp_xmit_probe_skb(sk, 0): an ACK with
//     seq snd_una - 1 and no data), probes_out + 1, the timer again in keepalive_intvl;
//   - else the timer again when keepalive_time will have elapsed (keepalive_time - elapsed).
// The peer answers a probe with an ACK (tcp_validate_incoming: out of window, tcp_send_dupack);
// the ACK sets rcv_tstamp and clears probes_out (tcp_ack), so answered probes come every
// keepalive_time (plus the round trip), unanswered ones every keepalive_intvl.

/** The kernel's defaults: tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9. */
export const KEEPALIVE_TIME = 7200;
export const KEEPALIVE_INTVL = 75;
export const KEEPALIVE_PROBES = 9;

/** A socket's keepalive settings: seconds, seconds, probes (undefined: the sysctl's). */
export interface KeepaliveOpts {
  readonly idle?: number;
  readonly interval?: number;
  readonly count?: number;
}

/** What tcp_keepalive_timer does this time. */
export const enum KeepaliveAction {
  /** Nothing sent; the timer again in `next` jiffies. */
  Wait = 0,
  /** A probe (ACK, seq snd_una - 1); the timer again in `next` jiffies. */
  Probe = 1,
  /** keepalive_probes unanswered: a reset, the connection gone (ETIMEDOUT). */
  Reset = 2,
}

/**
 * tcp_keepalive_timer's decision. `busy`: data in flight or queued; `elapsed`: jiffies since the
 * last ACK or data received; `probesOut`: unanswered probes so far; time and intvl in jiffies.
 * Returns the action; the next timer (jiffies) is `keepaliveNext` of the same arguments.
 */
export function keepaliveAction(
  busy: boolean,
  elapsed: number,
  probesOut: number,
  time: number,
  probes: number,
): KeepaliveAction {
  if (busy || elapsed < time) return KeepaliveAction.Wait;
  // user_timeout (TCP_USER_TIMEOUT) 0: only the probe count ends the connection.
  return probesOut >= probes ? KeepaliveAction.Reset : KeepaliveAction.Probe;
}

/** The jiffies until tcp_keepalive_timer runs again after `action` (inet_csk_reset_keepalive_timer). */
export function keepaliveNext(
  action: KeepaliveAction,
  busy: boolean,
  elapsed: number,
  time: number,
  intvl: number,
): number {
  if (action === KeepaliveAction.Probe) return intvl;
  return busy ? time : time - elapsed;
}
