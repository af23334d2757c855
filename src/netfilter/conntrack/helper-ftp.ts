// The FTP helper's reading of a control connection's payload, transcribed from
// net/netfilter/nf_conntrack_ftp.c (Linux 6.x): the search table (PORT and EPRT from the client,
// 227 and 229 from the server), find_pattern, try_number, try_rfc959, try_rfc1123 (a 227 reply's
// numbers wherever its first digit is), try_eprt, try_epsv_response and get_port. Works on the
// packet's bytes; the answer goes into a reused FtpMatch.

/** enum nf_ct_ftp_type. */
export const NF_CT_FTP_PORT = 0;
export const NF_CT_FTP_PASV = 1;
export const NF_CT_FTP_EPRT = 2;
export const NF_CT_FTP_EPSV = 3;

/** What find_pattern found: the numbers' offset and length in the payload, the address and port. */
export class FtpMatch {
  type = 0;
  /** Offset of the numbers from the start of the payload (matchoff), and their length (matchlen). */
  off = 0;
  len = 0;
  /** cmd.u3.ip: preset by the caller to the direction's source address (EPSV names none). */
  addr = 0;
  port = 0;
}

interface Search {
  readonly pattern: readonly number[];
  readonly skip: number;
  readonly term: number;
  readonly type: number;
}

const codes = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const CR = 13;
const SEARCH: readonly (readonly Search[])[] = [
  [
    { pattern: codes('PORT'), skip: 0x20, term: CR, type: NF_CT_FTP_PORT },
    { pattern: codes('EPRT'), skip: 0x20, term: CR, type: NF_CT_FTP_EPRT },
  ],
  [
    { pattern: codes('227 '), skip: 0, term: 0, type: NF_CT_FTP_PASV },
    { pattern: codes('229 '), skip: 0x28, term: 0x29, type: NF_CT_FTP_EPSV },
  ],
];

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c);
const nums = new Uint32Array(6);

/**
 * The helper's search in direction `dir` over the payload b[o .. o + n): 1 found (into `m`), 0
 * nothing, -1 a partial match (the kernel drops the packet: "partial matching of ...").
 */
export function ftpSearch(b: Uint8Array, o: number, n: number, dir: number, m: FtpMatch): number {
  const list = SEARCH[dir]!;
  let found = 0;
  for (let i = 0; i < list.length; i++) {
    found = findPattern(b, o, n, list[i]!, m);
    if (found !== 0) {
      m.type = list[i]!.type;
      break;
    }
  }
  return found;
}

/** find_pattern: 1 match, 0 none, -1 partial. */
function findPattern(b: Uint8Array, o: number, dlen: number, s: Search, m: FtpMatch): number {
  const p = s.pattern;
  const plen = p.length;
  if (dlen <= plen) {
    // Short packet: try for partial? (strncasecmp over dlen bytes)
    for (let i = 0; i < dlen; i++) if (lower(b[o + i]!) !== lower(p[i]!)) return 0;
    return -1;
  }
  for (let i = 0; i < plen; i++) if (lower(b[o + i]!) !== lower(p[i]!)) return 0;
  let i = plen;
  if (s.skip) {
    for (; b[o + i] !== s.skip; i++) if (i === dlen - 1) return -1;
    i++;
  }
  m.off = i;
  let len: number;
  switch (s.type) {
    case NF_CT_FTP_PORT:
      len = tryRfc959(b, o + i, dlen - i, s.term, m);
      break;
    case NF_CT_FTP_PASV: {
      // try_rfc1123: the numbers start at the first digit.
      let k = 0;
      while (k < dlen - i && !isDigit(b[o + i + k]!)) k++;
      if (k === dlen - i) len = 0;
      else {
        m.off += k;
        len = tryRfc959(b, o + i + k, dlen - i - k, 0, m);
      }
      break;
    }
    case NF_CT_FTP_EPRT:
      len = tryEprt(b, o + i, dlen - i, m);
      break;
    default:
      len = tryEpsv(b, o + i, dlen - i, m);
  }
  m.len = len;
  return len === 0 ? -1 : 1;
}

/** try_number: `size` numbers (each at most 255) separated by `sep`, ended by `term` (0: anything). */
function tryNumber(b: Uint8Array, o: number, dlen: number, size: number, sep: number, term: number): number {
  nums.fill(0, 0, size);
  let i = 0;
  let len = 0;
  for (; len < dlen && i < size; len++) {
    const c = b[o + len]!;
    if (isDigit(c)) {
      nums[i] = nums[i]! * 10 + c - 0x30;
      if (nums[i]! > 255) return 0;
    } else if (c === sep) i++;
    else {
      if ((c === term || !term) && i === size - 1) return len;
      return 0;
    }
  }
  return 0;
}

/** try_rfc959: `a,b,c,d,p1,p2`. */
function tryRfc959(b: Uint8Array, o: number, dlen: number, term: number, m: FtpMatch): number {
  const len = tryNumber(b, o, dlen, 6, 0x2c, term);
  if (len === 0) return 0;
  m.addr = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  m.port = ((nums[4]! << 8) | nums[5]!) & 0xffff;
  return len;
}

/** get_port: digits up to `delim` (not 0, at most 65535); the index after the delimiter, or 0. */
function getPort(b: Uint8Array, o: number, start: number, dlen: number, delim: number, m: FtpMatch): number {
  let port = 0;
  for (let i = start; i < dlen; i++) {
    const c = b[o + i]!;
    if (c === delim) {
      if (port === 0) break;
      m.port = port;
      return i + 1;
    } else if (isDigit(c)) {
      port = port * 10 + c - 0x30;
      if (port > 65535) break;
    } else break;
  }
  return 0;
}

/** try_eprt: `|1|132.235.1.2|6275|` (an IPv4 connection takes protocol 1 only). */
function tryEprt(b: Uint8Array, o: number, dlen: number, m: FtpMatch): number {
  if (dlen <= 3) return 0;
  const delim = b[o]!;
  if (isDigit(delim) || delim < 33 || delim > 126 || b[o + 2] !== delim) return 0;
  if (b[o + 1] !== 0x31) return 0;
  const len = tryNumber(b, o + 3, dlen - 3, 4, 0x2e, delim);
  if (len === 0) return 0;
  m.addr = ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
  return getPort(b, o, 3 + len + 1, dlen, delim, m);
}

/** try_epsv_response: `|||6446|`. */
function tryEpsv(b: Uint8Array, o: number, dlen: number, m: FtpMatch): number {
  if (dlen <= 3) return 0;
  const delim = b[o]!;
  if (isDigit(delim) || delim < 33 || delim > 126 || b[o + 1] !== delim || b[o + 2] !== delim) return 0;
  return getPort(b, o, 3, dlen, delim, m);
}

/** nf_nat_ftp_fmt_cmd: the text that replaces the numbers, for `addr` and `port`. */
export function ftpFormat(type: number, addr: number, port: number): string {
  const a = `${addr >>> 24},${(addr >>> 16) & 0xff},${(addr >>> 8) & 0xff},${addr & 0xff}`;
  switch (type) {
    case NF_CT_FTP_PORT:
    case NF_CT_FTP_PASV:
      return `${a},${port >> 8},${port & 0xff}`;
    case NF_CT_FTP_EPRT:
      return `|1|${a.replaceAll(',', '.')}|${port}|`;
    default:
      return `|||${port}|`;
  }
}
