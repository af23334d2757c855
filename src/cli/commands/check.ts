// `natbox check`: options as data; the work is in ../check.ts, loaded only when the command runs.
import type { Command } from 'commander';
import type { CheckCliOptions } from '../check.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      "find what is broken in a router's NAT (hairpin, FORWARD drops, gateways, listeners, rp_filter, CGNAT, ...), say why, propose the fix and prove it on a copy",
    )
    .argument('<scenario...>', 'scenario files (YAML)')
    .option('--json', 'print the report as JSON (format natbox-check/1; schema/check.schema.json)')
    .option('--lang <lang>', 'language of the report: en or pt-BR', 'en')
    .option(
      '--matrix',
      'also print, for each source network and service, whether it connects and by which path',
    )
    .option(
      '--against <scenario>',
      'with --matrix: a second ruleset (scenario) whose changed cells are marked',
    )
    .option('--verify', 'also run each fixed scenario on the kernel, as natbox verify does (root, netns)')
    .option('--no-proof', 'propose fixes without proving them on a copy (faster)')
    .option('--width <n>', 'columns of the text report (default 80)', '80')
    .action(async (files: string[], opts: CheckCliOptions) => {
      const { checkCommand } = await import('../check.ts');
      process.exitCode = await checkCommand(files, opts);
    });
}
