// IPv4 addresses as uint32 numbers (hot code never sees strings), prefixes and masks, and their
// text forms as iptables and iproute2 accept and print them. MAC addresses as 6-byte arrays.

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
