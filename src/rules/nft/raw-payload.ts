// What nft 1.0.6's round trip through the kernel makes of a raw payload match (`@nh,64,8 64`,
// `@th,0,3 1`), as `nft list ruleset` then shows it (checked here against the real nft with
// scripts/nft-listing-fuzz.ts --pool raw; test/rules/nft/listing-fuzz-raw.txt):
// - a field that does not start and end on a byte is loaded in whole bytes and compared under a
//   mask, the constants shifted with it (evaluate.c expr_evaluate_bits): `@th,0,3 1` lists as
//   `@th,0,8 & 0xe0 == 0x20`, unless the masked bits are a run of the header's own fields
//   (payload.c payload_expr_trim: `@nh,0,4 4` is `ip version 4`); the whole-byte load is named
//   when it is one field (`@nh,64,1 1` lists as `ip ttl & 128 == 128`);
// - a whole-byte load compared with one value is split into the fields it covers, the one it
//   ends in as a prefix (netlink_delinearize.c payload_match_expand, payload.c
//   payload_expr_expand: `@nh,64,24 != 0x801700` lists as `ip ttl != 128 ip protocol != 23 ip
//   checksum != 0/8`); against a set or a range it is named only when it is exactly one field
//   (payload_expr_complete).
// Which header a base holds comes from the family and the matches before (the protocol context:
// `meta l4proto tcp`, `ip protocol 6`, `tcp dport 1` for the transport header; `meta nfproto
// ipv4`, `ether type ip` for the network header in inet, bridge and netdev tables). A split `!=`
// stays one compare in the kernel, so its pieces carry neqJoin (the evaluator's one compare). Set
// statements (`@nh,0,4 set 4`, a read-modify-write in the kernel) are listed by write-listing.ts.
import type { NftExpr, NftFamily, NftStmt } from './model.ts';
import { LAYOUT } from './payload-merge.ts';
import { exprType, formatIpv6, l4Name } from './types.ts';

export interface Tmpl {
  readonly proto: string;
  readonly field: string;
  readonly off: number;
  readonly len: number;
}

export const BASE: Readonly<Record<string, number>> = { ll: 0, nh: 1, th: 2 };

/** nft's templates per header, in its order (proto.c); ICMP's overlapping fields are left out. */
const TEMPLATES: ReadonlyMap<string, readonly Tmpl[]> = new Map(
  [
    ...Object.entries(LAYOUT).filter(([p]) => p !== 'icmp' && p !== 'icmpv6' && p !== 'th'),
    ['ether', { daddr: [0, 0, 48], saddr: [0, 48, 48], type: [0, 96, 16] }] as const,
  ].map(([proto, f]) => [
    proto,
    Object.entries(f).map(([field, l]) => ({ proto, field, off: l[1], len: l[2] })),
  ]),
);

const NET: Readonly<Record<number, string>> = { 0x0800: 'ip', 0x86dd: 'ip6', 0x0806: 'arp' };

/** The header each base holds at a point of a rule (nft's proto_ctx), by base number. */
export type Ctx = (string | undefined)[];

export function initial(family: NftFamily): Ctx {
  if (family === 'ip' || family === 'ip6' || family === 'arp') return [undefined, family, undefined];
  return [family === 'bridge' ? 'ether' : undefined, undefined, undefined];
}

/** What a statement tells of the headers after it. */
export function update(ctx: Ctx, st: NftStmt): void {
  if (st.kind !== 'match') return;
  const l = st.left;
  const eq = (st.op === 'implicit' || st.op === '==') && st.right.kind === 'value';
  const v = eq && st.right.kind === 'value' ? st.right.value : undefined;
  if (l.kind === 'payload') {
    const base = ['ip', 'ip6', 'arp'].includes(l.proto)
      ? 1
      : l.proto === 'ether' || l.proto === 'vlan'
        ? 0
        : 2;
    if (l.proto !== 'th') ctx[base] = l.proto;
    if (
      typeof v === 'number' &&
      ((l.proto === 'ip' && l.field === 'protocol') || (l.proto === 'ip6' && l.field === 'nexthdr'))
    )
      ctx[2] = l4Name(v);
    if (typeof v === 'number' && l.field === 'type' && (l.proto === 'ether' || l.proto === 'vlan'))
      ctx[1] = NET[v];
  } else if (l.kind === 'meta' && typeof v === 'number') {
    if (l.key === 'l4proto') ctx[2] = l4Name(v);
    else if (l.key === 'nfproto') ctx[1] = v === 2 ? 'ip' : v === 10 ? 'ip6' : undefined;
    else if (l.key === 'protocol') ctx[1] = NET[v];
  }
}

const big = (v: number | string): bigint => BigInt(v);

/** The bits a payload loads: [base number, offset, length], or undefined. */
export function bits(p: NftExpr): [number, number, number] | undefined {
  if (p.kind === 'rawpayload') return p.base in BASE ? [BASE[p.base]!, p.offset, p.len] : undefined;
  if (p.kind !== 'payload') return undefined;
  if (p.proto === 'th')
    return p.field === 'sport' ? [2, 0, 16] : p.field === 'dport' ? [2, 16, 16] : undefined;
  const l = LAYOUT[p.proto]?.[p.field];
  if (!l) return undefined;
  const base = ['ip', 'ip6', 'arp'].includes(p.proto) ? 1 : p.proto === 'ether' || p.proto === 'vlan' ? 0 : 2;
  return [base, l[1], l[2]];
}

/** A constant of `type` (an IPv6 address as its text, past 2^53 a decimal string). */
export function valueOf(n: bigint, type: string): NftExpr {
  if (type === 'ipv6_addr') {
    const g: number[] = [];
    for (let k = 7; k >= 0; k--) g.push(Number((n >> BigInt(16 * k)) & 0xffffn));
    return { kind: 'value', type, value: formatIpv6(g) };
  }
  return { kind: 'value', type, value: n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString() };
}

/**
 * A raw load as nft names it without a header (payload_init_raw): 16 bits at 0 or 16 of the
 * transport header are `th sport` and `th dport` (inet_service), anything else `@base,off,len`.
 */
export function raw(base: string, offset: number, len: number): NftExpr {
  if (base === 'th' && len === 16 && (offset === 0 || offset === 16))
    return { kind: 'payload', proto: 'th', field: offset === 0 ? 'sport' : 'dport' };
  return { kind: 'rawpayload', base: base as 'nh', offset, len } as NftExpr;
}

export const field = (t: Tmpl): NftExpr => ({ kind: 'payload', proto: t.proto, field: t.field });

/** The field exactly at `off`, `len` (payload_expr_complete). */
export function complete(proto: string | undefined, off: number, len: number): Tmpl | undefined {
  return proto ? TEMPLATES.get(proto)?.find((t) => t.off === off && t.len === len) : undefined;
}

/**
 * payload_expr_trim: the run of fields the mask's bits are, if there is one (a load of `L` bits,
 * the field `len` bits at `off`).
 */
function trim(proto: string | undefined, L: number, off: number, len: number): boolean {
  const ts = proto ? TEMPLATES.get(proto) : undefined;
  if (!ts) return false;
  let at = off;
  let left = L;
  let got = 0;
  for (const t of ts) {
    if (t.off !== at) continue;
    if (t.len > left) return false;
    left -= t.len;
    at += t.len;
    got += t.len;
    if (left === 0) return false;
    if (got === len) return true;
  }
  return false;
}

/** payload_expr_expand: the fields from `off` on for `len` bits, the last maybe a prefix of one. */
function expand(
  proto: string | undefined,
  base: string,
  off: number,
  len: number,
): [NftExpr, Tmpl | undefined, number][] {
  const out: [NftExpr, Tmpl | undefined, number][] = [];
  for (const t of (proto && TEMPLATES.get(proto)) || []) {
    if (t.off !== off) continue;
    if (t.len <= len) {
      out.push([field(t), t, t.len]);
      len -= t.len;
      off += t.len;
      if (len === 0) return out;
    } else {
      out.push([field(t), t, len]);
      return out;
    }
  }
  out.push([raw(base, off, len), undefined, len]);
  return out;
}

/** `r` (a value, range or set of integers) with each integer through `f`. */
function mapInts(r: NftExpr, f: (n: bigint) => NftExpr): NftExpr | undefined {
  if (r.kind === 'value') return r.type === 'integer' ? f(big(r.value)) : undefined;
  if (r.kind === 'range') {
    const [lo, hi] = [mapInts(r.low, f), mapInts(r.high, f)];
    return lo && hi ? { ...r, low: lo, high: hi } : undefined;
  }
  if (r.kind === 'set') {
    const els = r.elements.map((e) => (e.data ? undefined : mapInts(e.key, f)));
    return els.every((e) => e)
      ? { ...r, elements: r.elements.map((e, i) => ({ ...e, key: els[i]! })) }
      : undefined;
  }
  return undefined;
}

/** One raw payload match as nft lists it back, or undefined where it stays as written. */
function rewrite(st: Extract<NftStmt, { kind: 'match' }>, ctx: Ctx): NftStmt[] | undefined {
  const l = st.left;
  if (l.kind !== 'rawpayload' || !(l.base in BASE)) return undefined;
  if (st.op !== 'implicit' && st.op !== '==' && st.op !== '!=') return undefined;
  const proto = ctx[BASE[l.base]!];
  const { offset: off, len } = l;
  const start = off & ~7;
  const end = (off + len + 7) & ~7;
  const L = end - start;
  const shift = end - off - len;
  const aligned = shift === 0 && start === off;
  const one = (left: NftExpr, right: NftExpr, op = st.op): NftStmt => ({ ...st, left, op, right });
  if (!aligned && !trim(proto, L, off, len)) {
    // Compared under a mask, the load named where it is one field.
    const whole = complete(proto, start, L);
    const type = whole ? (exprType(field(whole)) ?? 'integer') : 'integer';
    // A set's elements keep the raw load's integers (`arp ptype & 0xfff0 == { 16336, 52336 }`).
    const et = st.right.kind === 'set' ? 'integer' : type;
    const shifted = mapInts(st.right, (n) => valueOf(n << BigInt(shift), et));
    if (!shifted) return undefined;
    const mask = valueOf(((1n << BigInt(len)) - 1n) << BigInt(shift), type);
    const left: NftExpr = {
      kind: 'binop',
      op: '&',
      left: whole ? field(whole) : raw(l.base, start, L),
      right: mask,
    };
    return [one(left, shifted, st.op === 'implicit' ? '==' : st.op)];
  }
  if (st.right.kind !== 'value') {
    // A set or a range: named only when the load is exactly one field.
    const t = complete(proto, off, len);
    const type = t ? exprType(field(t)) : undefined;
    if (!t || !type) {
      const th = raw(l.base, off, len);
      if (th.kind !== 'payload') return undefined;
      const typed = mapInts(st.right, (n) => valueOf(n, 'inet_service'));
      return typed ? [one(th, typed)] : undefined;
    }
    // A set's elements keep the raw load's type (hex), a range takes the field's.
    const own = raw(l.base, off, len).kind === 'payload' ? 'inet_service' : 'xinteger';
    const typed = mapInts(st.right, (n) => valueOf(n, st.right.kind === 'set' ? own : type));
    return typed ? [one(field(t), typed)] : undefined;
  }
  if (st.right.type !== 'integer') return undefined;
  const pieces = expand(proto, l.base, off, len);
  if (pieces.length === 1 && pieces[0]![0].kind === 'rawpayload') return undefined;
  let rest = len;
  const v = big(st.right.value);
  const out = pieces.map(([left, t, plen]): NftStmt => {
    rest -= plen;
    const part = (v >> BigInt(rest)) & ((1n << BigInt(plen)) - 1n);
    const type = left.kind === 'payload' ? (exprType(left) ?? 'integer') : 'integer';
    let right: NftExpr;
    if (t && plen < t.len)
      right = { kind: 'prefix', value: valueOf(part << BigInt(t.len - plen), type), len: plen };
    else right = valueOf(part, type);
    // A bitmask field compared whole lists with `==` (`tcp flags == syn`), not as "these bits".
    const op = st.op === 'implicit' && t?.field === 'flags' ? '==' : st.op;
    return one(left, right, op);
  });
  if (st.op === '!=' && out.length > 1)
    out[0] = { ...(out[0] as Extract<NftStmt, { kind: 'match' }>), neqJoin: out.length };
  return out;
}

/** A match that joins a merged compare: whole bytes against one integer, and its op. */
function joinable(st: NftStmt): [number, number, number, bigint, string] | undefined {
  if (st.kind !== 'match' || st.right.kind !== 'value') return undefined;
  if (st.op !== 'implicit' && st.op !== '==' && st.op !== '!=') return undefined;
  const b = bits(st.left);
  const v = st.right.value;
  if (!b || b[1] % 8 || b[2] % 8) return undefined;
  if (typeof v === 'number' ? !Number.isInteger(v) || v < 0 : !/^[0-9]+$/.test(v)) return undefined;
  return [b[0], b[1], b[2], BigInt(v) & ((1n << BigInt(b[2])) - 1n), st.op === '!=' ? '!=' : '=='];
}

/**
 * Side by side in header order (the payload merge's), whole-byte matches of one header and op of
 * which one is a raw load are one compare in the kernel (payload_do_merge), which nft lists back
 * as one load: split into the header's fields where they start at its start (`arp ptype ip
 * @nh,0,16 0xb11` as `arp htype 2833 arp ptype ip`), else raw (`ip protocol 17 @nh,56,16 0xc6db`
 * as `@nh,56,24 0xc6db11`). The joined match and where the run ends, or undefined where there is
 * none at `k` (or it would be a raw load past 32 bits, which natbox does not evaluate: then the
 * matches stay as written).
 */
function joinAt(stmts: readonly NftStmt[], k: number, ctx: Ctx): [NftStmt[], number] | undefined {
  const first = joinable(stmts[k]!);
  if (!first) return undefined;
  const [base, off, , , op] = first;
  let [, , len, v] = first;
  const lefts = [(stmts[k] as Extract<NftStmt, { kind: 'match' }>).left];
  let j = k + 1;
  for (; j < stmts.length; j++) {
    const n = joinable(stmts[j]!);
    if (!n || n[0] !== base || n[1] !== off + len || n[4] !== op || len + n[2] > 128) break;
    lefts.push((stmts[j] as Extract<NftStmt, { kind: 'match' }>).left);
    v = (v << BigInt(n[2])) | n[3];
    len += n[2];
  }
  if (j - k < 2 || !lefts.some((l) => l.kind === 'rawpayload')) return undefined;
  const st0 = stmts[k] as Extract<NftStmt, { kind: 'match' }>;
  const joined: Extract<NftStmt, { kind: 'match' }> = {
    kind: 'match',
    left: {
      kind: 'rawpayload',
      base: Object.keys(BASE).find((b) => BASE[b] === base) as 'nh',
      offset: off,
      len,
    },
    op: op === '!=' ? '!=' : 'implicit',
    right: valueOf(v, 'integer'),
    ...(st0.pos ? { pos: st0.pos } : {}),
  };
  // Where a header field was written before the raw load, the dependency nft put before it names
  // the base for the joined compare (netdev's `ip protocol 17 @nh,32,40 …`: `meta protocol ip`);
  // where the raw load came first, the dependency comes after it (`@th,0,16 1 udp dport 2` lists
  // as `@th,0,32 0x10002 meta l4proto udp`).
  const here: Ctx = [...ctx];
  const at = (l: NftExpr): number => (l.pos ? l.pos.line * 1e6 + l.pos.column : Infinity);
  const firstWritten = lefts.reduce((a, l) => (at(l) < at(a) ? l : a));
  if (firstWritten.kind === 'payload' && firstWritten.proto !== 'th') here[base] ??= firstWritten.proto;
  const r = rewrite(joined, here);
  if (!r) return len <= 32 ? [[joined], j] : undefined;
  const one = r.length === 1 ? r[0]! : undefined;
  if (one?.kind === 'match' && one.left.kind === 'rawpayload' && one.left.len > 32) return undefined;
  return [r, j];
}

/** The rule's statements with its raw payload matches as nft lists them back. */
export function rawPayloadListing(stmts: readonly NftStmt[], family: NftFamily): NftStmt[] {
  if (!stmts.some((s) => s.kind === 'match' && s.left.kind === 'rawpayload')) return [...stmts];
  const ctx = initial(family);
  const out: NftStmt[] = [];
  for (let k = 0; k < stmts.length; k++) {
    const st = stmts[k]!;
    const joined = joinAt(stmts, k, ctx);
    const r = joined ? joined[0] : st.kind === 'match' ? rewrite(st, ctx) : undefined;
    if (joined) k = joined[1] - 1;
    for (const x of r ?? [st]) {
      out.push(x);
      update(ctx, x);
    }
  }
  return out;
}

/**
 * How nft 1.0.6 lists a whole-byte raw load of the link layer past the Ethernet header once the
 * rule has matched a VLAN (`ether type 8021q`, `8021ad`, a `vlan` field): 112 bits lower, as if
 * from the VLAN header (`ether type 8021q @ll,200,8 5` lists as `ether type 8021q @ll,88,8 0x5`;
 * in bridge and netdev tables, both here). The kernel still loads at the offset written, and so does
 * natbox: only the listing moves.
 */
export function vlanRawListing(stmts: readonly NftStmt[]): NftStmt[] {
  let vlan = false;
  return stmts.map((st) => {
    if (st.kind !== 'match') return st;
    const l = st.left;
    if (l.kind === 'payload' && (l.proto === 'vlan' || (l.proto === 'ether' && l.field === 'type')))
      vlan ||=
        l.proto === 'vlan' ||
        (st.right.kind === 'value' && (st.right.value === 0x8100 || st.right.value === 0x88a8));
    // Against one value (a set's or range's load keeps its offset).
    if (
      !vlan ||
      st.right.kind !== 'value' ||
      l.kind !== 'rawpayload' ||
      l.base !== 'll' ||
      l.offset <= 112 ||
      l.offset % 8 ||
      l.len % 8
    )
      return st;
    return { ...st, left: { ...l, offset: l.offset - 112 } };
  });
}

/**
 * A match under the mask of a raw load wider than 32 bits whose masked bits are 32 or fewer
 * (`@nh,56,40 & 0x7fffffff80 == …`, the listing of `@nh,57,32 …`), as the field those bits are,
 * its constants shifted back: the engine loads at most 32 bits, and the compare is the same.
 */
export function narrowRawMask(
  st: Extract<NftStmt, { kind: 'match' }>,
): Extract<NftStmt, { kind: 'match' }> | undefined {
  const l = st.left;
  if (l.kind !== 'binop' || l.op !== '&' || l.left.kind !== 'rawpayload' || l.right.kind !== 'value')
    return undefined;
  const { base, offset, len: L } = l.left;
  if (L <= 32 || !(base in BASE)) return undefined;
  const m = big(l.right.value);
  if (m === 0n) return undefined;
  let shift = 0;
  while (((m >> BigInt(shift)) & 1n) === 0n) shift++;
  const run = m >> BigInt(shift);
  if ((run & (run + 1n)) !== 0n) return undefined;
  const len = run.toString(2).length;
  if (len > 32) return undefined;
  const right = mapInts(st.right, (n) => valueOf(n >> BigInt(shift), 'integer'));
  if (!right) return undefined;
  return { ...st, left: { kind: 'rawpayload', base, offset: offset + L - shift - len, len }, right };
}
