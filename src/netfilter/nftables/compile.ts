// An nft table compiled for the engine: its named sets and objects, and every chain's rules as
// arrays of small closures made once here (the kernel's expressions of a rule, nft_do_chain's
// inner loop). An op returns R_GO to go on with the rule's next expression, R_BREAK when the rule
// does not match (NFT_BREAK), or a verdict. Refusals (what natbox reads but does not run) are
// collected with their position, never thrown at the caller.
import { initHashrandom, nfqueueQueue } from '../core/nfqueue-hash.ts';
import { flowOffloadOp } from './flow-op.ts';
import { netdevCounterOp, netdevPktTypeOp, netdevSendOp } from './netdev-ops.ts';
import { payloadSetOp } from './payload-set.ts';
import { metaTimeMatch } from './time-op.ts';
import { tcpOptionSpec, tcpOptSet, tcpOptStripStmt } from './exthdr-op.ts';
import { checkSynproxyHook, nftSynproxyInfo, synproxyOp } from './synproxy-stmt.ts';
import { socketTransparentOp, tproxyOp } from './tproxy-op.ts';
import { connlimitEval, newConnlimitState } from './connlimit-op.ts';
import { ctTimeoutSetOp } from './ct-timeout-op.ts';
import { ctLabelMatchOp, ctLabelSetOp } from './ct-label-op.ts';
import type { ConnlimitState } from '../xtables/match-connlimit.ts';
import { nftSetZone } from '../conntrack/zone.ts';
import type {
  NftChain,
  NftExpr,
  NftObject,
  NftRule,
  NftSet,
  NftStmt,
  NftTable,
} from '../../rules/nft/model.ts';
import { helperByName, helperSimulated } from '../conntrack/helper.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { rtTcpMss, tcpOptionMssSet } from '../xtables/tcpmss.ts';
import type { Pos } from '../../rules/diagnostics.ts';
import { exprBits, hasInterval } from '../../rules/nft/types.ts';
import { refreshedElems } from '../../rules/nft/normalise.ts';
import { narrowRawMask } from '../../rules/nft/raw-payload.ts';
import type { Skb } from '../core/skb.ts';
import { NF_ACCEPT, NF_DROP, NOTRACK } from '../core/verdict.ts';
import type { NfTableEnv } from '../core/table.ts';
import {
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
} from '../core/hook-numbers.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_RANDOM,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatRangeN,
} from '../nat/nat-core.ts';
import {
  alignedPayload,
  compileExpr,
  NftRefusal,
  type ExprCtx,
  type Getter,
  type NumGetter,
} from './expr.ts';
import {
  buildSet,
  countElem,
  namedSetConfig,
  RtSet,
  UNKNOWN_STR,
  verdictCode,
  type SetConfig,
} from './sets.ts';
import { NftTracedRule } from './traced-rule.ts';
import { SetTooLarge } from './set-index.ts';
import { buildFast, type FastCall, type FastProgram } from './fast.ts';
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
  OP_NE,
  OP_NUMGEN,
  OP_PAY,
  OP_RANGE,
  OP_RULE,
  OP_VERDICT,
  OP_VMAP,
  ProgramWriter,
  NAT_DNAT,
  NAT_MASQUERADE,
  NAT_REDIRECT,
  NAT_HAS_ADDR,
  natHow,
  natPorts,
  NAT_SNAT,
} from './program.ts';

// The walk's codes (sets.ts R_*), as local constants: an imported binding is read through a
// getter when the module is loaded as CommonJS (tsx), a cost on every op.
const R_GO = 0;
const R_BREAK = 1;
const R_ACCEPT = 2;
const R_DROP = 3;
const R_REJECT = 4;
const R_JUMP = 6;
const R_GOTO = 7;
const LOCAL_OUT = 3; // NF_INET_LOCAL_OUT
const UNTRACKED = 6; // CT_UNTRACKED

export type Op = (skb: Skb) => number;

/**
 * The constants RtTable.nat reads, as literals in its code (const enums): V8 read each module
 * constant from the module's context and checked it for a small integer in the code runFast
 * inlines it into, per packet. Their values are the exported ones (checked below: by type, and
 * the two shifts once at load).
 */
const enum N {
  MASQUERADE = 2,
  REDIRECT = 3,
  HAS_ADDR = 8,
  MAP_IPS = 1,
  SRC = 0,
}
const enum NV {
  ACCEPT = 2,
  DROP = 3,
}
const enum NH {
  LOCAL_OUT = 3,
}
const natValues: [
  typeof NAT_MASQUERADE,
  typeof NAT_REDIRECT,
  typeof NAT_HAS_ADDR,
  typeof NF_NAT_RANGE_MAP_IPS,
  typeof MANIP_SRC,
  typeof NF_INET_LOCAL_OUT,
  typeof R_ACCEPT,
  typeof R_DROP,
] = [N.MASQUERADE, N.REDIRECT, N.HAS_ADDR, N.MAP_IPS, N.SRC, NH.LOCAL_OUT, NV.ACCEPT, NV.DROP];
void natValues;
// Shifts (`1 << 3`) are typed number, not their value: checked once, when the module loads.
if (NAT_HAS_ADDR !== N.HAS_ADDR || NF_NAT_RANGE_MAP_IPS !== N.MAP_IPS)
  throw new Error('compile.ts: N out of step');

/** 0, 1, 2, ...: a rule's statement index is its own (describeMiss's `stmtOf[k]`). */
const IDENTITY: number[] = [];

/** A compiled rule as the trace sees it: the rule, where it stands, its traced form (lazily). */
export class CRule {
  private t: NftTracedRule | undefined;
  constructor(
    readonly rule: NftRule,
    private readonly family: NftTable['family'],
    private readonly tableName: string,
    /** The chain's name and the rule's 1-based position in it (what the tracer prints). */
    readonly chainName: string,
    readonly pos: number,
  ) {}

  /** Per reason index: the statement it names (the walk passes the statement index itself). */
  get stmtOf(): readonly number[] {
    while (IDENTITY.length < this.rule.stmts.length) IDENTITY.push(IDENTITY.length);
    return IDENTITY;
  }

  get traced(): NftTracedRule {
    return (this.t ??= new NftTracedRule(
      this.family,
      this.tableName,
      this.chainName,
      this.rule.handle,
      this.rule,
    ));
  }
}

export interface CChain {
  readonly name: string;
  readonly index: number;
  rules: CRule[];
}

export interface NftProblemAt {
  readonly pos: Pos | undefined;
  readonly token: string;
  readonly message: string;
  /** 'note': read, and without effect on the IPv4 packets natbox runs; 'error': refused. */
  readonly severity: 'error' | 'note';
}

/** The hook numbers of nft's hook names (NF_INET_*). */
export const HOOKS: Readonly<Record<string, number>> = {
  prerouting: NF_INET_PRE_ROUTING,
  input: NF_INET_LOCAL_IN,
  forward: NF_INET_FORWARD,
  output: NF_INET_LOCAL_OUT,
  postrouting: NF_INET_POST_ROUTING,
};

/** Per-statement state (limit buckets, quota use) that a replacing engine carries over. */
export interface StmtState {
  tokens: number;
  last: number;
  consumed: number;
}

const BITMASK_TYPES = new Set(['ct_state', 'ct_status', 'tcp_flag', 'ct_event', 'bitmask']);

/** An nft table at run time: its sets, objects' state, and compiled chains. */
export class RtTable {
  readonly chains: CChain[] = [];
  readonly byName = new Map<string, CChain>();
  readonly sets = new Map<string, RtSet>();
  readonly problems: NftProblemAt[] = [];
  /** The walk's registers: the current hook and time, the jump target, the key words. */
  readonly rt = { hook: 0, now: 0, jump: 0 };
  readonly key: Uint32Array = new Uint32Array(16);
  readonly stmtState = new Map<object, StmtState>();
  /** `ct count` lists per connlimit statement (connlimit-op.ts); a set element's keyed by slot. */
  readonly connState = new Map<object, ConnlimitState>();
  /** The previous engine's lists, and where carrySet moved each named set's elements. */
  private readonly prevConn: ReadonlyMap<object, ConnlimitState> | undefined;
  private readonly setMoves = new Map<string, Map<number, number>>();
  /** The flat program of every chain (program.ts), the statement index of each op's first word. */
  readonly code: Int32Array;
  readonly stmtAt: Int32Array;
  /** Per chain index: the pc of its first rule. */
  readonly chainStart: Int32Array;
  /** Per rule id (OP_RULE's operand): the rule. */
  readonly crules: CRule[] = [];
  /** OP_CALL's closures, OP_GET's getters, OP_LOOKUP/OP_VMAP's sets. */
  readonly calls: Op[] = [];
  readonly getters: NumGetter[] = [];
  readonly psets: RtSet[] = [];
  /** Per OP_CALL closure: its fast form (fast.ts), when it has one. */
  readonly fastCalls: (FastCall | undefined)[] = [];
  /** The untraced walk's program (fast.ts), made by the first untraced walk (makeFast). */
  fast: FastProgram | undefined;
  /** The program's registers (a u32 each, as the kernel's NFT_REG32s). */
  readonly regs: Float64Array = new Float64Array(16);
  /** nft_queue's jhash_initval (init_hashrandom), drawn at the first balanced queue (0: not yet). */
  readonly queueSeed: Uint32Array = new Uint32Array(1);
  /** The NAT range of the statement running (reused). */
  private readonly range: NatRangeN = { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: 0 };

  constructor(
    readonly table: NftTable,
    readonly env: NfTableEnv | undefined,
    prev: RtTable | undefined,
  ) {
    for (const c of table.chains) {
      const cc: CChain = { name: c.name, index: this.chains.length, rules: [] };
      this.chains.push(cc);
      this.byName.set(c.name, cc);
    }
    // When the elements were added (the rules loaded: 0, or an nft event's time).
    const loadAt = env?.host.now?.() ?? 0;
    for (const s of table.sets) {
      // An inet table's set of IPv6 keys serves its IPv6 half only (ip6 matches, ip6 NAT), which
      // never runs for an IPv4 packet: not built; a rule that would reach it is refused there.
      if (table.family === 'inet' && s.key.types.includes('ipv6_addr')) continue;
      try {
        const rs = buildSet(namedSetConfig(s), s.elements, (n, at) => this.chainIndex(n, at), loadAt);
        this.sets.set(s.name, rs);
        const old = prev?.sets.get(s.name);
        const was = prev?.table.sets.find((x) => x.name === s.name);
        if (old && was) carryStaticExpiry(was, old, s, rs);
        if (old) this.setMoves.set(s.name, carrySet(old, rs));
      } catch (e) {
        this.refuse(e, s.pos);
      }
    }
    // Meters: each a dynamic set of its own (nft makes one per meter, with the meter's name, size
    // and, with a timeout, flags timeout), filled by the meter's dynset (meterOp).
    for (const c of table.chains)
      for (const r of c.rules)
        for (const st of r.stmts) {
          const m = st.kind === 'other' ? st.meter : undefined;
          if (!m || this.sets.has(m.name)) continue;
          const decl: NftSet = {
            name: m.name,
            handle: 0,
            isMap: false,
            key: { types: [...m.types] },
            flags: m.timeout !== undefined ? ['dynamic', 'timeout'] : ['dynamic'],
            size: m.size,
            elements: [],
          };
          try {
            const rs = buildSet(namedSetConfig(decl), [], (n, at) => this.chainIndex(n, at), loadAt);
            this.sets.set(m.name, rs);
            const old = prev?.sets.get(m.name);
            if (old) this.setMoves.set(m.name, carrySet(old, rs));
          } catch (e) {
            this.refuse(e, st.pos);
          }
        }
    if (prev) for (const [k, v] of prev.stmtState) this.stmtState.set(k, v);
    this.prevConn = prev?.connState;
    const w = new ProgramWriter();
    const starts = new Int32Array(table.chains.length);
    table.chains.forEach((c, i) => {
      const hook = c.base ? (HOOKS[c.base.hook] ?? -1) : -1;
      starts[i] = w.pc;
      this.chains[i]!.rules = c.rules.map((r, j) => this.compileRule(c, r, hook, w, j + 1));
      w.op(-1, OP_END);
    });
    const { code, stmt } = w.done();
    this.code = code;
    this.stmtAt = stmt;
    this.chainStart = starts;
  }

  /** The fast program (fast.ts), made once. */
  makeFast(): FastProgram {
    return (this.fast ??= buildFast(this, this.fastCalls));
  }

  private refuse(e: unknown, pos: Pos | undefined): void {
    if (e instanceof NftRefusal)
      this.problems.push({
        pos: e.at?.pos ?? pos,
        token: e.token,
        message: e.message,
        severity: 'error',
      });
    else if (e instanceof SetTooLarge)
      this.problems.push({ pos, token: '', message: e.message, severity: 'error' });
    else throw e;
  }

  chainIndex(name: string, at: NftExpr | NftStmt): number {
    const c = this.byName.get(name);
    if (!c) throw new NftRefusal(`no chain "${name}" in table ${this.table.name}`, at, name);
    return c.index;
  }

  /** Writes the rule's ops: OP_RULE (its id, the next rule's pc), then each statement's ops. */
  private compileRule(chain: NftChain, rule: NftRule, hook: number, w: ProgramWriter, pos: number): CRule {
    const ctx: ExprCtx = { family: this.table.family, hook, rt: this.rt };
    const cr = new CRule(rule, this.table.family, this.table.name, chain.name, pos);
    const at = w.op(-1, OP_RULE, this.crules.push(cr) - 1, 0);
    const stmts = rule.stmts;
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      const mark = w.pc;
      try {
        if (s.kind === 'match' && s.neqJoin !== undefined && s.neqJoin > 1) {
          this.emitNeqJoin(stmts.slice(i, i + s.neqJoin), ctx, w, i);
          i += s.neqJoin - 1;
        } else this.emitStmt(s, ctx, chain, w, i);
      } catch (e) {
        w.pc = mark;
        this.refuse(e, s.pos ?? rule.pos);
        w.op(i, OP_VERDICT, R_BREAK, -1); // never runs: a refused ruleset is not loaded
      }
    }
    w.code[at + 2] = w.pc;
    return cr;
  }

  // ---- the flat program -----------------------------------------------------------------------

  /**
   * A statement's ops: the common forms as flat ops, the rest as OP_CALL of the closure
   * compileStmt makes. A flat form is taken only where compileStmt would neither refuse nor
   * behave differently; its refusals come from the same calls, in the same order.
   */
  private emitStmt(s: NftStmt, ctx: ExprCtx, chain: NftChain, w: ProgramWriter, i: number): void {
    const mark = w.pc;
    if (s.kind === 'match') s = narrowRawMask(s) ?? s;
    if (s.kind === 'verdict') {
      const code = verdictCode(s.verdict, s);
      if (code === R_JUMP || code === R_GOTO) w.op(i, OP_VERDICT, code, this.chainIndex(s.chain ?? '', s));
      else if (code !== R_GO) w.op(i, OP_VERDICT, code, -1);
      return;
    }
    if (s.kind === 'match' && this.emitMatch(s, ctx, w, i)) return;
    if (s.kind === 'vmap' && this.emitVmap(s, ctx, w, i)) return;
    if (s.kind === 'nat' && this.emitNat(s, ctx, chain, w, i)) return;
    w.pc = mark;
    const ops = this.compileStmt(s, ctx, chain);
    const fc = ops.length === 1 ? (fastCallOf(s) ?? this.fastDynset(s)) : undefined;
    for (const op of ops) {
      const at = this.calls.push(op) - 1;
      if (fc) this.fastCalls[at] = fc;
      w.op(i, OP_CALL, at);
    }
  }

  /**
   * `!=` payload matches nft's payload merge joined (neqJoin): one `cmp neq` over their bytes, so
   * the rule goes on when any of the fields differs and stops when all are equal.
   */
  private emitNeqJoin(members: readonly NftStmt[], ctx: ExprCtx, w: ProgramWriter, i: number): void {
    const ops = members.map((m) => {
      if (m.kind !== 'match') throw new NftRefusal('a joined compare of a non-match', m, m.kind);
      return this.compileMatch(m, ctx);
    });
    const op: Op = (skb) => {
      for (let k = 0; k < ops.length; k++) if (ops[k]!(skb) === R_GO) return R_GO;
      return R_BREAK;
    };
    w.op(i, OP_CALL, this.calls.push(op) - 1);
  }

  /** A numeric expression into register `reg`; false (nothing written) for a string. */
  private emitLoad(e: NftExpr, reg: number, ctx: ExprCtx, w: ProgramWriter, i: number): boolean {
    const p = alignedPayload(e);
    if (p) w.op(i, OP_PAY, reg, p[0], p[1], p[2], p[3]);
    else if (e.kind === 'meta' && e.key === 'l4proto') w.op(i, OP_L4PROTO, reg);
    else if (e.kind === 'meta' && e.key === 'mark') w.op(i, OP_MARK, reg);
    else if (e.kind === 'numgen' && e.mode === 'random') w.op(i, OP_NUMGEN, reg, e.mod >>> 0, e.offset >>> 0);
    else {
      const g = compileExpr(e, ctx);
      if (g.str) return false;
      w.op(i, OP_GET, reg, this.getters.push(g.get) - 1);
    }
    return true;
  }

  /** A key's fields into registers 0..n-1 (keyBuilder's calls, in its order); false for strings. */
  private emitKey(e: NftExpr, ctx: ExprCtx, w: ProgramWriter, i: number): number {
    const items = e.kind === 'concat' ? e.items : [e];
    if (items.length > this.regs.length) return -1;
    const mark = w.pc;
    // keyBuilder compiles every field before it looks at them: so do the refusals here.
    let str = false;
    for (let f = 0; f < items.length; f++) if (!str && !this.emitLoad(items[f]!, f, ctx, w, i)) str = true;
    if (str) {
      w.pc = mark;
      return -1;
    }
    return items.length;
  }

  private emitMatch(
    s: Extract<NftStmt, { kind: 'match' }>,
    ctx: ExprCtx,
    w: ProgramWriter,
    i: number,
  ): boolean {
    const { left, right } = s;
    const neg = s.op === '!=' ? 1 : 0;
    if (dependencyFails(left) || ctHelper(left) || ctLabel(left)) return false; // compileMatch decides
    if (right.kind === 'set' || right.kind === 'setref') {
      if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=') return false;
      const set = this.setOf(right, left, ctx, false, false);
      const n = this.emitKey(left, ctx, w, i);
      if (n < 0) return false;
      w.op(i, OP_LOOKUP, this.psets.push(set) - 1, n, neg);
      return true;
    }
    if (left.kind === 'fib' || left.kind === 'misc') return false; // misc: compileMatch decides
    const num = (e: NftExpr): number =>
      e.kind === 'value' && typeof e.value === 'number' && e.value >= 0 && e.value <= 0xffffffff
        ? Math.floor(e.value) === e.value
          ? e.value
          : -1
        : -1;
    let v = -1;
    let lo = -1;
    let hi = -1;
    if (right.kind === 'prefix') v = num(right.value);
    else if (right.kind === 'range') {
      lo = num(right.low);
      hi = num(right.high);
      if (lo < 0 || hi < 0) return false;
    } else if (right.kind === 'value' && (s.op === 'implicit' || s.op === '==' || s.op === '!='))
      v = num(right);
    else return false;
    if (right.kind !== 'range' && v < 0) return false;
    if (!this.emitLoad(left, 0, ctx, w, i)) return false;
    if (right.kind === 'prefix') {
      const mask = prefixMask(right.len, left.kind === 'rawpayload' ? left.len : exprBits(left));
      w.op(i, OP_MASK, 0, mask, (v & mask) >>> 0, neg);
    } else if (right.kind === 'range') w.op(i, OP_RANGE, 0, lo, hi, neg);
    else if (s.op === 'implicit' && right.kind === 'value' && BITMASK_TYPES.has(right.type))
      w.op(i, OP_ANYBIT, 0, v);
    else w.op(i, neg ? OP_NE : OP_EQ, 0, v);
    return true;
  }

  private emitVmap(
    s: Extract<NftStmt, { kind: 'vmap' }>,
    ctx: ExprCtx,
    w: ProgramWriter,
    i: number,
  ): boolean {
    const set = this.setOf(s.map, s.key, ctx, true, true);
    const n = this.emitKey(s.key, ctx, w, i);
    if (n < 0) return false;
    const dense = set.dense;
    if (dense && n === 1 && set.elemCounters.length === 0) {
      // numgen's 0 .. N-1 written into the op: no set to reach.
      const words = [OP_DVMAP, 0, dense.length];
      for (let x = 0; x < dense.length; x++) {
        const slot = dense[x]!;
        words.push(slot < 0 ? -1 : set.vcode[slot]!, slot < 0 ? -1 : set.vchain[slot]!);
      }
      w.op(i, ...words);
    } else w.op(i, OP_VMAP, this.psets.push(set) - 1, n);
    return true;
  }

  // ---- keys and sets --------------------------------------------------------------------------

  /** A key builder: writes the expression's fields as words into this.key; false on NFT_BREAK. */
  private keyBuilder(e: NftExpr, ctx: ExprCtx, set: () => RtSet, intern: boolean): (skb: Skb) => boolean {
    const items = e.kind === 'concat' ? e.items : [e];
    const gets = items.map((it) => compileExpr(it, ctx));
    const key = this.key;
    if (gets.length > key.length) throw new NftRefusal('a key of more than 16 fields', e, '.');
    const n = gets.length;
    if (n === 1 && !gets[0]!.str) {
      const g = gets[0]!.get;
      return (skb) => {
        const v = g(skb);
        key[0] = v;
        return v >= 0;
      };
    }
    if (n === 3 && gets.every((g) => !g.str)) {
      const [a, b, c] = gets.map((g) => g.get as NumGetter) as [NumGetter, NumGetter, NumGetter];
      return (skb) => {
        const x = a(skb);
        const y = b(skb);
        const z = c(skb);
        key[0] = x;
        key[1] = y;
        key[2] = z;
        return x >= 0 && y >= 0 && z >= 0;
      };
    }
    return (skb) => {
      for (let i = 0; i < n; i++) {
        const g = gets[i]!;
        if (g.str) {
          const s = g.get(skb);
          const rs = set();
          key[i] = intern ? rs.internId(s) : (rs.intern.get(s) ?? UNKNOWN_STR);
        } else {
          const v = g.get(skb);
          if (v < 0) return false;
          key[i] = v;
        }
      }
      return true;
    };
  }

  /** The set a match, vmap or map names: a named one, or a literal compiled here. */
  private setOf(e: NftExpr, left: NftExpr, ctx: ExprCtx, isMap: boolean, verdict: boolean): RtSet {
    if (e.kind === 'setref') {
      const s = this.sets.get(e.name);
      if (!s) {
        if (this.table.sets.some((x) => x.name === e.name))
          throw new NftRefusal(`set @${e.name} is not simulated`, e, `@${e.name}`);
        throw new NftRefusal(`no set @${e.name}`, e, `@${e.name}`);
      }
      return s;
    }
    if (e.kind !== 'set') throw new NftRefusal(`a ${e.kind} where a set is expected`, e, e.kind);
    const items = left.kind === 'concat' ? left.items : [left];
    const strFields = items.map((it) => compileExpr(it, ctx).str);
    const interval = e.elements.some((el) => hasInterval(el.key));
    const first = e.elements[0]?.data;
    const cfg: SetConfig = {
      name: '',
      strFields,
      interval,
      dataFields: isMap ? (verdict ? 1 : first?.kind === 'concat' ? first.items.length : 1) : 0,
      verdictMap: verdict,
      timeout: 0,
      maxSize: Infinity,
      counters: false,
    };
    return buildSet(cfg, e.elements, (n, at) => this.chainIndex(n, at));
  }

  // ---- statements ---------------------------------------------------------------------------

  private compileStmt(s: NftStmt, ctx: ExprCtx, chain: NftChain): Op[] {
    const rt = this.rt;
    switch (s.kind) {
      case 'match':
        return [this.compileMatch(s, ctx)];
      case 'verdict': {
        const code = verdictCode(s.verdict, s);
        if (code === R_JUMP || code === R_GOTO) {
          const idx = this.chainIndex(s.chain ?? '', s);
          return [
            () => {
              rt.jump = idx;
              return code;
            },
          ];
        }
        return code === R_GO ? [] : [() => code];
      }
      case 'vmap': {
        const set = this.setOf(s.map, s.key, ctx, true, true);
        const build = this.keyBuilder(s.key, ctx, () => set, false);
        const key = this.key;
        return [
          (skb) => {
            if (!build(skb)) return R_BREAK;
            const slot = set.lookup(key, rt.now);
            if (slot < 0) return R_BREAK;
            countElem(set, slot, skb);
            rt.jump = set.vchain[slot]!;
            return set.vcode[slot]!;
          },
        ];
      }
      case 'queue': {
        // nft_queue_eval: the packet goes to queue N (`queue to N`, a constant; `queue to EXPR`,
        // nft_queue_sreg_eval: the expression's value). A range balances: with fanout by CPU
        // (natbox runs on CPU 0: the first queue), else by nfqueue_hash of the addresses and
        // protocol with a seed random at boot (init_hashrandom; here drawn once per table from the
        // simulation's RNG, core/nfqueue-hash.ts). The scenario's listener on the queue
        // (`queues:`, XtEnv.queueVerdict) answers accept (the hook goes on) or drop; with nobody
        // there nf_queue fails: `bypass` goes on, else a drop.
        const bypass = (s.flags ?? []).includes('bypass');
        const fanout = (s.flags ?? []).includes('fanout');
        const num = s.num;
        const first = !num
          ? 0
          : num.kind === 'range'
            ? numValue(num.low)
            : num.kind === 'value'
              ? numValue(num)
              : -1;
        const total = num?.kind === 'range' && !fanout ? numValue(num.high) - first + 1 : 1;
        const get = first < 0 && num ? this.valueGetter(num, ctx) : undefined;
        const seed = this.queueSeed;
        return [
          (skb) => {
            let n = get ? get(skb) : first;
            if (total > 1) {
              if (seed[0] === 0 && skb.env) seed[0] = initHashrandom(() => skb.env!.random32());
              n = nfqueueQueue(skb.src, skb.dst, skb.proto, first, total, seed[0]!);
            }
            if (n < 0) return R_BREAK;
            const v = skb.env?.queueVerdict?.(n & 0xffff) ?? -1;
            if (v === NF_ACCEPT) return R_ACCEPT;
            if (v === NF_DROP) return R_DROP;
            return bypass ? R_ACCEPT : R_DROP;
          },
        ];
      }
      case 'counter':
        if (ctx.family === 'netdev') return [netdevCounterOp(s, rt)];
        return [
          (skb) => {
            s.packets++;
            s.bytes += skb.len;
            return R_GO;
          },
        ];
      case 'objref':
        return [s.type === 'synproxy' ? this.synproxyRef(s, ctx) : this.compileObjref(s, ctx)];
      case 'synproxy': {
        checkSynproxyHook(ctx.hook, s);
        const info = nftSynproxyInfo(s);
        return [synproxyOp(this.env, rt, () => info)];
      }
      case 'limit':
        return [this.limitOp(s, s)];
      case 'quota': {
        const st = this.state(s, () => ({ tokens: 0, last: 0, consumed: s.used }));
        return [
          (skb) => {
            // nft_quota_do_eval: consumed += len; over when consumed >= quota.
            st.consumed += skb.len;
            const over = st.consumed >= s.bytes;
            s.used = Math.min(st.consumed, s.bytes);
            return over !== s.over ? R_BREAK : R_GO;
          },
        ];
      }
      case 'log':
        return [];
      case 'reject':
        return [this.rejectOp(s)];
      case 'nat':
        return [this.natOp(s, ctx, chain)];
      case 'notrack': {
        const notrack = NOTRACK;
        return [
          (skb) => {
            // nft_notrack_eval: a packet already tracked (or untracked), or carrying a template
            // (a zone set by ct zone set), is left alone. (A packet not yet seen by conntrack has
            // ct -1 and ctinfo CT_UNTRACKED too: test ct alone.)
            if (skb.ct >= 0 || skb.ct === notrack || skb.ctZone !== 0) return R_GO;
            skb.ct = notrack;
            skb.ctinfo = UNTRACKED;
            return R_GO;
          },
        ];
      }
      case 'set':
        return [this.setStmt(s, ctx)];
      case 'dynset':
        return [this.dynsetOp(s, ctx)];
      case 'flow':
        return [flowOffloadOp(s, ctx.hook, chain, `${this.table.family} ${this.table.name} ${s.flowtable}`)];
      case 'tproxy':
        return [tproxyOp(s, ctx.hook, chain)];
      case 'fwd':
      case 'dup':
        return [netdevSendOp(s, ctx, R_DROP, R_GO)];
      case 'connlimit': {
        // nft_connlimit_eval: one list for the rule.
        const st = this.connlimitState(s, undefined);
        const { count, over } = s;
        return [(skb) => connlimitEval(st, 0, count, over, skb)];
      }
      case 'other': {
        // `reset tcp option NAME` (nft_exthdr_tcp_strip_eval); anything else is refused below.
        const strip = tcpOptStripStmt(s);
        if (strip) return [strip];
        if (s.meter) {
          // nft_dynset on the meter's set: `add` without a timeout, `update` with one
          // (netlink_gen_meter_stmt), the meter's statement as the element's expression.
          const m = s.meter;
          if (m.stmt.kind !== 'limit' && m.stmt.kind !== 'counter')
            throw new NftRefusal(`a meter with ${m.stmt.kind} is not simulated`, s, 'meter');
          return [
            this.dynsetOp(
              {
                kind: 'dynset',
                op: m.timeout !== undefined ? 'update' : 'add',
                set: m.name,
                key: m.key,
                ...(m.timeout !== undefined ? { timeout: m.timeout } : {}),
                stmts: [m.stmt],
                ...(s.pos ? { pos: s.pos } : {}),
              },
              ctx,
            ),
          ];
        }
        throw new NftRefusal('the statement other is read and printed but not simulated', s, 'other');
      }
      case 'last':
        // nft_last_eval stores the time the rule was last reached (jiffies) and nothing else: the
        // packet goes on. Listing it back (`last used 1s`, nft 1.1) is not done: the rule keeps
        // the `last used` it was read with.
        return [() => R_GO];
      default: {
        const k = (s as NftStmt).kind;
        throw new NftRefusal(`the statement ${k} is read and printed but not simulated`, s, k);
      }
    }
  }

  /**
   * A connlimit statement's lists: the previous engine's (a set element's moved to the slots
   * carrySet gave its elements), or new ones.
   */
  private connlimitState(key: object, setName: string | undefined): ConnlimitState {
    let st = this.connState.get(key);
    if (st) return st;
    st = this.prevConn?.get(key);
    if (st && setName !== undefined) {
      const moves = this.setMoves.get(setName);
      const lists = [...st.lists];
      st.lists.clear();
      if (moves)
        for (const [slot, l] of lists) {
          const to = moves.get(slot);
          if (to !== undefined) st.lists.set(to, l);
        }
    }
    st ??= newConnlimitState();
    this.connState.set(key, st);
    return st;
  }

  private state(key: object, init: () => StmtState): StmtState {
    let st = this.stmtState.get(key);
    if (!st) this.stmtState.set(key, (st = init()));
    return st;
  }

  private compileMatch(m: Extract<NftStmt, { kind: 'match' }>, ctx: ExprCtx): Op {
    const s = narrowRawMask(m) ?? m;
    const { left, right } = s;
    const neg = s.op === '!=';
    // An IPv6 header or ct ip6 address never matches an IPv4 packet, equal or not, whatever the
    // right side holds (IPv6 addresses are not numbers here): the rule's nfproto dependency fails.
    if (dependencyFails(left)) return () => R_BREAK;
    if (ctHelper(left)) return ctHelperMatch(s);
    if (ctLabel(left) && right.kind !== 'set' && right.kind !== 'setref') return ctLabelMatchOp(s);
    if (left.kind === 'misc' && left.words === 'socket transparent' && right.kind === 'value') {
      const v = Number(right.value);
      if (s.op === 'implicit' || s.op === '==' || s.op === '!=') return socketTransparentOp(v, neg);
    }
    // Membership: `expr { ... }`, `expr @set`, `expr != @set`.
    if (right.kind === 'set' || right.kind === 'setref') {
      if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
        throw new NftRefusal(`${s.op} against a set`, s, s.op);
      const set = this.setOf(right, left, ctx, false, false);
      const build = this.keyBuilder(left, ctx, () => set, false);
      const key = this.key;
      const rt = this.rt;
      return (skb) => {
        if (!build(skb)) return R_BREAK;
        const slot = set.lookup(key, rt.now);
        if (slot >= 0) countElem(set, slot, skb);
        return slot >= 0 !== neg ? R_GO : R_BREAK;
      };
    }
    // fib ... oif exists / missing (nft writes it as a boolean on the right, or `present`).
    if (
      left.kind === 'fib' &&
      left.result !== 'type' &&
      (left.present !== undefined || (right.kind === 'value' && right.type === 'boolean'))
    ) {
      const g = compileExpr(left, ctx);
      const get = g.get as (skb: Skb) => string | number;
      let want =
        right.kind === 'value' && right.type === 'boolean' ? right.value !== 0 : left.present !== false;
      if (neg) want = !want;
      return (skb) => {
        const v = get(skb);
        return (v !== '' && v !== 0) === want ? R_GO : R_BREAK;
      };
    }
    const g: Getter = compileExpr(left, ctx);
    if (left.kind === 'meta' && left.key === 'time') return metaTimeMatch(s, g.get as NumGetter);
    if (g.str) {
      if (right.kind !== 'value' || typeof right.value !== 'string')
        throw new NftRefusal('an interface name compared with a non-name', right, right.kind);
      const get = g.get;
      const text = right.value;
      if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
        throw new NftRefusal(`${s.op} on a name`, s, s.op);
      if (text.endsWith('*') && !text.endsWith('\\*')) {
        const pre = text.slice(0, -1);
        return (skb) => (get(skb).startsWith(pre) !== neg ? R_GO : R_BREAK);
      }
      const exact = text.replace(/\\\*$/, '*');
      return (skb) => ((get(skb) === exact) !== neg ? R_GO : R_BREAK);
    }
    const get = g.get;
    if (right.kind === 'prefix') {
      const v = numValue(right.value);
      const mask = prefixMask(right.len, g.bits);
      const want = (v & mask) >>> 0;
      return (skb) => {
        const x = get(skb);
        if (x < 0) return R_BREAK;
        return ((x & mask) >>> 0 === want) !== neg ? R_GO : R_BREAK;
      };
    }
    if (right.kind === 'range') {
      const lo = numValue(right.low);
      const hi = numValue(right.high);
      return (skb) => {
        const x = get(skb);
        if (x < 0) return R_BREAK;
        return (x >= lo && x <= hi) !== neg ? R_GO : R_BREAK;
      };
    }
    if (right.kind !== 'value' && right.kind !== 'binop')
      throw new NftRefusal(`a match against ${right.kind} is not simulated`, right, right.kind);
    const rg = compileExpr(right, ctx);
    if (rg.str) throw new NftRefusal('a number compared with a name', right, '');
    const v = right.kind === 'value' ? (right.value as number) : -1;
    const rget = rg.get;
    const bitmask = right.kind === 'value' && BITMASK_TYPES.has(right.type);
    switch (s.op) {
      case 'implicit':
        if (bitmask)
          // A flag list: any of its bits (nft's implicit relational on a bitmask: (x & v) != 0).
          return (skb) => {
            const x = get(skb);
            return x >= 0 && (x & v) !== 0 ? R_GO : R_BREAK;
          };
        return right.kind === 'value'
          ? (skb) => (get(skb) === v ? R_GO : R_BREAK)
          : (skb) => {
              const x = get(skb);
              return x >= 0 && x === rget(skb) ? R_GO : R_BREAK;
            };
      case '==':
        return right.kind === 'value'
          ? (skb) => (get(skb) === v ? R_GO : R_BREAK)
          : (skb) => {
              const x = get(skb);
              return x >= 0 && x === rget(skb) ? R_GO : R_BREAK;
            };
      case '!=':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x !== rget(skb) ? R_GO : R_BREAK;
        };
      case '!':
        // OP_NEG (evaluate.c binop_transfer / netlink_linearize.c: a bitwise AND, then == 0): none
        // of the value's bits; the reader takes it only with one bitmask value.
        return (skb) => {
          const x = get(skb);
          return x >= 0 && (x & v) === 0 ? R_GO : R_BREAK;
        };
      case '<':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x < rget(skb) ? R_GO : R_BREAK;
        };
      case '>':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x > rget(skb) ? R_GO : R_BREAK;
        };
      case '<=':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x <= rget(skb) ? R_GO : R_BREAK;
        };
      default:
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x >= rget(skb) ? R_GO : R_BREAK;
        };
    }
  }

  private limitOp(
    s: {
      readonly rate: number;
      readonly per: string;
      readonly unit: 'packets' | 'bytes';
      readonly burst: number;
      readonly over: boolean;
    },
    key: object,
  ): Op {
    // nft_limit_init / nft_limit_eval, in nanoseconds: a bucket of tokens_max, refilled by the
    // time elapsed, a packet costs nsecs / rate (bytes: nsecs * len / rate).
    const { nsecs, pkts, tokensMax, cost } = limitParams(s);
    const st = this.state(key, () => ({ tokens: tokensMax, last: -1, consumed: 0 }));
    const rt = this.rt;
    return (skb) => {
      const now = Math.round(rt.now * 1e9);
      if (st.last < 0) st.last = now; // the bucket starts full
      let tokens = st.tokens + now - st.last;
      if (tokens > tokensMax) tokens = tokensMax;
      st.last = now;
      const c = pkts ? cost : Math.floor((nsecs * skb.len) / s.rate);
      const delta = tokens - c;
      let over: boolean;
      if (delta >= 0) {
        st.tokens = delta;
        over = false;
      } else {
        st.tokens = tokens;
        over = true;
      }
      // Without `over` the rule goes on while within the rate; with it, once past it.
      return over !== s.over ? R_BREAK : R_GO;
    };
  }

  /**
   * `synproxy name "x"` and `synproxy name KEY map { ... : "x" }` (nft_objref_eval,
   * nft_objref_map_eval): the object's options, or the one the packet's key maps to (objrefMap).
   */
  private synproxyRef(s: Extract<NftStmt, { kind: 'objref' }>, ctx: ExprCtx): Op {
    checkSynproxyHook(ctx.hook, s);
    const n = s.name;
    if (n.kind === 'value' && typeof n.value === 'string') {
      const name = n.value;
      const o = this.table.objects.find((x) => x.type === 'synproxy' && x.name === name);
      if (!o || o.type !== 'synproxy') throw new NftRefusal(`no synproxy object "${name}"`, s, name);
      const info = nftSynproxyInfo(o);
      return synproxyOp(this.env, this.rt, () => info);
    }
    if (n.kind !== 'map' || n.map.kind !== 'set')
      throw new NftRefusal('synproxy name from a named map is not simulated', s, 'synproxy');
    return this.objrefMap(s, n, n.map, ctx);
  }

  private compileObjref(s: Extract<NftStmt, { kind: 'objref' }>, ctx: ExprCtx): Op {
    const n = s.name;
    if (n.kind === 'map' && n.map.kind === 'set') return this.objrefMap(s, n, n.map, ctx);
    if (n.kind !== 'value' || typeof n.value !== 'string')
      throw new NftRefusal(`${s.type} name from a named map is not simulated`, s, s.type);
    const name = n.value;
    const obj = this.table.objects.find((o) => o.type === s.type && o.name === name);
    if (!obj) throw new NftRefusal(`no ${s.type} object "${name}"`, s, name);
    if (obj.type === 'counter')
      return (skb) => {
        obj.packets++;
        obj.bytes += skb.len;
        return R_GO;
      };
    if (obj.type === 'quota') {
      const st = this.state(obj, () => ({ tokens: 0, last: 0, consumed: obj.used }));
      return (skb) => {
        st.consumed += skb.len;
        const over = st.consumed >= obj.bytes;
        obj.used = Math.min(st.consumed, obj.bytes);
        return over !== obj.over ? R_BREAK : R_GO;
      };
    }
    if (obj.type === 'limit') return this.limitOp(obj, obj);
    if (obj.type === 'ct helper') return this.ctHelperSet(obj, s);
    if (obj.type === 'ct timeout') return ctTimeoutSetOp(obj, s);
    throw new NftRefusal(`${s.type} objects are read and printed but not simulated`, s, s.type);
  }

  /**
   * `ct helper set udp dport map { 69 : "tftp-69", 5060 : "sip-5060" }`, `synproxy name ip saddr
   * map { … }` (nft_objref_map_eval): the object the packet's key maps to, each name's op made
   * once; no element, the rule breaks.
   */
  private objrefMap(
    s: Extract<NftStmt, { kind: 'objref' }>,
    n: Extract<NftExpr, { kind: 'map' }>,
    map: Extract<NftExpr, { kind: 'set' }>,
    ctx: ExprCtx,
  ): Op {
    const names: string[] = [];
    const ops: Op[] = [];
    const elements = map.elements.map((el) => {
      const d = el.data;
      if (!d || d.kind !== 'value' || typeof d.value !== 'string')
        throw new NftRefusal(`a ${s.type} map element without an object name`, d ?? n, '');
      let i = names.indexOf(d.value);
      if (i < 0) {
        i = names.push(d.value) - 1;
        const one = { ...s, name: d };
        ops.push(s.type === 'synproxy' ? this.synproxyRef(one, ctx) : this.compileObjref(one, ctx));
      }
      return { ...el, data: { kind: 'value' as const, type: 'integer' as const, value: i } };
    });
    const idx = this.valueGetter({ ...n, map: { ...map, elements } }, ctx);
    return (skb) => {
      const i = idx(skb);
      return i < 0 ? R_BREAK : ops[i]!(skb);
    };
  }

  /**
   * `ct helper set "name"` (nft_ct_helper_obj_eval): the object's helper on the packet's new
   * connection. A helper natbox has no help function for is attached by name only (a note).
   */
  private ctHelperSet(obj: Extract<NftObject, { type: 'ct helper' }>, s: NftStmt): Op {
    const l4proto = obj.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
    const h = helperByName(obj.helper, l4proto);
    if (h === 0)
      throw new NftRefusal(
        `no conntrack helper "${obj.helper}" for ${obj.protocol} (ct helper ${obj.name})`,
        s,
        obj.helper,
      );
    // An ip6 helper object has no IPv4 half (priv->helper4 NULL): nothing for an IPv4 packet.
    if (obj.l3proto === 'ip6') return () => R_GO;
    if (!helperSimulated(h))
      this.problems.push({
        pos: s.pos,
        token: obj.helper,
        message: `the ${obj.helper} helper is attached by name only: natbox parses none of its packets (no expectations, no NAT of its payload; ftp and tftp are simulated)`,
        severity: 'note',
      });
    return (skb) => {
      const e = skb.ct;
      if (e >= 0) skb.env?.conntrack.assignHelper?.(e, h, l4proto);
      return R_GO;
    };
  }

  private rejectOp(s: Extract<NftStmt, { kind: 'reject' }>): Op {
    // nft_reject_ipv4 / nft_reject_inet: the answer the stack sends (REJECT's words).
    const w = s.with;
    let how = 'icmp-port-unreachable';
    if (w?.type === 'tcp reset') how = 'tcp-reset';
    else if (w?.type === 'icmpv6')
      return () => R_BREAK; // an IPv6 packet's answer: never IPv4
    else if (w?.code !== undefined) {
      const icmp: Readonly<Record<string, string>> = {
        'net-unreachable': 'icmp-net-unreachable',
        'host-unreachable': 'icmp-host-unreachable',
        'prot-unreachable': 'icmp-proto-unreachable',
        'port-unreachable': 'icmp-port-unreachable',
        'net-prohibited': 'icmp-net-prohibited',
        'host-prohibited': 'icmp-host-prohibited',
        'admin-prohibited': 'icmp-admin-prohibited',
        // icmpx (nft_reject_icmp_code): no-route is net unreachable.
        'no-route': 'icmp-net-unreachable',
      };
      const m = icmp[w.code];
      if (!m) throw new NftRefusal(`reject with ${w.type} ${w.code} is not simulated`, s, w.code);
      how = m;
    }
    const tcpOnly = how === 'tcp-reset';
    return (skb) => {
      // `reject with tcp reset` needs a TCP packet (nft requires `meta l4proto tcp` before it).
      if (tcpOnly && skb.proto !== 6) return R_BREAK;
      skb.rejectWith = how;
      return R_REJECT;
    };
  }

  private setStmt(s: Extract<NftStmt, { kind: 'set' }>, ctx: ExprCtx): Op {
    const t = s.target;
    if (t.kind === 'exthdr' && t.hdr === 'tcp option' && (t.name === 'maxseg' || t.name === 'mss'))
      return this.mssSet(t, s.value, ctx);
    const opt = tcpOptionSpec(t);
    if (opt) {
      // nft_exthdr_tcp_set_eval: a 2- or 4-byte field (nft_exthdr_tcp_set_init; the reader
      // refuses the rest as nft does), the value from its register.
      const [type, offset, len] = opt;
      if (len !== 2 && len !== 4)
        throw new NftRefusal('only 2- and 4-byte tcp option fields are written', t, 'set');
      const vg = this.valueGetter(s.value, ctx);
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        return tcpOptSet(skb, type, offset, len, v) ? R_GO : R_BREAK;
      };
    }
    if (
      t.kind === 'meta' &&
      t.key === 'pkttype' &&
      s.value.kind === 'value' &&
      typeof s.value.value === 'number'
    )
      return netdevPktTypeOp(s.value.value, ctx, s, R_GO);
    if (t.kind === 'ct' && t.key === 'label') return ctLabelSetOp(s.value);
    // `ip6 dscp set cs1` in an inet table: nft puts its dependency (`meta nfproto ipv6`) right
    // before the write, so an IPv4 packet breaks there, after what came before in the rule.
    if (dependencyFails(t)) return () => R_BREAK;
    const vg = this.valueGetter(s.value, ctx);
    if (t.kind === 'payload') return payloadSetOp(t, vg, ctx, s);
    if (t.kind === 'meta' && t.key === 'mark')
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        skb.mark = v >>> 0;
        return R_GO;
      };
    if (t.kind === 'meta' && t.key === 'priority')
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        skb.priority = v >>> 0;
        return R_GO;
      };
    if (t.kind === 'meta' && t.key === 'nftrace') return () => R_GO; // natbox's trace sees every packet
    if (t.kind === 'ct' && t.key === 'mark')
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        if (skb.ct >= 0 && skb.env) skb.env.conntrack.mark[skb.ct] = v >>> 0;
        return R_GO;
      };
    if (t.kind === 'ct' && t.key === 'zone') {
      const dir = t.dir;
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        nftSetZone(skb, v, dir);
        return R_GO;
      };
    }
    const what = t.kind === 'meta' || t.kind === 'ct' ? `${t.kind} ${t.key}` : t.kind;
    throw new NftRefusal(`${what} set is read and printed but not simulated`, s, what);
  }

  /**
   * `tcp option maxseg size set rt mtu` (fw4's MSS clamp) or `set N`: nft_exthdr's TCP option
   * write of a value nft_rt's NFT_RT_TCPMSS or the constant gives (tcpmss.ts).
   */
  private mssSet(t: Extract<NftExpr, { kind: 'exthdr' }>, value: NftExpr, ctx: ExprCtx): Op {
    if (t.field !== 'size')
      throw new NftRefusal(
        `tcp option ${t.name} ${t.field ?? ''} set is not simulated`,
        t,
        t.field ?? t.name,
      );
    if (value.kind === 'misc' && value.words === 'rt mtu') {
      // nft_rt_validate: NFT_RT_TCPMSS only at forward, output and postrouting (EOPNOTSUPP).
      const hook = ctx.hook;
      if (hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_IN)
        throw new NftRefusal(
          'rt mtu is only valid at the forward, output and postrouting hooks (Operation not supported)',
          value,
          'rt mtu',
        );
      const rt = this.rt;
      return (skb) => {
        // A regular chain reached from prerouting or input: no route on the packet yet (NFT_BREAK).
        if (rt.hook === NF_INET_PRE_ROUTING || rt.hook === NF_INET_LOCAL_IN) return R_BREAK;
        return tcpOptionMssSet(skb, rtTcpMss(skb)) ? R_GO : R_BREAK;
      };
    }
    if (value.kind !== 'value' || typeof value.value !== 'number')
      throw new NftRefusal(
        'tcp option maxseg size set to anything but rt mtu or a number is not simulated',
        value,
        value.kind,
      );
    const mss = value.value & 0xffff;
    return (skb) => (tcpOptionMssSet(skb, mss) ? R_GO : R_BREAK);
  }

  /** A numeric value: a constant, an expression, or `key map { ... }` (its data). */
  private valueGetter(e: NftExpr, ctx: ExprCtx): NumGetter {
    if (e.kind === 'map') {
      const set = this.setOf(e.map, e.key, ctx, true, false);
      const build = this.keyBuilder(e.key, ctx, () => set, false);
      const key = this.key;
      const rt = this.rt;
      return (skb) => {
        if (!build(skb)) return -1;
        const slot = set.lookup(key, rt.now);
        return slot < 0 ? -1 : set.dataLo[slot * set.cfg.dataFields]!;
      };
    }
    const g = compileExpr(e, ctx);
    if (g.str) throw new NftRefusal('a name where a number is expected', e, '');
    return g.get;
  }

  /** natOp's checks (its refusals) and range flags; undefined for another family's NAT (a no-op). */
  private natFlags(s: Extract<NftStmt, { kind: 'nat' }>, ctx: ExprCtx, chain: NftChain): number | undefined {
    const base = chain.base;
    const hook = ctx.hook;
    if (base && base.type !== 'nat') throw new NftRefusal(`${s.type} outside a nat chain`, s, s.type);
    const dst = s.type === 'dnat' || s.type === 'redirect';
    if (base) {
      const ok = dst
        ? hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_OUT
        : s.type === 'masquerade'
          ? hook === NF_INET_POST_ROUTING
          : hook === NF_INET_POST_ROUTING || hook === NF_INET_LOCAL_IN;
      if (!ok) throw new NftRefusal(`${s.type} is not valid at hook ${base.hook}`, s, s.type);
    }
    if (s.prefix && s.type !== 'snat' && s.type !== 'dnat')
      throw new NftRefusal(`${s.type} prefix is not valid`, s, 'prefix');
    if (s.family === 'ip6') return undefined; // nft_nat_inet_eval: another family's NAT does nothing
    // `dnat [2001:db8::1]:25` in an inet table: nft takes the NAT's family from its address
    // (stmt_evaluate_nat_family), so it is an ip6 NAT, which does nothing to an IPv4 packet.
    if (s.family === undefined && s.addr && isIp6Value(s.addr)) return undefined;
    let flags = 0;
    for (const f of s.flags ?? []) {
      if (f === 'random') flags |= NF_NAT_RANGE_PROTO_RANDOM;
      else if (f === 'fully-random') flags |= NF_NAT_RANGE_PROTO_RANDOM_FULLY;
      else if (f === 'persistent') flags |= NF_NAT_RANGE_PERSISTENT;
      else throw new NftRefusal(`nat flag ${f} is not simulated`, s, f);
    }
    return flags;
  }

  /** NAT to fixed ends (no map, no port expression) as OP_NAT; false for the other forms. */
  private emitNat(
    s: Extract<NftStmt, { kind: 'nat' }>,
    ctx: ExprCtx,
    chain: NftChain,
    w: ProgramWriter,
    i: number,
  ): boolean {
    const flags = this.natFlags(s, ctx, chain);
    if (flags === undefined || s.addrPort === true || s.prefix) return false;
    const fixed = (e: NftExpr): boolean =>
      (e.kind === 'value' && typeof e.value === 'number') ||
      (e.kind === 'range' && e.low.kind === 'value' && e.high.kind === 'value') ||
      (e.kind === 'prefix' && e.value.kind === 'value');
    if (s.addr && (s.addr.kind === 'map' || !fixed(s.addr))) return false;
    if (s.port && s.port.kind !== 'value' && s.port.kind !== 'range') return false;
    const [lo, hi] = s.addr ? ends(s.addr) : [0, 0];
    const [plo, phi] = s.port ? ends(s.port) : [0, 0];
    const type =
      s.type === 'masquerade'
        ? NAT_MASQUERADE
        : s.type === 'redirect'
          ? NAT_REDIRECT
          : s.type === 'dnat'
            ? NAT_DNAT
            : NAT_SNAT;
    const dst = s.type === 'dnat' || s.type === 'redirect';
    const hasPort = s.port !== undefined;
    w.op(
      i,
      OP_NAT,
      type,
      flags | (hasPort ? NF_NAT_RANGE_PROTO_SPECIFIED : 0),
      dst ? MANIP_DST : MANIP_SRC,
      lo,
      hi,
      s.addr ? 1 : 0,
      plo,
      phi,
      s.port ? 1 : 0,
    );
    return true;
  }

  /** OP_NAT at `pc` (natOp's closure, its operands read from the program). */
  runNat(code: Int32Array, pc: number, skb: Skb): number {
    return this.nat(natHow(code, pc), code[pc + 4]!, code[pc + 5]!, natPorts(code, pc), skb);
  }

  /**
   * NAT to fixed ends, its operands packed as the fast program keeps them (fast.ts F.NAT):
   * `how` = type (NAT_*) | manip << 2 | NAT_HAS_ADDR | range flags << 8, the address range, and
   * `ports` = min port | max port << 16 (0 without a fixed port: the range's ports 0, as unset).
   * The answer is R_ACCEPT or R_DROP, nothing else (fast.ts's F.KSVC relies on it).
   */
  nat(how: number, minAddr: number, maxAddr: number, ports: number, skb: Skb): number {
    const env = this.env;
    if (env === undefined) return NV.DROP;
    const range = this.range;
    const now = this.rt.now;
    const type = how & 3;
    range.flags = how >>> 8;
    range.minPort = ports & 0xffff;
    range.maxPort = ports >>> 16;
    if (type === N.MASQUERADE) {
      // nf_nat_masquerade_ipv4: the out interface's address towards the next hop.
      const a = env.host.masqueradeAddress(skb.outIf, skb.dst);
      if (a === 0) return NV.DROP;
      range.minAddr = range.maxAddr = a;
      range.flags |= N.MAP_IPS;
      if (!env.bindNat(skb, N.SRC, range, now)) return NV.DROP;
      env.tagMasquerade(skb.ct, skb.outIf);
      return NV.ACCEPT;
    }
    if (type === N.REDIRECT) {
      // nf_nat_redirect_ipv4: 127.0.0.1 from OUTPUT, else the in interface's primary address.
      const a = this.rt.hook === NH.LOCAL_OUT ? 0x7f000001 : env.host.primaryAddress(skb.inIf);
      if (a === 0) return NV.DROP;
      range.minAddr = range.maxAddr = a;
      range.flags |= N.MAP_IPS;
    } else if ((how & N.HAS_ADDR) !== 0) {
      range.minAddr = minAddr >>> 0;
      range.maxAddr = maxAddr >>> 0;
      range.flags |= N.MAP_IPS;
    }
    return env.bindNat(skb, (how >>> 2) & 1, range, now) ? NV.ACCEPT : NV.DROP;
  }

  private natOp(s: Extract<NftStmt, { kind: 'nat' }>, ctx: ExprCtx, chain: NftChain): Op {
    const env = this.env;
    const dst = s.type === 'dnat' || s.type === 'redirect';
    const maybeFlags = this.natFlags(s, ctx, chain);
    if (maybeFlags === undefined) return () => R_GO;
    const flags = maybeFlags;
    const range = this.range;
    const rt = this.rt;
    // The address part: fixed ends, or a map's data (addr, or addr . port).
    let addr: ((skb: Skb) => boolean) | undefined;
    let fixedPort: [number, number] | undefined;
    let portGet: NumGetter | undefined;
    let mapPort = false;
    if (s.addr) {
      const a = s.addr;
      if (a.kind === 'map') {
        const set = this.setOf(a.map, a.key, ctx, true, false);
        const build = this.keyBuilder(a.key, ctx, () => set, false);
        const key = this.key;
        const d = set.cfg.dataFields;
        // `dnat ip to KEY map @m` whose data is `ipv4_addr . inet_service` is addr . port too: nft
        // makes it so (stmt_evaluate_nat_map, STMT_NAT_F_CONCAT) without the `addr . port` words.
        const withPort = s.addrPort === true || d >= 2;
        mapPort = withPort;
        if (withPort && d < 2) throw new NftRefusal('addr . port from a map without a port', a, '.');
        addr = (skb) => {
          if (!build(skb)) return false;
          const slot = set.lookup(key, rt.now);
          if (slot < 0) return false;
          range.minAddr = set.dataLo[slot * d]!;
          range.maxAddr = set.dataHi[slot * d]!;
          if (withPort) {
            range.minPort = set.dataLo[slot * d + 1]!;
            range.maxPort = set.dataHi[slot * d + 1]!;
          }
          return true;
        };
      } else {
        const [lo, hi] = ends(a);
        addr = () => {
          range.minAddr = lo;
          range.maxAddr = hi;
          return true;
        };
      }
    }
    if (s.port) {
      const p = s.port;
      if (p.kind === 'value' || p.kind === 'range') fixedPort = ends(p);
      else portGet = this.valueGetter(p, ctx);
    }
    const hasPort = s.port !== undefined || mapPort;
    const type = s.type;
    const manip = dst ? MANIP_DST : MANIP_SRC;
    const netmap = s.prefix === true;
    return (skb) => {
      if (!env) return R_DROP;
      range.flags = flags | (hasPort ? NF_NAT_RANGE_PROTO_SPECIFIED : 0);
      range.minPort = 0;
      range.maxPort = 0;
      if (fixedPort) {
        range.minPort = fixedPort[0];
        range.maxPort = fixedPort[1];
      } else if (portGet) {
        const v = portGet(skb);
        if (v < 0) return R_BREAK;
        range.minPort = v;
        range.maxPort = v;
      }
      if (type === 'masquerade') {
        // nf_nat_masquerade_ipv4: the out interface's address towards the next hop.
        const a = env.host.masqueradeAddress(skb.outIf, skb.dst);
        if (a === 0) return R_DROP;
        range.minAddr = range.maxAddr = a;
        range.flags |= NF_NAT_RANGE_MAP_IPS;
        if (!env.bindNat(skb, MANIP_SRC, range, rt.now)) return R_DROP;
        env.tagMasquerade(skb.ct, skb.outIf);
        return R_ACCEPT;
      }
      if (type === 'redirect') {
        // nf_nat_redirect_ipv4: 127.0.0.1 from OUTPUT, else the in interface's primary address.
        const a = rt.hook === LOCAL_OUT ? 0x7f000001 : env.host.primaryAddress(skb.inIf);
        if (a === 0) return R_DROP;
        range.minAddr = range.maxAddr = a;
        range.flags |= NF_NAT_RANGE_MAP_IPS;
      } else if (addr) {
        if (!addr(skb)) return R_BREAK;
        range.flags |= NF_NAT_RANGE_MAP_IPS;
        if (netmap) {
          // nft_nat_setup_netmap: the packet's address with the bits the range's ends share
          // (its prefix) taken from the range: one address.
          const netmask = ~(range.minAddr ^ range.maxAddr);
          const a = manip === MANIP_SRC ? skb.src : skb.dst;
          range.minAddr = range.maxAddr = ((a & ~netmask) | (range.minAddr & netmask)) >>> 0;
        }
      }
      return env.bindNat(skb, manip, range, rt.now) ? R_ACCEPT : R_DROP;
    };
  }

  private dynsetOp(s: Extract<NftStmt, { kind: 'dynset' }>, ctx: ExprCtx): Op {
    const set = this.sets.get(s.set);
    if (!set) throw new NftRefusal(`no set @${s.set}`, s, `@${s.set}`);
    if (!set.exact)
      throw new NftRefusal('add/update/delete on an interval set is not simulated', s, `@${s.set}`);
    // A map's data (nft's map statement, `add @m { ip saddr : 0x1 }`): the kernel loads it into
    // registers with the key, before the dynset (an expression that breaks ends the rule), and
    // writes it into the element nft_dynset_new makes; an element already there keeps its data
    // (nft_rhash_update returns it as it is). Each field a number (sets.ts: dataLo/dataHi).
    const d = set.cfg.dataFields;
    const dataGets: NumGetter[] = [];
    if (s.data) {
      if (set.cfg.verdictMap || d === 0)
        throw new NftRefusal(`@${s.set} takes no data from the packet path`, s.data, ':');
      const items = s.data.kind === 'concat' ? s.data.items : [s.data];
      if (items.length !== d) throw new NftRefusal('map data of another width', s.data, '.');
      for (const it of items) dataGets.push(this.valueGetter(it, ctx));
    } else if (d > 0 && s.op !== 'delete')
      throw new NftRefusal(`@${s.set} is a map: its elements need data`, s, `@${s.set}`);
    const nData = dataGets.length;
    const dataBuf = new Float64Array(nData);
    const loadData = (skb: Skb): boolean => {
      for (let i = 0; i < nData; i++) {
        const v = dataGets[i]!(skb);
        if (v < 0) return false;
        dataBuf[i] = v;
      }
      return true;
    };
    const build = this.keyBuilder(s.key, ctx, () => set, s.op !== 'delete');
    const key = this.key;
    const rt = this.rt;
    if (s.op === 'delete')
      return (skb) => {
        if (!loadData(skb)) return R_BREAK;
        if (build(skb)) set.deleteKey(key);
        return R_GO;
      };
    const timeout = s.timeout !== undefined ? s.timeout / 1000 : set.cfg.timeout;
    if (timeout > 0) set.mayExpire = true; // an update may give an element added without one its expiry
    let counter = false;
    // The element's stateful expressions after its counter, in their order (nft_set_elem_update_expr:
    // the first that breaks ends the rule).
    const elemOps: Op[] = [];
    const fresh: ConnlimitState[] = [];
    for (const t of s.stmts ?? []) {
      if (t.kind === 'counter') counter = true;
      else if (t.kind === 'limit') elemOps.push(this.elemLimitOp(set, t));
      else if (t.kind === 'connlimit') {
        const st = this.connlimitState(t, s.set);
        fresh.push(st);
        const { count, over } = t;
        elemOps.push((skb) => connlimitEval(st, rt.jump, count, over, skb));
      } else throw new NftRefusal(`${t.kind} in a set element is not simulated`, t, t.kind);
    }
    const nOps = elemOps.length;
    const update = s.op === 'update';
    return (skb) => {
      // The data first: a `map` lookup in it uses the shared key words the key is built in.
      if (nData > 0 && !loadData(skb)) return R_BREAK;
      if (!build(skb)) return R_BREAK;
      const slot = set.addKey(key, rt.now, timeout);
      if (slot < 0) return R_BREAK; // the set is full
      if (set.fresh) {
        for (let i = 0; i < fresh.length; i++) fresh[i]!.reset(slot); // a new element's lists
        for (let i = 0; i < nData; i++) set.dataLo[slot * d + i] = set.dataHi[slot * d + i] = dataBuf[i]!;
        set.creators[slot] = s;
      }
      // nft_dynset_eval: `update` refreshes the expiry of an element that has a timeout of its own.
      if (update && !set.fresh && timeout > 0) set.refresh(slot, rt.now + timeout);
      if (counter || set.cfg.counters) {
        set.packets[slot]!++;
        set.bytes[slot]! += skb.len;
      }
      for (let i = 0; i < nOps; i++) {
        rt.jump = slot; // the element, for its limit and its connection list
        const r = elemOps[i]!(skb);
        if (r !== R_GO) return r;
      }
      return R_GO;
    };
  }

  /**
   * What fast.ts's F.KSVCA needs to run a dynset closure's work in place (kube-proxy's session
   * affinity, `update @affinity-… { ip saddr }`): `add`/`update` of the key `ip saddr` alone into
   * a set of exact keys without map data or counters, no statements in the element. Its effect is
   * dynsetOp's closure's for such a statement: the key from the packet (none: the rule breaks),
   * addKey, the new element's creator, an update's refresh of an element that has a timeout.
   */
  private fastDynset(s: NftStmt): FastCall | undefined {
    if (s.kind !== 'dynset' || s.op === 'delete' || s.data || (s.stmts?.length ?? 0) > 0) return undefined;
    const k = s.key;
    if (k.kind !== 'payload' || k.proto !== 'ip' || k.field !== 'saddr') return undefined;
    const set = this.sets.get(s.set);
    if (!set?.exact || set.cfg.dataFields !== 0 || set.cfg.counters || set.cfg.strFields.length !== 1)
      return undefined;
    const timeout = s.timeout !== undefined ? s.timeout / 1000 : set.cfg.timeout;
    return { dynset: { set, update: s.op === 'update', timeout, stmt: s } };
  }

  /** A per-element limit (meters: `update @m { ip saddr limit rate over 10/second }`). */
  private elemLimitOp(set: RtSet, s: Extract<NftStmt, { kind: 'limit' }>): Op {
    const { nsecs, pkts, tokensMax, cost } = limitParams(s);
    const rt = this.rt;
    return (skb) => {
      const slot = rt.jump;
      const now = Math.round(rt.now * 1e9);
      if (set.tokens[slot]! < 0) {
        set.tokens[slot] = tokensMax;
        set.last[slot] = now;
      }
      let tokens = set.tokens[slot]! + now - set.last[slot]!;
      if (tokens > tokensMax) tokens = tokensMax;
      set.last[slot] = now;
      const c = pkts ? cost : Math.floor((nsecs * skb.len) / s.rate);
      const over = tokens - c < 0;
      set.tokens[slot] = over ? tokens : tokens - c;
      return over !== s.over ? R_BREAK : R_GO;
    };
  }
}

/**
 * The fast form of a statement compiled as one closure (fast.ts F_MARKSET): `meta mark set` of a
 * constant, or of `meta mark` & | ^ a constant (setStmt's closure: mark = value >>> 0).
 */
function fastCallOf(s: NftStmt): FastCall | undefined {
  if (s.kind !== 'set' || s.target.kind !== 'meta' || s.target.key !== 'mark') return undefined;
  const v = s.value;
  const k = (e: NftExpr): number | undefined =>
    e.kind === 'value' && typeof e.value === 'number' && Number.isInteger(e.value) ? e.value : undefined;
  const c = k(v);
  if (c !== undefined) return { markSet: [0, c | 0] };
  if (v.kind !== 'binop' || v.left.kind !== 'meta' || v.left.key !== 'mark') return undefined;
  const x = k(v.right);
  if (x === undefined) return undefined;
  if (v.op === '|') return { markSet: [~x, x | 0] };
  if (v.op === '&') return { markSet: [x | 0, 0] };
  if (v.op === '^') return { markSet: [-1, x | 0] };
  return undefined;
}

function numValue(e: NftExpr): number {
  if (e.kind === 'value' && typeof e.value === 'number') return e.value >>> 0;
  throw new NftRefusal(`a ${e.kind} where a number is expected`, e, e.kind);
}

/**
 * The mask of a prefix of `len` bits of a field `width` bits wide (`ip daddr 10.0.0.0/8`; `ip
 * length 43008/8`, the first byte of a 16-bit field, as nft lists a raw load's part of one).
 */
function prefixMask(len: number, width: number): number {
  const w = Math.min(width, 32);
  if (len <= 0) return 0;
  if (len >= w) return w === 32 ? 0xffffffff : 2 ** w - 1;
  return (2 ** w - 2 ** (w - len)) >>> 0;
}

/** A value, range or prefix as its first and last number. */
function ends(e: NftExpr): [number, number] {
  if (e.kind === 'range') return [numValue(e.low), numValue(e.high)];
  if (e.kind === 'prefix') {
    const v = numValue(e.value);
    const mask = e.len === 0 ? 0 : (0xffffffff << (32 - e.len)) >>> 0;
    return [(v & mask) >>> 0, (v | ~mask) >>> 0];
  }
  const v = numValue(e);
  return [v, v];
}

/**
 * The declared elements `next` had before this load (`was`, run as `old`) keep their state: an
 * nft command adding other elements or rules, or an engine rebuilt for another reason (an
 * iptables or sysctl event), leaves the kernel's element as it was: its expiry running (an `nft
 * add element` of it without a timeout changes nothing, nft_add_set_elem), gone once expired (the
 * set's gc) or deleted from the packet path (`delete @s`). Added again with another timeout or an
 * `expires`, it has a fresh expiry (nft_add_set_elem, Linux 6.12+). Not modelled: adding it again
 * after it went.
 */
function carryStaticExpiry(was: NftSet, old: RtSet, s: NftSet, next: RtSet): void {
  if (old.anon || next.anon) return;
  const slots = new Map<string, number>();
  was.elements.forEach((el, slot) => slots.set(keyText(el.key), slot));
  s.elements.forEach((el, slot) => {
    // Added again with another timeout or an expiry: a fresh expiry (normalise.ts refreshExisting).
    if (el.expires !== undefined || refreshedElems.has(el)) return;
    const o = slots.get(keyText(el.key));
    if (o === undefined) return;
    const at = old.expiryOf(o);
    if (Number.isNaN(at)) next.setExpiry(slot, NaN);
    else if (at < Infinity && next.expiryOf(slot) < Infinity) next.setExpiry(slot, at);
  });
}

/** An element's key as text, its places left out. */
const keyText = (k: NftExpr): string => JSON.stringify(k, (f, v: unknown) => (f === 'pos' ? undefined : v));

/** Elements the packet path added to `old` still alive go into `next` (same key layout). */
function carrySet(old: RtSet, next: RtSet): Map<number, number> {
  const moves = new Map<number, number>();
  if (!old.exact || !next.exact) return moves;
  const w = old.cfg.strFields.length;
  if (w !== next.cfg.strFields.length) return moves;
  const k = new Uint32Array(w);
  const names = [...old.intern.keys()];
  for (const s of old.added) {
    const at = old.expiryOf(s);
    if (!(at > -Infinity)) continue; // deleted (NaN)
    for (let i = 0; i < w; i++) {
      const v = old.keyWords[s * w + i]!;
      k[i] = old.cfg.strFields[i] ? next.internId(names[v] ?? '') : v;
    }
    if (next.slotOfKey(k) >= 0) continue;
    const slot = next.addKey(k, -Infinity, 0);
    if (slot < 0) continue;
    next.setExpiry(slot, at);
    next.setTimeout(slot, old.timeoutOf(s));
    next.creators[slot] = old.creators[s];
    if (at < Infinity) next.mayExpire = true;
    next.packets[slot] = old.packets[s]!;
    next.bytes[slot] = old.bytes[s]!;
    next.tokens[slot] = old.tokens[s]!;
    next.last[slot] = old.last[s]!;
    // A map's data (the map statement's), when the map keeps its data width.
    const d = old.cfg.dataFields;
    if (d > 0 && !old.cfg.verdictMap && d === next.cfg.dataFields && !next.cfg.verdictMap)
      for (let i = 0; i < d; i++) {
        next.dataLo[slot * d + i] = old.dataLo[s * d + i]!;
        next.dataHi[slot * d + i] = old.dataHi[s * d + i]!;
      }
    moves.set(s, slot);
  }
  return moves;
}

/** nft_limit_init's numbers for a limit statement: the period in ns, the bucket size and a packet's cost. */
function limitParams(s: {
  readonly rate: number;
  readonly per: string;
  readonly unit: 'bytes' | 'packets';
  readonly burst: number;
}): {
  nsecs: number;
  pkts: boolean;
  tokensMax: number;
  cost: number;
} {
  const units: Readonly<Record<string, number>> = {
    second: 1,
    minute: 60,
    hour: 3600,
    day: 86400,
    week: 604800,
  };
  const unit = units[s.per] ?? 1;
  const nsecs = unit * 1e9;
  const pkts = s.unit === 'packets';
  const burst = pkts && s.burst === 0 ? 5 : s.burst;
  const tokensMax = pkts
    ? Math.floor(nsecs / s.rate) * burst
    : Math.floor((nsecs * (s.rate + burst)) / s.rate);
  return { nsecs, pkts, tokensMax, cost: Math.floor(nsecs / s.rate) };
}

/**
 * What never reaches a packet natbox runs, because the dependency nft puts before it fails: an IPv6
 * header, ct ip6 address or IPv6 extension header (`meta nfproto ipv6`, an IPv4 packet), also
 * under a mask (`ip6 saddr & ::ffff`) or in a concatenation (`ip6 saddr . tcp dport`); a VLAN
 * header (`ether type 8021q`: natbox's hosts send no tagged frames); an IPsec state (`ipsec in
 * reqid 1`: natbox has no xfrm, so the lookup breaks as the kernel's does without one).
 */
function dependencyFails(left: NftExpr): boolean {
  switch (left.kind) {
    case 'payload':
      return left.proto === 'ip6' || left.proto === 'icmpv6' || left.proto === 'vlan';
    case 'ct':
      return left.family === 'ip6';
    case 'exthdr':
      return left.hdr === 'exthdr';
    case 'binop':
      return dependencyFails(left.left);
    case 'concat':
      return left.items.some(dependencyFails);
    case 'misc':
      // nft_xfrm_get_eval: no secpath (in) or xfrm dst (out), natbox runs no IPsec.
      return left.words.startsWith('ipsec ');
    default:
      return false;
  }
}

/** An IPv6 address, range or prefix literal. */
function isIp6Value(e: NftExpr): boolean {
  if (e.kind === 'value') return e.type === 'ipv6_addr';
  if (e.kind === 'range') return isIp6Value(e.low);
  if (e.kind === 'prefix') return isIp6Value(e.value);
  return false;
}

/**
 * `ct helper "ftp"` (nft_ct_get_eval NFT_CT_HELPER): the name of the helper attached to the
 * packet's connection; without a connection or a helper the rule breaks, equal or not.
 */
function ctHelperMatch(s: Extract<NftStmt, { kind: 'match' }>): Op {
  const r = s.right;
  if (
    r.kind !== 'value' ||
    typeof r.value !== 'string' ||
    (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
  )
    throw new NftRefusal('ct helper compared with anything but one name is not simulated', r, r.kind);
  const want = r.value;
  const neg = s.op === '!=';
  return (skb) => {
    const e = skb.ct;
    const name = e >= 0 ? (skb.env?.conntrack.helperName?.(e) ?? '') : '';
    if (name === '') return R_BREAK;
    return (name === want) !== neg ? R_GO : R_BREAK;
  };
}

/** `ct helper` (the name of the entry's helper). */
function ctLabel(left: NftExpr): boolean {
  return left.kind === 'ct' && left.key === 'label';
}

function ctHelper(left: NftExpr): boolean {
  return left.kind === 'ct' && left.key === 'helper';
}
