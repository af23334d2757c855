// An nft base chain as the engine runs it (nft_do_chain): one NfTable per base chain, named
// `FAMILY TABLE CHAIN`, at its hook and priority; a nat-type chain runs from the NAT hook. The walk
// takes each rule's compiled ops (compile.ts) in order until one ends the rule (NFT_BREAK) or
// gives a verdict; jump pushes the chain and rule, goto replaces the chain, return (or the end of
// a jumped-to chain) pops, and the end of the base chain applies its policy.
import type { NftChain } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';
import type { NfTracer } from '../core/trace-events.ts';
import { T_ACCEPT as TA, T_DROP as TD, T_REJECT as TR, type NfTable } from '../core/table.ts';
import { HOOK_NAMES } from '../core/hook-numbers.ts';
import { HOOKS, type CChain, type CRule, type RtTable } from './compile.ts';
import { describeMiss } from './describe.ts';

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
const T_ACCEPT: number = TA;
const T_DROP: number = TD;
const T_REJECT: number = TR;

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
  private readonly start: CChain;
  private readonly stackC: CChain[] = [];
  private readonly stackI: number[] = [];

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
    this.start = rt.byName.get(chain.name)!;
  }

  priorityAt(hook: number): number | undefined {
    return hook === this.hook ? this.priority : undefined;
  }

  run(hook: number, skb: Skb, now: number, tracer: NfTracer | undefined): number {
    const regs = this.rt.rt;
    regs.hook = hook;
    regs.now = now;
    const chains = this.rt.chains;
    const stackC = this.stackC;
    const stackI = this.stackI;
    let sp = 0;
    let chain = this.start;
    let rules: CRule[] = chain.rules;
    let i = 0;
    for (;;) {
      if (i >= rules.length) {
        if (sp === 0) {
          if (tracer) tracer.policy(HOOK_NAMES[hook]!, this.tableName, chain.name, this.policyName);
          return this.policy;
        }
        sp--;
        chain = stackC[sp]!;
        rules = chain.rules;
        i = stackI[sp]!;
        continue;
      }
      const r = rules[i]!;
      i++;
      const ops = r.ops;
      let v = R_GO;
      let k = 0;
      for (; k < ops.length; k++) {
        v = ops[k]!(skb);
        if (v !== R_GO) break;
      }
      if (v === R_BREAK) {
        if (tracer)
          tracer.ruleMiss(
            HOOK_NAMES[hook]!,
            this.tableName,
            chain.name,
            i,
            r.traced,
            describeMiss(r, k, skb),
          );
        continue;
      }
      if (tracer) tracer.rule(HOOK_NAMES[hook]!, this.tableName, chain.name, i, r.traced);
      switch (v) {
        case R_GO:
          continue;
        case R_ACCEPT:
          return T_ACCEPT;
        case R_DROP:
          return T_DROP;
        case R_REJECT:
          // A nat chain's verdict is only accept or drop to the NAT hook.
          return this.nat ? T_DROP : T_REJECT;
        case R_RETURN:
          if (sp === 0) i = rules.length;
          else {
            sp--;
            chain = stackC[sp]!;
            rules = chain.rules;
            i = stackI[sp]!;
          }
          continue;
        case R_JUMP:
          if (sp >= NFT_JUMP_STACK_SIZE) return T_DROP; // refused at load; never reached
          stackC[sp] = chain;
          stackI[sp] = i;
          sp++;
          chain = chains[regs.jump]!;
          rules = chain.rules;
          i = 0;
          continue;
        case R_GOTO:
          chain = chains[regs.jump]!;
          rules = chain.rules;
          i = 0;
          continue;
        default:
          return T_DROP;
      }
    }
  }
}
