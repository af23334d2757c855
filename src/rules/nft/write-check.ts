// What nft 1.0.6 refuses in a payload write whose value is not a constant (evaluate.c
// stmt_evaluate_payload, checked against the real nft: test/rules/nft/write-listing.test.ts):
// - a field written in other bytes than its own is a read-modify-write: one off byte bounds, and a
//   field of a header with a checksum (ip, tcp, udp, udplite, icmp, icmpv6, igmp) that is not whole
//   16-bit words (the checksum is updated a word at a time: `ip ttl` is written with the byte
//   after it). The value is shifted into place and xor-ed into the loaded bytes, and the kernel's
//   bitwise takes constants only: "Left shift of 8 bits is undefined for type of 8 bits width"
//   (`ip ttl set ip ttl & 3`, at the field) or "Right hand side of binary operation (^) must be
//   constant" (`ip protocol set ip protocol | 1`, at the value, or at the field when shifted);
// - a raw field is an integer, and a header field of another type is no value for it ("datatype
//   mismatch: expected integer, expression has type IPv4 address": `@nh,96,32 set ip daddr`, and
//   `@th,16,16`, which nft names `th dport`, an internet network service).
import type { Pos } from '../diagnostics.ts';
import type { NftExpr } from './model.ts';
import { bits } from './raw-payload.ts';
import { exprType } from './types.ts';

const CHECKSUMMED: ReadonlySet<string> = new Set(['ip', 'tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'igmp']);

const DESCRIBE: Readonly<Record<string, string>> = {
  ipv4_addr: 'IPv4 address',
  ipv6_addr: 'IPv6 address',
  inet_service: 'internet network service',
  inet_proto: 'Internet protocol',
  ether_addr: 'Ethernet address',
  tcp_flag: 'TCP flag',
  icmp_type: 'ICMP type',
  dscp: 'Differentiated Services Code Point',
  ecn: 'Explicit Congestion Notification',
};

/** The load a value comes from under constant operators, or undefined for a constant. */
function loaded(v: NftExpr): NftExpr | undefined {
  while (v.kind === 'binop') v = v.left;
  return v.kind === 'value' || v.kind === 'set' || v.kind === 'range' || v.kind === 'prefix' ? undefined : v;
}

/** A raw load's type: nft names `@th,0,16` and `@th,16,16` `th sport` and `th dport`. */
function rawType(p: Extract<NftExpr, { kind: 'rawpayload' }>): string {
  return p.base === 'th' && p.len === 16 && (p.offset === 0 || p.offset === 16) ? 'inet_service' : 'integer';
}

/** Why nft refuses to write `value` into `target`, and where; undefined where it takes it. */
export function writeError(
  target: NftExpr,
  value: NftExpr,
): { at: Pos | undefined; message: string } | undefined {
  const tb = bits(target);
  const load = loaded(value);
  if (!tb || !load) return undefined;
  if (target.kind === 'rawpayload') {
    const want = rawType(target);
    const t = load.kind === 'rawpayload' ? rawType(load) : exprType(load);
    const what = t && t !== want && DESCRIBE[t];
    if (what)
      return { at: value.pos, message: `datatype mismatch: expected integer, expression has type ${what}` };
  }
  const [, off, len] = tb;
  const csum = target.kind === 'payload' && CHECKSUMMED.has(target.proto);
  const aligned = off % 8 === 0 && len % 8 === 0;
  if (aligned && (!csum || (off % 16 === 0 && len % 16 === 0))) return undefined;
  let shift = 8 * Math.ceil(((off % 8) + len) / 8) - (off % 8) - len;
  const size = Math.ceil(((off % 8) + len) / 8);
  if (csum && size % 2 === 1 && Math.floor(off / 8) % 2 === 0) shift += 8;
  if (shift >= len)
    return {
      at: target.pos,
      message: `Left shift of ${shift} bits is undefined for type of ${len} bits width`,
    };
  return {
    at: shift > 0 ? target.pos : value.pos,
    message: 'Right hand side of binary operation (^) must be constant',
  };
}
