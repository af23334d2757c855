// The nftables evaluator's entry point: an nft ruleset's base chains as NfTables (core/table.ts),
// each at its hook and priority, beside the iptables tables. SKELETON (session 7): the evaluator
// engineer replaces the body.
import type { NftRuleset } from '../../rules/nft/model.ts';
import type { NfFrontEnd, NfTable, NfTableEnv } from '../core/table.ts';

/** What the ruleset uses that natbox does not evaluate, each at its place (empty: all of it runs). */
export interface NftProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly token: string;
  readonly message: string;
}

export function checkNft(rs: NftRuleset): NftProblem[] {
  void rs;
  return [];
}

/**
 * The ruleset's base chains as a front end for the engine (NfConfig.frontEnds): one NfTable per
 * base chain of a family natbox evaluates, named `FAMILY TABLE CHAIN` for the trace; a new engine
 * given the tables made for the one it replaces carries counters, rule state and set contents over.
 */
export function nftFrontEnd(rs: NftRuleset): NfFrontEnd {
  return {
    needsConntrack: false,
    tables(env: NfTableEnv, prev: readonly NfTable[] | undefined): readonly NfTable[] {
      void rs;
      void env;
      void prev;
      return [];
    },
  };
}
