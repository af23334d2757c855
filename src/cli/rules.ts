// `natbox rules save`: load rule files into an empty ruleset, all or nothing, and print it in
// iptables-save form. Errors go to standard error as FILE:LINE:COLUMN: message, exit code 2.
import { loadRulesText, emptyRuleset } from '../rules/load.ts';
import { formatDiagnostic } from '../rules/diagnostics.ts';
import { printSave } from '../rules/print-save.ts';
import { readInput } from './trace.ts';

export async function rulesSaveCommand(files: string[], opts: { counters?: boolean }): Promise<number> {
  let rs = emptyRuleset();
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      return 2;
    }
    const r = loadRulesText(input.text, file === '-' ? '<stdin>' : file, rs);
    if (!r.ok) {
      for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      return 2;
    }
    for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
    rs = r.ruleset;
  }
  process.stdout.write(printSave(rs, { counters: opts.counters ?? false }));
  return 0;
}
