// What one target extension is to the iptables front end (libxt_<NAME>.c of iptables 1.8.9): its
// option table and parser with the final check (TargetParser, driven by parse-command.ts), its
// save form for iptables-save and -S (after ` -j NAME`), and its print form for -L. Each target
// is one file ext/target-<name>.ts with its model type; ext/targets.ts lists them.
import type { Token } from '../lex.ts';
import type { TableName, Target } from '../model.ts';
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
  /**
   * Where the kernel takes it (xt_target's .table and .hooks, checkentry): refused elsewhere at
   * the rule's file:line:column, also when a jump from a hook reaches it (apply.ts).
   */
  placement?(t: T): Placement | undefined;
  /** The -L target column, when it is not the name (iptables-nft lists NOTRACK as CT). */
  readonly listName?: string;
}

/** The tables (any when absent) and built-in chains a target may be used in. */
export interface Placement {
  readonly tables?: readonly TableName[];
  readonly hooks: readonly string[];
  /** How the refusal names the target, when not by its name (`TCPMSS --clamp-mss-to-pmtu`). */
  readonly what?: string;
}

export const ALL_HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/** A fixed placement, for `placement: at(...)`. */
export const at =
  (tables: readonly TableName[] | undefined, hooks: readonly string[] = ALL_HOOKS) =>
  (): Placement =>
    tables ? { tables, hooks } : { hooks };

/** A target with no options (NOTRACK, TRACE). */
export const noOptions =
  <K extends Target['kind']>(kind: K, build: () => Extract<Target, { kind: K }>) =>
  (tok: Token): TargetParser => ({ name: kind, tok, opts: [], option() {}, finish: build });
