// `natbox import`: options as data; the work is in ../import.ts, loaded only when it runs.
import type { Command } from 'commander';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description("turn a real machine's `ip -j addr`, `ip -j route` and `iptables-save` into a scenario host")
    .requiredOption('--addr <file>', 'output of `ip -j addr` (or `ip -j -d addr`)')
    .option('--route <file>', 'output of `ip -j route`')
    .option('--rules <file>', 'output of `iptables-save`')
    .option('--name <host>', 'the host name in the scenario', 'router')
    .option('--forward', 'set net.ipv4.ip_forward: 1 (the machine routes)')
    .option('-o, --output <file>', 'write the scenario to FILE instead of standard output')
    .action(
      async (opts: {
        addr: string;
        route?: string;
        rules?: string;
        name: string;
        forward?: boolean;
        output?: string;
      }) => {
        const { importCommand } = await import('../import.ts');
        process.exitCode = await importCommand(opts);
      },
    );
}
