// Addresses. On the hot path an IPv4 address is a uint32 number (hot code never sees strings) and
// an IPv6 address is 4 uint32 words, most significant first (the kernel's nf_inet_addr: `ip` is
// word 0, `ip6` all four). On the cold paths (configuration, models, routes, NAT ranges as users
// write them, reports) an address carries its family (IpAddr), and parse/format dispatch on it.
// IPv4 prefixes and masks, and the text forms iptables and iproute2 accept and print. MAC
// addresses as 6-byte arrays.

export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** Parses a dotted quad (exactly four decimal parts 0-255). Host names are refused. */
export function parseIpv4(text: string): Result<number> {
  const parts = text.split('.');
  if (parts.length !== 4) return err(`"${text}" is not an IPv4 address (expected a.b.c.d)`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return err(`"${text}" is not an IPv4 address (host names are not resolved)`);
    const n = Number(p);
    if (n > 255) return err(`"${text}" is not an IPv4 address (part ${p} is over 255)`);
    v = v * 256 + n;
  }
  return ok(v >>> 0);
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** The prefix length of a contiguous mask, or -1 when the mask has holes. */
export function maskLength(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  return Math.clz32(inv); // the ones of a contiguous mask are the leading zeros of its inverse
}

export interface Prefix {
  readonly addr: number;
  readonly mask: number;
}

/**
 * Parses `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d/m.m.m.m` as iptables does (the address is masked,
 * as iptables-save prints it).
 */
export function parsePrefix(text: string): Result<Prefix> {
  const slash = text.indexOf('/');
  const a = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (!a.ok) return a;
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (/^\d{1,2}$/.test(m)) {
      const len = Number(m);
      if (len > 32) return err(`"${text}": prefix length ${m} is over 32`);
      mask = prefixMask(len);
    } else {
      const dm = parseIpv4(m);
      if (!dm.ok) return err(`"${text}": "${m}" is neither a prefix length nor a dotted mask`);
      mask = dm.value;
    }
  }
  return ok({ addr: (a.value & mask) >>> 0, mask });
}

/** Prints a prefix as iptables-save does: `/len` for contiguous masks, the dotted mask otherwise. */
export function formatPrefix(p: Prefix): string {
  const len = maskLength(p.mask);
  return `${formatIpv4(p.addr)}/${len >= 0 ? len : formatIpv4(p.mask)}`;
}

export function inPrefix(addr: number, p: Prefix): boolean {
  return (addr & p.mask) >>> 0 === p.addr;
}

export function parseMac(text: string): Result<Uint8Array> {
  const parts = text.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    return err(`"${text}" is not a MAC address (expected xx:xx:xx:xx:xx:xx)`);
  }
  return ok(Uint8Array.from(parts.map((p) => parseInt(p, 16))));
}

export function formatMac(mac: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(mac[off + i]!.toString(16).padStart(2, '0'));
  return out.join(':');
}

// ---- families --------------------------------------------------------------------------------

/** Address families as the kernel numbers them (include/linux/socket.h); NFPROTO_IPV4/IPV6 too. */
export const AF_INET = 2;
export const AF_INET6 = 10;
export type Family = typeof AF_INET | typeof AF_INET6;

/** 32-bit words in an address of the family: 1 for IPv4, 4 for IPv6. */
export const addrWords = (f: Family): number => (f === AF_INET ? 1 : 4);
/** Bits in an address of the family (the longest prefix). */
export const addrBits = (f: Family): number => (f === AF_INET ? 32 : 128);
/** `ipv4` / `ipv6`, as `conntrack -L` names the layer-3 protocol. */
export const familyName = (f: Family): string => (f === AF_INET ? 'ipv4' : 'ipv6');

/** An IPv6 address as 4 uint32 words, most significant first. */
export type Words6 = readonly [number, number, number, number];

/** An IPv4 address with its family: `v4` is the uint32 the hot path uses. */
export interface Ip4Addr {
  readonly family: typeof AF_INET;
  readonly v4: number;
}
/** An IPv6 address with its family: `v6` is its 4 words, most significant first. */
export interface Ip6Addr {
  readonly family: typeof AF_INET6;
  readonly v6: Words6;
}
/** An address that carries its family, for the cold paths. */
export type IpAddr = Ip4Addr | Ip6Addr;

export const ip4 = (v: number): Ip4Addr => ({ family: AF_INET, v4: v >>> 0 });
export const ip6 = (w: ArrayLike<number>, off = 0): Ip6Addr => ({
  family: AF_INET6,
  v6: [w[off]! >>> 0, w[off + 1]! >>> 0, w[off + 2]! >>> 0, w[off + 3]! >>> 0],
});

/**
 * Writes the address's family-sized words at `out[off]` (IPv4: one word; IPv6: four), as a
 * conntrack record or a NAT range holds them. Returns the number of words written.
 */
export function writeAddr(a: IpAddr, out: Uint32Array, off = 0): number {
  if (a.family === AF_INET) {
    out[off] = a.v4;
    return 1;
  }
  for (let i = 0; i < 4; i++) out[off + i] = a.v6[i]!;
  return 4;
}

/** Reads an address of family `f` from its words at `w[off]` (the inverse of writeAddr). */
export function readAddr(f: Family, w: ArrayLike<number>, off = 0): IpAddr {
  return f === AF_INET ? ip4(w[off]!) : ip6(w, off);
}

/** Same family and same address. */
export function ipEquals(a: IpAddr, b: IpAddr): boolean {
  return compareIp(a, b) === 0;
}

/**
 * Orders addresses as the kernel compares them (ntohl for IPv4, ipv6_addr_cmp's memcmp for IPv6):
 * IPv4 before IPv6, then numerically. Negative, 0 or positive.
 */
export function compareIp(a: IpAddr, b: IpAddr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.family === AF_INET) return a.v4 - (b as Ip4Addr).v4;
  const y = (b as Ip6Addr).v6;
  for (let i = 0; i < 4; i++) if (a.v6[i] !== y[i]) return a.v6[i]! - y[i]!;
  return 0;
}

/**
 * Parses an address of either family: IPv6 when the text has a colon, else a dotted quad. With
 * `family`, only that family is accepted.
 */
export function parseIp(text: string, family?: Family): Result<IpAddr> {
  const six = text.includes(':');
  if (family !== undefined && six !== (family === AF_INET6)) {
    return err(`"${text}" is not an ${family === AF_INET ? 'IPv4' : 'IPv6'} address`);
  }
  if (six) {
    const r = parseIpv6(text);
    return r.ok ? ok({ family: AF_INET6, v6: r.value }) : r;
  }
  const r = parseIpv4(text);
  return r.ok ? ok(ip4(r.value)) : r;
}

/** The text form of an address: a dotted quad, or IPv6 as formatIpv6 writes it. */
export function formatIp(a: IpAddr): string {
  return a.family === AF_INET ? formatIpv4(a.v4) : formatIpv6(a.v6);
}

// ---- IPv6 text -------------------------------------------------------------------------------

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** A dotted quad inside an IPv6 address: glibc's inet_pton4 refuses leading zeros there. */
const QUAD =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * Parses an IPv6 address as inet_pton(AF_INET6) does (RFC 4291 section 2.2): eight groups of 1-4
 * hex digits, one `::` for one or more zero groups, and a dotted quad as the last 32 bits. Zone
 * ids (`%eth0`) and host names are refused.
 */
export function parseIpv6(text: string): Result<Words6> {
  const bad = (why: string) => err(`"${text}" is not an IPv6 address (${why})`);
  if (text.length > 45) return bad('too long');
  if (text.includes('%')) return bad('a zone id is not part of an address');
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return bad('"::" may appear once');
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const last = gap < 0 ? hs : ts.length > 0 ? ts : hs;
  const readGroups = (parts: string[], out: number[]): string | undefined => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (parts === last && i === parts.length - 1 && p.includes('.')) {
        const m = QUAD.exec(p);
        if (!m) return `"${p}" is not a dotted quad`;
        out.push((Number(m[1]) << 8) | Number(m[2]), (Number(m[3]) << 8) | Number(m[4]));
      } else if (HEX_GROUP.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return p === '' ? 'an empty group' : `"${p}" is not a group of 1 to 4 hex digits`;
      }
    }
    return undefined;
  };
  const tailGroups: number[] = [];
  const e1 = readGroups(hs, groups) ?? readGroups(ts, tailGroups);
  if (e1 !== undefined) return bad(e1);
  const n = groups.length + tailGroups.length;
  if (gap < 0 && n !== 8) return bad(`${n} groups, expected 8`);
  if (gap >= 0 && n > 7) return bad(`${n} groups and "::", expected at most 7`);
  while (groups.length + tailGroups.length < 8) groups.push(0);
  groups.push(...tailGroups);
  return ok([
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ]);
}

/**
 * The text form of an IPv6 address (4 words at `w[off]`) as RFC 5952 recommends and glibc's
 * inet_ntop writes it (which `ip` and `ip6tables` print): lower-case hex without leading zeros,
 * the longest run of two or more zero groups (the first of equals) as `::`, and the last 32 bits
 * as a dotted quad for IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses.
 */
export function formatIpv6(w: ArrayLike<number>, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(w[off + i]! >>> 16, w[off + i]! & 0xffff);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && !out.endsWith(':')) out += ':';
    // glibc's inet_ntop6: an encapsulated IPv4 address.
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      out += formatIpv4(w[off + 3]! >>> 0);
      break;
    }
    out += g[i]!.toString(16);
  }
  return out;
}

// ---- prefixes of either family ---------------------------------------------------------------

/** A prefix that carries its family: the address (masked) and the prefix length. */
export interface IpPrefix {
  readonly addr: IpAddr;
  readonly len: number;
}

/** The words of `a` with every bit past the first `len` cleared. */
export function maskAddr(a: IpAddr, len: number): IpAddr {
  if (a.family === AF_INET) return ip4((a.v4 & prefixMask(len)) >>> 0);
  const w = a.v6.map((x, i) => {
    const bits = Math.max(0, Math.min(32, len - i * 32));
    return (x & prefixMask(bits)) >>> 0;
  });
  return ip6(w);
}

/** Does `a` fall inside `p` (same family, same first p.len bits)? */
export function inIpPrefix(a: IpAddr, p: IpPrefix): boolean {
  return a.family === p.addr.family && ipEquals(maskAddr(a, p.len), p.addr);
}

/**
 * Parses `addr` or `addr/len` of either family (the address masked, as iptables-save and `ip
 * route` print it); without `/len` the prefix is the whole address. IPv4 also takes a dotted mask
 * with contiguous ones.
 */
export function parseIpPrefix(text: string, family?: Family): Result<IpPrefix> {
  const slash = text.indexOf('/');
  const a = parseIp(slash < 0 ? text : text.slice(0, slash), family);
  if (!a.ok) return a;
  const max = addrBits(a.value.family);
  let len = max;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (/^\d{1,3}$/.test(m)) {
      len = Number(m);
      if (len > max) return err(`"${text}": prefix length ${m} is over ${max}`);
    } else {
      const dm = a.value.family === AF_INET ? parseIpv4(m) : undefined;
      if (dm === undefined || !dm.ok) return err(`"${text}": "${m}" is not a prefix length`);
      len = maskLength(dm.value);
      if (len < 0) return err(`"${text}": the mask ${m} is not a prefix`);
    }
  }
  return ok({ addr: maskAddr(a.value, len), len });
}

/** `addr/len`, or the address alone when the prefix is a whole address. */
export function formatIpPrefix(p: IpPrefix): string {
  const a = formatIp(p.addr);
  return p.len === addrBits(p.addr.family) ? a : `${a}/${p.len}`;
}
