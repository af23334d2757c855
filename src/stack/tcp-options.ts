// The TCP options a Linux end puts in its segments, from what the handshake agreed
// (net/ipv4/tcp_input.c tcp_parse_options, net/ipv4/tcp_output.c tcp_syn_options,
// tcp_synack_options, tcp_established_options and tcp_options_write):
// - a SYN offers MSS, and SACK-permitted, timestamps and window scaling where the host's sysctls
//   net.ipv4.tcp_sack, tcp_timestamps and tcp_window_scaling (all 1 by default) allow them;
// - a SYN-ACK has MSS always, and each of the others only when the SYN offered it and the sysctl
//   allows it (tcp_parse_options reads an option of a SYN only with its sysctl on);
// - the client keeps what the SYN-ACK answered, the same way;
// - later segments carry timestamps (NOP, NOP, TS) only when both ends agreed on them.
// tcp_options_write's layouts: MSS; then SACK-permitted folded in before the timestamps
// (`04 02 08 0a`) or NOP, NOP before them; SACK-permitted alone as NOP, NOP, SACK-permitted;
// window scale as NOP, WS.
import { tcpOptionAt, type TcpOption } from '../wire/tcp.ts';

/** Option bits: timestamps, SACK-permitted, window scaling. */
export const OPT_TS = 1;
export const OPT_SACK = 2;
export const OPT_WS = 4;

/** The options this host's sysctls let it use. */
export function enabledOptions(sysctl: (name: string, dflt: number) => number): number {
  return (
    (sysctl('net.ipv4.tcp_timestamps', 1) !== 0 ? OPT_TS : 0) |
    (sysctl('net.ipv4.tcp_sack', 1) !== 0 ? OPT_SACK : 0) |
    (sysctl('net.ipv4.tcp_window_scaling', 1) !== 0 ? OPT_WS : 0)
  );
}

/** The options a SYN or SYN-ACK carries (option bytes from `start` to `end` of `b`), as bits. */
export function synOptionBits(b: Uint8Array, start: number, end: number): number {
  return (
    (tcpOptionAt(b, start, end, 8, 10) >= 0 ? OPT_TS : 0) |
    (tcpOptionAt(b, start, end, 4, 2) >= 0 ? OPT_SACK : 0) |
    (tcpOptionAt(b, start, end, 3, 3) >= 0 ? OPT_WS : 0)
  );
}

/** A SYN's or SYN-ACK's options, in tcp_options_write's layout. */
export function synOptions(bits: number, mss: number, ts: TcpOption, wscale: number): TcpOption[] {
  const out: TcpOption[] = [{ kind: 'mss', mss }];
  if (bits & OPT_TS) {
    if (bits & OPT_SACK) out.push({ kind: 'sackOK' }, ts);
    else out.push({ kind: 'nop' }, { kind: 'nop' }, ts);
  } else if (bits & OPT_SACK) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' });
  if (bits & OPT_WS) out.push({ kind: 'nop' }, { kind: 'ws', shift: wscale });
  return out;
}

/** The options of a segment after the handshake: NOP, NOP, timestamps, or none. */
export function establishedOptions(bits: number, ts: TcpOption): TcpOption[] {
  return bits & OPT_TS ? [{ kind: 'nop' }, { kind: 'nop' }, ts] : [];
}
