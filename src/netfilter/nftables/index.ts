// The nftables evaluator's entry point: an nft ruleset's base chains as NfTables (core/table.ts),
// each at its hook and priority, beside the iptables tables. SKELETON (session 7): the evaluator
// engineer replaces the body.
import type { NftRuleset } from '../../rules/nft/model.ts';
import type { NfTable, NfTableEnv } from '../core/table.ts';

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
 * The ruleset's base chains as tables for the engine (one NfTable per base chain, named
 * `FAMILY TABLE CHAIN` for the trace). `prev`: the tables of the engine this one replaces (counters
 * and set contents carry over as in one nft transaction).
 */
export function nftTables(rs: NftRuleset, env: NfTableEnv, prev?: readonly NfTable[]): NfTable[] {
  void rs;
  void env;
  void prev;
  return [];
}
