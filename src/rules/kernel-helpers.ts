// The conntrack helpers mainline Linux 6.18 has, with the layer-4 protocols each registers
// (nf_conntrack_*.c: nf_ct_helper_init's l4proto): what nf_conntrack_helper_try_module_get finds
// for nft's `ct helper` object and iptables' `-j CT --helper`. A front end refuses a name the
// kernel has not (ENOENT); the engine (netfilter/conntrack/helper.ts) simulates ftp and tftp and
// attaches the others inert. Checked with `nft -c` on 6.18: `type "ftp" protocol udp`,
// `type "h323"` and unknown names are refused, the ones below taken.
import { IPPROTO_TCP, IPPROTO_UDP } from '../wire/ipv4.ts';

export const KERNEL_HELPERS: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['ftp', [IPPROTO_TCP]],
  ['tftp', [IPPROTO_UDP]],
  ['amanda', [IPPROTO_UDP]],
  ['RAS', [IPPROTO_UDP]],
  ['Q.931', [IPPROTO_TCP]],
  ['irc', [IPPROTO_TCP]],
  ['netbios-ns', [IPPROTO_UDP]],
  ['pptp', [IPPROTO_TCP]],
  ['sane', [IPPROTO_TCP]],
  ['sip', [IPPROTO_UDP, IPPROTO_TCP]],
  ['snmp', [IPPROTO_UDP]],
  ['snmp_trap', [IPPROTO_UDP]],
];

/** Whether the kernel has helper `name` for layer-4 protocol `l4proto`. */
export const kernelHasHelper = (name: string, l4proto: number): boolean =>
  KERNEL_HELPERS.some(([n, p]) => n === name && p.includes(l4proto));
