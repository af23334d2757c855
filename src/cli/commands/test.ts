// `natbox test`: options as data; the work is in ../test.ts, loaded only when the command runs.
import type { Command } from 'commander';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerTest(program: Command): void {
  program
    .command('test')
    .description(
      "run every flow of each scenario and check it against its expect; prints a line per file and 'N passed, N failed'; exit 1 when an expectation fails, 2 on bad input",
    )
    .argument('<scenario...>', 'scenario files (YAML)')
    .option('--json', 'print the report as a JSON document (format natbox-test/1)')
    .option('--flow <name>', 'test only this flow (repeatable)', collect)
    .option('--junit <file>', 'also write the report as JUnit XML to FILE (for CI test reporters)')
    .option(
      '--seed <n>',
      'seed of the random choices (NAT ports, TCP sequence numbers)',
      (v) => Number.parseInt(v, 10),
      1,
    )
    .option(
      '--skip-unsupported',
      'leave out rules natbox cannot simulate (each one is warned about) instead of refusing the scenario',
    )
    .option('--no-color', 'no colours (also when NO_COLOR is set or output is not a terminal)')
    .action(
      async (
        files: string[],
        opts: {
          json?: boolean;
          junit?: string;
          seed: number;
          color: boolean;
          skipUnsupported?: boolean;
          flow?: string[];
        },
      ) => {
        const { testCommand } = await import('../test.ts');
        process.exitCode = await testCommand(files, opts);
      },
    );
}
