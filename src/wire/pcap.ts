// Classic libpcap capture files (draft-ietf-opsawg-pcap): a writer and a reader over bytes in
// memory. Files on disk are the caller's (cli/, trace/); this file never does I/O.
//
// File header (24 bytes), then one record per packet:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Magic Number (0xA1B2C3D4 microseconds, 0xA1B23C4D nanos)  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Major Version (2)    |         Minor Version (4)     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Reserved1 (thiszone)                    |
//   |                       Reserved2 (sigfigs)                     |
//   |                            SnapLen                            |
//   |                   LinkType (and FCS bits)                     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Record: seconds | microseconds or nanoseconds | captured length | original length | data
//
// The writer writes little-endian (what most hosts write); the reader takes either byte order.
import { err, ok, type Result } from './addr.ts';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
/** Linux "cooked" capture v2, what `tcpdump -i any` writes (20-byte header before the packet). */
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_LINUX_SLL = 113;

export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
export const PCAP_DEFAULT_SNAPLEN = 262144;

export interface PcapWriterOptions {
  /** LINKTYPE_ETHERNET (default) or LINKTYPE_RAW (IPv4 packets without a link header), or any. */
  linktype?: number;
  /** Nanosecond timestamps (magic 0xA1B23C4D) instead of microseconds. */
  nanos?: boolean;
  snaplen?: number;
}

/** Splits seconds (a float) into whole seconds and a fraction in `unitsPerSecond`, with carry. */
export function splitTimestamp(t: number, unitsPerSecond: number): [number, number] {
  let sec = Math.floor(t);
  let frac = Math.round((t - sec) * unitsPerSecond);
  if (frac >= unitsPerSecond) {
    sec += 1;
    frac -= unitsPerSecond;
  }
  return [sec, frac];
}

/** Collects packets and gives back a whole pcap file as bytes. */
export class PcapWriter {
  readonly linktype: number;
  readonly nanos: boolean;
  readonly snaplen: number;
  private readonly chunks: Uint8Array[] = [];
  private size = 24;
  private count = 0;

  constructor(opts: PcapWriterOptions = {}) {
    this.linktype = opts.linktype ?? LINKTYPE_ETHERNET;
    this.nanos = opts.nanos ?? false;
    this.snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
  }

  /** Adds one packet seen at `timestampSeconds` (seconds since the epoch, or virtual time). */
  add(timestampSeconds: number, frame: Uint8Array): this {
    const [sec, frac] = splitTimestamp(timestampSeconds, this.nanos ? 1e9 : 1e6);
    return this.addRaw(sec, frac, frame);
  }

  /** Adds one packet with the timestamp already split (`frac` in µs, or ns when `nanos`). */
  addRaw(sec: number, frac: number, frame: Uint8Array, origLen = frame.length): this {
    const incl = Math.min(frame.length, this.snaplen);
    const rec = new Uint8Array(16 + incl);
    const v = new DataView(rec.buffer);
    v.setUint32(0, sec >>> 0, true);
    v.setUint32(4, frac >>> 0, true);
    v.setUint32(8, incl, true);
    v.setUint32(12, origLen, true);
    rec.set(frame.subarray(0, incl), 16);
    this.chunks.push(rec);
    this.size += rec.length;
    this.count++;
    return this;
  }

  get packetCount(): number {
    return this.count;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    const v = new DataView(out.buffer);
    v.setUint32(0, this.nanos ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    let off = 24;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

export interface PcapPacket {
  /** Seconds as a float (ns precision is lost past 2^53; use sec/frac for exact values). */
  readonly timestamp: number;
  readonly sec: number;
  /** Microseconds, or nanoseconds when the file's `nanos`. */
  readonly frac: number;
  /** The captured bytes (a view into the input, not a copy). */
  readonly data: Uint8Array;
  readonly origLen: number;
}

export interface PcapFile {
  readonly linktype: number;
  readonly nanos: boolean;
  readonly snaplen: number;
  readonly bigEndian: boolean;
  readonly packets: readonly PcapPacket[];
}

export type PcapError = 'truncated-header' | 'bad-magic' | 'truncated-record';

/** Reads a whole pcap file. A record cut short at the end is an error (as a partial file). */
export function readPcap(bytes: Uint8Array): Result<PcapFile, PcapError> {
  if (bytes.length < 24) return err('truncated-header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let nanos: boolean;
  const mLe = v.getUint32(0, true);
  const mBe = v.getUint32(0, false);
  if (mLe === PCAP_MAGIC_MICROS || mLe === PCAP_MAGIC_NANOS) {
    le = true;
    nanos = mLe === PCAP_MAGIC_NANOS;
  } else if (mBe === PCAP_MAGIC_MICROS || mBe === PCAP_MAGIC_NANOS) {
    le = false;
    nanos = mBe === PCAP_MAGIC_NANOS;
  } else return err('bad-magic');
  const snaplen = v.getUint32(16, le);
  const linktype = v.getUint32(20, le) & 0x0fffffff; // upper bits: FCS length flags
  const packets: PcapPacket[] = [];
  const unit = nanos ? 1e9 : 1e6;
  let off = 24;
  while (off < bytes.length) {
    if (bytes.length - off < 16) return err('truncated-record');
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    const origLen = v.getUint32(off + 12, le);
    if (bytes.length - off - 16 < incl) return err('truncated-record');
    packets.push({
      timestamp: sec + frac / unit,
      sec,
      frac,
      data: bytes.subarray(off + 16, off + 16 + incl),
      origLen,
    });
    off += 16 + incl;
  }
  return ok({ linktype, nanos, snaplen, bigEndian: !le, packets });
}

/** Offset of the network-layer packet in a frame of the given link type, or -1 when unknown. */
export function networkOffset(linktype: number): number {
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      return 14;
    case LINKTYPE_RAW:
      return 0;
    case LINKTYPE_LINUX_SLL:
      return 16;
    case LINKTYPE_LINUX_SLL2:
      return 20;
    default:
      return -1;
  }
}
