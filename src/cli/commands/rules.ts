// `natbox rules …`: options as data; the work is in ../rules.ts, loaded only when a command runs.
import type { Command } from 'commander';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** What every command that reads rules files takes (iptables-restore's options, --ipset). */
function restoreOptions(cmd: Command, counters: string): Command {
  return cmd
    .option('-c, --counters', counters)
    .option(
      '-n, --noflush',
      'a restore file adds to the tables the files before it made, as "iptables-restore --noflush" does (by default each "*table" section replaces that table)',
    )
    .option(
      '-T, --table <name>',
      'read only this table of each restore file, as "iptables-restore --table" does (the other sections are skipped unread; scripts are read whole)',
    )
    .option('--ipset <file>', 'ipset sets in "ipset save" form, for -m set (repeatable)', collect)
    .option(
      '--skip-unsupported',
      'save and list print every rule iptables or nft accepts, so nothing is left out (trace, test, diff and import leave such rules out); for nftables it also notes on standard error each rule those would leave out',
    );
}

export function registerRules(program: Command): void {
  const rules = program
    .command('rules')
    .description(
      'read iptables rules (commands or iptables-save files) or nftables rules (nft list ruleset, nft -f scripts, nft -j JSON) as the kernel tools do',
    );
  restoreOptions(
    rules
      .command('save')
      .description(
        'print what iptables-save (for nftables: nft list ruleset) would print after loading FILEs into an empty kernel',
      )
      .argument(
        '<file...>',
        'iptables-restore files or scripts of iptables commands, or nftables files; - for standard input',
      ),
    'keep the counters of restore files ("iptables-restore -c") and print them ("iptables-save -c"); without it they are zeroed, as iptables-restore does',
  )
    .option('-a, --handles', 'nftables: print the handles, as "nft -a list ruleset"')
    .option('-s, --stateless', 'nftables: no counter or quota state, as "nft -s list ruleset"')
    .option('-p, --numeric-protocol', 'nftables: layer-4 protocols as numbers, as "nft -p list ruleset"')
    .option('--json', 'nftables: print JSON, as "nft -j list ruleset"')
    .option(
      '--test',
      'only check that the files load (every check a real restore makes; exit 0 or 2), print nothing, as "iptables-restore --test"',
    )
    .action(async (files: string[], opts: RulesCliOptions) => {
      const { rulesSaveCommand } = await import('../rules.ts');
      process.exitCode = await rulesSaveCommand(files, cliOptions(opts));
    });
  restoreOptions(
    rules
      .command('list')
      .description(
        'print each table as "iptables -t NAME -L -n -v --line-numbers" would, after "## table NAME" (for nftables: as "nft -a list ruleset")',
      )
      .argument(
        '<file...>',
        'iptables-restore files or scripts of iptables commands, or nftables files; - for standard input',
      )
      .option('-x, --exact', 'exact packet and byte counts (iptables -L -v -x), not K/M/G units')
      .option('--json', 'nftables: print JSON, as "nft -j list ruleset"'),
    'keep the counters of restore files ("iptables-restore -c"); without it they are zeroed, as iptables-restore does',
  ).action(async (files: string[], opts: RulesCliOptions) => {
    const { rulesListCommand } = await import('../rules.ts');
    process.exitCode = await rulesListCommand(files, cliOptions(opts));
  });
}

interface RulesCliOptions {
  counters?: boolean;
  exact?: boolean;
  noflush?: boolean;
  table?: string;
  test?: boolean;
  ipset?: string[];
  skipUnsupported?: boolean;
  json?: boolean;
  handles?: boolean;
  stateless?: boolean;
  numericProtocol?: boolean;
}

const cliOptions = (o: RulesCliOptions): RulesCliOptions => o;
