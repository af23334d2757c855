// Classic BPF (the socket filter language, include/uapi/linux/filter.h) on packet bytes: the
// kernel's load-time checks (bpf_check_classic and check_load_and_stores, net/core/filter.c) and
// an interpreter with the kernel's run-time rules (an out-of-bounds load or a division by X = 0
// ends the program with 0). A program is a flat array, 4 numbers per instruction: code, jt, jf,
// k. Numbers only: the interpreter allocates nothing (its 16 memory words are a scratch array).

export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_B = 0x10;
const BPF_IMM = 0x00;
const BPF_ABS = 0x20;
const BPF_MEM = 0x60;
const BPF_LEN = 0x80;
const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_A = 0x10;
const BPF_MEMWORDS = 16;
/** SKF_AD_OFF as an unsigned k: the ancillary loads (skb fields) start here. */
export const SKF_AD_OFF = 0xfffff000;
/** SKF_NET_OFF and SKF_LL_OFF: loads relative to the network and link-layer headers. */
export const SKF_NET_OFF = 0xfff00000;
export const SKF_LL_OFF = 0xffe00000;
const SKF_AD_MAX = 64;

// chk_code_allowed's table.
const ALLOWED = new Set([
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64,
  0x6c, 0x74, 0x7c, 0x84, // ALU add sub mul div mod and or xor lsh rsh (K, X), neg
  0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, // LD abs w/h/b, len, ind w/h/b, imm, mem
  0x81, 0xb1, 0x01, 0x61, // LDX len, msh, imm, mem
  0x02, 0x03, // ST, STX
  0x07, 0x87, // TAX, TXA
  0x06, 0x16, // RET K, RET A
  0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d, // JA, JEQ, JGE, JGT, JSET (K, X)
]); // prettier-ignore

const isCondJump = (code: number): boolean =>
  (code & 0x07) === BPF_JMP && code !== (BPF_JMP | 0x00) && ALLOWED.has(code);

/** bpf_check_classic: undefined when the kernel takes the program, else why it refuses it. */
export function cbpfCheck(p: readonly number[]): string | undefined {
  const n = p.length / 4;
  if (n === 0) return 'the program is empty';
  for (let pc = 0; pc < n; pc++) {
    const code = p[pc * 4]!;
    const jt = p[pc * 4 + 1]!;
    const jf = p[pc * 4 + 2]!;
    const k = p[pc * 4 + 3]!;
    if (!ALLOWED.has(code)) return `instruction ${pc}: opcode ${code} is not a classic BPF instruction`;
    switch (code) {
      case BPF_ALU | 0x30 | BPF_K: // div
      case BPF_ALU | 0x90 | BPF_K: // mod
        if (k === 0) return `instruction ${pc}: division by zero`;
        break;
      case BPF_ALU | 0x60 | BPF_K: // lsh
      case BPF_ALU | 0x70 | BPF_K: // rsh
        if (k >= 32) return `instruction ${pc}: shift by ${k} (at most 31)`;
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return `instruction ${pc}: memory word ${k} (there are ${BPF_MEMWORDS})`;
        break;
      case BPF_JMP: // ja
        if (k >= n - pc - 1) return `instruction ${pc}: jump past the end`;
        break;
      case BPF_LD | BPF_W | BPF_ABS:
      case BPF_LD | BPF_H | BPF_ABS:
      case BPF_LD | BPF_B | BPF_ABS:
        if (k >= SKF_AD_OFF && (k - SKF_AD_OFF >= SKF_AD_MAX || (k - SKF_AD_OFF) % 4 !== 0))
          return `instruction ${pc}: unknown ancillary load ${k - SKF_AD_OFF}`;
        break;
      default:
        if (isCondJump(code) && (pc + jt + 1 >= n || pc + jf + 1 >= n))
          return `instruction ${pc}: jump past the end`;
    }
  }
  const last = p[(n - 1) * 4]!;
  if (last !== (BPF_RET | BPF_K) && last !== (BPF_RET | BPF_A)) return 'the last instruction is not a return';
  // check_load_and_stores: a memory word is read only after a store on every path to it.
  const masks = new Array<number>(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    valid &= masks[pc]!;
    const code = p[pc * 4]!;
    const k = p[pc * 4 + 3]!;
    if (code === BPF_ST || code === BPF_STX) valid |= 1 << k;
    else if (code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1 << k))) return `instruction ${pc}: memory word ${k} is read before it is written`;
    } else if (code === BPF_JMP) {
      masks[pc + 1 + k] = masks[pc + 1 + k]! & valid;
      valid = 0xffff;
    } else if (isCondJump(code)) {
      const jt = pc + 1 + p[pc * 4 + 1]!;
      const jf = pc + 1 + p[pc * 4 + 2]!;
      masks[jt] = masks[jt]! & valid;
      masks[jf] = masks[jf]! & valid;
      valid = 0xffff;
    }
  }
  return undefined;
}

/** Whether the program uses an ancillary load (skb fields natbox does not model) or the link layer. */
export function cbpfUsesAncillary(p: readonly number[]): boolean {
  for (let i = 0; i < p.length; i += 4) {
    const code = p[i]!;
    if (
      (code & 0x07) === BPF_LD &&
      (code & 0xe0) === BPF_ABS &&
      p[i + 3]! >= SKF_LL_OFF &&
      p[i + 3]! < SKF_NET_OFF
    )
      return true;
    if ((code & 0x07) === BPF_LD && (code & 0xe0) === BPF_ABS && p[i + 3]! >= SKF_AD_OFF) return true;
  }
  return false;
}

const mem = new Uint32Array(BPF_MEMWORDS);

/** A load of `size` bytes at `off` from `base` within [base, end), or -1 when out of bounds. */
function load(b: Uint8Array, base: number, end: number, off: number, size: number): number {
  if (off >= SKF_NET_OFF) off -= SKF_NET_OFF; // SKF_NET_OFF: the network header is the data here
  if (off < 0 || base + off + size > end) return -1;
  const o = base + off;
  if (size === 1) return b[o]!;
  if (size === 2) return (b[o]! << 8) | b[o + 1]!;
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Runs a checked program on the bytes [base, end) (the data the filter sees: for xt_bpf the IP
 * header onward); `len` is what BPF_LEN loads. Returns the program's unsigned result.
 */
export function cbpfRun(p: readonly number[], b: Uint8Array, base: number, end: number, len: number): number {
  let A = 0;
  let X = 0;
  mem.fill(0);
  for (let pc = 0; pc * 4 < p.length; pc++) {
    const i = pc * 4;
    const code = p[i]!;
    const k = p[i + 3]!;
    switch (code & 0x07) {
      case BPF_LD: {
        const mode = code & 0xe0;
        const size = (code & 0x18) === BPF_W ? 4 : (code & 0x18) === BPF_H ? 2 : 1;
        if (mode === BPF_IMM) A = k;
        else if (mode === BPF_LEN) A = len;
        else if (mode === BPF_MEM) A = mem[k]!;
        else {
          const off = mode === BPF_ABS ? k : (X + k) >>> 0;
          const v = load(b, base, end, off, size);
          if (v < 0) return 0;
          A = v;
        }
        break;
      }
      case BPF_LDX: {
        const mode = code & 0xe0;
        if (mode === BPF_IMM) X = k;
        else if (mode === BPF_LEN) X = len;
        else if (mode === BPF_MEM) X = mem[k]!;
        else {
          const v = load(b, base, end, k, 1); // BPF_MSH
          if (v < 0) return 0;
          X = (v & 0xf) << 2;
        }
        break;
      }
      case BPF_ST:
        mem[k] = A;
        break;
      case BPF_STX:
        mem[k] = X;
        break;
      case BPF_ALU: {
        const v = (code & BPF_X) === BPF_X ? X : k;
        switch (code & 0xf0) {
          case 0x00: A = (A + v) >>> 0; break;
          case 0x10: A = (A - v) >>> 0; break;
          case 0x20: A = Math.imul(A, v) >>> 0; break;
          case 0x30: if (v === 0) return 0; A = Math.floor(A / v) >>> 0; break;
          case 0x90: if (v === 0) return 0; A = (A % v) >>> 0; break;
          case 0x50: A = (A & v) >>> 0; break;
          case 0x40: A = (A | v) >>> 0; break;
          case 0xa0: A = (A ^ v) >>> 0; break;
          case 0x60: A = (A << (v & 31)) >>> 0; break;
          case 0x70: A = A >>> (v & 31); break;
          case 0x80: A = -A >>> 0; break;
        } // prettier-ignore
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const v = (code & BPF_X) === BPF_X ? X : k;
        const t = op === 0x10 ? A === v : op === 0x30 ? A >= v : op === 0x20 ? A > v : (A & v) !== 0;
        pc += t ? p[i + 1]! : p[i + 2]!;
        break;
      }
      case BPF_RET:
        return (code & 0x18) === BPF_A ? A : k;
      case BPF_MISC:
        if ((code & 0xf8) === 0x80) A = X;
        else X = A;
        break;
    }
  }
  return 0; // not reached by a checked program (it ends with a return)
}
