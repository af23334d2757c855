// What one target extension is to the iptables front end (libxt_<NAME>.c of iptables 1.8.9): its
// option table and parser with the final check (TargetParser, driven by parse-command.ts), its
// save form for iptables-save and -S (after ` -j NAME`), and its print form for -L. Each target
// is one file ext/target-<name>.ts with its model type; ext/targets.ts lists them.
import type { Token } from '../lex.ts';
import type { Target } from '../model.ts';
import type { TargetParser } from '../parse-util.ts';

export interface TargetExt<T extends Target> {
  /** The name after -j; the model's `kind`. */
  readonly name: T['kind'];
  /** A parser for one `-j NAME` (a new one per rule: it holds the options seen so far). */
  parser(tok: Token): TargetParser;
  /** The save form after ` -j NAME` (xt_target's `save`), with its leading blank; '' when none. */
  save(t: T): string;
  /** The -L form after the matches (xt_target's `print`), with its leading blank; '' when none. */
  print(t: T): string;
  /** The -L target column, when it is not the name (iptables-nft lists NOTRACK as CT). */
  readonly listName?: string;
}

/** A target with no options (NOTRACK, TRACE). */
export const noOptions =
  <K extends Target['kind']>(kind: K, build: () => Extract<Target, { kind: K }>) =>
  (tok: Token): TargetParser => ({ name: kind, tok, opts: [], option() {}, finish: build });
