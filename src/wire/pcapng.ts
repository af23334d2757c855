// pcapng capture files (draft-ietf-opsawg-pcapng): a writer (one section header, one interface
// description per interface with its name, enhanced packet blocks with microsecond timestamps)
// and a reader (SHB, IDB, EPB, SPB and the obsolete PB; other blocks skipped). Bytes in memory only.
//
// Every block:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//   |                          Block Type                           |
//   +---------------------------------------------------------------+
//   |                      Block Total Length                       |
//   +---------------------------------------------------------------+
//   /                          Block Body                           /
//   +---------------------------------------------------------------+
//   |                      Block Total Length                       |
//   +---------------------------------------------------------------+
// Enhanced Packet Block body: Interface ID | Timestamp (High) | Timestamp (Low) |
//   Captured Packet Length | Original Packet Length | Packet Data (padded to 32 bits) | Options
// Options: Option Code (16) | Option Length (16) | Value (padded to 32 bits) ... opt_endofopt (0)
import { err, ok, type Result } from './addr.ts';
import { PCAP_DEFAULT_SNAPLEN } from './pcap.ts';

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_PB = 0x00000002;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

const pad4 = (n: number): number => (n + 3) & ~3;

interface Opt {
  code: number;
  value: Uint8Array;
}

function optionsLength(opts: readonly Opt[]): number {
  if (opts.length === 0) return 0;
  return opts.reduce((s, x) => s + 4 + pad4(x.value.length), 0) + 4;
}

function writeOptions(v: DataView, b: Uint8Array, off: number, opts: readonly Opt[]): number {
  if (opts.length === 0) return off;
  for (const x of opts) {
    v.setUint16(off, x.code, true);
    v.setUint16(off + 2, x.value.length, true);
    b.set(x.value, off + 4);
    off += 4 + pad4(x.value.length);
  }
  v.setUint32(off, OPT_ENDOFOPT, true); // code 0, length 0
  return off + 4;
}

/** A block: type, total length, `body` bytes (already padded), options, total length. */
function block(
  type: number,
  bodyLen: number,
  opts: readonly Opt[],
  fill: (v: DataView, b: Uint8Array) => void,
): Uint8Array {
  const total = 12 + bodyLen + optionsLength(opts);
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  fill(v, b);
  writeOptions(v, b, 8 + bodyLen, opts);
  v.setUint32(total - 4, total, true);
  return b;
}

export interface PcapngInterfaceOptions {
  description?: string;
  snaplen?: number;
}

/** Collects interfaces and packets and gives back a pcapng file (one section) as bytes. */
export class PcapngWriter {
  private readonly chunks: Uint8Array[] = [];
  private interfaces = 0;
  private readonly application: string;

  constructor(opts: { application?: string } = {}) {
    this.application = opts.application ?? 'natbox';
  }

  /** Declares an interface (e.g. `router:br-lan`, LINKTYPE_ETHERNET); returns its index for `add`. */
  addInterface(name: string, linktype: number, opts: PcapngInterfaceOptions = {}): number {
    const o: Opt[] = [{ code: IF_NAME, value: utf8.encode(name) }];
    if (opts.description !== undefined)
      o.push({ code: IF_DESCRIPTION, value: utf8.encode(opts.description) });
    o.push({ code: IF_TSRESOL, value: Uint8Array.of(6) }); // 10^-6: microseconds (the default, said aloud)
    this.chunks.push(
      block(PCAPNG_IDB, 8, o, (v) => {
        v.setUint16(8, linktype, true);
        v.setUint16(10, 0, true);
        v.setUint32(12, opts.snaplen ?? PCAP_DEFAULT_SNAPLEN, true);
      }),
    );
    return this.interfaces++;
  }

  /** Adds a packet seen on interface `ifIndex` at `tsSeconds`; `comment` becomes opt_comment. */
  add(ifIndex: number, tsSeconds: number, frame: Uint8Array, comment?: string): this {
    if (!Number.isInteger(ifIndex) || ifIndex < 0 || ifIndex >= this.interfaces) {
      throw new Error(`pcapng: interface ${ifIndex} was not added`);
    }
    const us = Math.round(tsSeconds * 1e6);
    const opts: Opt[] = comment === undefined ? [] : [{ code: OPT_COMMENT, value: utf8.encode(comment) }];
    this.chunks.push(
      block(PCAPNG_EPB, 20 + pad4(frame.length), opts, (v, b) => {
        v.setUint32(8, ifIndex, true);
        v.setUint32(12, Math.floor(us / 0x100000000), true);
        v.setUint32(16, us >>> 0, true);
        v.setUint32(20, frame.length, true);
        v.setUint32(24, frame.length, true);
        b.set(frame, 28);
      }),
    );
    return this;
  }

  get interfaceCount(): number {
    return this.interfaces;
  }

  bytes(): Uint8Array {
    const shb = block(PCAPNG_SHB, 16, [{ code: SHB_USERAPPL, value: utf8.encode(this.application) }], (v) => {
      v.setUint32(8, PCAPNG_BYTE_ORDER_MAGIC, true);
      v.setUint16(12, 1, true);
      v.setUint16(14, 0, true);
      v.setInt32(16, -1, true); // section length unknown: 0xFFFFFFFFFFFFFFFF
      v.setInt32(20, -1, true);
    });
    const size = this.chunks.reduce((s, c) => s + c.length, shb.length);
    const out = new Uint8Array(size);
    out.set(shb, 0);
    let off = shb.length;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

export interface PcapngInterface {
  readonly linktype: number;
  readonly snaplen: number;
  readonly name: string | undefined;
  readonly description: string | undefined;
  /** Timestamp units per second (10^6 unless if_tsresol says otherwise). */
  readonly unitsPerSecond: number;
}

export interface PcapngPacket {
  /** Index into `PcapngFile.interfaces` (counted across sections). */
  readonly ifIndex: number;
  /** Seconds as a float; undefined for simple packet blocks, which carry none. */
  readonly timestamp: number | undefined;
  /** The captured bytes (a view into the input). */
  readonly data: Uint8Array;
  readonly origLen: number;
  readonly comment: string | undefined;
}

export interface PcapngFile {
  readonly interfaces: readonly PcapngInterface[];
  readonly packets: readonly PcapngPacket[];
}

export type PcapngError =
  'not-pcapng' | 'bad-byte-order-magic' | 'truncated-block' | 'bad-block-length' | 'unknown-interface';

function parseOptions(v: DataView, le: boolean, off: number, end: number): Map<number, Uint8Array[]> {
  const m = new Map<number, Uint8Array[]>();
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  while (end - off >= 4) {
    const code = v.getUint16(off, le);
    const len = v.getUint16(off + 2, le);
    if (code === OPT_ENDOFOPT || off + 4 + len > end) break;
    const list = m.get(code) ?? [];
    list.push(bytes.subarray(off + 4, off + 4 + len));
    m.set(code, list);
    off += 4 + pad4(len);
  }
  return m;
}

function tsUnits(resol: Uint8Array | undefined): number {
  if (resol === undefined || resol.length < 1) return 1e6;
  const r = resol[0]!;
  return r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
}

/** Reads a pcapng file (any number of sections, either byte order). */
export function readPcapng(bytes: Uint8Array): Result<PcapngFile, PcapngError> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || v.getUint32(0, true) !== PCAPNG_SHB) return err('not-pcapng');
  const interfaces: PcapngInterface[] = [];
  const packets: PcapngPacket[] = [];
  let le = true;
  let sectionBase = 0; // interface ids restart in every section
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) return err('truncated-block');
    const type = v.getUint32(off, le);
    if (type === PCAPNG_SHB) {
      const magic = v.getUint32(off + 8, true);
      if (magic === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (magic === 0x4d3c2b1a) le = false;
      else return err('bad-byte-order-magic');
      sectionBase = interfaces.length;
    }
    const total = v.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0) return err('bad-block-length');
    if (bytes.length - off < total) return err('truncated-block');
    const end = off + total - 4;
    if (v.getUint32(end, le) !== total) return err('bad-block-length');
    if (type === PCAPNG_IDB) {
      if (total < 20) return err('bad-block-length');
      const o = parseOptions(v, le, off + 16, end);
      const name = o.get(IF_NAME)?.[0];
      const desc = o.get(IF_DESCRIPTION)?.[0];
      interfaces.push({
        linktype: v.getUint16(off + 8, le),
        snaplen: v.getUint32(off + 12, le),
        name: name && utf8d.decode(name),
        description: desc && utf8d.decode(desc),
        unitsPerSecond: tsUnits(o.get(IF_TSRESOL)?.[0]),
      });
    } else if (type === PCAPNG_EPB || type === PCAPNG_PB) {
      if (total < 32) return err('bad-block-length');
      const id = sectionBase + (type === PCAPNG_EPB ? v.getUint32(off + 8, le) : v.getUint16(off + 8, le));
      const iface = interfaces[id];
      if (iface === undefined) return err('unknown-interface');
      const ts = v.getUint32(off + 12, le) * 0x100000000 + v.getUint32(off + 16, le);
      const caplen = v.getUint32(off + 20, le);
      if (off + 28 + caplen > end) return err('bad-block-length');
      const o = parseOptions(v, le, off + 28 + pad4(caplen), end);
      const c = o.get(OPT_COMMENT)?.[0];
      packets.push({
        ifIndex: id,
        timestamp: ts / iface.unitsPerSecond,
        data: bytes.subarray(off + 28, off + 28 + caplen),
        origLen: v.getUint32(off + 24, le),
        comment: c && utf8d.decode(c),
      });
    } else if (type === PCAPNG_SPB) {
      if (total < 16) return err('bad-block-length');
      const iface = interfaces[sectionBase];
      if (iface === undefined) return err('unknown-interface');
      const origLen = v.getUint32(off + 8, le);
      const caplen = Math.min(origLen, iface.snaplen || origLen, end - (off + 12));
      packets.push({
        ifIndex: sectionBase,
        timestamp: undefined,
        data: bytes.subarray(off + 12, off + 12 + caplen),
        origLen,
        comment: undefined,
      });
    }
    off += total;
  }
  return ok({ interfaces, packets });
}
