// Rule and policy counters as the kernel keeps them: unsigned 64-bit packet and byte counts
// (struct xt_counters), exact up to 2^64 - 1 and wrapping there. A Counters object holds each
// value as a number below 2^52 (exact, and what every real count is) plus, only once a value
// passes it, the multiples of 2^52 above (`packetsHi`, `bytesHi`, at most 4095). The packet path
// adds with countPacket (a compare more than a plain `+=`, no allocation); whole values are read
// and written as bigints here, for the parsers and printers.
import type { Counters } from './iptables/model.ts';

/** 2^52: below it a number plus a packet length (< 2^16) is still exact. */
export const COUNTER_CARRY = 4503599627370496; // 2 ** 52
const CARRY = 1n << 52n;
/** The largest counter the kernel (and iptables) keeps: 2^64 - 1. */
export const COUNTER_MAX = (1n << 64n) - 1n;

/**
 * COUNTER_CARRY as a literal in countPacket's code (a const enum): the module constant is a
 * boxed number, loaded and checked at each use in V8's optimised code.
 */
const enum C {
  CARRY = 4503599627370496,
}
const sameCarry: [typeof COUNTER_CARRY] = [C.CARRY];
void sameCarry;

/** A rule matched a packet of `len` bytes: the kernel's ADD_COUNTER(*counter, skb->len, 1). */
export function countPacket(c: Counters, len: number): void {
  if (++c.packets >= C.CARRY) carryPackets(c);
  if ((c.bytes += len) >= C.CARRY) carryBytes(c);
}

function carryPackets(c: Counters): void {
  c.packets -= COUNTER_CARRY;
  c.packetsHi = ((c.packetsHi ?? 0) + 1) & 0xfff; // 2^12 * 2^52 = 2^64: wraps as a u64
}

function carryBytes(c: Counters): void {
  c.bytes -= COUNTER_CARRY;
  c.bytesHi = ((c.bytesHi ?? 0) + 1) & 0xfff;
}

export const packetCount = (c: Counters): bigint => BigInt(c.packetsHi ?? 0) * CARRY + BigInt(c.packets);
export const byteCount = (c: Counters): bigint => BigInt(c.bytesHi ?? 0) * CARRY + BigInt(c.bytes);

/** Counters holding these values (0 to COUNTER_MAX); the high parts only when not 0. */
export function makeCounters(packets: bigint, bytes: bigint): Counters {
  const c: Counters = { packets: Number(packets % CARRY), bytes: Number(bytes % CARRY) };
  if (packets >= CARRY) c.packetsHi = Number(packets / CARRY);
  if (bytes >= CARRY) c.bytesHi = Number(bytes / CARRY);
  return c;
}

/**
 * A counter as iptables-restore's `[packets:bytes]` and `iptables -c` take it: decimal digits, at
 * most 2^64 - 1. Returns the value, or the reason it is refused. (iptables reads it with strtoull
 * and silently keeps 2^64 - 1 for anything larger, measured with iptables 1.8.9; natbox refuses.)
 */
export function parseCounter(text: string): bigint | string {
  if (!/^\d+$/.test(text)) return 'expected a number';
  const v = BigInt(text);
  if (v > COUNTER_MAX) return `larger than ${COUNTER_MAX}, the largest 64-bit counter`;
  return v;
}
