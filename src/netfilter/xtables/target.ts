// Targets as the engine checks and runs them outside the table walk: checkTarget() says why
// natbox cannot run a target where it stands (the registry's check: the kernel's table and hook
// restrictions, what is not simulated), runXtTarget() runs one on a packet (tests; the walk in
// table.ts calls the registry itself). The targets are target-<name>.ts, listed in targets.ts.
import type { TableName, Target } from '../../rules/iptables/model.ts';
import type { Skb } from '../core/skb.ts';
import { xtTarget } from './targets.ts';
import { XT_CONTINUE, type XtTargetCtx } from './xt-target.ts';

export { XT_CONTINUE } from './xt-target.ts';
export { natFlags, toRangeN } from './target-nat.ts';

/** Why natbox cannot run this target here, or undefined. `chain` is the built-in chain, if any. */
export function checkTarget(
  t: Target,
  table: TableName,
  builtinChain: string | undefined,
): string | undefined {
  switch (t.kind) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'jump':
    case 'goto':
      return undefined;
    case 'other':
      return `unsupported target "${t.name}"`;
    default:
      return xtTarget(t).check?.(t, table, builtinChain);
  }
}

const NO_CTX: XtTargetCtx = {
  get env(): never {
    throw new Error('runXtTarget: this target needs a table (NAT)');
  },
  natRange: () => {
    throw new Error('runXtTarget: this target needs a table (NAT)');
  },
  scratch: () => {
    throw new Error('runXtTarget: this target needs a table (NAT)');
  },
};

/**
 * One non-verdict target on `skb` at `hook` (default PREROUTING) outside a table: its verdict or
 * XT_CONTINUE. NAT targets need the table's context (`ctx`).
 */
export function runXtTarget(t: Target, skb: Skb, hook = 0, now = 0, ctx: XtTargetCtx = NO_CTX): number {
  if (t.kind === 'ACCEPT' || t.kind === 'DROP' || t.kind === 'RETURN' || t.kind === 'jump')
    return XT_CONTINUE;
  if (t.kind === 'goto' || t.kind === 'other') return XT_CONTINUE;
  return xtTarget(t).run(t, skb, hook, now, ctx);
}

/**
 * What the trace should say after a rule with this target matched, when the target has no
 * effect a simulation can see (AUDIT, CHECKSUM, IDLETIMER, LED, SECMARK, CONNSECMARK) or a
 * verdict that needs a word (NFQUEUE with no listener); undefined otherwise.
 */
export function targetNote(t: Target): string | undefined {
  if (t.kind === 'ACCEPT' || t.kind === 'DROP' || t.kind === 'RETURN') return undefined;
  if (t.kind === 'jump' || t.kind === 'goto' || t.kind === 'other') return undefined;
  return xtTarget(t).note;
}
