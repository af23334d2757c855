// `natbox rules save|list`: load rule files into an empty ruleset, all or nothing, and print it in
// iptables-save form or as `iptables -L -n -v --line-numbers` prints each table. --ipset files
// (`ipset save` form) define the sets `-m set` refers to. Errors go to standard error as
// FILE:LINE:COLUMN: message, exit code 2. iptables-restore's options: -c keeps the restore files'
// counters (zeroed without it), --noflush adds each file to the tables before it, --table NAME
// reads one table of each restore file, save --test only checks. --skip-unsupported is accepted
// and changes nothing: these commands print every rule iptables accepts and make no engine check.
import { loadRules, emptyRuleset } from '../rules/load.ts';
import { formatDiagnostic } from '../rules/diagnostics.ts';
import { printSave } from '../rules/iptables/print-save.ts';
import { TABLES } from '../rules/iptables/parse-command.ts';
import { printList } from '../rules/iptables/print-list.ts';
import { checkSetsExist, parseIpsetSave, type IpSet } from '../rules/ipset.ts';
import { TABLE_ORDER, type Ruleset, type TableName } from '../rules/iptables/model.ts';
import { readInput } from './input.ts';
import { nftRulesCommand } from './rules-nft.ts';

/**
 * nftables files: `save` prints what `nft list ruleset` prints (`-a`: with handles), `list` what
 * `nft -a list ruleset` prints, `--json` what `nft -j list ruleset` prints. Undefined when the
 * files are iptables (the iptables path reads them), else the exit code.
 */
async function nftRules(
  files: string[],
  opts: RulesOptions,
  cmd: 'save' | 'list',
): Promise<number | undefined> {
  return nftRulesCommand(files, opts, cmd);
}

export interface RulesOptions {
  /** -c: restore files keep their counters (iptables-restore -c); save prints them (-c). */
  readonly counters?: boolean;
  readonly noflush?: boolean;
  readonly table?: string;
  /** save --test: load and check only; nothing printed. */
  readonly test?: boolean;
  /** `rules list -x`: exact counters, as `iptables -L -v -x`. */
  readonly exact?: boolean;
  readonly ipset?: string[];
  readonly skipUnsupported?: boolean;
  /** nftables: print `nft -j list ruleset` JSON. */
  readonly json?: boolean;
  /** nftables: print the handles (`nft -a list ruleset`). */
  readonly handles?: boolean;
  /** nftables: `nft -s`, no counter or quota state. */
  readonly stateless?: boolean;
  /** nftables: `nft -p`, layer-4 protocols as numbers. */
  readonly numericProtocol?: boolean;
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
  let table: TableName | undefined;
  if (opts.table !== undefined) {
    if (!(TABLES as readonly string[]).includes(opts.table)) {
      process.stderr.write(`natbox: --table ${opts.table}: unknown table (expected ${TABLES.join(', ')})\n`);
      return undefined;
    }
    table = opts.table as TableName;
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
    const r = loadRules(lines, rs, {
      counters: opts.counters ?? false,
      noflush: opts.noflush ?? false,
      ...(table ? { table } : {}),
    });
    if (!r.ok) {
      for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return undefined;
    }
    for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
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
  const nft = await nftRules(files, opts, 'save');
  if (nft !== undefined) return nft;
  const rs = await load(files, opts);
  if (!rs) return 2;
  if (opts.test) return 0;
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
  const nft = await nftRules(files, opts, 'list');
  if (nft !== undefined) return nft;
  const rs = await load(files, opts);
  if (!rs) return 2;
  process.stdout.write(listText(rs, opts.exact ?? false));
  return 0;
}
