// nft's datatypes (datatype.c, proto.c, meta.c, ct.c): which datatype each payload, meta and ct
// key gives, the symbolic constants of each type, and how a value of each type is read from a
// word and printed back as `nft list ruleset` prints it.
import { formatIpv6 as formatIpv6Words } from '../../wire/addr.ts';
import type { NftDatatype, NftExpr, NftStmt } from './model.ts';
import { exthdrFieldType } from './exthdr.ts';

type Table = ReadonlyArray<readonly [string, number]>;

export const CT_STATE: Table = [
  ['invalid', 1],
  ['established', 2],
  ['related', 4],
  ['new', 8],
  ['untracked', 64],
];
export const CT_STATUS: Table = [
  ['expected', 1],
  ['seen-reply', 2],
  ['assured', 4],
  ['confirmed', 8],
  ['snat', 16],
  ['dnat', 32],
  ['dying', 512],
];
/** ct event bits (ct.c ct_event_tbl): `ct event set new,destroy`. */
export const CT_EVENT: Table = [
  ['new', 1],
  ['related', 2],
  ['destroy', 4],
  ['reply', 8],
  ['assured', 16],
  ['protoinfo', 32],
  ['helper', 64],
  ['mark', 128],
  ['seqadj', 256],
  ['secmark', 512],
  ['label', 1024],
];
/** DCCP packet types (proto.c dccp_pkttype_tbl). */
export const DCCP_PKTTYPE: Table = [
  ['request', 0],
  ['response', 1],
  ['data', 2],
  ['ack', 3],
  ['dataack', 4],
  ['closereq', 5],
  ['close', 6],
  ['reset', 7],
  ['sync', 8],
  ['syncack', 9],
];
/** IGMP types (proto.c igmp_type_tbl). */
export const IGMP_TYPE: Table = [
  ['membership-query', 0x11],
  ['membership-report-v1', 0x12],
  ['membership-report-v2', 0x16],
  ['membership-report-v3', 0x22],
  ['leave-group', 0x17],
];
/** Mobility header types (exthdr.c mh_type_tbl). */
export const MH_TYPE: Table = [
  ['binding-refresh-request', 0],
  ['home-test-init', 1],
  ['careof-test-init', 2],
  ['home-test', 3],
  ['careof-test', 4],
  ['binding-update', 5],
  ['binding-acknowledgement', 6],
  ['binding-error', 7],
  ['fast-binding-update', 8],
  ['fast-binding-acknowledgement', 9],
  ['fast-binding-advertisement', 10],
  ['experimental-mobility-header', 11],
  ['home-agent-switch-message', 12],
];
export const TCP_FLAG: Table = [
  ['fin', 1],
  ['syn', 2],
  ['rst', 4],
  ['psh', 8],
  ['ack', 16],
  ['urg', 32],
  ['ecn', 64],
  ['cwr', 128],
];
export const ICMP_TYPE: Table = [
  ['echo-reply', 0],
  ['destination-unreachable', 3],
  ['source-quench', 4],
  ['redirect', 5],
  ['echo-request', 8],
  ['router-advertisement', 9],
  ['router-solicitation', 10],
  ['time-exceeded', 11],
  ['parameter-problem', 12],
  ['timestamp-request', 13],
  ['timestamp-reply', 14],
  ['info-request', 15],
  ['info-reply', 16],
  ['address-mask-request', 17],
  ['address-mask-reply', 18],
];
export const ICMPV6_TYPE: Table = [
  ['destination-unreachable', 1],
  ['packet-too-big', 2],
  ['time-exceeded', 3],
  ['parameter-problem', 4],
  ['echo-request', 128],
  ['echo-reply', 129],
  ['mld-listener-query', 130],
  ['mld-listener-report', 131],
  ['mld-listener-done', 132],
  ['mld-listener-reduction', 132],
  ['nd-router-solicit', 133],
  ['nd-router-advert', 134],
  ['nd-neighbor-solicit', 135],
  ['nd-neighbor-advert', 136],
  ['nd-redirect', 137],
  ['router-renumbering', 138],
  ['ind-neighbor-solicit', 141],
  ['ind-neighbor-advert', 142],
  ['mld2-listener-report', 143],
];
export const ICMP_CODE: Table = [
  ['net-unreachable', 0],
  ['host-unreachable', 1],
  ['prot-unreachable', 2],
  ['port-unreachable', 3],
  ['frag-needed', 4],
  ['net-prohibited', 9],
  ['host-prohibited', 10],
  ['admin-prohibited', 13],
];
export const ICMPV6_CODE: Table = [
  ['no-route', 0],
  ['admin-prohibited', 1],
  ['addr-unreachable', 3],
  ['port-unreachable', 4],
  ['policy-fail', 5],
  ['reject-route', 6],
];
export const ICMPX_CODE: Table = [
  ['no-route', 0],
  ['port-unreachable', 1],
  ['host-unreachable', 2],
  ['admin-prohibited', 3],
];
/**
 * inet_proto names: nft asks getprotobynumber/getprotobyname (datatype.c), i.e. the machine's
 * /etc/protocols; natbox takes Debian netbase's (protocols up to 255, in the file's order, so the
 * first name of a number is what nft prints: 58 is ipv6-icmp), then the words nft's grammar
 * takes besides (icmpv6, comp).
 */
export const INET_PROTO: Table = [
  ['ip', 0],
  ['hopopt', 0],
  ['icmp', 1],
  ['igmp', 2],
  ['ggp', 3],
  ['ipencap', 4],
  ['st', 5],
  ['tcp', 6],
  ['egp', 8],
  ['igp', 9],
  ['pup', 12],
  ['udp', 17],
  ['hmp', 20],
  ['xns-idp', 22],
  ['rdp', 27],
  ['iso-tp4', 29],
  ['dccp', 33],
  ['xtp', 36],
  ['ddp', 37],
  ['idpr-cmtp', 38],
  ['ipv6', 41],
  ['ipv6-route', 43],
  ['ipv6-frag', 44],
  ['idrp', 45],
  ['rsvp', 46],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['skip', 57],
  ['ipv6-icmp', 58],
  ['ipv6-nonxt', 59],
  ['ipv6-opts', 60],
  ['rspf', 73],
  ['vmtp', 81],
  ['eigrp', 88],
  ['ospf', 89],
  ['ax.25', 93],
  ['ipip', 94],
  ['etherip', 97],
  ['encap', 98],
  ['pim', 103],
  ['ipcomp', 108],
  ['vrrp', 112],
  ['l2tp', 115],
  ['isis', 124],
  ['sctp', 132],
  ['fc', 133],
  ['mobility-header', 135],
  ['udplite', 136],
  ['mpls-in-ip', 137],
  ['manet', 138],
  ['hip', 139],
  ['shim6', 140],
  ['wesp', 141],
  ['rohc', 142],
  ['ethernet', 143],
  ['icmpv6', 58],
  ['comp', 108],
];
/** meta.c pkttype_type_tbl (`unicast` is read, `host` printed). */
export const PKT_TYPE: Table = [
  ['host', 0],
  ['unicast', 0],
  ['broadcast', 1],
  ['multicast', 2],
  ['other', 3],
];
export const CT_DIR: Table = [
  ['original', 0],
  ['reply', 1],
];
export const NF_PROTO: Table = [
  ['ipv4', 2],
  ['ipv6', 10],
];
/** proto.c ethertype_tbl (0x8100 prints as 8021q; `vlan` is read for older versions). */
export const ETHER_TYPE: Table = [
  ['ip', 0x0800],
  ['arp', 0x0806],
  ['ip6', 0x86dd],
  ['8021q', 0x8100],
  ['8021ad', 0x88a8],
  ['vlan', 0x8100],
];
/** proto.c dscp_type_tbl, in its order (the first name of a value is printed: 0 is cs0). */
export const DSCP: Table = [
  ['cs0', 0],
  ['cs1', 8],
  ['cs2', 16],
  ['cs3', 24],
  ['cs4', 32],
  ['cs5', 40],
  ['cs6', 48],
  ['cs7', 56],
  ['df', 0],
  ['be', 0],
  ['lephb', 1],
  ['af11', 10],
  ['af12', 12],
  ['af13', 14],
  ['af21', 18],
  ['af22', 20],
  ['af23', 22],
  ['af31', 26],
  ['af32', 28],
  ['af33', 30],
  ['af41', 34],
  ['af42', 36],
  ['af43', 38],
  ['va', 44],
  ['ef', 46],
];
export const ECN: Table = [
  ['not-ect', 0],
  ['ect1', 1],
  ['ect0', 2],
  ['ce', 3],
];
/** fib.c addrtype_tbl. */
export const FIB_ADDRTYPE: Table = [
  ['unspec', 0],
  ['unicast', 1],
  ['local', 2],
  ['broadcast', 3],
  ['anycast', 4],
  ['multicast', 5],
  ['blackhole', 6],
  ['unreachable', 7],
  ['prohibit', 8],
];
export const IFACE_TYPE: Table = [
  ['ether', 1],
  ['ppp', 512],
  ['ipip', 768],
  ['ipip6', 769],
  ['loopback', 772],
  ['sit', 776],
  ['ipgre', 778],
];
export const ARP_OP: Table = [
  ['request', 1],
  ['reply', 2],
  ['rrequest', 3],
  ['rreply', 4],
  ['inrequest', 8],
  ['inreply', 9],
  ['nak', 10],
];
export const BOOLEAN: Table = [
  ['exists', 1],
  ['missing', 0],
];
export const DAY: Table = [
  ['Sunday', 0],
  ['Monday', 1],
  ['Tuesday', 2],
  ['Wednesday', 3],
  ['Thursday', 4],
  ['Friday', 5],
  ['Saturday', 6],
];

/**
 * The user and group names nft's uid_type and gid_type parse (meta.c, with getpwnam/getgrnam): a
 * simulated host has no user database, so these are Debian's base-passwd, whose ids are fixed.
 */
export const USER_ID: ReadonlyMap<string, number> = new Map([
  ['root', 0],
  ['daemon', 1],
  ['bin', 2],
  ['sys', 3],
  ['sync', 4],
  ['games', 5],
  ['man', 6],
  ['lp', 7],
  ['mail', 8],
  ['news', 9],
  ['uucp', 10],
  ['proxy', 13],
  ['www-data', 33],
  ['backup', 34],
  ['list', 38],
  ['irc', 39],
  ['nobody', 65534],
]);
export const GROUP_ID: ReadonlyMap<string, number> = new Map([
  ['root', 0],
  ['daemon', 1],
  ['bin', 2],
  ['sys', 3],
  ['adm', 4],
  ['tty', 5],
  ['disk', 6],
  ['lp', 7],
  ['mail', 8],
  ['news', 9],
  ['uucp', 10],
  ['man', 12],
  ['proxy', 13],
  ['kmem', 15],
  ['dialout', 20],
  ['fax', 21],
  ['voice', 22],
  ['cdrom', 24],
  ['floppy', 25],
  ['tape', 26],
  ['sudo', 27],
  ['audio', 29],
  ['dip', 30],
  ['www-data', 33],
  ['backup', 34],
  ['operator', 37],
  ['list', 38],
  ['irc', 39],
  ['src', 40],
  ['shadow', 42],
  ['utmp', 43],
  ['video', 44],
  ['sasl', 45],
  ['plugdev', 46],
  ['staff', 50],
  ['games', 60],
  ['users', 100],
  ['nogroup', 65534],
]);

/** Each datatype's symbolic constants (first name wins when printing). */
export const SYMBOLS: Readonly<Record<string, Table>> = {
  ct_state: CT_STATE,
  ct_status: CT_STATUS,
  tcp_flag: TCP_FLAG,
  ct_event: CT_EVENT,
  dccp_pkttype: DCCP_PKTTYPE,
  igmp_type: IGMP_TYPE,
  mh_type: MH_TYPE,
  icmp_type: ICMP_TYPE,
  icmpv6_type: ICMPV6_TYPE,
  icmp_code: ICMP_CODE,
  icmpv6_code: ICMPV6_CODE,
  icmpx_code: ICMPX_CODE,
  inet_proto: INET_PROTO,
  pkt_type: PKT_TYPE,
  ct_dir: CT_DIR,
  nf_proto: NF_PROTO,
  ether_type: ETHER_TYPE,
  dscp: DSCP,
  ecn: ECN,
  fib_addrtype: FIB_ADDRTYPE,
  iface_type: IFACE_TYPE,
  arp_op: ARP_OP,
  boolean: BOOLEAN,
  day: DAY,
};

/** Bitmask types: a list `a,b` is their OR, printed back as the names of the bits. */
export const BITMASK_TYPES = new Set(['ct_state', 'ct_status', 'tcp_flag', 'ct_event']);

/** Each type's width in bits (what decides the kernel's set backend and nft's element order). */
export const TYPE_BITS: Readonly<Record<string, number>> = {
  ipv4_addr: 32,
  ipv6_addr: 128,
  ether_addr: 48,
  inet_service: 16,
  inet_proto: 8,
  mark: 32,
  ct_state: 32,
  ct_status: 32,
  ct_dir: 8,
  tcp_flag: 8,
  icmp_type: 8,
  icmpv6_type: 8,
  icmp_code: 8,
  icmpv6_code: 8,
  icmpx_code: 8,
  pkt_type: 8,
  nf_proto: 8,
  ether_type: 16,
  dscp: 6,
  ecn: 2,
  ifname: 128,
  string: 128,
  iface_index: 32,
  iface_type: 16,
  uid: 32,
  gid: 32,
  fib_addrtype: 32,
  integer: 32,
  verdict: 32,
  arp_op: 16,
  day: 8,
  hour: 32,
  time: 64,
  classid: 32,
  devgroup: 32,
  realm: 32,
  boolean: 1,
};

const PAYLOAD: Readonly<Record<string, Readonly<Record<string, NftDatatype>>>> = {
  ip: {
    version: 'integer',
    hdrlength: 'integer',
    dscp: 'dscp',
    ecn: 'ecn',
    length: 'integer',
    id: 'integer',
    'frag-off': 'integer',
    ttl: 'integer',
    protocol: 'inet_proto',
    checksum: 'integer',
    saddr: 'ipv4_addr',
    daddr: 'ipv4_addr',
  },
  ip6: {
    version: 'integer',
    dscp: 'dscp',
    ecn: 'ecn',
    flowlabel: 'integer',
    length: 'integer',
    nexthdr: 'inet_proto',
    hoplimit: 'integer',
    saddr: 'ipv6_addr',
    daddr: 'ipv6_addr',
  },
  tcp: {
    sport: 'inet_service',
    dport: 'inet_service',
    sequence: 'integer',
    ackseq: 'integer',
    doff: 'integer',
    reserved: 'integer',
    flags: 'tcp_flag',
    window: 'integer',
    checksum: 'integer',
    urgptr: 'integer',
  },
  udp: { sport: 'inet_service', dport: 'inet_service', length: 'integer', checksum: 'integer' },
  udplite: { sport: 'inet_service', dport: 'inet_service', checksum: 'integer' },
  th: { sport: 'inet_service', dport: 'inet_service' },
  sctp: { sport: 'inet_service', dport: 'inet_service', vtag: 'integer', checksum: 'integer' },
  dccp: { sport: 'inet_service', dport: 'inet_service', type: 'dccp_pkttype' },
  icmp: {
    type: 'icmp_type',
    code: 'icmp_code',
    checksum: 'integer',
    id: 'integer',
    sequence: 'integer',
    gateway: 'integer',
    mtu: 'integer',
  },
  icmpv6: {
    type: 'icmpv6_type',
    code: 'icmpv6_code',
    checksum: 'integer',
    id: 'integer',
    sequence: 'integer',
    mtu: 'integer',
    'max-delay': 'integer',
  },
  igmp: { type: 'igmp_type', mrt: 'integer', checksum: 'integer', group: 'integer' },
  ether: { saddr: 'ether_addr', daddr: 'ether_addr', type: 'ether_type' },
  vlan: { id: 'integer', dei: 'integer', pcp: 'integer', type: 'ether_type' },
  arp: {
    htype: 'integer',
    ptype: 'ether_type',
    hlen: 'integer',
    plen: 'integer',
    operation: 'arp_op',
    'saddr ip': 'ipv4_addr',
    'daddr ip': 'ipv4_addr',
    'saddr ether': 'ether_addr',
    'daddr ether': 'ether_addr',
  },
  ah: {
    nexthdr: 'inet_proto',
    hdrlength: 'integer',
    reserved: 'integer',
    spi: 'integer',
    sequence: 'integer',
  },
  esp: { spi: 'integer', sequence: 'integer' },
  comp: { nexthdr: 'inet_proto', flags: 'integer', cpi: 'integer' },
};

/** Payload field widths where they are not the datatype's. */
const PAYLOAD_BITS: Readonly<Record<string, number>> = {
  'ip version': 4,
  'ip hdrlength': 4,
  'ip length': 16,
  'ip id': 16,
  'ip frag-off': 16,
  'ip ttl': 8,
  'ip checksum': 16,
  'ip6 hoplimit': 8,
  'ip6 length': 16,
  'ip6 flowlabel': 20,
  'tcp window': 16,
  'tcp urgptr': 16,
  'tcp checksum': 16,
  'udp length': 16,
  'udp checksum': 16,
  'icmp id': 16,
  'icmp sequence': 16,
  'icmp mtu': 16,
  'vlan id': 12,
};

/** Widths of the integer fields whose values nft checks against them (beyond PAYLOAD_BITS). */
const RANGE_BITS: Readonly<Record<string, number>> = {
  ...PAYLOAD_BITS,
  'ip dscp': 6,
  'ip ecn': 2,
  'ip6 dscp': 6,
  'ip6 ecn': 2,
  'vlan dei': 1,
  'vlan pcp': 3,
};

/**
 * Widths of the IPv6 extension headers' integer fields (exthdr.c exthdr_protocols' templates; the
 * protocols of `nexthdr` are checked as protocols).
 */
const EXTHDR_BITS: Readonly<Record<string, number>> = {
  'hbh hdrlength': 8,
  'rt hdrlength': 8,
  'rt type': 8,
  'rt seg-left': 8,
  'srh last-entry': 8,
  'srh flags': 8,
  'srh tag': 16,
  'srh seg-left': 8,
  'frag reserved': 8,
  'frag frag-off': 13,
  'frag reserved2': 2,
  'frag more-fragments': 1,
  'dst hdrlength': 8,
  'mh hdrlength': 8,
  'mh reserved': 8,
  'mh checksum': 16,
};

/**
 * The width in bits a value compared with `e` must fit (payload fields, raw payloads, `ct zone`,
 * marks, socket flags), or undefined where natbox does not check it.
 */
export function valueBits(e: NftExpr): number | undefined {
  switch (e.kind) {
    case 'payload':
      return RANGE_BITS[`${e.proto} ${e.field}`];
    case 'rawpayload':
      return e.len >= 0 && e.len < 32 ? e.len : undefined;
    case 'ct':
      return e.key === 'zone' ? 16 : e.key === 'mark' ? 32 : undefined;
    case 'meta':
      return e.key === 'mark' ? 32 : undefined;
    case 'exthdr':
      return e.hdr === 'exthdr' ? EXTHDR_BITS[`${e.name} ${e.field ?? ''}`] : undefined;
    case 'misc': {
      if (/^socket (transparent|wildcard)$/.test(e.words)) return 1;
      const m = /^tcp option @\d+,\d+,(\d+)$/.exec(e.words);
      return m && Number(m[1]) <= 32 ? Number(m[1]) : undefined;
    }
    default:
      return undefined;
  }
}

const PAYLOAD_PROTOS: ReadonlySet<string> = new Set(Object.keys(PAYLOAD));
export const isPayloadProto = (w: string): boolean => PAYLOAD_PROTOS.has(w);
export const payloadFields = (proto: string): readonly string[] => Object.keys(PAYLOAD[proto] ?? {});
export const payloadType = (proto: string, field: string): NftDatatype | undefined => PAYLOAD[proto]?.[field];

export const META: Readonly<Record<string, NftDatatype>> = {
  length: 'integer',
  protocol: 'ether_type',
  priority: 'classid',
  mark: 'mark',
  iif: 'iface_index',
  iifname: 'ifname',
  iiftype: 'iface_type',
  oif: 'iface_index',
  oifname: 'ifname',
  oiftype: 'iface_type',
  skuid: 'uid',
  skgid: 'gid',
  nftrace: 'integer',
  rtclassid: 'realm',
  ibrname: 'ifname',
  obrname: 'ifname',
  ibriport: 'ifname',
  obriport: 'ifname',
  pkttype: 'pkt_type',
  cpu: 'integer',
  iifgroup: 'devgroup',
  oifgroup: 'devgroup',
  cgroup: 'integer',
  random: 'integer',
  secpath: 'boolean',
  // meta.c: `ipsec` is nft 1.0.6's name of NFT_META_SECPATH (`secpath` its older one).
  ipsec: 'boolean',
  nfproto: 'nf_proto',
  l4proto: 'inet_proto',
  time: 'time',
  day: 'day',
  hour: 'hour',
  iifkind: 'string',
  oifkind: 'string',
  sdif: 'iface_index',
  sdifname: 'ifname',
  broute: 'integer',
  ibrpvid: 'integer',
  ibrvproto: 'ether_type',
  secmark: 'integer',
};
/** meta keys nft prints without `meta`. */
export const META_UNQUALIFIED = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);

export const CT: Readonly<Record<string, NftDatatype>> = {
  state: 'ct_state',
  direction: 'ct_dir',
  status: 'ct_status',
  mark: 'mark',
  expiration: 'time',
  helper: 'string',
  l3proto: 'nf_proto',
  saddr: 'ipv4_addr',
  daddr: 'ipv4_addr',
  protocol: 'inet_proto',
  'proto-src': 'inet_service',
  'proto-dst': 'inet_service',
  label: 'ct_label',
  bytes: 'integer',
  packets: 'integer',
  avgpkt: 'integer',
  zone: 'integer',
  event: 'ct_event',
  secmark: 'integer',
  id: 'integer',
  count: 'integer',
};

/** The datatype an expression gives (undefined: none known). */
export function exprType(e: NftExpr): NftDatatype | undefined {
  switch (e.kind) {
    case 'payload':
      return payloadType(e.proto, e.field);
    case 'meta':
      return META[e.key];
    case 'ct':
      if ((e.key === 'saddr' || e.key === 'daddr') && e.family === 'ip6') return 'ipv6_addr';
      return CT[e.key];
    case 'fib':
      return e.result === 'type' ? 'fib_addrtype' : e.result === 'oif' ? 'iface_index' : 'ifname';
    case 'numgen':
    case 'hash':
    case 'rawpayload':
      return 'integer';
    case 'binop':
      return exprType(e.left);
    case 'value':
      return e.type;
    case 'exthdr':
      return e.exists ? 'boolean' : exthdrFieldType(e.hdr, e.name, e.field ?? '');
    case 'misc':
      // osf.c: `osf name` and `osf version` are strings (`typeof osf name` is a string set).
      if (/^osf( ttl \S+)? (name|version)$/.test(e.words)) return 'string';
      // rt.c / xfrm.c: the next hop and the SA's addresses by their family, `rt ipsec` a boolean.
      if (/^rt ip nexthop$|^ipsec (in|out)( spnum \S+)? ip (saddr|daddr)$/.test(e.words)) return 'ipv4_addr';
      if (/^rt ip6 nexthop$|^ipsec (in|out)( spnum \S+)? ip6 (saddr|daddr)$/.test(e.words))
        return 'ipv6_addr';
      if (e.words === 'rt ipsec') return 'boolean';
      // A raw tcp option (`tcp option @255,8,8`, `tcp option maxseg unknown`): an integer.
      if (e.words.startsWith('tcp option ')) return 'integer';
      return undefined;
    default:
      return undefined;
  }
}

/** An expression's width in bits, as far as nft's set backend choice needs it. */
export function exprBits(e: NftExpr): number {
  if (e.kind === 'payload') {
    const b = PAYLOAD_BITS[`${e.proto} ${e.field}`];
    if (b !== undefined) return b;
  }
  if (e.kind === 'concat') return e.items.reduce((a, i) => a + Math.ceil(exprBits(i) / 32) * 32, 0);
  if (e.kind === 'value' && e.bits !== undefined) return e.bits;
  const t = exprType(e);
  return t === undefined ? 32 : (TYPE_BITS[t] ?? 32);
}

export function lookupSymbol(type: string, word: string): number | undefined {
  const t = SYMBOLS[type];
  if (!t) return undefined;
  for (const [n, v] of t) if (n === word) return v;
  return undefined;
}

export function symbolName(type: string, v: number): string | undefined {
  const t = SYMBOLS[type];
  if (!t) return undefined;
  for (const [n, x] of t) if (x === v) return n;
  return undefined;
}

// ---- numbers, addresses, times ----

export function parseInteger(w: string): number | undefined {
  if (/^0x[0-9a-fA-F]+$/.test(w)) return parseInt(w.slice(2), 16);
  if (/^[0-9]+$/.test(w)) return Number(w);
  return undefined;
}

export function parseIpv4(w: string): number | undefined {
  // Four dot-separated runs of 1 to 3 decimal digits, each at most 255 (read without a regex).
  let n = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (w.charCodeAt(i) !== 46) return undefined;
      i++;
    }
    let x = 0;
    let digits = 0;
    for (; i < w.length && digits < 4; i++, digits++) {
      const c = w.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      x = x * 10 + c;
    }
    if (digits === 0 || digits > 3 || x > 255) return undefined;
    n = n * 256 + x;
  }
  return i === w.length ? n : undefined;
}

export const formatIpv4 = (n: number): string =>
  `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** IPv6 text to its 8 groups, or undefined. */
export function parseIpv6(w: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(w) || !w.includes(':')) return undefined;
  let tail: number[] = [];
  let s = w;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4(v4[1]!);
    if (n === undefined) return undefined;
    tail = [n >>> 16, n & 0xffff];
    s = s.slice(0, s.length - v4[1]!.length) + (s.endsWith('::' + v4[1]) ? '' : '0');
    if (s.endsWith(':0')) s = s.slice(0, -2);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const r: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      r.push(parseInt(g, 16));
    }
    return r;
  };
  const a = parse(halves[0]!);
  const b = halves.length === 2 ? parse(halves[1]!) : [];
  if (!a || !b) return undefined;
  const want = 8 - tail.length;
  if (halves.length === 1) {
    if (a.length !== want) return undefined;
    return [...a, ...tail];
  }
  if (a.length + b.length > want - 1 && !(a.length + b.length === want - 1)) {
    if (a.length + b.length >= want) return undefined;
  }
  return [...a, ...new Array<number>(want - a.length - b.length).fill(0), ...b, ...tail];
}

/** RFC 5952 text (as inet_ntop prints it) of eight 16-bit groups (wire/addr.ts prints it). */
export function formatIpv6(g: readonly number[]): string {
  const w = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) w[i] = ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0;
  return formatIpv6Words(w);
}

export function canonicalIpv6(w: string): string | undefined {
  const g = parseIpv6(w);
  return g ? formatIpv6(g) : undefined;
}

export function parseMac(w: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(w)) return undefined;
  return w.split(':').reduce((a, x) => a * 256 + parseInt(x, 16), 0);
}

export function formatMac(n: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(n / 2 ** (8 * i)) % 256).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** `1h30m`, `10s`, `500ms`, `2d` to milliseconds. */
export function parseTime(w: string): number | undefined {
  if (/^\d+$/.test(w)) return Number(w) * 1000;
  const re = /(\d+)(ms|d|h|m|s)/gy;
  let ms = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(w)) !== null) {
    const n = Number(m[1]);
    ms += n * { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] as 'ms']!;
    end = re.lastIndex;
  }
  return end === w.length && end > 0 ? ms : undefined;
}

export function formatTime(ms: number): string {
  let r = '';
  let left = ms;
  for (const [u, n] of [
    ['d', 86400000],
    ['h', 3600000],
    ['m', 60000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const q = Math.floor(left / n);
    if (q > 0) r += `${q}${u}`;
    left -= q * n;
  }
  return r === '' ? '0s' : r;
}

export const quote = (s: string): string => `"${s}"`;

/** Whether an element or key holds a range or prefix (a set of it needs the interval flag). */
export function hasInterval(e: NftExpr): boolean {
  if (e.kind === 'range' || e.kind === 'prefix') return true;
  return e.kind === 'concat' && e.items.some(hasInterval);
}

/** Whether a statement establishes TCP for what follows (`tcp ...`, `meta l4proto tcp`, `ip protocol tcp`). */
/**
 * Whether statement `s` gives the rule a transport protocol (nft's proto context at
 * PROTO_BASE_TRANSPORT_HDR): a match on a transport header's field (TRANSPORT_PROTOS), or on the
 * protocol itself (`meta l4proto`, `ip protocol`, `ip6 nexthdr`, `ct protocol`). A NAT port needs
 * one before it (evaluate.c nat_evaluate_transport), as nft 1.0.6 answers `nft -c`.
 */
export function isTransportContext(s: NftStmt): boolean {
  if (s.kind !== 'match' || !(s.op === 'implicit' || s.op === '==')) return false;
  const l = s.left;
  if (l.kind === 'payload')
    return TRANSPORT_PROTOS.has(l.proto) || l.field === 'protocol' || l.field === 'nexthdr';
  return (l.kind === 'meta' && l.key === 'l4proto') || (l.kind === 'ct' && l.key === 'protocol');
}
/**
 * The headers nft's proto context takes as transport (proto.c, PROTO_BASE_TRANSPORT_HDR; `th` and
 * `gre` not: nft -c refuses a port after them).
 */
export const TRANSPORT_PROTOS: ReadonlySet<string> = new Set([
  'tcp',
  'udp',
  'udplite',
  'sctp',
  'dccp',
  'icmp',
  'icmpv6',
  'igmp',
  'ah',
  'esp',
  'comp',
]);

/**
 * Whether expression `e` reads a transport field or the protocol itself, giving its rule a
 * transport protocol as nft evaluates it (`dnat to tcp dport map { … }`, `dnat ip addr . port to
 * meta l4proto . th dport map @m`).
 */
export function readsTransport(e: NftExpr): boolean {
  switch (e.kind) {
    case 'payload':
      return TRANSPORT_PROTOS.has(e.proto);
    case 'meta':
      return e.key === 'l4proto';
    case 'concat':
      return e.items.some(readsTransport);
    case 'map':
      return readsTransport(e.key);
    case 'binop':
      return readsTransport(e.left);
    default:
      return false;
  }
}

export function isTcpContext(s: NftStmt): boolean {
  if (s.kind !== 'match') return false;
  const l = s.left;
  if (l.kind === 'payload' && l.proto === 'tcp') return true;
  const six = s.right.kind === 'value' && s.right.value === 6;
  return (
    six &&
    ((l.kind === 'meta' && l.key === 'l4proto') ||
      (l.kind === 'payload' && (l.field === 'protocol' || l.field === 'nexthdr')))
  );
}

/**
 * Kernel helpers with an IPv4 half only (irc, netbios-ns, pptp, snmp have no nf_conntrack_*6
 * registration): a `ct helper` object of such a type in an inet table is kept by the kernel as
 * l3proto ip (nft_ct_helper_obj_init takes the one family found), which `nft list` and `nft -j
 * list` print.
 */
const IPV4_ONLY_HELPERS = new Set(['irc', 'netbios-ns', 'pptp', 'snmp']);

/** The l3proto nft prints for a `ct helper` object of type `helper` in a table of `family`. */
export function ctHelperL3proto(helper: string, family: string, given?: string): string {
  return given ?? (family === 'inet' && IPV4_ONLY_HELPERS.has(helper) ? 'ip' : family);
}

/**
 * A `meta time` date as nft's date_type_parse (meta.c) reads it: "%Y-%m-%d %T", "%Y-%m-%d %R" or
 * "%Y-%m-%d" (strptime; timegm carries a day or second past its month or minute on), or a number
 * of seconds, as seconds since 1970. nft then subtracts the local zone's offset; natbox, like the
 * corpus captured with TZ=UTC, takes UTC. The kernel gets the seconds times 10^9 in 64 bits, so a
 * date before 1970 or after 2554 wraps (nft 1.0.6 lists "0099-01-01" as "2437-03-20 22:18:14"):
 * the seconds returned are the wrapped ones. Undefined when none fits.
 */
export function parseDate(s: string): number | undefined {
  let sec: bigint;
  if (/^\d+$/.test(s)) sec = BigInt(s);
  else {
    const m = /^(\d{1,4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/.exec(s);
    if (!m) return undefined;
    const [y, mo, d, h, mi, se] = m.slice(1).map((x) => Number(x ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 61) return undefined;
    // setUTCFullYear, not Date.UTC: a year below 100 is that year, not 1900 + it.
    const t = new Date(0);
    t.setUTCFullYear(y, mo - 1, d);
    t.setUTCHours(h, mi, se, 0);
    sec = BigInt(t.getTime() / 1000);
  }
  const M = 2n ** 64n;
  const ns = (((sec * 1_000_000_000n) % M) + M) % M;
  return Number(ns / 1_000_000_000n);
}

/** Seconds since 1970 as nft's date_type_print writes them: "%Y-%m-%d %H:%M:%S" (UTC here). */
export function formatDate(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * A `meta hour` value as nft's hour_type_parse (meta.c) reads it, to seconds since midnight: a
 * plain number as it is, "HH:MM:SS" or "HH:MM" (strptime %T / %R), or a time like `1h30m`. nft
 * then subtracts the local zone's offset; natbox, like the corpus captured with TZ=UTC, takes
 * UTC. Undefined when none fits.
 */
export function parseHour(w: string): number | undefined {
  if (/^\d+$/.test(w)) return Number(w) >>> 0;
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(w);
  if (m) {
    const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (h > 23 || mi > 59 || s > 61) return undefined;
    return (h * 3600 + mi * 60 + s) % 86400;
  }
  const ms = parseTime(w);
  return ms === undefined ? undefined : Math.floor(ms / 1000) % 86400;
}

/** Seconds since midnight as nft's hour_type_print writes them: `"21:51"`, `"21:51:23"` (unquoted). */
export function formatHour(sec: number): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const s = sec % 86400;
  const h = Math.floor(s / 3600);
  const mi = Math.floor((s % 3600) / 60);
  return s % 60 ? `${p(h)}:${p(mi)}:${p(s % 60)}` : `${p(h)}:${p(mi)}`;
}

/** A synproxy's flags as nft keeps them (NF_SYNPROXY_OPT_* bits) and prints them: timestamp, sack-perm. */
export function synproxyFlags(words: readonly string[]): string[] {
  return ['timestamp', 'sack-perm'].filter((f) => words.includes(f));
}

/**
 * The states of a `ct timeout` policy per protocol, in nft's order (src/ct.c
 * timeout_protocol[].state_to_name) with nft's defaults (dflt_timeout, nft 1.0.6): nft sends every
 * state to the kernel, those the policy does not name with these values, and prints back those
 * that differ from them, in this order.
 */
export const CT_TIMEOUT_STATES: Readonly<Record<string, ReadonlyArray<readonly [string, number]>>> = {
  tcp: [
    ['syn_sent', 120],
    ['syn_recv', 60],
    ['established', 432000],
    ['fin_wait', 120],
    ['close_wait', 60],
    ['last_ack', 30],
    ['time_wait', 120],
    ['close', 10],
    ['syn_sent2', 120],
    ['retrans', 300],
    ['unack', 300],
  ],
  udp: [
    ['unreplied', 30],
    ['replied', 120],
  ],
};

/** A match key that names the transport protocol: `meta l4proto`, `ip protocol`, `ip6 nexthdr`. */
export const isL4Key = (e: NftExpr): boolean =>
  (e.kind === 'meta' && e.key === 'l4proto') ||
  (e.kind === 'payload' &&
    ((e.proto === 'ip' && e.field === 'protocol') || (e.proto === 'ip6' && e.field === 'nexthdr')));

/** A transport protocol number by the name of its header (`ipv6-icmp` is `icmpv6`), if it has one. */
export function l4Name(v: number): string | undefined {
  const p = symbolName('inet_proto', v);
  return p === 'ipv6-icmp' ? 'icmpv6' : p;
}
