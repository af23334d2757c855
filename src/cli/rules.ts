// `natbox rules save|list`: load rule files into an empty ruleset, all or nothing, and print it in
// iptables-save form or as `iptables -L -n -v --line-numbers` prints each table. --ipset files
// (`ipset save` form) define the sets `-m set` refers to. Errors go to standard error as
// FILE:LINE:COLUMN: message, exit code 2. With --skip-unsupported (save, list), a rule that uses a match,
// target or option natbox does not model is left out instead, and listed on standard error.
import { loadRules, emptyRuleset } from '../rules/load.ts';
import { formatDiagnostic, isUnsupported } from '../rules/diagnostics.ts';
import { printSave } from '../rules/iptables/print-save.ts';
import { printList } from '../rules/iptables/print-list.ts';
import { checkSetsExist, parseIpsetSave, type IpSet } from '../rules/ipset.ts';
import { TABLE_ORDER, type Ruleset } from '../rules/iptables/model.ts';
import { readInput } from './input.ts';

export interface RulesOptions {
  readonly counters?: boolean;
  /** `rules list -x`: exact counters, as `iptables -L -v -x`. */
  readonly exact?: boolean;
  readonly ipset?: string[];
  readonly skipUnsupported?: boolean;
}

async function load(files: string[], opts: RulesOptions): Promise<Ruleset | undefined> {
  const sets = new Map<string, IpSet>();
  for (const file of opts.ipset ?? []) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      return undefined;
    }
    const r = parseIpsetSave(input.text, file, sets);
    if (!r.ok) {
      for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return undefined;
    }
  }
  let rs = emptyRuleset();
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      return undefined;
    }
    const name = file === '-' ? '<stdin>' : file;
    const texts = input.text.split(/\r?\n/);
    const lines = texts.map((text, k) => ({ text, file: name, line: k + 1, column: 1 }));
    const r = loadRules(lines, rs, { skipUnsupported: opts.skipUnsupported ?? false });
    if (!r.ok) {
      for (const d of r.diagnostics) {
        const hint = isUnsupported(d.message) ? '; --skip-unsupported leaves such rules out' : '';
        process.stderr.write(`${formatDiagnostic(d)}${hint}\n`);
      }
      return undefined;
    }
    for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
    for (const d of r.skipped ?? [])
      process.stderr.write(
        `${d.file}:${d.line}:${d.column}: left out (--skip-unsupported): ${d.message}: ${texts[d.line - 1]!.trim()}\n`,
      );
    rs = r.ruleset;
  }
  const missing = checkSetsExist(rs, sets);
  if (missing.length) {
    for (const d of missing) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return undefined;
  }
  return rs;
}

export async function rulesSaveCommand(files: string[], opts: RulesOptions): Promise<number> {
  const rs = await load(files, opts);
  if (!rs) return 2;
  process.stdout.write(printSave(rs, { counters: opts.counters ?? false }));
  return 0;
}

/** Every table save would print, in its order: `## table NAME`, then the -L listing. */
export function listText(rs: Ruleset, exact = false): string {
  let s = '';
  for (const name of TABLE_ORDER) {
    const t = rs.tables.get(name);
    if (t) s += `## table ${name}\n${printList(t, exact)}`;
  }
  return s;
}

export async function rulesListCommand(files: string[], opts: RulesOptions): Promise<number> {
  const rs = await load(files, opts);
  if (!rs) return 2;
  process.stdout.write(listText(rs, opts.exact ?? false));
  return 0;
}
