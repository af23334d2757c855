// Name tables the iptables language uses: IP protocols (as netbase's /etc/protocols, which
// iptables-save prints through getprotobynumber()), services for ports (a small /etc/services
// subset), ICMP types (libxt_icmp.c), REJECT's --reject-with (libipt_REJECT.c), TCP flags
// (libxt_tcp.c), conntrack states (libxt_conntrack.c) and LOG levels (libxt_LOG.c).
import type { CtStateName, PktTypeName } from './model.ts';

/** Protocol numbers and the first name /etc/protocols gives them (Debian netbase). */
const PROTOCOLS: ReadonlyArray<readonly [number, string]> = [
  [1, 'icmp'], [2, 'igmp'], [3, 'ggp'], [4, 'ipencap'], [5, 'st'], [6, 'tcp'], [8, 'egp'], [9, 'igp'],
  [12, 'pup'], [17, 'udp'], [20, 'hmp'], [22, 'xns-idp'], [27, 'rdp'], [29, 'iso-tp4'], [33, 'dccp'],
  [36, 'xtp'], [37, 'ddp'], [38, 'idpr-cmtp'], [41, 'ipv6'], [43, 'ipv6-route'], [44, 'ipv6-frag'],
  [45, 'idrp'], [46, 'rsvp'], [47, 'gre'], [50, 'esp'], [51, 'ah'], [57, 'skip'], [58, 'ipv6-icmp'],
  [59, 'ipv6-nonxt'], [60, 'ipv6-opts'], [73, 'rspf'], [81, 'vmtp'], [88, 'eigrp'], [89, 'ospf'],
  [93, 'ax.25'], [94, 'ipip'], [97, 'etherip'], [98, 'encap'], [103, 'pim'], [108, 'ipcomp'],
  [112, 'vrrp'], [115, 'l2tp'], [124, 'isis'], [132, 'sctp'], [133, 'fc'], [135, 'mobility-header'],
  [136, 'udplite'], [137, 'mpls-in-ip'], [138, 'manet'], [139, 'hip'], [140, 'shim6'], [141, 'wesp'],
  [142, 'rohc'], [143, 'ethernet'],
]; // prettier-ignore

const PROTO_BY_NUMBER = new Map<number, string>(PROTOCOLS);
const PROTO_BY_NAME = new Map<string, number>([
  ...PROTOCOLS.map(([n, s]) => [s, n] as [string, number]),
  ['all', 0],
  ['ip', 0],
  ['icmpv6', 58],
  ['ipv6-icmp', 58],
  ['ipsec-esp', 50],
  ['ipsec-ah', 51],
  ['mh', 135],
]);

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** `-p` argument to a protocol number (names are case-insensitive, as iptables lowercases them). */
export function protocolNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (/^\d+$/.test(lower)) {
    const n = Number(lower);
    return n <= 255 ? n : undefined;
  }
  return PROTO_BY_NAME.get(lower);
}

/** How iptables-save prints `-p N`: the /etc/protocols name, else the number. */
export function protocolName(n: number): string {
  return PROTO_BY_NUMBER.get(n) ?? String(n);
}

/** Service names accepted where a port is (getservbyname); a common subset of /etc/services. */
const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, whois: 43, domain: 53, bootps: 67, bootpc: 68, tftp: 69,
  finger: 79, http: 80, www: 80, kerberos: 88, pop3: 110, auth: 113, nntp: 119, ntp: 123,
  'netbios-ns': 137, imap2: 143, imap: 143, snmp: 161, bgp: 179, ldap: 389, https: 443,
  'microsoft-ds': 445, isakmp: 500, syslog: 514, printer: 515, submission: 587, ipp: 631, ldaps: 636,
  rsync: 873, imaps: 993, pop3s: 995, socks: 1080, openvpn: 1194, radius: 1812, mysql: 3306,
  'ms-wbt-server': 3389, 'ipsec-nat-t': 4500, sip: 5060, 'xmpp-client': 5222, mdns: 5353,
  postgresql: 5432, x11: 6000, 'http-alt': 8080, git: 9418,
}; // prettier-ignore

/** A port number or service name; undefined when it is neither. */
export function portNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : undefined;
  }
  return Object.hasOwn(SERVICES, text) ? SERVICES[text] : undefined;
}

/** ICMP type names (libxt_icmp.c icmp_codes): type, code range. */
export const ICMP_TYPES: ReadonlyArray<readonly [string, number, number, number]> = [
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['pong', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['ping', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
];

/** REJECT --reject-with: the name iptables-save prints, and the short alias it also accepts. */
export const REJECT_WITH: ReadonlyArray<readonly [string, string]> = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];

/** TCP flag bits in the order print_tcpf() walks them. */
export const TCP_FLAGS: ReadonlyArray<readonly [string, number]> = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
];

export function formatTcpFlags(flags: number): string {
  const names = TCP_FLAGS.filter(([, bit]) => flags & bit).map(([n]) => n);
  return names.length ? names.join(',') : 'NONE';
}

/** Conntrack states in the order iptables-save prints them (print_state() in libxt_conntrack.c). */
export const CT_STATES: readonly CtStateName[] = [
  'INVALID',
  'NEW',
  'RELATED',
  'ESTABLISHED',
  'UNTRACKED',
  'SNAT',
  'DNAT',
];
/** The states `-m state --state` knows. */
export const STATE_STATES: readonly CtStateName[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED'];

/** syslog levels for LOG --log-level (iptables-save prints the number; 4 is the default). */
export const LOG_LEVELS: Readonly<Record<string, number>> = {
  emerg: 0, panic: 0, alert: 1, crit: 2, err: 3, error: 3, warning: 4, warn: 4, notice: 5, info: 6, debug: 7,
}; // prettier-ignore

/** LOG's flags in the order LOG_save() prints them. */
export const LOG_FLAGS: readonly string[] = [
  '--log-tcp-sequence',
  '--log-tcp-options',
  '--log-ip-options',
  '--log-uid',
  '--log-macdecode',
];

/**
 * Target names iptables 1.8.9 knows that natbox does not read: refused by name rather than taken
 * for chains. Every other target of iptables is read (ext/targets.ts). ULOG's userspace module is
 * there but no kernel since 3.17 has it ("missing kernel module?"); `-j QUEUE` is the old name of
 * NFQUEUE --queue-num 0, which iptables-nft cannot load either (measured: ENOENT).
 */
export const UNSUPPORTED_TARGETS: ReadonlySet<string> = new Set(['QUEUE', 'ULOG']);

/** addrtype's types, index = RTN_* (libxt_addrtype.c rtn_names), printed in this order. */
export const ADDRTYPE_NAMES: readonly string[] = [
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE',
  'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
]; // prettier-ignore

/** pkttype names (libxt_pkttype.c supported_types; `host` is an alias of unicast). */
export const PKT_TYPES: ReadonlyArray<readonly [string, PktTypeName]> = [
  ['unicast', 'unicast'],
  ['broadcast', 'broadcast'],
  ['multicast', 'multicast'],
  ['otherhost', 'otherhost'],
  ['host', 'unicast'],
];

/** tos names (tos_values.c); a name matches with mask 0x3f. */
export const TOS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['Minimize-Delay', 0x10],
  ['Maximize-Throughput', 0x08],
  ['Maximize-Reliability', 0x04],
  ['Minimize-Cost', 0x02],
  ['Normal-Service', 0x00],
];

/** --dscp-class names (dscp_helper.c). */
export const DSCP_CLASSES: ReadonlyArray<readonly [string, number]> = [
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28],
  ['CS6', 0x30], ['CS7', 0x38], ['BE', 0x00], ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e],
  ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16], ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e],
  ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26], ['EF', 0x2e],
]; // prettier-ignore

/** --ctstatus names and bits (IPS_*), in the order iptables-save prints them. */
export const CT_STATUS: ReadonlyArray<readonly [string, number]> = [
  ['EXPECTED', 1],
  ['SEEN_REPLY', 2],
  ['ASSURED', 4],
  ['CONFIRMED', 8],
];
