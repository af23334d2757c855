// Both sides' packets in one shape: per interface (`host:ifname`), in order, each reduced to what
// is compared (direction, protocol, addresses and ports, TCP flags, sequence numbers as labels,
// payload length, TTL, ICMP type/code/id). natbox's frames come from its trace steps (Ethernet);
// the kernel's from `tcpdump -i any -y LINUX_SLL2` captures, one per namespace, read with natbox's
// own pcap reader (src/wire/pcap.ts). ARP is kept apart and only counted.
import { formatIpv4 } from '../../wire/addr.ts';
import { read16, read32 } from '../../wire/checksum.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN } from '../../wire/ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { LINKTYPE_LINUX_SLL2, networkOffset, readPcap } from '../../wire/pcap.ts';
import { formatTcpFlags } from '../../wire/tcp.ts';
import type { SimResult } from '../../sim/run.ts';

/** One IPv4 packet, raw values (labelled later, in compare.ts). */
export interface RawPacket {
  /** Seconds from the start of the run (natbox: virtual time; kernel: capture time − t0). */
  readonly t: number;
  readonly iface: string;
  readonly dir: 'in' | 'out';
  readonly proto: string;
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly flags?: string;
  readonly syn?: boolean;
  readonly seq?: number;
  readonly ack?: number;
  readonly len?: number;
  readonly ttl: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
}

export interface ArpPacket {
  readonly t: number;
  readonly iface: string;
  readonly dir: 'in' | 'out';
  readonly op: 'request' | 'reply';
  readonly sender: string;
  readonly target: string;
}

export interface Side {
  /** Every IPv4 packet: natbox in trace order, the kernel in capture order, host after host. */
  readonly packets: RawPacket[];
  readonly arp: ArpPacket[];
  /** Frames neither IPv4 nor ARP (e.g. IPv6), counted and left out. */
  other: number;
}

const PROTO: Readonly<Record<number, string>> = {
  [IPPROTO_TCP]: 'tcp',
  [IPPROTO_UDP]: 'udp',
  [IPPROTO_ICMP]: 'icmp',
};

/** Decodes the IPv4 packet at `o`; undefined when it is too short to say anything. */
export function decodeIpv4(
  b: Uint8Array,
  o: number,
  t: number,
  iface: string,
  dir: 'in' | 'out',
): RawPacket | undefined {
  if (b.length < o + 20 || b[o]! >> 4 !== 4) return undefined;
  const hl = (b[o]! & 0x0f) * 4;
  const total = read16(b, o + 2);
  const p = b[o + 9]!;
  const l4 = o + hl;
  const base = {
    t,
    iface,
    dir,
    proto: PROTO[p] ?? `ip${p}`,
    src: formatIpv4(read32(b, o + 12)),
    dst: formatIpv4(read32(b, o + 16)),
    ttl: b[o + 8]!,
  };
  if (p === IPPROTO_TCP && b.length >= l4 + 20) {
    const doff = (b[l4 + 12]! >> 4) * 4;
    const fl = b[l4 + 13]!;
    return {
      ...base,
      sport: read16(b, l4),
      dport: read16(b, l4 + 2),
      flags: formatTcpFlags(fl),
      syn: (fl & 0x02) !== 0,
      seq: read32(b, l4 + 4),
      ...(fl & 0x10 ? { ack: read32(b, l4 + 8) } : {}),
      len: total - hl - doff,
    };
  }
  if (p === IPPROTO_UDP && b.length >= l4 + 8)
    return { ...base, sport: read16(b, l4), dport: read16(b, l4 + 2), len: read16(b, l4 + 4) - 8 };
  if (p === IPPROTO_ICMP && b.length >= l4 + 8) {
    const type = b[l4]!;
    return {
      ...base,
      icmpType: type,
      icmpCode: b[l4 + 1]!,
      ...(type === 0 || type === 8 ? { icmpId: read16(b, l4 + 4) } : {}),
    };
  }
  return base;
}

function decodeArp(
  b: Uint8Array,
  o: number,
  t: number,
  iface: string,
  dir: 'in' | 'out',
): ArpPacket | undefined {
  if (b.length < o + 28) return undefined;
  return {
    t,
    iface,
    dir,
    op: read16(b, o + 6) === 1 ? 'request' : 'reply',
    sender: formatIpv4(read32(b, o + 14)),
    target: formatIpv4(read32(b, o + 24)),
  };
}

/** natbox's side: every packet step of the simulation. */
export function natboxSide(sim: SimResult): Side {
  const side: Side = { packets: [], arp: [], other: 0 };
  for (const s of sim.steps) {
    if (s.kind !== 'packet') continue;
    const iface = `${s.host}:${s.ifname}`;
    const type = read16(s.frame, 12);
    if (type === ETHERTYPE_IPV4) {
      const p = decodeIpv4(s.frame, ETH_HEADER_LEN, s.t, iface, s.dir);
      if (p) side.packets.push(p);
    } else if (type === ETHERTYPE_ARP) {
      const a = decodeArp(s.frame, ETH_HEADER_LEN, s.t, iface, s.dir);
      if (a) side.arp.push(a);
    } else side.other++;
  }
  return side;
}

/** SLL2 packet types (the kernel's PACKET_*): 4 is PACKET_OUTGOING, everything else came in. */
const PACKET_OUTGOING = 4;

/**
 * The kernel's side from one capture per host: `captures` maps a host to its pcap bytes and to
 * its interface names by index (from `ip -j link`). Packets on `lo` are left out.
 */
export function kernelSide(
  captures: ReadonlyArray<{ host: string; pcap: Uint8Array; ifnames: ReadonlyMap<number, string> }>,
  t0: number,
): { ok: true; side: Side } | { ok: false; error: string } {
  const side: Side = { packets: [], arp: [], other: 0 };
  for (const c of captures) {
    const r = readPcap(c.pcap);
    if (!r.ok) return { ok: false, error: `${c.host}: capture unreadable (${r.error})` };
    if (r.value.linktype !== LINKTYPE_LINUX_SLL2)
      return { ok: false, error: `${c.host}: capture has link type ${r.value.linktype}, not LINUX_SLL2` };
    const o = networkOffset(LINKTYPE_LINUX_SLL2);
    for (const p of r.value.packets) {
      const d = p.data;
      if (d.length < o) continue;
      const proto = read16(d, 0);
      const ifname = c.ifnames.get(read32(d, 4)) ?? `if${read32(d, 4)}`;
      if (ifname === 'lo') continue;
      const dir = d[10] === PACKET_OUTGOING ? 'out' : 'in';
      const iface = `${c.host}:${ifname}`;
      const t = p.timestamp - t0;
      if (proto === ETHERTYPE_IPV4) {
        const x = decodeIpv4(d, o, t, iface, dir);
        if (x) side.packets.push(x);
      } else if (proto === ETHERTYPE_ARP) {
        const a = decodeArp(d, o, t, iface, dir);
        if (a) side.arp.push(a);
      } else side.other++;
    }
  }
  // Packets stay in capture order (per interface, the order that counts); compare.ts merges them
  // by time where it needs one order for the whole run.
  return { ok: true, side };
}
