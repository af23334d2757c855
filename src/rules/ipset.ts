// ipset sets as `ipset save` writes them (`create NAME TYPE [options]`, `add NAME ENTRY
// [options]`), read so that `-m set --match-set NAME` and `-j SET` can be checked against the sets
// that exist, as the kernel does when the rule is
// added. Entries are kept as text here; a scenario host's sets are evaluated (and written by -j SET)
// by netfilter/xtables/set.ts.
import { diag, type Diagnostic } from './diagnostics.ts';
import type { Rule, Ruleset } from './iptables/model.ts';

export interface IpSet {
  readonly name: string;
  readonly type: string;
  readonly entries: string[];
}

export type IpsetResult =
  | { readonly ok: true; readonly sets: Map<string, IpSet> }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

const TYPES = /^(hash|bitmap|list):[a-z,]+$/;

/** Reads an `ipset save` file into `into` (a new map when absent). */
export function parseIpsetSave(text: string, file: string, into = new Map<string, IpSet>()): IpsetResult {
  const errors: Diagnostic[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const col = raw.length - raw.trimStart().length + 1;
    const at = { file, line: k + 1, column: col };
    const [cmd, name, arg] = line.split(/\s+/);
    if (cmd === 'create' || cmd === '-N' || cmd === 'n') {
      if (!name || !arg || !TYPES.test(arg)) {
        errors.push(
          diag('error', at, cmd, `bad ipset line "${line}" (expected "create NAME TYPE", e.g. hash:ip)`),
        );
      } else if (into.has(name)) errors.push(diag('error', at, name, `set "${name}" already exists`));
      else into.set(name, { name, type: arg, entries: [] });
    } else if (cmd === 'add' || cmd === '-A' || cmd === 'a') {
      const set = name ? into.get(name) : undefined;
      if (!set || !arg)
        errors.push(diag('error', at, name ?? cmd, `"add" to unknown set "${name ?? ''}" (create it first)`));
      else set.entries.push(arg);
    } else {
      errors.push(
        diag(
          'error',
          at,
          cmd ?? '',
          `unknown ipset command "${cmd}" (expected create or add, as "ipset save" writes)`,
        ),
      );
    }
  });
  return errors.length ? { ok: false, diagnostics: errors } : { ok: true, sets: into };
}

/**
 * Every `-m set` and `-j SET` (--add-set, --del-set, --map-set) whose set is not defined: an error
 * at the rule, as iptables refuses the rule (libxt_set.h get_set_byname: "Set NAME doesn't exist").
 */
export function checkSetsExist(rs: Ruleset, sets: ReadonlyMap<string, unknown>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const missing = (r: Rule, name: string): void => {
    if (sets.has(name)) return;
    const at = r.loc ?? { file: '', line: 0, column: 0 };
    out.push(
      diag('error', at, name, `set "${name}" does not exist (define it in a file given with --ipset)`),
    );
  };
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules) {
        for (const m of r.matches) if (m.module === 'set') missing(r, m.set);
        const tg = r.target;
        if (tg?.kind === 'SET') for (const ref of [tg.add, tg.del, tg.map]) if (ref) missing(r, ref.name);
      }
  return out;
}
