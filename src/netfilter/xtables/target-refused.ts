// The targets natbox reads and prints but refuses to run (checkRuleset names them): their effect
// needs a part of the host natbox does not have. run() is never reached (a refused ruleset makes
// no engine); it drops, so a bug would show.
import { T_DROP } from '../core/table.ts';
import { notSimulated, type TargetOf, type XtTarget } from './xt-target.ts';

const never = (): number => T_DROP;

export const clusteripTarget: XtTarget<TargetOf<'CLUSTERIP'>> = {
  check: () => notSimulated('CLUSTERIP', 'the module is gone from Linux 6.x and natbox has no cluster MACs'),
  run: never,
};

export const rateestTarget: XtTarget<TargetOf<'RATEEST'>> = {
  check: () => notSimulated('RATEEST', 'natbox keeps no rate estimators (and has no -m rateest)'),
  run: never,
};
