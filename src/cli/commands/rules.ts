// `natbox rules …`: options as data; the work is in ../rules.ts, loaded only when a command runs.
import type { Command } from 'commander';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerRules(program: Command): void {
  const rules = program
    .command('rules')
    .description('read iptables rules (commands or iptables-save files) as the kernel tools do');
  rules
    .command('save')
    .description('print what iptables-save would print after loading FILEs into an empty kernel')
    .argument('<file...>', 'iptables-restore files or scripts of iptables commands; - for standard input')
    .option('-c, --counters', 'include packet and byte counters')
    .option('--ipset <file>', 'ipset sets in "ipset save" form, for -m set (repeatable)', collect)
    .option(
      '--skip-unsupported',
      'leave out the rules that use a match, target or option natbox does not model (each listed on standard error) instead of refusing the file',
    )
    .action(
      async (files: string[], opts: { counters?: boolean; ipset?: string[]; skipUnsupported?: boolean }) => {
        const { rulesSaveCommand } = await import('../rules.ts');
        process.exitCode = await rulesSaveCommand(files, opts);
      },
    );
  rules
    .command('list')
    .description(
      'print each table as "iptables -t NAME -L -n -v --line-numbers" would, after "## table NAME"',
    )
    .argument('<file...>', 'iptables-restore files or scripts of iptables commands; - for standard input')
    .option('-x, --exact', 'exact packet and byte counts (iptables -L -v -x), not K/M/G units')
    .option('--ipset <file>', 'ipset sets in "ipset save" form, for -m set (repeatable)', collect)
    .option(
      '--skip-unsupported',
      'leave out the rules that use a match, target or option natbox does not model (each listed on standard error) instead of refusing the file',
    )
    .action(
      async (files: string[], opts: { exact?: boolean; ipset?: string[]; skipUnsupported?: boolean }) => {
        const { rulesListCommand } = await import('../rules.ts');
        process.exitCode = await rulesListCommand(files, opts);
      },
    );
}
