// `natbox route get`: options as data; the work is in ../route-get.ts, loaded only when it runs.
import type { Command } from 'commander';

export function registerRouteGet(program: Command): void {
  program
    .command('route')
    .description(
      'ask a scenario host its route as `ip route get` answers: natbox route get ADDR [from A] [iif DEV] [oif DEV] [mark M] [tos T] [ipproto P] [sport N] [dport N] --scenario FILE --host H; exit 0 with the route, 2 when the lookup fails (the error as ip prints it) or on bad input',
    )
    .argument('<get>', 'the word "get"')
    .argument('<args...>', 'the destination and `ip route get` selectors')
    .requiredOption('--scenario <file>', 'the scenario file (YAML)')
    .requiredOption('--host <name>', 'the host whose routing answers')
    .option('--json', 'print the answer as JSON (route, table, rule priority, errno)')
    .action(async (get: string, args: string[], opts: { scenario: string; host: string; json?: boolean }) => {
      const { routeGetCommand } = await import('../route-get.ts');
      process.exitCode = routeGetCommand(get, args, opts);
    });
}
