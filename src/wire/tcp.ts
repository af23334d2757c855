// TCP header (RFC 9293 §3.1): offsets, flags, fast accessors, port rewrites that keep the checksum
// right, the pseudo-header checksum, and parse/emit of a header with its options.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        Sequence Number                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Acknowledgment Number                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Data |       |C|E|U|A|P|R|S|F|                               |
//   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Checksum            |         Urgent Pointer        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                           [Options]                           |
import {
  checksum,
  checksumUpdate16,
  checksumUpdate32,
  pseudoHeaderSum,
  read16,
  read32,
  write16,
  write32,
} from './checksum.ts';
import { err, ok, type Result } from './addr.ts';
import { IPPROTO_TCP } from './ipv4.ts';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const tcpSrcPort = (b: Uint8Array, o: number): number => read16(b, o);
export const tcpDstPort = (b: Uint8Array, o: number): number => read16(b, o + 2);
export const tcpSeq = (b: Uint8Array, o: number): number => read32(b, o + 4);
export const tcpAck = (b: Uint8Array, o: number): number => read32(b, o + 8);
export const tcpDataOffset = (b: Uint8Array, o: number): number => (b[o + 12]! >> 4) * 4;
export const tcpFlags = (b: Uint8Array, o: number): number => b[o + 13]!;
export const tcpWindow = (b: Uint8Array, o: number): number => read16(b, o + 14);
export const tcpChecksumField = (b: Uint8Array, o: number): number => read16(b, o + 16);
export const tcpUrgent = (b: Uint8Array, o: number): number => read16(b, o + 18);
/** The three reserved bits and the AE (accurate ECN, RFC 9293 §3.1 "Rsrvd") bit of byte 12. */
export const tcpReserved = (b: Uint8Array, o: number): number => b[o + 12]! & 0x0f;
export const tcpHasFlag = (b: Uint8Array, o: number, flag: number): boolean => (b[o + 13]! & flag) !== 0;

/**
 * The next TCP option from `p` in b[p, end): the offset of its kind byte, or -1 when the walk
 * ends. The walk is the kernel's (tcp_parse_options, and the same loop in synproxy_parse_options,
 * synproxy_tstamp_adjust, nf_ct_sack_adjust and tcp_sack): EOL ends it, NOP is one byte and
 * skipped, and an option whose length byte is missing, below 2 ("silly options") or runs past
 * `end` ("don't parse partial options") ends it too. So the option at the returned offset `i`
 * has kind b[i] >= 2 and length b[i + 1], with i + b[i + 1] <= end; the next one is
 * tcpOptionNext(b, i + b[i + 1], end). Used as
 *   for (let i = tcpOptionNext(b, start, end); i >= 0; i = tcpOptionNext(b, i + b[i + 1]!, end))
 */
export function tcpOptionNext(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const k = b[p]!;
    if (k === 0) return -1;
    if (k === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return -1;
    const l = b[p + 1]!;
    return l < 2 || p + l > end ? -1 : p;
  }
  return -1;
}

/**
 * Where the first option `kind` of length exactly `len` starts among the TCP options in
 * b[start, end) (after its kind and length bytes), or -1 (tcpOptionNext's walk).
 */
export function tcpOptionAt(b: Uint8Array, start: number, end: number, kind: number, len: number): number {
  for (let i = tcpOptionNext(b, start, end); i >= 0; i = tcpOptionNext(b, i + b[i + 1]!, end))
    if (b[i] === kind && b[i + 1] === len) return i + 2;
  return -1;
}

/** Sets the flags byte and fixes the checksum (flags share a 16-bit word with the data offset). */
export function tcpSetFlags(b: Uint8Array, o: number, flags: number): void {
  const old = read16(b, o + 12);
  b[o + 13] = flags & 0xff;
  write16(b, o + 16, checksumUpdate16(read16(b, o + 16), old, read16(b, o + 12)));
}

export function tcpSetSeq(b: Uint8Array, o: number, v: number): void {
  write16(b, o + 16, checksumUpdate32(read16(b, o + 16), read32(b, o + 4), v >>> 0));
  write32(b, o + 4, v >>> 0);
}

export function tcpSetAck(b: Uint8Array, o: number, v: number): void {
  write16(b, o + 16, checksumUpdate32(read16(b, o + 16), read32(b, o + 8), v >>> 0));
  write32(b, o + 8, v >>> 0);
}

export function tcpSetWindow(b: Uint8Array, o: number, v: number): void {
  write16(b, o + 16, checksumUpdate16(read16(b, o + 16), read16(b, o + 14), v));
  write16(b, o + 14, v);
}

/** Sets a port and fixes the TCP checksum (RFC 1624). `which` is 0 for source, 2 for destination. */
export function tcpSetPort(b: Uint8Array, o: number, which: 0 | 2, port: number): void {
  write16(b, o + 16, checksumUpdate16(read16(b, o + 16), read16(b, o + which), port));
  write16(b, o + which, port);
}

/** An address in the pseudo-header changed from `from` to `to`: fix the TCP checksum. */
export function tcpPseudoAddrChanged(b: Uint8Array, o: number, from: number, to: number): void {
  write16(b, o + 16, checksumUpdate32(read16(b, o + 16), from, to));
}

/** Checksum over pseudo-header + segment (`len` bytes from `o`), with the checksum field as is. */
export function tcpChecksumOver(b: Uint8Array, o: number, len: number, src: number, dst: number): number {
  return checksum(b, o, len, pseudoHeaderSum(src, dst, IPPROTO_TCP, len));
}

export function tcpChecksumOk(b: Uint8Array, o: number, len: number, src: number, dst: number): boolean {
  return tcpChecksumOver(b, o, len, src, dst) === 0;
}

export function tcpFillChecksum(b: Uint8Array, o: number, len: number, src: number, dst: number): void {
  write16(b, o + 16, 0);
  write16(b, o + 16, tcpChecksumOver(b, o, len, src, dst));
}

/** One TCP option as parsed; unknown kinds keep their bytes. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'ws'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: ReadonlyArray<readonly [number, number]> }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

export interface TcpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly urgent: number;
  readonly options: readonly TcpOption[];
  readonly checksum: number;
  readonly headerLength: number;
  /** The low nibble of byte 12: three reserved bits and AE (RFC 9293 §3.1, RFC 9768). */
  readonly reserved: number;
}

export type TcpError = 'truncated' | 'bad-data-offset' | 'bad-option';

export function parseTcpOptions(b: Uint8Array, start: number, end: number): Result<TcpOption[], TcpError> {
  const out: TcpOption[] = [];
  if (end > b.length) end = b.length;
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) {
      out.push({ kind: 'eol' });
      break;
    }
    if (kind === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end) return err('bad-option');
    const len = b[i + 1]!;
    if (len < 2 || i + len > end) return err('bad-option');
    if (kind === 2 && len === 4) out.push({ kind: 'mss', mss: read16(b, i + 2) });
    else if (kind === 3 && len === 3) out.push({ kind: 'ws', shift: b[i + 2]! });
    else if (kind === 4 && len === 2) out.push({ kind: 'sackOK' });
    else if (kind === 5 && (len - 2) % 8 === 0) {
      const blocks: Array<readonly [number, number]> = [];
      for (let j = i + 2; j < i + len; j += 8) blocks.push([read32(b, j), read32(b, j + 4)]);
      out.push({ kind: 'sack', blocks });
    } else if (kind === 8 && len === 10)
      out.push({ kind: 'ts', val: read32(b, i + 2), ecr: read32(b, i + 6) });
    else out.push({ kind: 'unknown', type: kind, data: b.slice(i + 2, i + len) });
    i += len;
  }
  return ok(out);
}

export function parseTcpHeader(b: Uint8Array, o: number, end: number): Result<TcpHeader, TcpError> {
  if (end > b.length) end = b.length;
  if (o < 0 || end - o < 20) return err('truncated');
  const hl = tcpDataOffset(b, o);
  if (hl < 20 || o + hl > end) return err('bad-data-offset');
  const opts = parseTcpOptions(b, o + 20, o + hl);
  if (!opts.ok) return opts;
  return ok({
    srcPort: tcpSrcPort(b, o),
    dstPort: tcpDstPort(b, o),
    seq: tcpSeq(b, o),
    ack: tcpAck(b, o),
    flags: tcpFlags(b, o),
    window: tcpWindow(b, o),
    urgent: read16(b, o + 18),
    options: opts.value,
    checksum: read16(b, o + 16),
    headerLength: hl,
    reserved: b[o + 12]! & 0x0f,
  });
}

/** Bytes one option takes, unpadded (kind, length and data). */
export function tcpOptionLength(opt: TcpOption): number {
  switch (opt.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'ws':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * opt.blocks.length;
    case 'ts':
      return 10;
    case 'unknown':
      return 2 + opt.data.length;
  }
}

/** Bytes the options take once padded with EOL/zero to a multiple of 4. */
export function tcpOptionsLength(opts: readonly TcpOption[]): number {
  const n = opts.reduce((s, x) => s + tcpOptionLength(x), 0);
  return (n + 3) & ~3;
}

function emitOption(opt: TcpOption, b: Uint8Array, i: number): number {
  switch (opt.kind) {
    case 'eol':
      b[i] = 0;
      return 1;
    case 'nop':
      b[i] = 1;
      return 1;
    case 'mss':
      b[i] = 2;
      b[i + 1] = 4;
      write16(b, i + 2, opt.mss);
      return 4;
    case 'ws':
      b[i] = 3;
      b[i + 1] = 3;
      b[i + 2] = opt.shift;
      return 3;
    case 'sackOK':
      b[i] = 4;
      b[i + 1] = 2;
      return 2;
    case 'sack':
      b[i] = 5;
      b[i + 1] = 2 + 8 * opt.blocks.length;
      opt.blocks.forEach(([l, r], k) => {
        write32(b, i + 2 + 8 * k, l);
        write32(b, i + 6 + 8 * k, r);
      });
      return 2 + 8 * opt.blocks.length;
    case 'ts':
      b[i] = 8;
      b[i + 1] = 10;
      write32(b, i + 2, opt.val);
      write32(b, i + 6, opt.ecr);
      return 10;
    case 'unknown':
      b[i] = opt.type;
      b[i + 1] = 2 + opt.data.length;
      b.set(opt.data, i + 2);
      return 2 + opt.data.length;
  }
}

export interface TcpEmit {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  urgent?: number;
  options?: readonly TcpOption[];
  reserved?: number;
}

/**
 * Writes a TCP header and copies `payload` after it, then fills the checksum for the given
 * pseudo-header addresses. Returns the segment length.
 */
export function emitTcp(
  h: TcpEmit,
  payload: Uint8Array,
  src: number,
  dst: number,
  b: Uint8Array,
  o = 0,
): number {
  const opts = h.options ?? [];
  const ol = tcpOptionsLength(opts);
  if (ol > 40) throw new Error('TCP options over 40 bytes');
  const hl = 20 + ol;
  write16(b, o, h.srcPort);
  write16(b, o + 2, h.dstPort);
  write32(b, o + 4, h.seq >>> 0);
  write32(b, o + 8, (h.ack ?? 0) >>> 0);
  b[o + 12] = ((hl / 4) << 4) | ((h.reserved ?? 0) & 0x0f);
  b[o + 13] = h.flags;
  write16(b, o + 14, h.window ?? 0);
  write16(b, o + 16, 0);
  write16(b, o + 18, h.urgent ?? 0);
  let i = o + 20;
  for (const opt of opts) i += emitOption(opt, b, i);
  b.fill(0, i, o + hl);
  b.set(payload, o + hl);
  const len = hl + payload.length;
  tcpFillChecksum(b, o, len, src, dst);
  return len;
}

/**
 * tcpdump's flag letters in tcpdump's order (print-tcp.c tcp_flag_values: F S R P . U E W), so a
 * SYN-ACK is `S.` and a FIN-ACK `F.`; no flag at all is `none`.
 */
export function formatTcpFlags(flags: number): string {
  let s = '';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_ACK) s += '.';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  return s || 'none';
}
