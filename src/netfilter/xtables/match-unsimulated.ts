// The refusal of a match natbox reads and prints but cannot evaluate (cgroup, cpu, osf, realm,
// rateest, ipvs, nfacct, ...): its XtMatch `check` names it and says what the simulation lacks,
// so a ruleset using it is refused (or the rule left out by --skip-unsupported), never misread.
import type { Match } from '../../rules/iptables/model.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

export const unsimulatedMessage = (module: string, why: string): string =>
  `match "${module}" is read and printed but natbox cannot simulate it: ${why}`;

/** An XtMatch that is always refused by `check` (its `match` never runs: it answers false). */
export function unsimulated<K extends Match['module']>(module: K, why: string): XtMatch<MatchOf<K>> {
  const message = unsimulatedMessage(module, why);
  return {
    check: () => message,
    match: () => false,
    describe: () => message,
  };
}
