// What the JSON side needs to know about nft's datatypes: the symbol tables nft prints names from
// (datatype.c, proto.c, ct.c, meta.c, fib.c of nftables 1.0.6; /etc/protocols of Debian's netbase
// for inet_proto), which datatype each payload field, meta key and ct key gives, and bitmask types.
import type { NftDatatype } from './model.ts';
import { SYMBOLS, lookupSymbol, symbolName } from './types.ts';
// The symbol tables are types.ts's (one table per nft datatype, shared with the text side).

/** Bitmask types: a match against them with no operator tests for any of the bits. */
export const BITMASK_TYPES: ReadonlySet<string> = new Set(['ct_state', 'ct_status', 'ct_event', 'tcp_flag']);

/** The first name of a value in its type's symbol table (as nft prints it), if any. */
export { symbolName };

/** The value of a symbol of a type, if the type has that name. */
export const symbolValue = lookupSymbol;

/** The names of a bitmask value's bits, lowest first (undefined when a bit has no name). */
export function bitNames(type: string, value: number): string[] | undefined {
  const t = SYMBOLS[type];
  if (!t) return undefined;
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const b = 2 ** bit;
    if (Math.floor(value / b) % 2 === 0) continue;
    const n = t.find(([, v]) => v === b);
    if (!n) return undefined;
    out.push(n[0]);
  }
  return out;
}

export interface FieldType {
  readonly type: NftDatatype;
  readonly bits: number;
}

const F = (type: NftDatatype, bits: number): FieldType => ({ type, bits });
const PORTS = { sport: F('inet_service', 16), dport: F('inet_service', 16) };

/** proto.c's templates: the datatype of each payload field. */
export const PAYLOAD_FIELDS: Record<string, Record<string, FieldType>> = {
  ether: { daddr: F('ether_addr', 48), saddr: F('ether_addr', 48), type: F('ether_type', 16) },
  vlan: {
    id: F('integer', 12),
    dei: F('integer', 1),
    cfi: F('integer', 1),
    pcp: F('integer', 3),
    type: F('ether_type', 16),
  },
  arp: {
    htype: F('integer', 16),
    ptype: F('ether_type', 16),
    hlen: F('integer', 8),
    plen: F('integer', 8),
    operation: F('arp_op', 16),
    'saddr ether': F('ether_addr', 48),
    'daddr ether': F('ether_addr', 48),
    'saddr ip': F('ipv4_addr', 32),
    'daddr ip': F('ipv4_addr', 32),
  },
  ip: {
    version: F('integer', 4),
    hdrlength: F('integer', 4),
    dscp: F('dscp', 6),
    ecn: F('ecn', 2),
    length: F('integer', 16),
    id: F('integer', 16),
    'frag-off': F('integer', 16),
    ttl: F('integer', 8),
    protocol: F('inet_proto', 8),
    checksum: F('integer', 16),
    saddr: F('ipv4_addr', 32),
    daddr: F('ipv4_addr', 32),
  },
  ip6: {
    version: F('integer', 4),
    dscp: F('dscp', 6),
    ecn: F('ecn', 2),
    flowlabel: F('integer', 20),
    length: F('integer', 16),
    nexthdr: F('inet_proto', 8),
    hoplimit: F('integer', 8),
    saddr: F('ipv6_addr', 128),
    daddr: F('ipv6_addr', 128),
  },
  icmp: {
    type: F('icmp_type', 8),
    code: F('icmp_code', 8),
    checksum: F('integer', 16),
    id: F('integer', 16),
    sequence: F('integer', 16),
    gateway: F('ipv4_addr', 32),
    mtu: F('integer', 16),
  },
  icmpv6: {
    type: F('icmpv6_type', 8),
    code: F('icmpv6_code', 8),
    checksum: F('integer', 16),
    'parameter-problem': F('integer', 32),
    'packet-too-big': F('integer', 32),
    // nft 1.0.6 names icmp6_mtu `mtu` (`nft -j list ruleset` of `icmpv6 mtu 1280`).
    mtu: F('integer', 32),
    id: F('integer', 16),
    sequence: F('integer', 16),
    'max-delay': F('integer', 16),
  },
  igmp: {
    type: F('igmp_type', 8),
    mrt: F('integer', 8),
    checksum: F('integer', 16),
    group: F('integer', 32),
  },
  tcp: {
    ...PORTS,
    sequence: F('integer', 32),
    ackseq: F('integer', 32),
    doff: F('integer', 4),
    reserved: F('integer', 4),
    flags: F('tcp_flag', 8),
    window: F('integer', 16),
    checksum: F('integer', 16),
    urgptr: F('integer', 16),
  },
  udp: { ...PORTS, length: F('integer', 16), checksum: F('integer', 16) },
  udplite: { ...PORTS, csumcov: F('integer', 16), checksum: F('integer', 16) },
  sctp: { ...PORTS, vtag: F('integer', 32), checksum: F('integer', 32) },
  dccp: { ...PORTS, type: F('dccp_pkttype', 4) },
  th: { ...PORTS },
  ah: {
    nexthdr: F('inet_proto', 8),
    hdrlength: F('integer', 8),
    reserved: F('integer', 16),
    spi: F('integer', 32),
    sequence: F('integer', 32),
  },
  esp: { spi: F('integer', 32), sequence: F('integer', 32) },
  comp: { nexthdr: F('inet_proto', 8), flags: F('integer', 8), cpi: F('integer', 16) },
};

/** meta.c's templates. */
export const META_KEYS: Record<string, FieldType> = {
  length: F('integer', 32),
  protocol: F('ether_type', 16),
  nfproto: F('nf_proto', 8),
  l4proto: F('inet_proto', 8),
  priority: F('classid', 32),
  mark: F('mark', 32),
  iif: F('iface_index', 32),
  iifname: F('ifname', 128),
  iiftype: F('iface_type', 16),
  oif: F('iface_index', 32),
  oifname: F('ifname', 128),
  oiftype: F('iface_type', 16),
  skuid: F('uid', 32),
  skgid: F('gid', 32),
  nftrace: F('integer', 1),
  rtclassid: F('realm', 32),
  ibrname: F('ifname', 128),
  obrname: F('ifname', 128),
  pkttype: F('pkt_type', 8),
  cpu: F('integer', 32),
  iifgroup: F('devgroup', 32),
  oifgroup: F('devgroup', 32),
  cgroup: F('integer', 32),
  random: F('integer', 32),
  secpath: F('boolean', 1),
  // `ipsec`: nft 1.0.6's name of NFT_META_SECPATH, which `nft -j` prints (and reads, as `secpath`).
  ipsec: F('boolean', 1),
  iifkind: F('ifname', 128),
  oifkind: F('ifname', 128),
  ibrpvid: F('integer', 16),
  ibrvproto: F('ether_type', 16),
  time: F('time', 64),
  day: F('day', 8),
  hour: F('hour', 32),
  secmark: F('integer', 32),
  sdif: F('iface_index', 32),
  sdifname: F('ifname', 128),
  broute: F('boolean', 1),
};

/** ct.c's templates (saddr/daddr depend on the family). */
export function ctKeyType(key: string, family?: string): FieldType | undefined {
  switch (key) {
    case 'state':
      return F('ct_state', 32);
    case 'direction':
      return F('ct_dir', 8);
    case 'status':
      return F('ct_status', 32);
    case 'mark':
      return F('mark', 32);
    case 'expiration':
      return F('time', 32);
    case 'helper':
      return F('string', 128);
    case 'l3proto':
      return F('nf_proto', 8);
    case 'protocol':
      return F('inet_proto', 8);
    case 'proto-src':
    case 'proto-dst':
      return F('inet_service', 16);
    case 'label':
      return F('ct_label', 128);
    case 'bytes':
    case 'packets':
    case 'avgpkt':
      return F('integer', 64);
    case 'zone':
      return F('integer', 16);
    case 'event':
      return F('ct_event', 32);
    case 'secmark':
    case 'id':
      return F('integer', 32);
    case 'saddr':
    case 'daddr':
      return family === 'ip6' ? F('ipv6_addr', 128) : F('ipv4_addr', 32);
    default:
      return undefined;
  }
}

/** ipv4 as nft prints it. */
export function ipv4Text(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

export function etherText(v: number): string {
  const out: string[] = [];
  for (let i = 5; i >= 0; i--) out.push((Math.floor(v / 2 ** (8 * i)) % 256).toString(16).padStart(2, '0'));
  return out.join(':');
}

export function parseEther(s: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(s)) return undefined;
  return s.split(':').reduce((a, h) => a * 256 + parseInt(h, 16), 0);
}
