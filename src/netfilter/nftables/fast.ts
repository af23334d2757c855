// The untraced walk of an nft table (issue 16, "Speed"): the flat program (program.ts, what
// compile.ts writes and table.ts runs with the trace) rewritten once per table into a faster
// program of its own, and its interpreter. The rewrite, in the spirit of the kernel's
// nft_do_chain fast paths (nft_cmp_fast, nft_payload_fast, the set backends' lookup inlined):
// - no rule headers: every op that can end a rule (NFT_BREAK) carries the pc of the next rule;
// - a load and its compare in one op (network-header u8/u32 and transport u16 fields, l4proto);
// - jumps, gotos and verdict-map results name the target chain's pc, not its index; a verdict
//   map's element is one word (code | pc << 3) read after one hash probe over the key registers
//   (HashIndex.lookupRegs: no key copy, no expiry read for sets that hold no timeouts);
// - `numgen random mod N vmap { ... }` in one op; `meta mark set meta mark | x` (and &, ^,
//   constant) in one op instead of the closure;
// - NAT to fixed ends with its operands packed in 4 words (RtTable.nat);
// - kube-proxy's ops tested first, in the order a packet meets them, each reading its successor
//   where it ends (runFast's `verdict` block): one pass of the loop per packet;
// - kube-proxy's `ip daddr . meta l4proto . th dport vmap @map` in one op (the key from the
//   packet's bytes straight into HashIndex.lookup3, no key array), and a `jump` to a chain of
//   `meta mark set` rules only (mark-for-masquerade) as their composed effect in place;
// - a service map element whose service and endpoint chains have exactly kube-proxy's shape leads
//   to one record (F.KSVC, fuseService: the masquerade condition and mark, the endpoint count, each
//   endpoint's address, NAT and ports), after the program: a first packet reads the map's hash
//   entry and that record's line, not the two chains' code (the chains stay for every other way in;
//   anything outside the shape, a counter included, keeps the element's goto to the chain);
// - a service with session affinity too (F.KSVCA, affinityRecord): its per-endpoint `ip saddr
//   @affinity-k` lookups read the sets' CompactSet blocks in place, and the endpoint's `update
//   @affinity-k { ip saddr }` runs in place of its closure (compile.ts fastDynset).
// Opcodes and codes are const enums, so the dispatch is a jump table (see below).
// Everything else runs as table.ts runs it (OP_CALL's closures, OP_GET's getters, sets' own
// lookups), so the answers are the traced walk's (test/netfilter/nftables-fast.test.ts holds the
// two walks equal on random rulesets, sets and maps; nftables-fast-kube.test.ts on random
// kube-proxy rulesets, with the NAT bound and the traced rule).
import type { NftStmt } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';
import { T_ACCEPT as TA, T_DROP as TD, T_REJECT as TR, T_STOLEN as TS } from '../core/table.ts';
import type { NumGetter } from './expr.ts';
import { countElem, type RtSet } from './sets.ts';
import type { HashIndex } from './set-index.ts';
import {
  OP_ANYBIT,
  OP_CALL,
  OP_DVMAP,
  OP_END,
  OP_EQ,
  OP_GET,
  OP_L4PROTO,
  OP_LOOKUP,
  OP_MARK,
  OP_MASK,
  OP_NAT,
  NAT_HAS_ADDR,
  natHow,
  natPorts,
  OP_NE,
  OP_NUMGEN,
  OP_PAY,
  OP_RANGE,
  OP_RULE,
  OP_VERDICT,
  OP_VMAP,
} from './program.ts';

/**
 * What the fast program reads of the table it was made from (compile.ts's RtTable, which is one):
 * named here so that this file does not import compile.ts, which imports it.
 */
export interface RtTable {
  readonly code: Int32Array;
  readonly psets: RtSet[];
  readonly chainStart: Int32Array;
  readonly rt: { hook: number; now: number; jump: number };
  readonly regs: Float64Array;
  readonly key: Uint32Array;
  readonly getters: NumGetter[];
  readonly calls: ((skb: Skb) => number)[];
  nat(how: number, minAddr: number, maxAddr: number, ports: number, skb: Skb): number;
}

// The walk's codes (sets.ts R_*), the verdicts (core/table.ts T_*) and the opcodes below are const
// enums: their members are literals in the emitted code (tsc and esbuild inline them), so the
// interpreter's switch is a jump table and a compare is against an immediate. A module-level
// `const` is a context slot (or, as CommonJS under tsx, an import is a getter): the switch over
// 34 such cases was a chain of loads and compares on every op, most of a packet's instructions.
const enum R {
  GO = 0,
  BREAK = 1,
  ACCEPT = 2,
  DROP = 3,
  REJECT = 4,
  RETURN = 5,
  JUMP = 6,
  GOTO = 7,
  STOLEN = 8,
}
const enum T {
  DROP = 0,
  ACCEPT = 1,
  REJECT = 2,
  STOLEN = 3,
}
if (T.DROP !== TD || T.ACCEPT !== TA || T.REJECT !== TR || T.STOLEN !== TS)
  throw new Error('fast.ts: verdict codes differ from core/table.ts');
/** NFT_JUMP_STACK_SIZE (table.ts). */
const enum Stack {
  SIZE = 16,
}

// The fast program's opcodes. `fail` is the pc of the rule after the op's (NFT_BREAK).
const enum F {
  /** The chain's end: [op]. */
  END = 0,
  /** jump: [op, target pc, return pc]. */
  JUMP = 1,
  /** goto: [op, target pc]. */
  GOTO = 2,
  /** [op] each. */
  ACCEPT = 3,
  DROP = 4,
  REJECT = 5,
  RETURN = 6,
  /** The rule ends here: [op, fail]. */
  BREAK = 7,
  /** OP_PAY: [op, reg, base, byte, bytes, l4 proto or -1, fail]. */
  PAY = 8,
  /** [op, reg]. */
  L4PROTO = 9,
  MARK = 10,
  /** [op, reg, getter, fail]. */
  GET = 11,
  /** [op, reg, value, fail]. */
  EQ = 12,
  NE = 13,
  /** [op, reg, mask, want, neg, fail]. */
  MASK = 14,
  /** [op, reg, lo, hi, neg, fail]. */
  RANGE = 15,
  /** [op, reg, bits, fail]. */
  ANYBIT = 16,
  /** Any set: [op, pset, n, neg, fail]. */
  LOOKUP = 17,
  /** A hash set: [op, pset, n, neg, fail]. */
  HLOOKUP = 18,
  /** Any verdict map: [op, pset, n, fail]. */
  VMAP = 19,
  /** A hash verdict map: [op, pset, n, fail, vpack index]. */
  HVMAP = 20,
  /** A literal verdict map of 0..n-1: [op, reg, n, fail, n × (code | pc << 3)]. */
  DVMAP = 21,
  /** numgen random mod M offset K into it: [op, mod, offset, n, fail, n × (code | pc << 3)]. */
  NGDVMAP = 22,
  /** [op, reg, mod, offset]. */
  NUMGEN = 23,
  /**
   * OP_NAT's operands packed (RtTable.nat reads them here, not in the plain program's distant
   * lines): [op, how, min addr, max addr, ports] (program.ts natHow, natPorts: 5 words, not 10, so
   * kube-proxy's endpoint chain takes fewer cache lines at thousands of services).
   */
  NAT = 24,
  /** [op, call index, fail]. */
  CALL = 25,
  /** A network-header u32 == / != value: [op, byte, value, fail]. */
  N32EQ = 26,
  N32NE = 27,
  /** (network-header u32 & mask) == want, != with neg: [op, byte, mask, want, neg, fail]. */
  N32MASK = 28,
  /** A network-header u8 == value: [op, byte, value, fail]. */
  N8EQ = 29,
  /** A transport-header u16 == value: [op, byte, l4 proto or -1, value, fail]. */
  T16EQ = 30,
  /** meta l4proto == value: [op, value, fail]. */
  L4EQ = 31,
  /** meta mark set (mark & and) ^ xor: [op, and, xor]. */
  MARKSET = 32,
  /**
   * kube-proxy's key `ip daddr . meta l4proto . th dport` (any network u32 . l4proto . transport
   * u16) into registers 0, 1, 2: [op, network byte, transport byte, l4 proto or -1, fail].
   */
  KEY_N32_L4_T16 = 33,
  /**
   * That key's op and the hash verdict map it keys (F.HVMAP's site) in one:
   * [op, network byte, transport byte, l4 proto or -1, fail, pset, vpack index].
   */
  KEY_HVMAP = 34,
  /**
   * A jump to a chain whose rules are all `meta mark set` (F.MARKSET's), folded: the stack check,
   * then mark = (mark & and) ^ xor, then on to the next rule: [op, and, xor, fail].
   */
  JMARK = 35,
  /**
   * A network-header u32 == value whose rule then jumps to a chain of `meta mark set` rules only
   * (F.N32EQ then F.JMARK, kube-proxy's endpoint chain's `ip saddr X jump mark-for-masquerade`):
   * [op, byte, value, and, xor, fail].
   */
  N32EQ_JMARK = 36,
  /**
   * The same with (u32 & mask) == want, != with neg (F.N32MASK then F.JMARK, kube-proxy's service
   * chain's `ip saddr != 10.0.0.0/8 jump mark-for-masquerade`): [op, byte, mask, want, neg, and,
   * xor, fail].
   */
  N32MASK_JMARK = 37,
  /**
   * meta l4proto == value, then NAT (F.L4EQ then F.NAT, kube-proxy's endpoint chain's `meta l4proto
   * tcp dnat to IP:PORT`): [op, value, fail, then F.NAT's four operand words].
   */
  L4NAT = 38,
  /**
   * kube-proxy's service and endpoint chains fused into one record (fuseService), the target of a
   * KEY_HVMAP site's element copy only (FastProgram.direct); the chains themselves stay in the
   * program for every other way in. [op, n | neg << 16, mask, want, and, xor, then per endpoint
   * k < n: address, NAT how, NAT ports] (the masquerade rule's `ip saddr` mask, want and negation,
   * the composed mark of the jumps; an endpoint's NAT address range is its address): 6 + 3n words,
   * one cache line up to 3 endpoints.
   */
  KSVC = 39,
  /**
   * F.KSVC for a service with session affinity (affinityRecord): before the random pick, each
   * endpoint's `ip saddr @affinity-… goto endpoint-…`, and in the endpoint, `update @affinity-… {
   * ip saddr }` between its mark jump and its NAT. [op, n | neg << 16, mask, want, and, xor, then
   * per endpoint: address, NAT how, NAT ports, its lookup's set (pset), its update (an index in
   * FastProgram.dynsets), its set's CompactSet block (chunk index in FastProgram.chunks << 13 |
   * base; -1: none, or the update is to another set)]: 6 + 6n words.
   */
  KSVCA = 40,
}

/** F.KSVCA's words per endpoint (its head is F.KSVC's). */
const enum KsvcA {
  EP = 6,
}

/** F.KSVC's words before its endpoints, and per endpoint. */
const enum Ksvc {
  HEAD = 6,
  EP = 3,
  /** The most endpoints a record holds (more: the general walk). */
  MAX = 256,
}

/**
 * What compile.ts knows of an OP_CALL closure that has a fast form: `meta mark set` of a constant
 * or of `meta mark` with one bitwise operation ([and, xor]: mark = (mark & and) ^ xor).
 */
export interface FastCall {
  readonly markSet?: readonly [and: number, xor: number];
  /** compile.ts fastDynset: an `add`/`update @set { ip saddr }` F.KSVCA runs in place. */
  readonly dynset?: FastDynset;
}

/** A dynset statement F.KSVCA runs in place of its closure (compile.ts dynsetOp, fastDynset). */
export interface FastDynset {
  readonly set: RtSet;
  readonly update: boolean;
  /** Seconds (0: none). */
  readonly timeout: number;
  /** The statement (the new element's creator, RtSet.creators). */
  readonly stmt: Extract<NftStmt, { kind: 'dynset' }>;
}

/** Words of each plain op (program.ts), by opcode. */
function plainLen(code: Int32Array, pc: number): number {
  switch (code[pc]) {
    case OP_RULE:
      return 3;
    case OP_END:
      return 1;
    case OP_PAY:
      return 6;
    case OP_L4PROTO:
    case OP_MARK:
    case OP_CALL:
      return 2;
    case OP_GET:
    case OP_EQ:
    case OP_NE:
    case OP_ANYBIT:
    case OP_VMAP:
    case OP_VERDICT:
      return 3;
    case OP_MASK:
    case OP_RANGE:
      return 5;
    case OP_LOOKUP:
    case OP_NUMGEN:
      return 4;
    case OP_DVMAP:
      return 3 + 2 * code[pc + 2]!;
    case OP_NAT:
      return 10;
    default:
      throw new Error(`nft program: unknown op ${code[pc]} at ${pc}`);
  }
}

/**
 * A hash verdict map site's copy (FastProgram.direct) with what decides whether it may answer
 * (`direct`): the set, its hash and version when copied (-1 when the copy may never answer: a map
 * with `counter`, or one whose elements expire or count at build time), and the copy's entries and
 * mask; for an F.KEY_HVMAP site also the op's operands (the key's network and transport bytes, its
 * l4 protocol or -1, the fail pc, the pset), which runFast reads here as fields, not as program
 * words (each a bounds-checked typed-array read). One object, so that F.KEY_HVMAP reads one array
 * element, not five.
 *
 * The copy answers while `of.version === version`: the set's hash is never replaced once it is a
 * HashIndex (only a CompactSet moves to one, RtSet.spill), and what else would stop the copy from
 * answering bumps that version when it starts (RtSet's `mayExpire` setter, `setElemCounter`); an
 * element added from the packet path is an insert, which bumps it too.
 */
export class DirectSite {
  constructor(
    readonly set: RtSet,
    readonly of: HashIndex,
    readonly version: number,
    readonly tab: Int32Array,
    readonly mask: number,
    readonly ps: number,
    /** F.KEY_HVMAP's operands (-1 for an F.HVMAP site): network byte, transport byte, l4 proto. */
    readonly nb: number,
    readonly th: number,
    readonly l4: number,
    /** F.KEY_HVMAP's fail pc (the next rule's), -1 for an F.HVMAP site. */
    readonly ret: number,
    /** F.KEY_HVMAP's own pc (runKube starts there), -1 for an F.HVMAP site. */
    readonly pc: number,
  ) {}
}

/** A table's fast program. */
export class FastProgram {
  /** Per chain index: the pc of its first op. */
  readonly chainPc: Int32Array;
  /** Per F.HVMAP site: per slot of its set, code | target pc << 3 (slots added later: computed). */
  readonly vpacks: Int32Array[] = [];
  /**
   * Per F.HVMAP site: its set's hash with each element's packed verdict in place of its slot
   * (HashIndex.mapValues), while the set's hash is the one copied (`directOf`) at the version
   * copied (`directVersion`); after a change the site reads the set as before.
   */
  readonly direct: HashIndex[] = [];
  readonly directOf: (HashIndex | undefined)[] = [];
  directVersion: Int32Array = new Int32Array(0);
  /** Per F.HVMAP site: the same in one object, as runFast's F.KEY_HVMAP reads it. */
  readonly sites: DirectSite[] = [];
  readonly stack: Int32Array = new Int32Array(Stack.SIZE);
  /** F.KSVC and F.KSVCA records (fuseService) in the program. */
  fused = 0;
  /** F.KSVCA records' updates. */
  readonly dynsets: FastDynset[] = [];
  /** The chunks of the CompactSet blocks F.KSVCA records name. */
  readonly chunks: Float64Array[] = [];

  constructor(
    readonly code: Int32Array,
    chainPc: Int32Array,
  ) {
    this.chainPc = chainPc;
  }
}

/**
 * A chain whose rules are only `meta mark set` statements F.MARKSET runs (each rule one op, nothing
 * that can end it early): their composition [and, xor], mark = (mark & and) ^ xor; else undefined.
 */
function markChain(
  t: RtTable,
  calls: readonly (FastCall | undefined)[],
  chain: number,
): [number, number] | undefined {
  const code = t.code;
  let and = -1;
  let xor = 0;
  let pc = t.chainStart[chain]!;
  for (;;) {
    const op = code[pc];
    if (op === OP_END) return [and, xor];
    if (op === OP_RULE) pc += 3;
    else if (op === OP_CALL && calls[code[pc + 1]!]?.markSet) {
      const [a, x] = calls[code[pc + 1]!]!.markSet!;
      // ((m & and) ^ xor) & a ^ x = m & (and & a) ^ ((xor & a) ^ x)
      and &= a;
      xor = (xor & a) ^ x;
      pc += 2;
    } else return undefined;
  }
}

/**
 * The composed mark of the plain op at `pc` when it is a `jump` to a chain markChain folds, else
 * undefined (the op F.JMARK would be).
 */
function markJump(
  t: RtTable,
  calls: readonly (FastCall | undefined)[],
  pc: number,
): [number, number] | undefined {
  const code = t.code;
  if (pc >= code.length || code[pc] !== OP_VERDICT || code[pc + 1] !== R.JUMP) return undefined;
  return markChain(t, calls, code[pc + 2]!);
}

/** A set's hash, when a lookup of it may be the inlined probe (no dense table, no intervals). */
const hashOf = (s: RtSet): boolean => s.hash !== undefined && s.dense === undefined;
/** A set whose lookup may be hashSlot: a hash, or a compact set (which may move to a hash). */
const exactOf = (s: RtSet): boolean => s.exact && s.dense === undefined;

/** Rewrites the table's plain program (see the head of this file). */
export function buildFast(t: RtTable, calls: readonly (FastCall | undefined)[]): FastProgram {
  const code = t.code;
  let out = new Int32Array(code.length + 64);
  let nw = 0; // words written
  const put = (x: number): void => {
    if (nw === out.length) {
      const b = new Int32Array(out.length * 2);
      b.set(out);
      out = b;
    }
    out[nw++] = x;
  };
  const order = chainOrder(t);
  /** Plain pc (op starts) to fast pc. */
  const map = new Int32Array(code.length + 1).fill(-1);
  /** Words to patch: [fast index, kind (0 plain pc, 1 chain, 2 packed verdict), value, code]. */
  const fix: number[] = [];
  const F_PC = 0;
  const F_CHAIN = 1;
  const F_PACKED = 2;
  const hvmaps: number[] = []; // pset per vpack index
  /** Per vpack index: a KEY_HVMAP site's key [network byte, transport byte, l4 proto or -1], or none. */
  const keyOf: (readonly [number, number, number] | undefined)[] = [];
  /** Per vpack index: the fast pc of its F.KEY_HVMAP op, -1 for an F.HVMAP site. */
  const keyPc: number[] = [];
  let next = 0; // the plain pc of the rule after the current one
  const emit = (...words: number[]): void => {
    for (let i = 0; i < words.length; i++) put(words[i]!);
  };
  /** Words resolved once the layout is known: the next rule's pc, a chain's pc. */
  const fail = (): void => {
    fix.push(nw, F_PC, next, 0);
    put(0);
  };
  const chainAt = (chain: number): void => {
    fix.push(nw, F_CHAIN, chain, 0);
    put(0);
  };
  /** A DVMAP entry: code | chain pc << 3 (a missing entry breaks the rule, as table.ts's -1). */
  const packed = (vcode: number, chain: number): void => {
    if (vcode === R.JUMP || vcode === R.GOTO) {
      fix.push(nw, F_PACKED, chain, vcode);
      put(0);
    } else put(vcode < 0 ? R.BREAK : vcode & 7);
  };
  const starts = t.chainStart;
  const nChains = starts.length;
  let pc = 0;
  let end = 0;
  for (let oi = 0; oi < nChains || pc < end;) {
    if (pc >= end) {
      // The next chain in layout order (chainOrder): its ops up to the next chain's first.
      const ch = order[oi++]!;
      pc = starts[ch]!;
      end = ch + 1 < nChains ? starts[ch + 1]! : code.length;
      continue;
    }
    map[pc] = nw;
    const op = code[pc]!;
    const len = plainLen(code, pc);
    const nx = pc + len;
    const nop = nx < code.length ? code[nx]! : -1;
    switch (op) {
      case OP_RULE:
        next = code[pc + 2]!;
        break;
      case OP_END:
        emit(F.END);
        break;
      case OP_PAY: {
        const reg = code[pc + 1]!;
        const base = code[pc + 2]!;
        const byte = code[pc + 3]!;
        const bytes = code[pc + 4]!;
        const proto = code[pc + 5]!;
        // A load and the compare that reads it: one op (both only ever use register 0 here).
        if (reg === 0 && nx < code.length && code[nx + 1] === 0) {
          if (base === 0 && bytes === 4 && (nop === OP_EQ || nop === OP_NE)) {
            const nx2 = nx + plainLen(code, nx);
            const mark = nop === OP_EQ ? markJump(t, calls, nx2) : undefined;
            if (mark) {
              emit(F.N32EQ_JMARK, byte, code[nx + 2]!, mark[0], mark[1]);
              fail();
              pc = nx2 + plainLen(code, nx2);
              continue;
            }
            emit(nop === OP_EQ ? F.N32EQ : F.N32NE, byte, code[nx + 2]!);
            fail();
            pc = nx2;
            continue;
          }
          if (base === 0 && bytes === 4 && nop === OP_MASK) {
            const nx2 = nx + plainLen(code, nx);
            const mark = markJump(t, calls, nx2);
            if (mark) {
              emit(F.N32MASK_JMARK, byte, code[nx + 2]!, code[nx + 3]!, code[nx + 4]!, mark[0], mark[1]);
              fail();
              pc = nx2 + plainLen(code, nx2);
              continue;
            }
            emit(F.N32MASK, byte, code[nx + 2]!, code[nx + 3]!, code[nx + 4]!);
            fail();
            pc = nx2;
            continue;
          }
          if (base === 0 && bytes === 1 && nop === OP_EQ) {
            emit(F.N8EQ, byte, code[nx + 2]!);
            fail();
            pc = nx + plainLen(code, nx);
            continue;
          }
          if (base === 1 && bytes === 2 && nop === OP_EQ) {
            emit(F.T16EQ, byte, proto, code[nx + 2]!);
            fail();
            pc = nx + plainLen(code, nx);
            continue;
          }
        }
        // A key of a network u32, l4proto and a transport u16 (registers 0, 1, 2): one op.
        const nx2 = nx + (nop === OP_L4PROTO ? 2 : 0);
        if (
          reg === 0 &&
          base === 0 &&
          bytes === 4 &&
          nop === OP_L4PROTO &&
          code[nx + 1] === 1 &&
          nx2 < code.length &&
          code[nx2] === OP_PAY &&
          code[nx2 + 1] === 2 &&
          code[nx2 + 2] === 1 &&
          code[nx2 + 4] === 2
        ) {
          const nx3 = nx2 + 6;
          // ... and the verdict map it is the key of (kube-proxy's `vmap @service-ips`): one op.
          if (
            nx3 < code.length &&
            code[nx3] === OP_VMAP &&
            code[nx3 + 2] === 3 &&
            hashOf(t.psets[code[nx3 + 1]!]!)
          ) {
            const ps = code[nx3 + 1]!;
            keyPc[hvmaps.length] = nw;
            emit(F.KEY_HVMAP, byte, code[nx2 + 3]!, code[nx2 + 5]!);
            fail();
            keyOf[hvmaps.length] = [byte, code[nx2 + 3]!, code[nx2 + 5]!];
            emit(ps, hvmaps.push(ps) - 1);
            pc = nx3 + plainLen(code, nx3);
            continue;
          }
          emit(F.KEY_N32_L4_T16, byte, code[nx2 + 3]!, code[nx2 + 5]!);
          fail();
          pc = nx3;
          continue;
        }
        emit(F.PAY, reg, base, byte, bytes, proto);
        fail();
        break;
      }
      case OP_L4PROTO:
        if (code[pc + 1] === 0 && nop === OP_EQ && code[nx + 1] === 0) {
          const nx2 = nx + plainLen(code, nx);
          if (nx2 < code.length && code[nx2] === OP_NAT) {
            emit(F.L4NAT, code[nx + 2]!);
            fail();
            emit(natHow(code, nx2), code[nx2 + 4]!, code[nx2 + 5]!, natPorts(code, nx2));
            pc = nx2 + plainLen(code, nx2);
            continue;
          }
          emit(F.L4EQ, code[nx + 2]!);
          fail();
          pc = nx2;
          continue;
        }
        emit(F.L4PROTO, code[pc + 1]!);
        break;
      case OP_MARK:
        emit(F.MARK, code[pc + 1]!);
        break;
      case OP_GET:
        emit(F.GET, code[pc + 1]!, code[pc + 2]!);
        fail();
        break;
      case OP_EQ:
      case OP_NE:
        emit(op === OP_EQ ? F.EQ : F.NE, code[pc + 1]!, code[pc + 2]!);
        fail();
        break;
      case OP_MASK:
      case OP_RANGE:
        emit(op === OP_MASK ? F.MASK : F.RANGE, code[pc + 1]!, code[pc + 2]!, code[pc + 3]!, code[pc + 4]!);
        fail();
        break;
      case OP_ANYBIT:
        emit(F.ANYBIT, code[pc + 1]!, code[pc + 2]!);
        fail();
        break;
      case OP_LOOKUP: {
        const ps = code[pc + 1]!;
        emit(exactOf(t.psets[ps]!) ? F.HLOOKUP : F.LOOKUP, ps, code[pc + 2]!, code[pc + 3]!);
        fail();
        break;
      }
      case OP_VMAP: {
        const ps = code[pc + 1]!;
        if (hashOf(t.psets[ps]!)) {
          emit(F.HVMAP, ps, code[pc + 2]!);
          fail();
          emit(hvmaps.push(ps) - 1);
        } else {
          emit(F.VMAP, ps, code[pc + 2]!);
          fail();
        }
        break;
      }
      case OP_NUMGEN:
        if (code[pc + 1] === 0 && nop === OP_DVMAP && code[nx + 1] === 0) {
          const n = code[nx + 2]!;
          emit(F.NGDVMAP, code[pc + 2]!, code[pc + 3]!, n);
          fail();
          for (let x = 0; x < n; x++) packed(code[nx + 3 + 2 * x]!, code[nx + 4 + 2 * x]!);
          pc = nx + plainLen(code, nx);
          continue;
        }
        emit(F.NUMGEN, code[pc + 1]!, code[pc + 2]!, code[pc + 3]!);
        break;
      case OP_DVMAP: {
        const n = code[pc + 2]!;
        emit(F.DVMAP, code[pc + 1]!, n);
        fail();
        for (let x = 0; x < n; x++) packed(code[pc + 3 + 2 * x]!, code[pc + 4 + 2 * x]!);
        break;
      }
      case OP_VERDICT: {
        const v = code[pc + 1]!;
        const chain = code[pc + 2]!;
        const mark = v === R.JUMP ? markChain(t, calls, chain) : undefined;
        if (mark) {
          // A jump to a chain of `meta mark set` rules only (kube-proxy's mark-for-masquerade):
          // its effect in place, after the jump's stack check.
          emit(F.JMARK, mark[0], mark[1]);
          fail();
        } else if (v === R.JUMP) {
          emit(F.JUMP);
          chainAt(chain);
          fail();
        } else if (v === R.GOTO) {
          emit(F.GOTO);
          chainAt(chain);
        } else if (v === R.ACCEPT) emit(F.ACCEPT);
        else if (v === R.REJECT) emit(F.REJECT);
        else if (v === R.RETURN) emit(F.RETURN);
        else if (v === R.BREAK) {
          emit(F.BREAK);
          fail();
        } else emit(F.DROP); // R.DROP, and what table.ts's walk drops as unknown
        break;
      }
      case OP_NAT:
        emit(F.NAT, natHow(code, pc), code[pc + 4]!, code[pc + 5]!, natPorts(code, pc));
        break;
      case OP_CALL: {
        const fc = calls[code[pc + 1]!];
        if (fc?.markSet) emit(F.MARKSET, fc.markSet[0], fc.markSet[1]);
        else {
          emit(F.CALL, code[pc + 1]!);
          fail();
        }
        break;
      }
    }
    pc = nx;
  }
  map[code.length] = nw;
  const fast = out.slice(0, nw);
  const chainPc = new Int32Array(t.chainStart.length);
  for (let c = 0; c < chainPc.length; c++) chainPc[c] = map[t.chainStart[c]!]!;
  for (let i = 0; i < fix.length; i += 4) {
    const at = fix[i]!;
    const kind = fix[i + 1]!;
    const v = fix[i + 2]!;
    if (kind === F_PC) fast[at] = map[v]!;
    else if (kind === F_CHAIN) fast[at] = chainPc[v]!;
    else fast[at] = fix[i + 3]! | (chainPc[v]! << 3);
  }
  // The fused service records (F.KSVC) after the program, each starting a cache line of the
  // array's when it fits in one (a record is read from its start: its head and one endpoint).
  const recs = new Records((nw + 15) & ~15, t, calls);
  const vpacks: Int32Array[] = [];
  const directs: HashIndex[] = [];
  for (let k = 0; k < hvmaps.length; k++) {
    const set = t.psets[hvmaps[k]!]!;
    const vp = vpackOf(set, chainPc);
    vpacks.push(vp);
    const key = keyOf[k];
    directs.push(
      set.hash!.mapValues((slot, tab, at) => {
        const packed = slot < vp.length ? vp[slot]! : packSlot(set, slot, chainPc);
        return key ? fuseService(fast, pastImplied(fast, packed, key, tab, at), tab[at + 1]!, recs) : packed;
      }),
    );
  }
  let prog = fast;
  if (recs.n > 0) {
    prog = new Int32Array(recs.base + recs.n);
    prog.set(fast);
    prog.set(recs.words.subarray(0, recs.n), recs.base);
  }
  const fp = new FastProgram(prog, chainPc);
  fp.fused = recs.count;
  fp.dynsets.push(...recs.dynsets);
  fp.chunks.push(...recs.chunks);
  fp.directVersion = new Int32Array(hvmaps.length);
  for (let k = 0; k < hvmaps.length; k++) {
    const set = t.psets[hvmaps[k]!]!;
    const h = set.hash!;
    fp.vpacks.push(vpacks[k]!);
    fp.direct.push(directs[k]!);
    fp.directOf.push(h);
    // A map declared with `counter` (its config, fixed) never answers from the copy: its elements
    // count (hvmap's countElem). -1: a version the set never has, so runFast need not read cfg.
    // Nor does one whose elements may expire or count already (both stay so: direct()).
    fp.directVersion[k] = set.cfg.counters || set.mayExpire || set.elemCounters.length > 0 ? -1 : h.version;
    const d = directs[k]!;
    const kp = keyPc[k] ?? -1;
    const key = keyOf[k];
    fp.sites.push(
      new DirectSite(
        set,
        h,
        fp.directVersion[k]!,
        d.tab,
        d.mask,
        hvmaps[k]!,
        key ? key[0] : -1,
        key ? key[1] : -1,
        key ? key[2] : -1,
        kp >= 0 ? prog[kp + 4]! : -1,
        kp,
      ),
    );
  }
  return fp;
}

/** F.KSVC records being written: their words from pc `base` on, and each target's record. */
class Records {
  words = new Int32Array(1024);
  n = 0;
  count = 0;
  /** Service chain pc (past the implied matches) << 8 | the key's l4proto to its record's pc (-1: none). */
  readonly at = new Map<number, number>();
  /** The F.KSVCA records' updates (FastProgram.dynsets). */
  readonly dynsets: FastDynset[] = [];
  /** The chunks of the CompactSet blocks they name (FastProgram.chunks), and each one's index. */
  readonly chunks: Float64Array[] = [];
  readonly chunkIndex = new Map<Float64Array, number>();

  /** A set's CompactSet block as chunk index << 13 | base, or -1 (not compact, or not 1 word). */
  block(set: RtSet): number {
    const sm = set.small;
    if (sm === undefined || sm.words !== 1 || sm.base >= 1 << 13) return -1;
    let i = this.chunkIndex.get(sm.tab);
    if (i === undefined) this.chunkIndex.set(sm.tab, (i = this.chunks.push(sm.tab) - 1));
    return (i << 13) | sm.base;
  }
  constructor(
    readonly base: number,
    readonly t: RtTable,
    readonly calls: readonly (FastCall | undefined)[],
  ) {}

  /** Room for `len` words, at a line's start unless it fits in the rest of the current line. */
  alloc(len: number): number {
    let at = this.n;
    const inLine = 16 - ((this.base + at) & 15);
    if (len > inLine && inLine < 16) at += inLine;
    if (at + len > this.words.length) {
      const w = new Int32Array(Math.max(this.words.length * 2, at + len));
      w.set(this.words);
      this.words = w;
    }
    this.n = at + len;
    return at;
  }
}

/**
 * A KEY_HVMAP element's packed verdict (code | pc << 3), as a goto to an F.KSVC record when its
 * target has kube-proxy's shape exactly, else unchanged. The shape, in the fast program at the
 * target (past the implied matches, pastImplied): optionally `ip saddr` (& mask) ==/!= want `jump`
 * to a chain of `meta mark set` rules (F.N32MASK_JMARK on the network header's byte 12); then
 * `numgen random mod n vmap { 0 : goto e0, ..., n-1 : goto en-1 }` (F.NGDVMAP, offset 0, every
 * entry a goto); each endpoint chain `ip saddr X jump` to a chain of `meta mark set` rules
 * (F.N32EQ_JMARK, byte 12, the masquerade rule's composed mark if it has one, the same for every
 * endpoint) then `meta l4proto P` with P the element's l4proto and NAT to X alone (F.L4NAT). The
 * element's key implies P: the packet's l4proto is the key's (F.KEY_HVMAP matched it). runFast's
 * F.KSVC does what those ops do, in their order, reading one record instead of the two chains'
 * code: the same stack checks, marks, random draw and NAT. numgen's draw always picks an entry
 * (reciprocal_scale(v, n) < n) and RtTable.nat answers accept or drop, so no way out of the
 * shape is left in the record. Anything else in the chains (a counter, a log, a set lookup, a rule
 * more, another l4proto, an address range) is not the shape, and the element keeps its goto to
 * the chain.
 */
function fuseService(fast: Int32Array, packed: number, l4: number, recs: Records): number {
  if ((packed & 7) !== R.GOTO || (l4 & ~0xff) !== 0) return packed;
  const p = packed >> 3;
  const id = p * 256 + l4;
  const had = recs.at.get(id);
  if (had !== undefined) return had < 0 ? packed : R.GOTO | (had << 3);
  const rec = serviceRecord(fast, p, l4) ?? affinityRecord(fast, p, l4, recs);
  if (!rec) {
    recs.at.set(id, -1);
    return packed;
  }
  const at = recs.alloc(rec.length);
  recs.words.set(rec, at);
  const pc = recs.base + at;
  recs.at.set(id, pc);
  recs.count++;
  return R.GOTO | (pc << 3);
}

/**
 * A service chain's optional first rule, kube-proxy's masquerade mark for traffic from outside the
 * cluster CIDR (`ip saddr (& mask) ==/!= want jump mark-for-masquerade`, F.N32MASK_JMARK on the
 * network header's bytes 12-15), at fast pc `p`: its operands and the pc after it. Without the
 * rule, a condition never true (neg 1, mask 0, want 0: the saddr read has no effect). Undefined
 * when the op reads another field.
 */
function masqueradeRule(
  fast: Int32Array,
  p: number,
): { q: number; neg: number; mask: number; want: number; mark: [number, number] | undefined } | undefined {
  if (fast[p] !== F.N32MASK_JMARK) return { q: p, neg: 1, mask: 0, want: 0, mark: undefined };
  if (fast[p + 1] !== 12) return undefined;
  return {
    q: fast[p + 7]!,
    neg: fast[p + 4] !== 0 ? 1 : 0,
    mask: fast[p + 2]!,
    want: fast[p + 3]!,
    mark: [fast[p + 5]!, fast[p + 6]!],
  };
}

/** The F.KSVC record of the service chain at fast pc `p` for l4proto `l4` (fuseService), or undefined. */
function serviceRecord(fast: Int32Array, p: number, l4: number): number[] | undefined {
  const m = masqueradeRule(fast, p);
  if (m === undefined) return undefined;
  let { mark } = m;
  const { q, neg, mask, want } = m;
  if (fast[q] !== F.NGDVMAP) return undefined;
  const n = fast[q + 3]!;
  if (fast[q + 2] !== 0 || fast[q + 1] !== n || n < 1 || n > Ksvc.MAX) return undefined;
  const eps: number[] = [];
  for (let k = 0; k < n; k++) {
    const e = fast[q + 5 + k]!;
    if ((e & 7) !== R.GOTO) return undefined;
    const ep = e >> 3;
    if (fast[ep] !== F.N32EQ_JMARK || fast[ep + 1] !== 12) return undefined;
    const addr = fast[ep + 2]!;
    mark ??= [fast[ep + 3]!, fast[ep + 4]!];
    if (mark[0] !== fast[ep + 3] || mark[1] !== fast[ep + 4]) return undefined;
    const nat = fast[ep + 5]!;
    if (fast[nat] !== F.L4NAT || fast[nat + 1] !== l4) return undefined;
    const how = fast[nat + 3]!;
    if ((how & NAT_HAS_ADDR) === 0 || fast[nat + 4] !== addr || fast[nat + 5] !== addr) return undefined;
    eps.push(addr, how, fast[nat + 6]!);
  }
  return [F.KSVC, n | (neg << 16), mask, want, mark![0], mark![1], ...eps];
}

/**
 * The F.KSVCA record of a service chain with session affinity at fast pc `p` for l4proto `l4`, or
 * undefined. kube-proxy's shape (proxier.go, ClientIP affinity): the masquerade rule as in
 * serviceRecord; per endpoint k < n, in order, `ip saddr @affinity-k goto endpoint-k` (F.PAY of
 * the network header's bytes 12-15 into register 0, F.HLOOKUP of a set of exact keys without
 * counters, F.GOTO; each failing to the next rule); then `numgen random mod n vmap { k : goto
 * endpoint-k }` naming the same endpoints in the same order; each endpoint chain `ip saddr X jump`
 * to the marks (F.N32EQ_JMARK), `update @… { ip saddr }` (F.CALL of a closure compile.ts's
 * fastDynset describes, its rule's end the next op), then `meta l4proto P` NAT to X (F.L4NAT).
 */
function affinityRecord(fast: Int32Array, p: number, l4: number, recs: Records): number[] | undefined {
  const m = masqueradeRule(fast, p);
  if (m === undefined) return undefined;
  let { mark } = m;
  const { q: q0, neg, mask, want } = m;
  let q = q0;
  const lookups: number[] = [];
  const targets: number[] = [];
  while (fast[q] === F.PAY) {
    const next = q + 14;
    if (fast[q + 1] !== 0 || fast[q + 2] !== 0 || fast[q + 3] !== 12 || fast[q + 4] !== 4) return undefined;
    if (fast[q + 5] !== -1 || fast[q + 6] !== next) return undefined;
    if (fast[q + 7] !== F.HLOOKUP || fast[q + 9] !== 1 || fast[q + 10] !== 0 || fast[q + 11] !== next)
      return undefined;
    const set = recs.t.psets[fast[q + 8]!]!;
    if (set.dense !== undefined || !set.exact || set.cfg.counters || set.elemCounters.length > 0)
      return undefined;
    if (fast[q + 12] !== F.GOTO) return undefined;
    lookups.push(fast[q + 8]!);
    targets.push(fast[q + 13]!);
    q = next;
  }
  if (lookups.length === 0 || fast[q] !== F.NGDVMAP) return undefined;
  const n = fast[q + 3]!;
  if (fast[q + 2] !== 0 || fast[q + 1] !== n || n !== lookups.length || n > Ksvc.MAX) return undefined;
  const eps: number[] = [];
  const dyns: FastDynset[] = [];
  for (let k = 0; k < n; k++) {
    const e = fast[q + 5 + k]!;
    if ((e & 7) !== R.GOTO || e >> 3 !== targets[k]) return undefined;
    const ep = e >> 3;
    if (fast[ep] !== F.N32EQ_JMARK || fast[ep + 1] !== 12) return undefined;
    const addr = fast[ep + 2]!;
    mark ??= [fast[ep + 3]!, fast[ep + 4]!];
    if (mark[0] !== fast[ep + 3] || mark[1] !== fast[ep + 4]) return undefined;
    const call = fast[ep + 5]!;
    // The update's rule ends where it breaks or goes on: the NAT either way.
    if (fast[call] !== F.CALL || fast[call + 2] !== call + 3) return undefined;
    const dyn = recs.calls[fast[call + 1]!]?.dynset;
    if (!dyn) return undefined;
    const nat = call + 3;
    if (fast[nat] !== F.L4NAT || fast[nat + 1] !== l4) return undefined;
    const how = fast[nat + 3]!;
    if ((how & NAT_HAS_ADDR) === 0 || fast[nat + 4] !== addr || fast[nat + 5] !== addr) return undefined;
    const own = dyn.set === recs.t.psets[lookups[k]!];
    eps.push(addr, how, fast[nat + 6]!, lookups[k]!, recs.dynsets.length + dyns.length);
    eps.push(own ? recs.block(dyn.set) : -1);
    dyns.push(dyn);
  }
  recs.dynsets.push(...dyns);
  return [F.KSVCA, n | (neg << 16), mask, want, mark![0], mark![1], ...eps];
}

/**
 * The order the fast program lays a table's chains out in: depth first from each chain in turn (by
 * index), each chain followed by the chains it jumps or goes to (verdicts, literal and named
 * verdict maps' elements, in their order), so a packet's next chain tends to start in the line its
 * last one ends in: kube-proxy's service chain, then its endpoint chains, then the next service's.
 * Only the layout: every jump names its target's pc.
 */
function chainOrder(t: RtTable): Int32Array {
  const code = t.code;
  const starts = t.chainStart;
  const n = starts.length;
  const order = new Int32Array(n);
  const seen = new Uint8Array(n);
  const stack: number[] = [];
  const kids: number[] = [];
  let k = 0;
  for (let root = 0; root < n; root++) {
    if (seen[root]) continue;
    stack.push(root);
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (seen[c]) continue;
      seen[c] = 1;
      order[k++] = c;
      kids.length = 0;
      const end = c + 1 < n ? starts[c + 1]! : code.length;
      for (let pc = starts[c]!; pc < end; pc += plainLen(code, pc)) {
        const op = code[pc];
        if (op === OP_VERDICT && (code[pc + 1] === R.JUMP || code[pc + 1] === R.GOTO))
          kids.push(code[pc + 2]!);
        else if (op === OP_DVMAP) {
          for (let x = 0; x < code[pc + 2]!; x++) {
            const v = code[pc + 3 + 2 * x]!;
            if (v === R.JUMP || v === R.GOTO) kids.push(code[pc + 4 + 2 * x]!);
          }
        } else if (op === OP_VMAP) {
          const set = t.psets[code[pc + 1]!]!;
          for (let s = 0; s < Math.min(set.slots, set.vcode.length); s++) {
            const v = set.vcode[s]!;
            if (v === R.JUMP || v === R.GOTO) kids.push(set.vchain[s]!);
          }
        }
      }
      for (let i = kids.length - 1; i >= 0; i--) {
        const x = kids[i]!;
        if (x >= 0 && x < n && !seen[x]) stack.push(x);
      }
    }
  }
  return order;
}

/** Words of each fast op that may follow an implied match (pastImplied), by opcode; else 0. */
function fastLen(op: number): number {
  switch (op) {
    case F.N32EQ:
    case F.N32NE:
    case F.N8EQ:
    case F.JMARK:
      return 4;
    case F.T16EQ:
      return 5;
    case F.N32MASK:
      return 6;
    case F.L4EQ:
    case F.MARKSET:
      return 3;
    case F.NAT:
      return 5;
    default:
      return 0;
  }
}

/**
 * A KEY_HVMAP element's packed verdict (code | pc << 3), its target moved past the target chain's
 * first matches that the element's key implies (kube-proxy's service chain starts `ip daddr X
 * tcp dport P`, X . tcp . P being the element that sent the packet there): `ip daddr` (N32EQ) on
 * the key's network byte with the key's address, `th dport` (T16EQ) on its transport byte with its
 * port (and the key's l4proto, or any), `meta l4proto` (L4EQ) with its l4proto. The key's op made
 * the same bounds, protocol and fragment checks, so each such op would pass; what it would leave
 * behind is register 0, so the skip is taken only where nothing reads it before writing it: at the
 * next rule, or where the rest of the rule is ops that write register 0 first or touch no register
 * (up to a verdict). The traced walk runs every op; the two walks' answers are the same.
 */
function pastImplied(
  fast: Int32Array,
  packed: number,
  key: readonly [number, number, number],
  tab: Int32Array,
  at: number,
): number {
  const code = packed & 7;
  if (code !== R.GOTO && code !== R.JUMP) return packed;
  const [nbyte, tbyte] = key;
  const addr = tab[at]!;
  const l4 = tab[at + 1]!;
  const port = tab[at + 2]!;
  let pc = packed >> 3;
  let fail = -1; // the next rule's pc (the skipped ops' NFT_BREAK target)
  for (;;) {
    const op = fast[pc];
    if (op === F.N32EQ && fast[pc + 1] === nbyte && fast[pc + 2] === addr) {
      fail = fast[pc + 3]!;
      pc += 4;
    } else if (
      op === F.T16EQ &&
      fast[pc + 1] === tbyte &&
      (fast[pc + 2]! < 0 || fast[pc + 2] === l4) &&
      fast[pc + 3] === port
    ) {
      fail = fast[pc + 4]!;
      pc += 5;
    } else if (op === F.L4EQ && fast[pc + 1] === l4) {
      fail = fast[pc + 2]!;
      pc += 3;
    } else break;
    if (pc === fail) break; // the whole rule was implied
  }
  if (fail < 0) return packed;
  // Register 0 as the last skipped op would have left it: read by nothing before it is written?
  for (let q = pc; q !== fail;) {
    const op = fast[q]!;
    if (
      op === F.N32EQ ||
      op === F.N32NE ||
      op === F.N32MASK ||
      op === F.N8EQ ||
      op === F.T16EQ ||
      op === F.L4EQ ||
      op === F.KEY_N32_L4_T16 ||
      op === F.KEY_HVMAP ||
      op === F.N32EQ_JMARK ||
      op === F.N32MASK_JMARK ||
      op === F.L4NAT ||
      op === F.NGDVMAP ||
      op === F.JUMP ||
      op === F.GOTO ||
      op === F.ACCEPT ||
      op === F.DROP ||
      op === F.REJECT ||
      op === F.RETURN ||
      op === F.BREAK ||
      op === F.END
    )
      break;
    const len = fastLen(op);
    if (len === 0) return packed;
    q += len;
  }
  return code | (pc << 3);
}

/** A verdict map slot's code | target pc << 3. */
function packSlot(set: RtSet, slot: number, chainPc: Int32Array): number {
  const code = set.vcode[slot]!;
  return code === R.JUMP || code === R.GOTO ? code | (chainPc[set.vchain[slot]!]! << 3) : code & 7;
}

function vpackOf(set: RtSet, chainPc: Int32Array): Int32Array {
  const v = new Int32Array(set.slots);
  for (let s = 0; s < set.slots; s++) v[s] = packSlot(set, s, chainPc);
  return v;
}

/** A hash set's slot for the key in registers 0..: the element if live at `now`, else the catch-all. */
function hashSlot(set: RtSet, r: Float64Array, now: number): number {
  const sm = set.small;
  if (sm !== undefined) {
    // A compact set (CompactSet): an empty one answers from its size; else the key, slot and
    // expiry in one array.
    if (sm.tab[sm.base] === 0) return set.catchAll;
    const e = sm.findRegs(r);
    if (e < 0) return set.catchAll;
    const w = sm.words;
    return sm.tab[e + w + 1]! > now ? sm.tab[e + w]! : set.catchAll;
  }
  const s = set.hash!.lookupRegs(r);
  if (s < 0) return set.catchAll;
  if (set.mayExpire && !(set.expires[s]! > now)) return set.catchAll;
  return s;
}

/**
 * Whether a hash verdict map site may answer from its copy (the packed verdict beside the key, one
 * cache line): the set is as copied and has no expiry or element counters to honour.
 */
function direct(fp: FastProgram, set: RtSet, site: number): boolean {
  const h = set.hash!;
  return (
    fp.directOf[site] === h &&
    fp.directVersion[site] === h.version &&
    !set.mayExpire &&
    set.elemCounters.length === 0 &&
    !set.cfg.counters
  );
}

/**
 * A hash verdict map's packed verdict (code | pc << 3) for the key in registers 0..: from the
 * site's copy when it may answer (`direct`), else from the set (its catch-all, its counters); -1
 * when nothing answers (the rule breaks). `probed`: the copy was asked already and missed.
 */
function hvmap(
  t: RtTable,
  fp: FastProgram,
  ps: number,
  site: number,
  skb: Skb,
  now: number,
  probed: boolean,
): number {
  const set = t.psets[ps]!;
  const r = t.regs;
  if (!probed && direct(fp, set, site)) {
    const packed = fp.direct[site]!.lookupRegs(r);
    if (packed >= 0) return packed;
  }
  const slot = hashSlot(set, r, now);
  if (slot < 0) return -1;
  if (set.elemCounters.length > 0 || set.cfg.counters) countElem(set, slot, skb);
  const vp = fp.vpacks[site]!;
  return slot < vp.length ? vp[slot]! : packSlot(set, slot, fp.chainPc);
}

/**
 * nft_ng_random_gen's reciprocal_scale(get_random_u32(), mod): (u64)val * mod >> 32, 0 without the
 * host's randomness. A modulus below 2^21 keeps val * mod exact in a double: one multiply; else
 * the product in 16-bit halves.
 */
function random(skb: Skb, mod: number): number {
  const env = skb.env;
  if (env === undefined) return 0;
  const val = env.random32() >>> 0;
  if (mod >= 0 && mod < 0x200000) return Math.floor((val * mod) / 4294967296);
  const y = (val >>> 16) * mod + Math.floor(((val & 0xffff) * mod) / 65536);
  return Math.floor(y / 65536) >>> 0;
}

/**
 * F.KSVC at `pc`, with `sp` entries on the jump stack: kube-proxy's service and endpoint chains
 * from one record (fuseService): the ops F.N32MASK_JMARK, F.NGDVMAP, F.N32EQ_JMARK, F.L4NAT in the
 * same order with the same effects, the saddr read once; the endpoint's l4proto is the map key's
 * (the packet's). The walk's verdict (T_*): the record ends it.
 */
function ksvc(t: RtTable, c: Int32Array, pc: number, skb: Skb, sp: number): number {
  const has = 16 <= skb.len;
  const sa = has ? skb.saddr : 0; // parse()'s saddr, the bytes at 12
  const w1 = c[(pc + 1) | 0]!;
  if (has && ((sa & c[(pc + 2) | 0]!) === c[(pc + 3) | 0]!) !== w1 >> 16 > 0) {
    if (sp >= Stack.SIZE) return T.DROP;
    skb.mark = ((skb.mark & c[(pc + 4) | 0]!) ^ c[(pc + 5) | 0]!) >>> 0;
  }
  // nft_ng_random_gen, modulus n and offset 0: reciprocal_scale(v, n) < n, an entry always
  // (an int32: `| 0`, Math.imul, no conversion or overflow checks). Register 0, where the
  // kernel leaves the number for its vmap, is not written: the walk ends below, no op reads it.
  const x = random(skb, w1 & 0xffff) | 0;
  const e = (pc + Ksvc.HEAD + Math.imul(Ksvc.EP, x)) | 0;
  const addr = c[e]!;
  if (has && sa === addr) {
    if (sp >= Stack.SIZE) return T.DROP;
    skb.mark = ((skb.mark & c[(pc + 4) | 0]!) ^ c[(pc + 5) | 0]!) >>> 0;
  }
  // RtTable.nat answers accept or drop only: the verdict switch's answers for those two.
  return t.nat(c[(e + 1) | 0]!, addr, addr, c[(e + 2) | 0]!, skb) === R.ACCEPT ? T.ACCEPT : T.DROP;
}

/**
 * F.KSVCA at `pc`, with `sp` entries on the jump stack: a service with session affinity from one
 * record (affinityRecord): the ops of its chains in their order with their effects (F.KSVC's, and
 * the lookups and the update). The walk's verdict (T_*): the record ends it. runFast's op and
 * runKube's.
 */
function ksvca(t: RtTable, fp: FastProgram, pc: number, skb: Skb, sp: number, now: number): number {
  const c = fp.code;
  const r = t.regs;
  const has = 16 <= skb.len;
  const sa = has ? skb.saddr : 0; // parse()'s saddr, the bytes at 12
  const w1 = c[(pc + 1) | 0]!;
  const n = w1 & 0xffff;
  if (has && ((sa & c[(pc + 2) | 0]!) === c[(pc + 3) | 0]!) !== w1 >> 16 > 0) {
    if (sp >= Stack.SIZE) return T.DROP;
    skb.mark = ((skb.mark & c[(pc + 4) | 0]!) ^ c[(pc + 5) | 0]!) >>> 0;
  }
  // `ip saddr @affinity-k goto endpoint-k` for k in order (an unreadable saddr breaks each):
  // a compact set's block read in place (an empty one's header only; a compact set has no
  // catch-all, made without elements), else the set's lookup (hashSlot).
  let x = -1;
  let hit = -1;
  let tab: Float64Array | undefined;
  if (has) {
    const key = sa >>> 0;
    r[0] = key;
    let h = Math.imul(0x811c9dc4 ^ key, 0x9e3779b1); // hashWords of one word
    h = (h << 13) | (h >>> 19);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    for (let k = 0; k < n; k++) {
      const ek = (pc + Ksvc.HEAD + Math.imul(KsvcA.EP, k)) | 0;
      const cb = c[(ek + 5) | 0]!;
      if (cb >= 0) {
        const ch = fp.chunks[cb >>> 13]!;
        const b0 = cb & 8191;
        const size = ch[b0]!;
        if (size === 0) continue;
        if (size > 0) {
          // CompactSet.find: CAP 2 entries of [key, slot, expiry, timeout].
          for (let m = 0; m < 2; m++) {
            const e = (b0 + 1 + (((h + m) & 1) << 2)) | 0;
            const sl = ch[(e + 1) | 0]!;
            if (sl === -1) break; // EMPTY
            if (sl >= 0 && ch[e] === key) {
              if (ch[(e + 2) | 0]! > now) hit = e;
              break;
            }
          }
          if (hit >= 0) {
            x = k;
            tab = ch;
            break;
          }
          continue;
        }
      }
      if (hashSlot(t.psets[c[(ek + 3) | 0]!]!, r, now) >= 0) {
        x = k;
        break;
      }
    }
  }
  if (x < 0) {
    x = random(skb, n) | 0;
    r[0] = x;
  }
  const e = (pc + Ksvc.HEAD + Math.imul(KsvcA.EP, x)) | 0;
  const addr = c[e]!;
  if (has && sa === addr) {
    if (sp >= Stack.SIZE) return T.DROP;
    skb.mark = ((skb.mark & c[(pc + 4) | 0]!) ^ c[(pc + 5) | 0]!) >>> 0;
  }
  if (tab !== undefined) {
    // The update of the live element the lookup found in this set's block: addKey answers
    // its slot, not new; an update refreshes an element that has a timeout.
    const d = fp.dynsets[c[(e + 4) | 0]!]!;
    if (d.update && d.timeout > 0 && tab[(hit + 3) | 0]! > 0) tab[(hit + 2) | 0] = now + d.timeout;
  } else if (has) {
    // compile.ts dynsetOp's closure for `add`/`update @set { ip saddr }` (fastDynset).
    const d = fp.dynsets[c[(e + 4) | 0]!]!;
    const set = d.set;
    const key = t.key;
    key[0] = sa;
    const slot = set.addKey(key, now, d.timeout);
    if (slot >= 0) {
      if (set.fresh) set.creators[slot] = d.stmt;
      else if (d.update && d.timeout > 0) set.refresh(slot, now + d.timeout);
    }
  }
  return t.nat(c[(e + 1) | 0]!, addr, addr, c[(e + 2) | 0]!, skb) === R.ACCEPT ? T.ACCEPT : T.DROP;
}

/** runFast's `tail`: the base chain's policy (T_*) and whether it is a nat chain. */
export const enum Tail {
  POLICY = 0xff,
  NAT = 0x100,
  /**
   * The base chain's first op is a jump, taken before the walk (runEntry): the walk starts at its
   * target with the jump's return pc (`tail >> Tail.RET_SHIFT`) on the stack.
   */
  JUMPED = 0x200,
  RET_SHIFT = 10,
}

/**
 * runFast's `pc0` and `tail` for a base chain whose first op is at `pc0` (tail: its policy and
 * nat bit): when that op is a jump (kube-proxy's `jump services`), its target, with Tail.JUMPED
 * and the jump's return pc in `tail`, so that the walk takes the jump without reading its op (the
 * stack is empty there: the jump always has room, as F.JUMP's check would find). Else as given.
 */
export function runEntry(fp: FastProgram, pc0: number, tail: number): readonly [number, number] {
  const c = fp.code;
  const ret = c[pc0 + 2]!;
  if (c[pc0] !== F.JUMP || ret >= 1 << (31 - Tail.RET_SHIFT)) return [pc0, tail];
  return [c[pc0 + 1]!, tail | Tail.JUMPED | (ret << Tail.RET_SHIFT)];
}

/**
 * The site runKube starts a base chain's walk at, if it may: runEntry took its first op, a jump, and
 * the jump's target starts with F.KEY_HVMAP (kube-proxy's `jump services` into `ip daddr . meta
 * l4proto . th dport vmap @service-ips`).
 */
export function kubeEntry(fp: FastProgram, pc0: number, tail: number): DirectSite | undefined {
  return (tail & Tail.JUMPED) !== 0 && fp.code[pc0] === F.KEY_HVMAP ? fp.sites[fp.code[pc0 + 6]!] : undefined;
}

/**
 * runFast for a base chain whose walk starts with F.KEY_HVMAP (kubeEntry: kube-proxy's `jump
 * services` into `ip daddr . meta l4proto . th dport vmap @service-ips`), in a function of its own,
 * so that V8 compiles the op and F.KSVC (kube-proxy's service record) without runFast's dispatch and
 * live state: a first packet to a service runs this op, then the record, which ends the walk.
 * Anything else goes on in runFast: where the op leaves it (the rule's break, the element's goto to
 * another chain), or from the start while the site's copy is not as built (the set answers, with
 * its counters), or for any other verdict (while the copy is as built the lookup writes nothing but
 * registers that no later rule reads, so running it again changes nothing).
 */
export function runKube(
  t: RtTable,
  fp: FastProgram,
  ds: DirectSite,
  tail: number,
  hook: number,
  skb: Skb,
  now: number,
): number {
  const c = fp.code;
  const pc0 = ds.pc;
  // The copy answers while its hash's version is the one copied (DirectSite: -1 for a map that
  // counts or expires, and what starts either later bumps the version).
  if (ds.of.version !== ds.version) return runFast(t, fp, pc0, tail, hook, skb, now);
  const rt = t.rt;
  rt.hook = hook;
  rt.now = now;
  // The op's operands from its site (DirectSite: fields, not bounds-checked program words).
  // Offsets `| 0`: a packet's are far below 2^31 (no overflow checks in V8's code). The rule
  // breaks (on from the next rule, the jump's return pc on the stack: Tail.JUMPED) when the key
  // is not in the packet.
  const b = skb.buf;
  const o = skb.off;
  const end = (o + skb.len) | 0;
  const nb = ds.nb;
  const p = (o + nb) | 0;
  const proto = ds.l4;
  const th = ds.th;
  const q = (skb.l4off + th) | 0;
  if (
    ((p + 4) | 0) > end ||
    (proto >= 0 && skb.proto !== proto) ||
    (skb.fragment && (((b[(o + 6) | 0]! << 8) | b[(o + 7) | 0]!) & 0x1fff) !== 0) ||
    ((q + 2) | 0) > end
  )
    return runFast(t, fp, ds.ret, tail, hook, skb, now);
  // The address as parse() read it (skb.daddr, skb.saddr: the bytes at 16 and 12, kept in step
  // with them by every rewrite), else from the bytes.
  const a =
    nb === 16
      ? skb.daddr
      : nb === 12
        ? skb.saddr
        : (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  const l4 = skb.proto;
  // The destination port as parse() read it when it did (TCP with 14 bytes, UDP with 8, a first
  // fragment: skb.dport, in the Skb's first lines), else from the bytes.
  const l4len = (end - skb.l4off) | 0;
  const port =
    th === 2 && (l4 === 6 ? l4len >= 14 : l4 === 17 && l4len >= 8)
      ? skb.dport
      : (b[q]! << 8) | b[(q + 1) | 0]!;
  // HashIndex.lookup3 written out: the same hash and probe over the copy's entries.
  const tab = ds.tab;
  const mask = ds.mask;
  let hh = 0x811c9dc5 ^ 3;
  hh = Math.imul(hh ^ a, 0x9e3779b1);
  hh = (hh << 13) | (hh >>> 19);
  hh = Math.imul(hh ^ l4, 0x9e3779b1);
  hh = (hh << 13) | (hh >>> 19);
  hh = Math.imul(hh ^ port, 0x9e3779b1);
  hh = (hh << 13) | (hh >>> 19);
  hh ^= hh >>> 16;
  hh = Math.imul(hh, 0x85ebca6b);
  hh ^= hh >>> 13;
  let packed = -1;
  for (let i = hh & mask; ; i = (i + 1) & mask) {
    const e = i << 2;
    const val = tab[(e + 3) | 0]!;
    if (val === -1) break; // EMPTY
    if (val !== -2 && tab[e] === a && tab[(e + 1) | 0] === l4 && tab[(e + 2) | 0] === port) {
      packed = val;
      break;
    }
  }
  if (packed < 0) {
    // Not in the copy: the set's own lookup (its catch-all), the key in registers 0-2.
    const r = t.regs;
    r[0] = a >>> 0;
    r[1] = l4;
    r[2] = port;
    packed = hvmap(t, fp, ds.ps, c[(pc0 + 6) | 0]!, skb, now, true);
    if (packed < 0) return runFast(t, fp, ds.ret, tail, hook, skb, now);
  }
  if ((packed & 7) !== R.GOTO) return runFast(t, fp, pc0, tail, hook, skb, now);
  // The element's goto; one entry on the jump stack (the base chain's jump, runEntry).
  const target = packed >> 3;
  const op = c[target];
  if (op === F.KSVC) return ksvc(t, c, target, skb, 1);
  return op === F.KSVCA ? ksvca(t, fp, target, skb, 1, now) : runFast(t, fp, target, tail, hook, skb, now);
}

/**
 * nft_do_chain over the fast program from the base chain's first op (`pc0`, fp.chainPc's): the
 * verdict (T_*), the chain's policy (`tail & Tail.POLICY`) at its end. `tail & Tail.NAT`: a reject
 * is a drop (a nat chain's verdicts). Seven arguments, the chain's constants folded (tableEntry):
 * the hook's call into it is a tenth of the first packet's instructions.
 */
export function runFast(
  t: RtTable,
  fp: FastProgram,
  pc0: number,
  tail: number,
  hook: number,
  skb: Skb,
  now: number,
): number {
  const rt = t.rt;
  rt.hook = hook;
  rt.now = now;
  const c = fp.code;
  const r = t.regs;
  const stack = fp.stack;
  let sp = 0;
  let pc = pc0;
  if ((tail & Tail.JUMPED) !== 0) {
    // The base chain's first op, a jump, taken (runEntry): its return pc on the stack.
    stack[0] = tail >> Tail.RET_SHIFT;
    sp = 1;
  }
  for (;;) {
    let v: number;
    let target = 0;
    let ret = 0;
    // kube-proxy's path first, each op tested where the one before it leads (`jump services`, the
    // service map, the service chain's masquerade mark and endpoint pick, the endpoint's hairpin
    // mark, then its dnat in the switch): one pass of the loop per packet, not six, each op's
    // successor read where the op ends instead of through the loop's head and its jump table.
    // Every other op, and each of these where something else leads to it, is the switch's.
    verdict: {
      let op = c[pc]!;
      if (op === F.JUMP) {
        if (sp >= Stack.SIZE) return T.DROP;
        stack[sp] = c[(pc + 2) | 0]!;
        sp = (sp + 1) | 0; // below Stack.SIZE: no overflow check
        pc = c[(pc + 1) | 0]!;
        op = c[pc]!;
      }
      if (op === F.KSVC) return ksvc(t, c, pc, skb, sp);
      // The two fused `... jump mark-for-masquerade` ops leave register 0 unwritten: their rule
      // ends with the folded jump, and no rule reads a register an earlier rule left (compile.ts
      // writes each match's registers before reading them; pastImplied relies on the same).
      if (op === F.N32MASK_JMARK) {
        const p = skb.off + c[pc + 1]!;
        if (p + 4 <= skb.off + skb.len) {
          const b = skb.buf;
          const x = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
          if (((x & c[pc + 2]!) === c[pc + 3]!) !== (c[pc + 4] !== 0)) {
            if (sp >= Stack.SIZE) return T.DROP;
            skb.mark = ((skb.mark & c[pc + 5]!) ^ c[pc + 6]!) >>> 0;
          }
        }
        pc = c[pc + 7]!;
        op = c[pc]!;
      }
      if (op === F.NGDVMAP) {
        // nft_ng_random_gen: reciprocal_scale(get_random_u32(), modulus) + offset.
        const x = (random(skb, c[pc + 1]!) + c[pc + 2]!) >>> 0;
        r[0] = x;
        const n = c[pc + 3]!;
        ret = c[pc + 4]!;
        const packed = x < n ? c[pc + 5 + x]! : R.BREAK;
        v = packed & 7;
        target = packed >> 3;
        if (v === R.GO) {
          pc += 5 + n;
          continue;
        }
        if (v !== R.GOTO) break verdict;
        pc = target;
        op = c[pc]!;
      }
      if (op === F.N32EQ_JMARK) {
        const p = skb.off + c[pc + 1]!;
        if (p + 4 <= skb.off + skb.len) {
          const b = skb.buf;
          const x = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
          if (x === c[pc + 2]!) {
            if (sp >= Stack.SIZE) return T.DROP;
            skb.mark = ((skb.mark & c[pc + 3]!) ^ c[pc + 4]!) >>> 0;
          }
        }
        pc = c[pc + 5]!;
        op = c[pc]!;
      }
      switch (op) {
        case F.JUMP:
        case F.N32MASK_JMARK:
        case F.NGDVMAP:
        case F.N32EQ_JMARK:
        case F.KSVC:
          // Reached after an op tested later above: the loop's head runs it.
          continue;
        case F.KSVCA:
          return ksvca(t, fp, pc, skb, sp, now);
        case F.END:
        case F.RETURN:
          if (sp === 0) return tail & Tail.POLICY;
          pc = stack[--sp]!;
          continue;
        case F.GOTO:
          pc = c[pc + 1]!;
          continue;
        case F.ACCEPT:
          return T.ACCEPT;
        case F.DROP:
          return T.DROP;
        case F.REJECT:
          return (tail & Tail.NAT) !== 0 ? T.DROP : T.REJECT;
        case F.BREAK:
          pc = c[pc + 1]!;
          continue;
        case F.N32EQ:
        case F.N32NE: {
          const p = skb.off + c[pc + 1]!;
          if (p + 4 > skb.off + skb.len) {
            pc = c[pc + 3]!;
            continue;
          }
          const b = skb.buf;
          const x = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
          r[0] = x >>> 0;
          if ((x === c[pc + 2]!) !== (c[pc] === F.N32EQ)) {
            pc = c[pc + 3]!;
            continue;
          }
          pc += 4;
          continue;
        }
        case F.N32MASK: {
          const p = skb.off + c[pc + 1]!;
          if (p + 4 > skb.off + skb.len) {
            pc = c[pc + 5]!;
            continue;
          }
          const b = skb.buf;
          const x = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
          r[0] = x >>> 0;
          if (((x & c[pc + 2]!) === c[pc + 3]!) === (c[pc + 4] !== 0)) {
            pc = c[pc + 5]!;
            continue;
          }
          pc += 6;
          continue;
        }
        case F.N8EQ: {
          const p = skb.off + c[pc + 1]!;
          if (p + 1 > skb.off + skb.len) {
            pc = c[pc + 3]!;
            continue;
          }
          const x = skb.buf[p]!;
          r[0] = x;
          if (x !== c[pc + 2]) {
            pc = c[pc + 3]!;
            continue;
          }
          pc += 4;
          continue;
        }
        case F.T16EQ: {
          const proto = c[pc + 2]!;
          if (
            (proto >= 0 && skb.proto !== proto) ||
            (skb.fragment && (((skb.buf[skb.off + 6]! << 8) | skb.buf[skb.off + 7]!) & 0x1fff) !== 0)
          ) {
            pc = c[pc + 4]!;
            continue;
          }
          const p = skb.l4off + c[pc + 1]!;
          if (p + 2 > skb.off + skb.len) {
            pc = c[pc + 4]!;
            continue;
          }
          const x = (skb.buf[p]! << 8) | skb.buf[p + 1]!;
          r[0] = x;
          if (x !== c[pc + 3]) {
            pc = c[pc + 4]!;
            continue;
          }
          pc += 5;
          continue;
        }
        case F.L4NAT:
          // No register 0 either: the NAT with fixed ends reads none, and its verdict ends the rule.
          ret = c[pc + 2]!;
          if (skb.proto !== c[pc + 1]) {
            pc = ret;
            continue;
          }
          v = t.nat(c[pc + 3]!, c[pc + 4]!, c[pc + 5]!, c[pc + 6]!, skb);
          break;
        case F.L4EQ:
          r[0] = skb.proto;
          if (skb.proto !== c[pc + 1]) {
            pc = c[pc + 2]!;
            continue;
          }
          pc += 3;
          continue;
        case F.PAY: {
          let p: number;
          if (c[pc + 2] === 0) p = skb.off + c[pc + 3]!;
          else {
            const proto = c[pc + 5]!;
            if (
              (proto >= 0 && skb.proto !== proto) ||
              (skb.fragment && (((skb.buf[skb.off + 6]! << 8) | skb.buf[skb.off + 7]!) & 0x1fff) !== 0)
            ) {
              pc = c[pc + 6]!;
              continue;
            }
            p = skb.l4off + c[pc + 3]!;
          }
          const n = c[pc + 4]!;
          if (p + n > skb.off + skb.len) {
            pc = c[pc + 6]!;
            continue;
          }
          const b = skb.buf;
          r[c[pc + 1]!] =
            n === 1
              ? b[p]!
              : n === 2
                ? (b[p]! << 8) | b[p + 1]!
                : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
          pc += 7;
          continue;
        }
        case F.KEY_N32_L4_T16:
        case F.KEY_HVMAP:
        case F.HVMAP: {
          // F.KEY_HVMAP reached here (not where runKube starts a walk): its key into registers 0-2
          // as F.KEY_N32_L4_T16's, then its map as F.HVMAP's (hvmap: the site's copy while it may
          // answer, else the set). F.HVMAP: [op, pset, n, fail, site]; F.KEY_HVMAP: the key's five
          // words, then pset and site.
          const hv = op === F.HVMAP;
          if (!hv) {
            const b = skb.buf;
            const p = skb.off + c[pc + 1]!;
            const proto = c[pc + 3]!;
            if (
              p + 4 > skb.off + skb.len ||
              (proto >= 0 && skb.proto !== proto) ||
              (skb.fragment && (((b[skb.off + 6]! << 8) | b[skb.off + 7]!) & 0x1fff) !== 0)
            ) {
              pc = c[pc + 4]!;
              continue;
            }
            const q = skb.l4off + c[pc + 2]!;
            if (q + 2 > skb.off + skb.len) {
              pc = c[pc + 4]!;
              continue;
            }
            r[0] = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
            r[1] = skb.proto;
            r[2] = (b[q]! << 8) | b[q + 1]!;
            if (op === F.KEY_N32_L4_T16) {
              pc += 5;
              continue;
            }
          }
          ret = c[pc + (hv ? 3 : 4)]!;
          const packed = hvmap(t, fp, c[pc + (hv ? 1 : 5)]!, c[pc + (hv ? 4 : 6)]!, skb, now, false);
          if (packed < 0) {
            pc = ret;
            continue;
          }
          v = packed & 7;
          target = packed >> 3;
          if (v === R.GOTO) {
            pc = target;
            continue;
          }
          if (v === R.GO) {
            pc += hv ? 5 : 7;
            continue;
          }
          break;
        }
        case F.L4PROTO:
          r[c[pc + 1]!] = skb.proto;
          pc += 2;
          continue;
        case F.MARK:
          r[c[pc + 1]!] = skb.mark >>> 0;
          pc += 2;
          continue;
        case F.GET: {
          const x = t.getters[c[pc + 2]!]!(skb);
          if (x < 0) {
            pc = c[pc + 3]!;
            continue;
          }
          r[c[pc + 1]!] = x;
          pc += 4;
          continue;
        }
        case F.EQ:
          if (r[c[pc + 1]!] !== c[pc + 2]! >>> 0) {
            pc = c[pc + 3]!;
            continue;
          }
          pc += 4;
          continue;
        case F.NE:
          if (r[c[pc + 1]!] === c[pc + 2]! >>> 0) {
            pc = c[pc + 3]!;
            continue;
          }
          pc += 4;
          continue;
        case F.MASK:
          if (((r[c[pc + 1]!]! & c[pc + 2]!) === c[pc + 3]!) === (c[pc + 4] !== 0)) {
            pc = c[pc + 5]!;
            continue;
          }
          pc += 6;
          continue;
        case F.RANGE: {
          const x = r[c[pc + 1]!]!;
          if ((x >= c[pc + 2]! >>> 0 && x <= c[pc + 3]! >>> 0) === (c[pc + 4] !== 0)) {
            pc = c[pc + 5]!;
            continue;
          }
          pc += 6;
          continue;
        }
        case F.ANYBIT:
          if ((r[c[pc + 1]!]! & c[pc + 2]!) === 0) {
            pc = c[pc + 3]!;
            continue;
          }
          pc += 4;
          continue;
        case F.HLOOKUP:
        case F.LOOKUP: {
          const set = t.psets[c[pc + 1]!]!;
          let slot: number;
          if (c[pc] === F.HLOOKUP) slot = hashSlot(set, r, now);
          else {
            const key = t.key;
            const n = c[pc + 2]!;
            for (let f = 0; f < n; f++) key[f] = r[f]!;
            slot = set.lookup(key, now);
          }
          if (slot >= 0 && (set.elemCounters.length > 0 || set.cfg.counters)) countElem(set, slot, skb);
          if (slot >= 0 === (c[pc + 3] !== 0)) {
            pc = c[pc + 4]!;
            continue;
          }
          pc += 5;
          continue;
        }
        case F.JMARK:
          if (sp >= Stack.SIZE) return T.DROP;
          skb.mark = ((skb.mark & c[pc + 1]!) ^ c[pc + 2]!) >>> 0;
          pc = c[pc + 3]!;
          continue;
        case F.VMAP: {
          const set = t.psets[c[pc + 1]!]!;
          const key = t.key;
          const n = c[pc + 2]!;
          for (let f = 0; f < n; f++) key[f] = r[f]!;
          const slot = set.lookup(key, now);
          ret = c[pc + 3]!;
          if (slot < 0) {
            pc = ret;
            continue;
          }
          if (set.elemCounters.length > 0 || set.cfg.counters) countElem(set, slot, skb);
          const packed = packSlot(set, slot, fp.chainPc);
          v = packed & 7;
          target = packed >> 3;
          if (v === R.GO) {
            pc += 4;
            continue;
          }
          break;
        }
        case F.DVMAP: {
          const x = r[c[pc + 1]!]!;
          const n = c[pc + 2]!;
          ret = c[pc + 3]!;
          const packed = x < n ? c[pc + 4 + x]! : R.BREAK;
          v = packed & 7;
          target = packed >> 3;
          if (v === R.GO) {
            pc += 4 + n;
            continue;
          }
          break;
        }
        case F.NUMGEN: {
          r[c[pc + 1]!] = (random(skb, c[pc + 2]!) + c[pc + 3]!) >>> 0;
          pc += 4;
          continue;
        }
        case F.MARKSET:
          skb.mark = ((skb.mark & c[pc + 1]!) ^ c[pc + 2]!) >>> 0;
          pc += 3;
          continue;
        case F.NAT:
          v = t.nat(c[pc + 1]!, c[pc + 2]!, c[pc + 3]!, c[pc + 4]!, skb);
          break;
        case F.CALL:
          v = t.calls[c[pc + 1]!]!(skb);
          if (v === R.GO) {
            pc += 3;
            continue;
          }
          ret = c[pc + 2]!;
          if (v === R.JUMP || v === R.GOTO) target = fp.chainPc[rt.jump]!;
          break;
        default:
          return T.DROP;
      }
    }
    // A verdict (v) with its target pc and the pc of the rule after (ret).
    switch (v) {
      case R.BREAK:
        pc = ret;
        continue;
      case R.ACCEPT:
        return T.ACCEPT;
      case R.DROP:
        return T.DROP;
      case R.REJECT:
        return (tail & Tail.NAT) !== 0 ? T.DROP : T.REJECT;
      case R.STOLEN:
        return T.STOLEN;
      case R.RETURN:
        if (sp === 0) return tail & Tail.POLICY;
        pc = stack[--sp]!;
        continue;
      case R.JUMP:
        if (sp >= Stack.SIZE) return T.DROP;
        stack[sp++] = ret;
        pc = target;
        continue;
      case R.GOTO:
        pc = target;
        continue;
      default:
        return T.DROP;
    }
  }
}
