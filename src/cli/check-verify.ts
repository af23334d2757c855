// natbox check --verify: each fixed scenario (the original with the fix's commands as events at
// time 0) run on the kernel as natbox verify does. Needs root and network namespaces (exit 3).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { CheckReport } from '../check/model.ts';
import { appliedCommands } from '../check/fix.ts';
import { verifyCommand } from './verify.ts';

/**
 * Seconds every flow is moved later in the fixed scenario: the fixes run as events at time 0, and
 * on the kernel a command takes tens of milliseconds, so a flow at time 0 would race it.
 */
export const FIX_LEAD = 1;

/**
 * The scenario text with the fixes as events at time 0 and every flow FIX_LEAD seconds later
 * (undefined when it has events already or no fix to run).
 */
export function fixedScenarioText(text: string, report: CheckReport): string | undefined {
  if (/^events:/m.test(text)) return undefined;
  const lines: string[] = [];
  for (const f of report.findings) {
    if (!f.proof?.passed || !f.fix) continue;
    const a = appliedCommands(f.fix);
    if (!a || a.dialect === 'nft') continue;
    for (const c of a.commands) lines.push(`  - { at: 0, host: ${f.fix.host}, run: ${JSON.stringify(c)} }`);
  }
  if (lines.length === 0) return undefined;
  const doc = parseDocument(text);
  const flows = doc.get('flows');
  if (isSeq(flows))
    for (const f of flows.items) if (isMap(f)) f.set('at', Number(f.get('at') ?? 0) + FIX_LEAD);
  return `${doc.toString({ lineWidth: 0 }).replace(/\s*$/, '')}\n\n# added by natbox check --verify: the proposed fixes\nevents:\n${lines.join('\n')}\n`;
}

export async function verifyFixed(
  files: readonly string[],
  reports: readonly CheckReport[],
  log: (s: string) => void,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-check-'));
  try {
    const fixed: string[] = [];
    files.forEach((file, i) => {
      const t = fixedScenarioText(readFileSync(file, 'utf8'), reports[i]!);
      if (!t) return;
      const p = join(dir, `fixed-${i}.yaml`);
      writeFileSync(p, t);
      fixed.push(p);
    });
    if (fixed.length === 0) {
      log('natbox check --verify: no proved iptables/sysctl/ip fix to run on the kernel\n');
      return 0;
    }
    return await verifyCommand(fixed, { backend: 'nft', seed: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
