// `natbox diff`: options as data; the work is in ../diff.ts, loaded only when the command runs.
import type { Command } from 'commander';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description(
      'run the same flows under two scenarios (e.g. two rulesets for one network) and show which verdicts, server_sees and NAT translations changed and, rule by rule, why; exit 0 when none did, 1 when some did, 2 on bad input',
    )
    .argument('<a>', 'the first scenario file (YAML)')
    .argument('<b>', 'the second scenario file (YAML)')
    .option('--json', 'print the differences as a JSON document (format natbox-diff/1)')
    .option('--flow <name>', 'compare only this flow (repeatable)', collect)
    .option(
      '--seed <n>',
      'seed of the random choices (NAT ports, TCP sequence numbers), the same for both runs',
      (v) => Number.parseInt(v, 10),
      1,
    )
    .option(
      '--skip-unsupported',
      'leave out the rules natbox cannot simulate, in both scenarios (each listed on standard error) instead of refusing them',
    )
    .action(
      async (
        a: string,
        b: string,
        opts: { json?: boolean; seed: number; flow?: string[]; skipUnsupported?: boolean },
      ) => {
        const { diffCommand } = await import('../diff.ts');
        process.exitCode = await diffCommand(a, b, opts);
      },
    );
}
