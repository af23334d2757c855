// Both sides' packets in one shape, raw (labels come later, in normalise.ts): per interface
// (`host:ifname`), in order, each IPv4 packet reduced to what a comparison may look at. natbox's
// frames come from its trace's packet steps (Ethernet); the kernel's from `tcpdump -i any -y
// LINUX_SLL2` captures, one per namespace, read with natbox's own pcap reader. Both are decoded by
// src/wire/decode.ts. ARP is kept apart (counted, summarised). Pure: bytes in, values out.
import { decodeArp, decodeEthernet, decodeIpv4, protocolName, type DecodedIpv4 } from '../wire/decode.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../wire/ethernet.ts';
import { LINKTYPE_LINUX_SLL2, networkOffset, readPcap } from '../wire/pcap.ts';
import { formatTcpFlags, type TcpOption } from '../wire/tcp.ts';
import { formatMac } from '../wire/addr.ts';
import { ipv4Details, type Ipv4Details } from './fragments.ts';

/** One IPv4 packet, raw values. */
export interface RawPacket {
  /** Seconds from the start of the run (natbox: virtual time; kernel: capture time − t0). */
  readonly t: number;
  readonly iface: string;
  readonly dir: 'in' | 'out';
  /** `tcp`, `udp`, `icmp` or `ip<number>`. */
  readonly proto: string;
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly flags?: string;
  readonly syn?: boolean;
  readonly seq?: number;
  /** Only with the ACK flag. */
  readonly ack?: number;
  readonly len?: number;
  readonly ttl: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
  /** The echo's sequence number (types 0 and 8). */
  readonly icmpSeq?: number;
  /** TCP options as tcpdump abbreviates them (`mss1460,sackOK,ts,ws`), when there are any. */
  readonly opts?: string;
  /** ICMP redirect's gateway. */
  readonly gateway?: string;
  /** What an ICMP error quotes: protocol, ends (`ip:port` for TCP/UDP), TCP sequence number. */
  readonly inner?: {
    readonly proto: string;
    readonly src: string;
    readonly dst: string;
    readonly seq?: number;
    /** A quoted ICMP echo's type and id. */
    readonly type?: number;
    readonly id?: number;
  };
  /** The frame's source MAC, when the capture has it (Ethernet). */
  readonly mac?: string;
  /** A fragment (first or later): its offset in bytes and the more-fragments flag. */
  readonly frag?: { readonly offset: number; readonly mf: boolean };
  /** `ip-fragment` (a fragment other than the first): the protocol of its datagram. */
  readonly ipproto?: string;
  /** ICMP fragmentation needed: the next-hop MTU. */
  readonly mtu?: number;
}

export interface ArpPacket {
  readonly t: number;
  readonly iface: string;
  readonly dir: 'in' | 'out';
  readonly op: 'request' | 'reply';
  readonly sender: string;
  readonly target: string;
  readonly mac?: string;
  /**
   * natbox's frames sent by a timer the kernel randomises (proxy_delay, reachable_time): when the
   * kernel's may be, in seconds from the start (the usual slack around it); without it, natbox's
   * `t` with the usual slack.
   */
  readonly window?: readonly [number, number];
}

export interface Side {
  /** Every IPv4 packet: natbox in trace order, the kernel in capture order, host after host. */
  readonly packets: RawPacket[];
  readonly arp: ArpPacket[];
  /** Frames neither IPv4 nor ARP (e.g. IPv6), counted and left out. */
  other: number;
}

const OPT_NAMES: Readonly<Partial<Record<TcpOption['kind'], (o: TcpOption) => string>>> = {
  mss: (o) => `mss${(o as { mss: number }).mss}`,
  sackOK: () => 'sackOK',
  ts: () => 'ts',
  ws: () => 'ws',
  sack: () => 'sack',
};

/** TCP options in tcpdump's short names (the kernel reference's `opts`); undefined for none. */
export function optionsText(options: readonly TcpOption[] | undefined, error?: string): string | undefined {
  if (error !== undefined) return `(bad options: ${error})`;
  const names = (options ?? []).flatMap((o) => OPT_NAMES[o.kind]?.(o) ?? []);
  return names.length ? names.join(',') : undefined;
}

/**
 * A decoded IPv4 packet as a RawPacket; undefined when it is not IPv4 (version ≠ 4). With the
 * packet's `details` (fragments.ts) it also says what the kernel reference keeps of fragments, of
 * fragmentation needed and of a quoted echo.
 */
export function rawPacket(
  ip: DecodedIpv4,
  t: number,
  iface: string,
  dir: 'in' | 'out',
  mac?: string,
  details?: Ipv4Details,
): RawPacket | undefined {
  const p = rawPacketOf(ip, t, iface, dir, mac);
  return p && details ? withDetails(p, ip, details) : p;
}

/**
 * The fragment, MTU and quote fields: a fragment other than the first is `ip-fragment` with its
 * datagram's protocol and its payload length (the decoder's ports there are payload bytes); a first
 * fragment keeps its TCP/UDP decoding, its `len` the payload in that fragment.
 */
export function withDetails(p: RawPacket, ip: DecodedIpv4, d: Ipv4Details): RawPacket {
  const frag = d.fragOffset !== 0 || d.mf ? { frag: { offset: d.fragOffset, mf: d.mf } } : {};
  if (d.fragOffset !== 0) {
    const { t, iface, dir, src, dst, ttl, mac } = p;
    return {
      t,
      iface,
      dir,
      proto: 'ip-fragment',
      src,
      dst,
      ttl,
      ...(mac !== undefined ? { mac } : {}),
      ipproto: protocolName(ip.protocol),
      len: d.payload,
      ...frag,
    };
  }
  const len = d.mf && ip.udp ? { len: d.payload - 8 } : {};
  const inner = p.inner && d.quotedIcmp ? { inner: { ...p.inner, ...d.quotedIcmp } } : {};
  return { ...p, ...len, ...inner, ...frag, ...(d.mtu !== undefined ? { mtu: d.mtu } : {}) };
}

function rawPacketOf(
  ip: DecodedIpv4,
  t: number,
  iface: string,
  dir: 'in' | 'out',
  mac?: string,
): RawPacket | undefined {
  if (ip.version !== 4) return undefined;
  const base = {
    t,
    iface,
    dir,
    proto: protocolName(ip.protocol),
    src: ip.src,
    dst: ip.dst,
    ttl: ip.ttl,
    ...(mac !== undefined ? { mac } : {}),
    ...(ip.frag ? { frag: ip.frag } : {}),
  };
  if (ip.frag && ip.frag.offset > 0)
    return {
      ...base,
      proto: 'ip-fragment',
      ipproto: protocolName(ip.protocol),
      len: ip.totalLength - ip.headerLength,
    };
  const { tcp, udp, icmp } = ip;
  if (tcp) {
    const opts = optionsText(tcp.options, tcp.optionsError);
    return {
      ...base,
      sport: tcp.sport,
      dport: tcp.dport,
      flags: formatTcpFlags(tcp.flags),
      syn: (tcp.flags & 0x02) !== 0,
      seq: tcp.seq,
      ...(tcp.flags & 0x10 ? { ack: tcp.ack } : {}),
      len: tcp.len,
      ...(opts !== undefined ? { opts } : {}),
    };
  }
  if (udp) return { ...base, sport: udp.sport, dport: udp.dport, len: udp.len };
  if (icmp) {
    const q = icmp.quote;
    const end = (a: string, port: number | undefined): string => (port === undefined ? a : `${a}:${port}`);
    return {
      ...base,
      icmpType: icmp.type,
      icmpCode: icmp.code,
      ...(icmp.id !== undefined ? { icmpId: icmp.id } : {}),
      ...(icmp.seq !== undefined ? { icmpSeq: icmp.seq } : {}),
      ...(icmp.gateway !== undefined ? { gateway: icmp.gateway } : {}),
      ...(icmp.mtu !== undefined ? { mtu: icmp.mtu } : {}),
      ...(q
        ? {
            inner: {
              proto: protocolName(q.protocol),
              src: end(q.src, q.sport),
              dst: end(q.dst, q.dport),
              ...(q.seq !== undefined ? { seq: q.seq } : {}),
            },
          }
        : {}),
    };
  }
  return base;
}

/** One frame a run put on an interface (the trace's packet steps have this shape). */
export interface FrameAt {
  readonly t: number;
  readonly host: string;
  readonly ifname: string;
  readonly dir: 'in' | 'out';
  readonly frame: Uint8Array;
  /** A frame sent at a random time: how much earlier and later the kernel's may be (s). */
  readonly window?: readonly [number, number];
}

/** natbox's side: its packet steps (Ethernet frames), in trace order. */
export function natboxSide(frames: Iterable<FrameAt>): Side {
  const side: Side = { packets: [], arp: [], other: 0 };
  for (const s of frames) {
    const iface = `${s.host}:${s.ifname}`;
    const d = decodeEthernet(s.frame);
    if (d.ether.type === ETHERTYPE_IPV4) {
      const p = d.ipv4 && rawPacket(d.ipv4, s.t, iface, s.dir, d.ether.src, ipv4Details(s.frame, 14));
      if (p) side.packets.push(p);
    } else if (d.ether.type === ETHERTYPE_ARP) {
      if (d.arp)
        side.arp.push({
          t: s.t,
          iface,
          dir: s.dir,
          ...d.arp,
          mac: d.ether.src,
          ...(s.window ? { window: [s.t + s.window[0], s.t + s.window[1]] as const } : {}),
        });
    } else side.other++;
  }
  return side;
}

/** SLL2 packet types (the kernel's PACKET_*): 4 is PACKET_OUTGOING, everything else came in. */
const PACKET_OUTGOING = 4;

/** One namespace's capture: its pcap bytes and its interface names by index (`ip -j link`). */
export interface Capture {
  readonly host: string;
  readonly pcap: Uint8Array;
  readonly ifnames: ReadonlyMap<number, string>;
}

/**
 * The kernel's side from one LINUX_SLL2 capture per host; `t0` (epoch seconds) is the run's time
 * 0. Packets on `lo` are kept (a host's traffic to itself: each packet once, as it comes in). `mac` is the source MAC SLL2 records. They stay in capture order (per interface, the order that
 * counts); the comparison merges them by time where it needs one order for the whole run.
 */
export function kernelSide(
  captures: readonly Capture[],
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
      const dir = d[10] === PACKET_OUTGOING ? 'out' : 'in';
      const iface = `${c.host}:${ifname}`;
      const t = p.timestamp - t0;
      // The link-layer address SLL2 records: the frame's source MAC.
      const mac = d[11] === 6 ? formatMac(d, 12) : undefined;
      if (proto === ETHERTYPE_IPV4) {
        const ip = decodeIpv4(d, o);
        const x = ip && rawPacket(ip, t, iface, dir, mac, ipv4Details(d, o));
        if (x) side.packets.push(x);
      } else if (proto === ETHERTYPE_ARP) {
        const a = decodeArp(d, o);
        if (a) side.arp.push({ t, iface, dir, ...a, ...(mac !== undefined ? { mac } : {}) });
      } else side.other++;
    }
  }
  return { ok: true, side };
}
