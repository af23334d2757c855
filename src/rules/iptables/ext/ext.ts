// What one match extension is to the iptables front end (libxt_<name>.c of iptables 1.8.9): its
// option table and parser with the final check (ModuleParser, driven by parse-command.ts), its
// save form for iptables-save and -S (after ` -m NAME`), and its print form for -L. Each
// extension is one file ext/<name>.ts with its model type; ext/index.ts lists them.
import type { Token } from '../lex.ts';
import type { Match } from '../model.ts';
import type { ModuleParser } from '../parse-util.ts';

export interface MatchExt<M extends Match> {
  /** The name after -m; the model's `module`. */
  readonly name: M['module'];
  /** A parser for one `-m NAME` block (a new one per block: it holds the options seen so far). */
  parser(tok: Token): ModuleParser;
  /** The save form after ` -m NAME` (xt_match's `save`), with its leading blank; '' when none. */
  save(m: M): string;
  /** The -L form (xt_match's `print`), with its leading blank. */
  print(m: M): string;
}

/** iptables-save's ` !` before an inverted option. */
export const bang = (invert: boolean): string => (invert ? ' !' : '');

export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
export const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** `n` or `min:max` (or another separator). */
export const numRange = (r: { readonly min: number; readonly max: number }, sep = ':'): string =>
  r.min === r.max ? `${r.min}` : `${r.min}${sep}${r.max}`;

const NO_QUOTE = /^[_\-0-9a-zA-Z]+$/;

/** A free-text value as xtables_save_string() prints it: bare when safe, else "..." with \" \\ \'. */
export function saveString(value: string): string {
  if (NO_QUOTE.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}
