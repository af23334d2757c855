// What nft 1.0.6 lists for a payload write after its round trip through the kernel (checked
// against the real nft: test/rules/nft/listing-fuzz-write.txt, test/rules/nft/write-listing.test.ts):
// - the kernel gets one load, one bitwise `(P & m) ^ x` and one write: a field off byte bounds is
//   written in whole bytes (evaluate.c stmt_evaluate_payload: `@nh,80,2 set 1` keeps 0x3f of the
//   byte and sets 0x40), and constant operators on a loaded value fold into m and x;
// - nft reads that back as `P & (m | o) ^ (x & m) | o` with o = x & ~m, each part left out where
//   it does nothing (netlink_delinearize.c netlink_parse_bitwise_bool): `@nh,80,8 set @nh,80,8 &
//   0x7f | 0x40`;
// - where the written bytes are not one header field, stmt_payload_binop_postprocess names the bits
//   the write changes when they are one field (`@nh,8,6 set 3` lists as `ip dscp set 0x03`); when
//   they are not, a lone `P & m` is listed with its mask inverted, as nft 1.0.6 leaves it (later
//   versions restore it): `@nh,80,2 set 0` lists as `@nh,80,8 set @nh,80,8 & 0xc0`.
// Whole-byte raw loads are named where they are exactly one field (`@nh,64,8 set @nh,72,8` lists as
// `ip ttl set ip protocol`), and marks set from marks under operators are folded alike. Only the
// listing changes: the rule natbox evaluates stays as written.
import type { NftExpr, NftFamily, NftStmt } from './model.ts';
import { BASE, bits, type Ctx, complete, field, initial, raw, update, valueOf } from './raw-payload.ts';
import { exprType, l4Name } from './types.ts';

const ones = (n: number): bigint => (1n << BigInt(n)) - 1n;

/** A constant integer's bits, or undefined for anything else. */
function constant(e: NftExpr): bigint | undefined {
  if (e.kind !== 'value') return undefined;
  if (typeof e.value === 'number')
    return Number.isInteger(e.value) && e.value >= 0 ? BigInt(e.value) : undefined;
  return /^[0-9]+$/.test(e.value) ? BigInt(e.value) : undefined;
}

/** A whole-byte raw load named as the field it is exactly (`@nh,64,8` in ip is `ip ttl`). */
function named(p: NftExpr, ctx: Ctx): NftExpr {
  if (p.kind !== 'rawpayload' || !(p.base in BASE) || p.offset % 8 || p.len % 8) return p;
  const t = complete(ctx[BASE[p.base]!], p.offset, p.len);
  return t ? field(t) : raw(p.base, p.offset, p.len);
}

/** Flags as nft lists a constant of several (`fin | syn | ack`: an OR of each, lowest bit first). */
function flags(n: bigint, type: string): NftExpr {
  let e: NftExpr | undefined;
  for (let b = 0; n >> BigInt(b) !== 0n; b++) {
    if (((n >> BigInt(b)) & 1n) === 0n) continue;
    const one = valueOf(1n << BigInt(b), type);
    e = e ? { kind: 'binop', op: '|', left: e, right: one } : one;
  }
  return e ?? valueOf(0n, type);
}

/** A constant in the listing: hex beside a raw load, else of the field's type (`ip saddr & 255.255.255.0`). */
function num(n: bigint, p: NftExpr): NftExpr {
  if (p.kind === 'rawpayload') return valueOf(n, 'xinteger');
  const type = exprType(p) ?? 'integer';
  return type === 'tcp_flag' ? flags(n, type) : valueOf(n, type);
}

/** `P & a ^ xr | o` from the kernel's mask and xor (netlink_parse_bitwise_bool). */
function bitwise(p: NftExpr, len: number, m: bigint, x: bigint): NftExpr {
  const o = x & ~m & ones(len);
  const a = m | o;
  const xr = x & m;
  let e = p;
  if (a !== ones(len)) e = { kind: 'binop', op: '&', left: e, right: num(a, p) };
  if (xr !== 0n) e = { kind: 'binop', op: '^', left: e, right: num(xr, p) };
  if (o !== 0n) e = { kind: 'binop', op: '|', left: e, right: num(o, p) };
  return e;
}

/** A loaded value under constant `&`, `|`, `^` as the kernel's one bitwise: [load, m, x]. */
function fold(e: NftExpr): [NftExpr, bigint, bigint] | undefined {
  const w = width(e);
  if (w !== undefined) return [e, ones(w), 0n];
  if (e.kind !== 'binop' || (e.op !== '&' && e.op !== '|' && e.op !== '^')) return undefined;
  const inner = fold(e.left);
  const c = constant(e.right);
  if (!inner || c === undefined) return undefined;
  const [p, m, x] = inner;
  const all = ones(width(p)!);
  if (e.op === '&') return [p, m & c, x & c];
  if (e.op === '|') return [p, m & ~c & all, (x | c) & all];
  return [p, m, (x ^ c) & all];
}

/** The bits a loaded value has: a payload's, a mark's 32; undefined for anything else. */
function width(e: NftExpr): number | undefined {
  if (e.kind === 'payload' || e.kind === 'rawpayload') return bits(e)?.[2];
  return (e.kind === 'meta' || e.kind === 'ct') && e.key === 'mark' ? 32 : undefined;
}

/** The field the lowest run of `mask`'s ones is in the `len`-bit load at `off`, and the bits below it. */
function fieldOf(
  proto: string | undefined,
  off: number,
  len: number,
  mask: bigint,
): [NftExpr, number] | undefined {
  if (mask === 0n) return undefined;
  let shift = 0;
  while (((mask >> BigInt(shift)) & 1n) === 0n) shift++;
  // payload_expr_trim looks at the lowest run of ones only (`@nh,0,8 set @nh,0,8 | 0x8f` lists
  // as `ip hdrlength set 143`).
  let w = 0;
  while (((mask >> BigInt(shift + w)) & 1n) === 1n) w++;
  const t = complete(proto, off + len - shift - w, w);
  return t ? [field(t), shift] : undefined;
}

/** A field's constant, typed as the field lists it (`ip dscp set cs0`). */
const typed = (n: bigint, f: NftExpr): NftExpr => valueOf(n, exprType(f) ?? 'integer');

/** One payload write as nft lists it back, or undefined where it stays as written. */
function rewrite(st: Extract<NftStmt, { kind: 'set' }>, ctx: Ctx): NftStmt | undefined {
  if (width(st.target) === 32 && st.target.kind !== 'payload' && st.target.kind !== 'rawpayload') {
    // A mark set from a loaded value under constant operators: the kernel's one bitwise, read back.
    const f = fold(st.value);
    return f ? { ...st, value: bitwise(f[0], width(f[0])!, f[1], f[2]) } : undefined;
  }
  const tb = bits(st.target);
  if (!tb) return undefined;
  const [base, off, len] = tb;
  const proto = ctx[base];
  const start = off & ~7;
  const L = ((off + len + 7) & ~7) - start;
  const shift = start + L - off - len;
  const v = constant(st.value);
  if (st.target.kind === 'payload') {
    // TCP flags are written under a mask and read back as an OR of flags (`tcp flags set fin | syn`).
    if (v !== undefined && exprType(st.target) === 'tcp_flag') return { ...st, value: flags(v, 'tcp_flag') };
    // A header field: written whole when it is whole bytes, its loaded value named and folded.
    if (shift !== 0 || start !== off) return undefined;
    const f = fold(st.value);
    if (!f) return undefined;
    const p = named(f[0], ctx);
    return { ...st, value: bitwise(p, bits(p)![2], f[1], f[2]) };
  }
  const rp = st.target;
  if (rp.kind !== 'rawpayload') return undefined;
  if (shift === 0 && start === off) {
    const target = named(rp, ctx);
    if (v !== undefined)
      return { ...st, target, value: target.kind === 'rawpayload' ? st.value : typed(v, target) };
    const f = fold(st.value);
    if (!f) return target === rp ? undefined : { ...st, target };
    const p = named(f[0], ctx);
    const pl = bits(p)![2];
    const [m, x] = [f[1], f[2]];
    if (target.kind === 'rawpayload' && pl === L && (x & m) === 0n && m !== ones(L)) {
      // stmt_payload_binop_postprocess: the bits the write changes (~m, read from the loaded
      // payload's place), named if they are one field.
      const o = x & ~m & ones(L);
      const hit = fieldOf(proto, bits(p)![1], L, ~m & ones(L));
      if (hit) return { ...st, target: hit[0], value: typed(o >> BigInt(hit[1]), hit[0]) };
      // A lone `& m` keeps the mask nft 1.0.6 inverted.
      if (o === 0n)
        return { ...st, target, value: { kind: 'binop', op: '&', left: p, right: num(~m & ones(L), p) } };
    }
    return { ...st, target, value: bitwise(p, pl, m, x) };
  }
  if (v === undefined) return undefined;
  // Off byte bounds: the field itself where it is one, else the bytes around it, read, masked, written.
  const t = complete(proto, off, len);
  if (t) return { ...st, target: field(t), value: typed(v & ones(len), field(t)) };
  const region = named({ kind: 'rawpayload', base: rp.base, offset: start, len: L }, ctx);
  const m = ones(L) ^ (ones(len) << BigInt(shift));
  const x = (v & ones(len)) << BigInt(shift);
  if (x === 0n && region.kind === 'rawpayload')
    return {
      ...st,
      target: region,
      value: { kind: 'binop', op: '&', left: region, right: num(~m & ones(L), region) },
    };
  return { ...st, target: region, value: bitwise(region, L, m, x) };
}

/** The header of a write's field, or of the field its value loads (`@th,128,32 set tcp ackseq`). */
function writtenProto(st: NftStmt): string | undefined {
  if (st.kind !== 'set') return undefined;
  if (st.target.kind === 'payload') return st.target.proto;
  if (st.target.kind !== 'rawpayload') return undefined;
  let v = st.value;
  while (v.kind === 'binop') v = v.left;
  return v.kind === 'payload' ? v.proto : undefined;
}

/**
 * Whether `dep` is the protocol match nft drops before a write to a field of `proto`
 * (payload_dependency_kill, as for matches: `meta l4proto tcp tcp dport set 5` lists as `tcp dport
 * set 5`; the rule keeps it, as the kernel does).
 */
function isDependency(dep: NftStmt, proto: string, family: NftFamily): boolean {
  if (dep.kind !== 'match' || (dep.op !== 'implicit' && dep.op !== '==') || dep.right.kind !== 'value')
    return false;
  const v = dep.right.value;
  if (typeof v !== 'number') return false;
  const l = dep.left;
  const net = proto === 'ip' || proto === 'ip6' || proto === 'arp';
  if (!net) {
    const l4 =
      (l.kind === 'meta' && l.key === 'l4proto') ||
      (family === 'ip' && l.kind === 'payload' && l.proto === 'ip' && l.field === 'protocol') ||
      (family === 'ip6' && l.kind === 'payload' && l.proto === 'ip6' && l.field === 'nexthdr');
    return l4 && l4Name(v) === proto;
  }
  const want = proto === 'ip' ? [2, 0x0800] : proto === 'ip6' ? [10, 0x86dd] : [-1, 0x0806];
  if (l.kind === 'meta' && l.key === 'nfproto')
    return (family === 'inet' || family === 'bridge' || family === 'netdev') && v === want[0];
  const linkType =
    (l.kind === 'meta' && l.key === 'protocol') ||
    (l.kind === 'payload' && l.proto === 'ether' && l.field === 'type');
  return linkType && (family === 'bridge' || family === 'netdev') && v === want[1];
}

/** The rule's statements with their payload writes as nft lists them back. */
export function payloadWriteListing(stmts: readonly NftStmt[], family: NftFamily): NftStmt[] {
  if (!stmts.some((s) => s.kind === 'set' && width(s.target) !== undefined)) return [...stmts];
  const ctx = initial(family);
  const out: NftStmt[] = [];
  for (const st of stmts) {
    const r = st.kind === 'set' ? (rewrite(st, ctx) ?? st) : st;
    update(ctx, r);
    const proto = writtenProto(r);
    if (proto !== undefined) {
      // The nearest protocol match before the write, over matches only.
      for (let j = out.length - 1; j >= 0 && out[j]!.kind === 'match'; j--) {
        if (isDependency(out[j]!, proto, family)) {
          out.splice(j, 1);
          break;
        }
      }
    }
    out.push(r);
  }
  return out;
}
