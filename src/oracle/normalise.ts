// A packet as it is compared: every value as text, labels applied (labels.ts), one field per
// property. The field list is the project's one: natbox verify compares the LIVE_FIELDS of each
// packet (what a live run can hold natbox to), the conformance tests every field the kernel
// reference keeps (REFERENCE_FIELDS); a field a comparison does not use is left out of its packets,
// so it is neither compared nor printed. packetText is the one-line form both print.
import type { ArpPacket, RawPacket } from './packets.ts';
import type { ValueLabels } from './labels.ts';

/**
 * The fields of fragments and of fragmentation needed (the kernel reference's `ipproto`, `frag`,
 * `mtu`): present only on such packets, so every other packet compares as before.
 */
export const FRAGMENT_FIELDS = ['ipproto', 'frag', 'mtu'] as const;

/** Every field, in the order a difference is looked for. */
export const PACKET_FIELDS = [
  'dir',
  'proto',
  'src',
  'dst',
  'op',
  'flags',
  'seq',
  'ack',
  'len',
  'opts',
  'ttl',
  'icmp',
  'icmp_seq',
  'gateway',
  'inner',
  'lladdr',
  ...FRAGMENT_FIELDS,
] as const;
export type PacketField = (typeof PACKET_FIELDS)[number];

/** What natbox verify compares (a live capture has no MAC owners; options are the kernel's own). */
export const LIVE_FIELDS: readonly PacketField[] = [
  'dir',
  'proto',
  'src',
  'dst',
  'flags',
  'seq',
  'ack',
  'len',
  'ttl',
  'icmp',
  ...FRAGMENT_FIELDS,
];

/** What the kernel reference runs keep of a packet (result.json). */
export const REFERENCE_FIELDS: readonly PacketField[] = PACKET_FIELDS;

/** One packet, compared field by field; `src`/`dst` are `ip:port` for TCP and UDP. */
export interface NormPacket {
  /** Seconds from the start (natbox, a live capture), or the reference's timeline index. */
  t: number;
  /** Where it was seen, for messages: `t=0.1234`, `natbox t=0.1234`, `kernel #25`. */
  at: string;
  dir: string;
  proto: string;
  src: string;
  dst: string;
  /** ARP: request or reply. */
  op?: string;
  flags?: string;
  seq?: string;
  /** Only with the ACK flag. */
  ack?: string;
  len?: string;
  opts?: string;
  ttl?: string;
  /** `type 8 code 0 id $id1` (the id only for echoes). */
  icmp?: string;
  icmp_seq?: string;
  gateway?: string;
  /** An ICMP error's quote: `tcp 192.168.1.10:40000 > 203.0.113.22:80 seq I0`. */
  inner?: string;
  /** Who owns the frame's source MAC (`ns:ifname`), where the MACs are known. */
  lladdr?: string;
  /** `ip-fragment`: the protocol of the datagram the fragment belongs to. */
  ipproto?: string;
  /** Every fragment: `offset 1376` or `offset 0 mf` (fragText). */
  frag?: string;
  /** ICMP fragmentation needed: the next-hop MTU. */
  mtu?: string;
}

/** A fragment's place: its offset in bytes, then `mf` when more fragments follow. */
export const fragText = (f: { readonly offset: number; readonly mf: boolean }): string =>
  `offset ${f.offset}${f.mf ? ' mf' : ''}`;

export const icmpText = (type: number, code: number, id?: string): string =>
  `type ${type} code ${code}${id !== undefined ? ` id ${id}` : ''}`;

export const innerText = (i: {
  proto: string;
  src: string;
  dst: string;
  seq?: string;
  type?: number;
  id?: string;
}): string =>
  `${i.proto} ${i.src} > ${i.dst}${i.seq !== undefined ? ` seq ${i.seq}` : ''}${quotedEchoText(i)}`;

/** A quoted echo's type and id (` type 8 id 20306`), nothing for other quotes. */
export const quotedEchoText = (i: { type?: number; id?: string }): string =>
  i.type !== undefined ? ` type ${i.type}${i.id !== undefined ? ` id ${i.id}` : ''}` : '';

export interface NormaliseOptions {
  /** The fields to keep (LIVE_FIELDS, REFERENCE_FIELDS). */
  readonly fields: readonly PacketField[];
  /** `at` for messages; `t=<seconds>` by default. */
  readonly at?: string;
  /** The owner of a source MAC, for `lladdr` (the MAC itself when unknown). */
  readonly owner?: (mac: string) => string;
}

/** A raw packet as compared, with one side's labels. */
export function normalise(p: RawPacket, l: ValueLabels, o: NormaliseOptions): NormPacket {
  const keep = new Set(o.fields);
  const ep = (ip: string, port: number | undefined): string =>
    port === undefined ? ip : `${ip}:${l.port(port)}`;
  const n: NormPacket = {
    t: p.t,
    at: o.at ?? `t=${p.t.toFixed(4)}`,
    dir: p.dir,
    proto: p.proto,
    src: ep(p.src, p.sport),
    dst: ep(p.dst, p.dport),
  };
  const set = (k: PacketField, v: string | undefined): void => {
    if (v !== undefined && keep.has(k)) (n as unknown as Record<string, string>)[k] = v;
  };
  set('flags', p.flags);
  set('seq', p.seq === undefined ? undefined : l.seq(p.seq));
  set('ack', p.ack === undefined ? undefined : l.seq(p.ack));
  set('len', p.len === undefined ? undefined : String(p.len));
  set('opts', p.opts);
  set('ttl', String(p.ttl));
  if (p.icmpType !== undefined)
    set('icmp', icmpText(p.icmpType, p.icmpCode ?? 0, p.icmpId === undefined ? undefined : l.id(p.icmpId)));
  set('icmp_seq', p.icmpSeq === undefined ? undefined : String(p.icmpSeq));
  set('gateway', p.gateway);
  if (p.inner)
    set(
      'inner',
      innerText({
        ...p.inner,
        seq: p.inner.seq === undefined ? undefined : l.seq(p.inner.seq),
        id: p.inner.id === undefined ? undefined : l.id(p.inner.id),
      }),
    );
  if (p.mac !== undefined) set('lladdr', o.owner ? o.owner(p.mac) : p.mac);
  normaliseFragment(n, p, keep);
  return n;
}

/** The fragment and fragmentation-needed fields (FRAGMENT_FIELDS) of a raw packet. */
export function normaliseFragment(n: NormPacket, p: RawPacket, keep: ReadonlySet<PacketField>): void {
  if (p.ipproto !== undefined && keep.has('ipproto')) n.ipproto = p.ipproto;
  if (p.frag !== undefined && keep.has('frag')) n.frag = fragText(p.frag);
  if (p.mtu !== undefined && keep.has('mtu')) n.mtu = String(p.mtu);
}

/** An ARP packet in the same shape (`src`/`dst` are the sender and target addresses). */
export function normaliseArp(p: ArpPacket, o: NormaliseOptions): NormPacket {
  const n: NormPacket = {
    t: p.t,
    at: o.at ?? `t=${p.t.toFixed(4)}`,
    dir: p.dir,
    proto: 'arp',
    src: p.sender,
    dst: p.target,
    op: p.op,
  };
  if (p.mac !== undefined && o.fields.includes('lladdr')) n.lladdr = o.owner ? o.owner(p.mac) : p.mac;
  return n;
}

/** One field's value as text, undefined when the packet has none. */
export function packetField(p: NormPacket, f: PacketField): string | undefined {
  return p[f];
}

/** A packet in one line, tcpdump-like, for messages. */
export function packetText(p: NormPacket | undefined): string {
  if (!p) return '(none)';
  const parts = [p.dir, p.proto, `${p.src} > ${p.dst}`];
  if (p.op !== undefined) parts.push(p.op);
  if (p.flags !== undefined) parts.push(`[${p.flags}]`);
  if (p.seq !== undefined) parts.push(`seq ${p.seq}`);
  if (p.ack !== undefined) parts.push(`ack ${p.ack}`);
  if (p.icmp !== undefined) parts.push(p.icmp);
  if (p.icmp_seq !== undefined) parts.push(`icmp_seq ${p.icmp_seq}`);
  if (p.gateway !== undefined) parts.push(`gateway ${p.gateway}`);
  if (p.mtu !== undefined) parts.push(`mtu ${p.mtu}`);
  if (p.ipproto !== undefined) parts.push(p.ipproto);
  if (p.frag !== undefined) parts.push(`frag ${p.frag}`);
  if (p.inner !== undefined) parts.push(`inner ${p.inner}`);
  if (p.mtu !== undefined) parts.push(`mtu ${p.mtu}`);
  if (p.ipproto !== undefined) parts.push(`ipproto ${p.ipproto}`);
  if (p.frag !== undefined) parts.push(`frag ${p.frag}`);
  if (p.len !== undefined) parts.push(`len ${p.len}`);
  if (p.opts !== undefined) parts.push(`opts ${p.opts}`);
  if (p.ttl !== undefined) parts.push(`ttl ${p.ttl}`);
  if (p.lladdr !== undefined) parts.push(`from ${p.lladdr}`);
  parts.push(`(${p.at})`);
  return parts.join(' ');
}
