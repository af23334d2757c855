// An nft table's chains as one flat program (compile.ts writes it, table.ts runs it): a single
// Int32Array of ops, each an opcode and its operands, the rules of a chain one after another.
// The kernel's rule blob (nft_rule_dp: expressions packed one after another) in words: a packet's
// walk reads a few consecutive cache lines per chain instead of chasing rule objects, op arrays,
// closures and their contexts across the heap (what made a cold service cost ~15 µs).
// Registers are a Float64Array (a u32 per field, as the kernel's NFT_REG32s); a load that fails
// (a header the packet lacks, no conntrack entry) ends the rule (NFT_BREAK). What has no opcode
// of its own runs as OP_CALL: a closure compiled as before (compile.ts), so every statement keeps
// its behaviour and its refusals.

/** A rule starts: [OP_RULE, rule id, pc of the next rule]. */
export const OP_RULE = 0;
/** The chain's end: [OP_END] (policy, or back to the jumping chain). */
export const OP_END = 1;
/** A payload load: [op, reg, base (0 network, 1 transport), byte, bytes (1/2/4), l4 proto or -1]. */
export const OP_PAY = 2;
/** meta l4proto: [op, reg]. */
export const OP_L4PROTO = 3;
/** meta mark: [op, reg]. */
export const OP_MARK = 4;
/** Any numeric expression through its getter: [op, reg, getter index]; < 0 ends the rule. */
export const OP_GET = 5;
/** reg == value: [op, reg, value (u32 as i32)]. */
export const OP_EQ = 6;
/** reg != value: [op, reg, value]. */
export const OP_NE = 7;
/** (reg & mask) == want, or != with neg: [op, reg, mask, want, neg]. */
export const OP_MASK = 8;
/** lo <= reg <= hi, or outside with neg: [op, reg, lo, hi, neg]. */
export const OP_RANGE = 9;
/** A flag list's implicit match, (reg & bits) != 0: [op, reg, bits]. */
export const OP_ANYBIT = 10;
/** Membership: key regs 0..n-1 in the set, or not with neg: [op, set, n, neg]. */
export const OP_LOOKUP = 11;
/** A verdict map: [op, set, n] (key regs 0..n-1). */
export const OP_VMAP = 12;
/** A small literal verdict map of 0..n-1 (numgen): [op, reg, n, then n × (code, chain)]. */
export const OP_DVMAP = 13;
/** A verdict: [op, code, chain index or -1]. */
export const OP_VERDICT = 14;
/** A compiled closure (compile.ts Op): [op, index]. */
export const OP_CALL = 15;

/** numgen random mod N offset K: [op, reg, mod, offset]. */
export const OP_NUMGEN = 16;
/**
 * NAT to fixed ends (compile.ts RtTable.runNat): [op, type (NAT_*), range flags, manip,
 * min addr, max addr, has addr, min port, max port, has fixed port].
 */
export const OP_NAT = 17;
export const NAT_SNAT = 0;
export const NAT_DNAT = 1;
export const NAT_MASQUERADE = 2;
export const NAT_REDIRECT = 3;
/** In RtTable.nat's packed operands (the fast program's NAT ops): an address range is given. */
export const NAT_HAS_ADDR = 1 << 3;

/**
 * OP_NAT at `pc` as RtTable.nat takes it (and the fast program keeps it, fast.ts F.NAT): `how` =
 * type | manip << 2 | NAT_HAS_ADDR when it has an address | range flags << 8.
 */
export const natHow = (code: Int32Array, pc: number): number =>
  code[pc + 1]! | (code[pc + 3]! << 2) | (code[pc + 6] !== 0 ? NAT_HAS_ADDR : 0) | (code[pc + 2]! << 8);

/** OP_NAT's ports: min | max << 16, 0 without a fixed port (the range's ports then 0). */
export const natPorts = (code: Int32Array, pc: number): number =>
  code[pc + 9] !== 0 ? (code[pc + 7]! & 0xffff) | (code[pc + 8]! << 16) : 0;

/** A growing Int32Array of ops, with the statement index of each op's first word. */
export class ProgramWriter {
  code: Int32Array = new Int32Array(1024);
  stmt: Int32Array = new Int32Array(1024);
  pc = 0;

  /** Appends one op's words; `stmt` is the rule's statement it comes from (the trace's reason). */
  op(stmt: number, ...words: number[]): number {
    const at = this.pc;
    this.reserve(words.length);
    for (let i = 0; i < words.length; i++) this.code[at + i] = words[i]! | 0;
    this.stmt[at] = stmt;
    this.pc += words.length;
    return at;
  }

  private reserve(n: number): void {
    if (this.pc + n <= this.code.length) return;
    let cap = this.code.length * 2;
    while (cap < this.pc + n) cap *= 2;
    const c = new Int32Array(cap);
    c.set(this.code);
    this.code = c;
    const s = new Int32Array(cap);
    s.set(this.stmt);
    this.stmt = s;
  }

  /** The program, trimmed. */
  done(): { code: Int32Array; stmt: Int32Array } {
    return { code: this.code.slice(0, this.pc), stmt: this.stmt.slice(0, this.pc) };
  }
}
