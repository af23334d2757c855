// Internet checksums (RFC 1071) and their incremental update (RFC 1624). Owns the arithmetic only;
// which bytes a protocol covers is the codec's business (ipv4.ts, tcp.ts, udp.ts, icmp.ts).

/** One's-complement sum of `len` bytes from `off`, folded to 16 bits, not inverted. */
export function onesSum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i === end) sum += buf[i]! << 8; // odd length: pad with a zero byte
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The RFC 1071 checksum of a byte range: the inverted one's-complement sum. */
export function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return ~onesSum(buf, off, len, initial) & 0xffff;
}

/** Reference implementation: word by word, no tricks. Kept beside the fast one for tests. */
export function checksumNaive(bytes: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    const word = ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
    sum += word;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

/** Sum of the TCP/UDP pseudo-header (RFC 793 §3.1, RFC 768), not inverted. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit word m that became m2. */
export function checksumUpdate16(hc: number, m: number, m2: number): number {
  let sum = (~hc & 0xffff) + (~m & 0xffff) + (m2 & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * RFC 1624 for a 16-bit value m that became m2 at any byte offset `at` from the start of the
 * checksummed range: at an odd offset its two bytes are the low byte of one checksum word and the
 * high byte of the next, so the update is made with both values byte-swapped.
 */
export function checksumUpdateAt(hc: number, at: number, m: number, m2: number): number {
  if ((at & 1) === 0) return checksumUpdate16(hc, m, m2);
  return checksumUpdate16(
    hc,
    ((m & 0xff) << 8) | ((m >>> 8) & 0xff),
    ((m2 & 0xff) << 8) | ((m2 >>> 8) & 0xff),
  );
}

/** RFC 1624 for a 32-bit value (an IPv4 address) that became another: two 16-bit updates. */
export function checksumUpdate32(hc: number, m: number, m2: number): number {
  return checksumUpdate16(checksumUpdate16(hc, m >>> 16, m2 >>> 16), m & 0xffff, m2 & 0xffff);
}

export function read16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function write16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

export function read32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** `n` bytes at `off` as a big-endian number (up to 6: an Ethernet address, 48 bits, stays exact). */
export function readBE(buf: Uint8Array, off: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + buf[off + i]!;
  return v;
}

export function write32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}
