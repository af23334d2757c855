// An nft base chain as the engine runs it (nft_do_chain): one NfTable per base chain, named
// `FAMILY TABLE CHAIN`, at its hook and priority; a nat-type chain runs from the NAT hook. The walk
// takes each rule's compiled ops (compile.ts) in order until one ends the rule (NFT_BREAK) or
// gives a verdict; jump pushes the chain and rule, goto replaces the chain, return (or the end of
// a jumped-to chain) pops, and the end of the base chain applies its policy.
import type { NftChain } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';
import type { NfTracer } from '../core/trace-events.ts';
import { T_ACCEPT as TA, T_DROP as TD, T_REJECT as TR, T_STOLEN as TS, type NfTable } from '../core/table.ts';
import { HOOK_NAMES } from '../core/hook-numbers.ts';
import { HOOKS, type RtTable } from './compile.ts';
import { countElem } from './sets.ts';
import { describeMiss } from './describe.ts';
import { kubeEntry, runEntry, runFast, runKube, Tail, type DirectSite } from './fast.ts';
import type { FastProgram } from './fast.ts';
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
} from './program.ts';

// The walk's codes (sets.ts R_*), as local constants: an imported binding is read through a
// getter when the module is loaded as CommonJS (tsx), a cost on every op.
const R_GO = 0;
const R_BREAK = 1;
const R_ACCEPT = 2;
const R_DROP = 3;
const R_REJECT = 4;
const R_RETURN = 5;
const R_JUMP = 6;
const R_GOTO = 7;
const R_STOLEN = 8;
const T_ACCEPT: number = TA;
const T_STOLEN: number = TS;
const T_DROP: number = TD;
const T_REJECT: number = TR;
const P_RULE = OP_RULE;
const P_END = OP_END;
const P_PAY = OP_PAY;
const P_L4PROTO = OP_L4PROTO;
const P_MARK = OP_MARK;
const P_GET = OP_GET;
const P_EQ = OP_EQ;
const P_NE = OP_NE;
const P_MASK = OP_MASK;
const P_RANGE = OP_RANGE;
const P_ANYBIT = OP_ANYBIT;
const P_LOOKUP = OP_LOOKUP;
const P_VMAP = OP_VMAP;
const P_DVMAP = OP_DVMAP;
const P_VERDICT = OP_VERDICT;
const P_CALL = OP_CALL;
const P_NUMGEN = OP_NUMGEN;
const P_NAT = OP_NAT;

/** NFT_JUMP_STACK_SIZE: the kernel refuses deeper jumps when the ruleset is loaded. */
export const NFT_JUMP_STACK_SIZE = 16;

export class NftChainTable implements NfTable {
  readonly name: string;
  /** DROP_TABLES' 'nft'. */
  readonly dropTable = 6;
  readonly nat: boolean;
  private readonly hook: number;
  private readonly priority: number;
  private readonly policy: number;
  private readonly policyName: string;
  private readonly tableName: string;
  private readonly startChain: number;
  /** The jump stack: the jumping chain and the pc of the rule after the jump. */
  private readonly stackC = new Int32Array(NFT_JUMP_STACK_SIZE);
  private readonly stackPc = new Int32Array(NFT_JUMP_STACK_SIZE);
  /** The fast program (rt.makeFast's, made once) and the base chain's first pc in it. */
  private fp: FastProgram | undefined = undefined;
  private pc0 = 0;
  /** runFast's `tail`: the policy and the nat bit. */
  private tail = 0;
  /** The walk starts with kube-proxy's service map at this site (fast.ts kubeEntry): runKube. */
  private site: DirectSite | undefined = undefined;

  constructor(
    readonly rt: RtTable,
    readonly chain: NftChain,
  ) {
    const base = chain.base!;
    this.tableName = `${rt.table.family} ${rt.table.name}`;
    this.name = `${this.tableName} ${chain.name}`;
    this.nat = base.type === 'nat';
    this.hook = HOOKS[base.hook]!;
    this.priority = base.priority;
    this.policy = base.policy === 'drop' ? T_DROP : T_ACCEPT;
    this.policyName = base.policy;
    this.startChain = rt.byName.get(chain.name)!.index;
  }

  /** The first untraced walk: makes the fast program and keeps its entry (run). */
  private fastEntry(hook: number, skb: Skb, now: number): number {
    const fp = this.rt.makeFast();
    [this.pc0, this.tail] = runEntry(
      fp,
      fp.chainPc[this.startChain]!,
      (this.policy & Tail.POLICY) | (this.nat ? Tail.NAT : 0),
    );
    this.site = kubeEntry(fp, this.pc0, this.tail);
    this.fp = fp;
    return this.run(hook, skb, now, undefined);
  }

  priorityAt(hook: number): number | undefined {
    return hook === this.hook ? this.priority : undefined;
  }

  /**
   * nft_do_chain: untraced, the fast program (fast.ts), the same answers without the trace's
   * bookkeeping; traced, the flat program (runTraced). Its program and the chain's constants are
   * read once (fastEntry): the call passes them from this object's fields, nothing looked up per
   * packet. This much only, so that V8 inlines it into the hook's loop (the traced walk in here
   * made it too large: one more call per packet).
   */
  run(hook: number, skb: Skb, now: number, tracer: NfTracer | undefined): number {
    if (tracer !== undefined) return this.runTraced(hook, skb, now, tracer);
    const fp = this.fp;
    if (fp === undefined) return this.fastEntry(hook, skb, now);
    const site = this.site;
    return site !== undefined
      ? runKube(this.rt, fp, site, this.tail, hook, skb, now)
      : runFast(this.rt, fp, this.pc0, this.tail, hook, skb, now);
  }

  /**
   * nft_do_chain over the flat program (program.ts) with the trace: ops run until one breaks the
   * rule (on to the next rule's pc) or gives a verdict; a rule whose ops all ran falls through to
   * the next.
   */
  private runTraced(hook: number, skb: Skb, now: number, tracer: NfTracer): number {
    const t = this.rt;
    const regs = t.rt;
    regs.hook = hook;
    regs.now = now;
    const code = t.code;
    const r = t.regs;
    const key = t.key;
    const stackC = this.stackC;
    const stackPc = this.stackPc;
    let sp = 0;
    let chain = this.startChain;
    let pc = t.chainStart[chain]!;
    let rule = -1; // the rule running (its id), -1 between rules
    let next = 0; // the pc of the rule after it
    for (;;) {
      let v: number;
      let jump = -1;
      switch (code[pc]) {
        case P_RULE:
          if (rule >= 0 && tracer) this.traceRule(hook, tracer, rule);
          rule = code[pc + 1]!;
          next = code[pc + 2]!;
          pc += 3;
          continue;
        case P_END:
          if (rule >= 0 && tracer) this.traceRule(hook, tracer, rule);
          rule = -1;
          if (sp === 0) {
            if (tracer)
              tracer.policy(HOOK_NAMES[hook]!, this.tableName, t.chains[chain]!.name, this.policyName);
            return this.policy;
          }
          sp--;
          chain = stackC[sp]!;
          pc = stackPc[sp]!;
          continue;
        case P_PAY: {
          // nft_payload_eval: the field's bytes, or NFT_BREAK past the packet / without the header.
          let p: number;
          if (code[pc + 2] === 0) p = skb.off + code[pc + 3]!;
          else {
            const proto = code[pc + 5]!;
            if (
              (proto >= 0 && skb.proto !== proto) ||
              (skb.fragment && (((skb.buf[skb.off + 6]! << 8) | skb.buf[skb.off + 7]!) & 0x1fff) !== 0)
            ) {
              v = R_BREAK;
              break;
            }
            p = skb.l4off + code[pc + 3]!;
          }
          const n = code[pc + 4]!;
          if (p + n > skb.off + skb.len) {
            v = R_BREAK;
            break;
          }
          const b = skb.buf;
          r[code[pc + 1]!] =
            n === 1
              ? b[p]!
              : n === 2
                ? (b[p]! << 8) | b[p + 1]!
                : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
          pc += 6;
          continue;
        }
        case P_L4PROTO:
          r[code[pc + 1]!] = skb.proto;
          pc += 2;
          continue;
        case P_MARK:
          r[code[pc + 1]!] = skb.mark >>> 0;
          pc += 2;
          continue;
        case P_GET: {
          const x = t.getters[code[pc + 2]!]!(skb);
          if (x < 0) {
            v = R_BREAK;
            break;
          }
          r[code[pc + 1]!] = x;
          pc += 3;
          continue;
        }
        case P_EQ:
          if (r[code[pc + 1]!] !== code[pc + 2]! >>> 0) {
            v = R_BREAK;
            break;
          }
          pc += 3;
          continue;
        case P_NE:
          if (r[code[pc + 1]!] === code[pc + 2]! >>> 0) {
            v = R_BREAK;
            break;
          }
          pc += 3;
          continue;
        case P_MASK:
          if (((r[code[pc + 1]!]! & code[pc + 2]!) === code[pc + 3]!) === (code[pc + 4] !== 0)) {
            v = R_BREAK;
            break;
          }
          pc += 5;
          continue;
        case P_RANGE: {
          const x = r[code[pc + 1]!]!;
          if ((x >= code[pc + 2]! >>> 0 && x <= code[pc + 3]! >>> 0) === (code[pc + 4] !== 0)) {
            v = R_BREAK;
            break;
          }
          pc += 5;
          continue;
        }
        case P_ANYBIT:
          if ((r[code[pc + 1]!]! & code[pc + 2]!) === 0) {
            v = R_BREAK;
            break;
          }
          pc += 3;
          continue;
        case P_LOOKUP: {
          const set = t.psets[code[pc + 1]!]!;
          const n = code[pc + 2]!;
          for (let f = 0; f < n; f++) key[f] = r[f]!;
          const slot = set.lookup(key, now);
          if (slot >= 0) countElem(set, slot, skb);
          if (slot >= 0 === (code[pc + 3] !== 0)) {
            v = R_BREAK;
            break;
          }
          pc += 4;
          continue;
        }
        case P_VMAP: {
          const set = t.psets[code[pc + 1]!]!;
          const n = code[pc + 2]!;
          for (let f = 0; f < n; f++) key[f] = r[f]!;
          const slot = set.lookup(key, now);
          if (slot < 0) {
            v = R_BREAK;
            break;
          }
          countElem(set, slot, skb);
          v = set.vcode[slot]!;
          jump = set.vchain[slot]!;
          if (v === R_GO) {
            pc += 3;
            continue;
          }
          break;
        }
        case P_DVMAP: {
          const x = r[code[pc + 1]!]!;
          const n = code[pc + 2]!;
          v = x < n ? code[pc + 3 + 2 * x]! : -1;
          if (v < 0) {
            v = R_BREAK;
            break;
          }
          jump = code[pc + 4 + 2 * x]!;
          if (v === R_GO) {
            pc += 3 + 2 * n;
            continue;
          }
          break;
        }
        case P_NUMGEN: {
          // nft_ng_random_gen: reciprocal_scale(get_random_u32(), modulus) + offset.
          let x = 0;
          if (skb.env) {
            const val = skb.env.random32();
            const y = (val >>> 16) * code[pc + 2]! + Math.floor(((val & 0xffff) * code[pc + 2]!) / 65536);
            x = Math.floor(y / 65536) >>> 0;
          }
          r[code[pc + 1]!] = (x + code[pc + 3]!) >>> 0;
          pc += 4;
          continue;
        }
        case P_NAT:
          v = t.runNat(code, pc, skb);
          break;
        case P_VERDICT:
          v = code[pc + 1]!;
          jump = code[pc + 2]!;
          break;
        case P_CALL:
          v = t.calls[code[pc + 1]!]!(skb);
          if (v === R_GO) {
            pc += 2;
            continue;
          }
          jump = regs.jump;
          break;
        default:
          return T_DROP;
      }
      // A verdict, or the rule broke.
      if (v === R_BREAK) {
        if (tracer) {
          const cr = t.crules[rule]!;
          tracer.ruleMiss(
            HOOK_NAMES[hook]!,
            this.tableName,
            cr.chainName,
            cr.pos,
            cr.traced,
            describeMiss(cr, t.stmtAt[pc]!, skb),
          );
        }
        rule = -1;
        pc = next;
        continue;
      }
      if (tracer) this.traceRule(hook, tracer, rule);
      rule = -1;
      switch (v) {
        case R_ACCEPT:
          return T_ACCEPT;
        case R_DROP:
          return T_DROP;
        case R_REJECT:
          // A nat chain's verdict is only accept or drop to the NAT hook.
          return this.nat ? T_DROP : T_REJECT;
        case R_STOLEN:
          return T_STOLEN;
        case R_RETURN:
          if (sp === 0) {
            // The end of the base chain (or of the chain a goto reached from it): the policy.
            if (tracer)
              tracer.policy(HOOK_NAMES[hook]!, this.tableName, t.chains[chain]!.name, this.policyName);
            return this.policy;
          }
          sp--;
          chain = stackC[sp]!;
          pc = stackPc[sp]!;
          continue;
        case R_JUMP:
          if (sp >= NFT_JUMP_STACK_SIZE) return T_DROP; // refused at load; never reached
          stackC[sp] = chain;
          stackPc[sp] = next;
          sp++;
          chain = jump;
          pc = t.chainStart[jump]!;
          continue;
        case R_GOTO:
          chain = jump;
          pc = t.chainStart[jump]!;
          continue;
        default:
          return T_DROP;
      }
    }
  }

  private traceRule(hook: number, tracer: NfTracer, rule: number): void {
    const cr = this.rt.crules[rule]!;
    tracer.rule(HOOK_NAMES[hook]!, this.tableName, cr.chainName, cr.pos, cr.traced);
  }
}
