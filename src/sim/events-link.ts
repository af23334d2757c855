// `ip link set [dev] DEV mtu N` as a timed scenario event (events.ts parses the rest of `ip`):
// the device's MTU changes at once, as dev_set_mtu does. Forwarded packets with DF that no longer
// fit get ICMP fragmentation needed with the new MTU (ip_forward), the host's own packets leave in
// pieces of it (ip_fragment) and its TCP sockets cut their next segments to it (tcp_current_mss).
// The limits and messages are iproute2's and a veth's (min 68, max 65535), measured with ip 6.1
// on Linux 6.18: exit 2 "Error: mtu less than device minimum." / "… greater than device maximum.",
// exit 1 "Cannot find device", exit 255 for a value that is not a number (at load time here).
// Not modelled: fib_sync_mtu's update of learned path MTUs through the device.
import type { Token } from '../rules/iptables/lex.ts';
import type { Host } from '../stack/host.ts';

/** The MTUs a veth accepts (dev->min_mtu, dev->max_mtu). */
export const MIN_MTU = 68;
export const MAX_MTU = 65535;

export interface LinkMtuCommand {
  readonly kind: 'mtu';
  readonly dev: string;
  readonly mtu: number;
}

/** `DEV mtu N`: the command, or `bad` at the value when it is not a whole number. */
export function linkMtu<R>(
  dev: Token,
  n: Token,
  bad: (t: Token | undefined, m: string) => R,
): R | { ok: true; command: LinkMtuCommand } {
  if (!/^\d{1,10}$/.test(n.text)) return bad(n, `argument "${n.text}" is wrong: Invalid "mtu" value`);
  return { ok: true, command: { kind: 'mtu', dev: dev.text, mtu: Number(n.text) } };
}

/** Runs it on a live host: what `ip` prints and returns, and the change in words. */
export function runLinkMtu(
  host: Host,
  dev: string,
  mtu: number,
): { rc: number; stdout: string; stderr: string; effect: string } {
  const fail = (rc: number, stderr: string) => ({ rc, stdout: '', stderr, effect: '' });
  const d = host.ifaces.get(dev);
  if (!d) return fail(1, `Cannot find device "${dev}"\n`);
  if (mtu < MIN_MTU) return fail(2, 'Error: mtu less than device minimum.\n');
  if (mtu > MAX_MTU) return fail(2, 'Error: mtu greater than device maximum.\n');
  const was = d.mtu;
  host.frag.setDevMtu(dev, mtu);
  host.refreshMtus();
  return {
    rc: 0,
    stdout: '',
    stderr: '',
    effect: was === mtu ? '' : `${dev}'s MTU is ${mtu} (was ${was})`,
  };
}
