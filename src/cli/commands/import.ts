// `natbox import`: options as data; the work is in ../import.ts, loaded only when it runs.
import type { Command } from 'commander';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      "turn a real machine's `ip -j addr`, `ip -j route`, `ip -j rule`, `iptables-save`, `sysctl` and `ss -ltnu` output into a scenario host; what natbox does not simulate (IPv6, tunnels…) is left out and listed",
    )
    .requiredOption('--addr <file>', 'output of `ip -j addr` (or `ip -j -d addr`); - for standard input')
    .option(
      '--route <file>',
      'output of `ip -j route` (or `ip -j route show table all`: every table, blackhole/unreachable/prohibit/throw, multipath)',
    )
    .option('--ip-rule <file>', 'output of `ip -j rule`: the routing policy (ip_rules)')
    .option(
      '--rules <file>',
      'output of `iptables-save`, or of `nft list ruleset` / `nft -j list ruleset` (nftables, detected)',
    )
    .option(
      '--nft <file>',
      'output of `nft list ruleset` or `nft -j list ruleset` beside iptables-save in --rules (a host with both)',
    )
    .option(
      '--sysctl <file>',
      'output of `sysctl net.ipv4.ip_forward` (or `sysctl -a`), or the content of /proc/sys/net/ipv4/ip_forward',
    )
    .option(
      '--listen <file>',
      'output of `ss -ltnu` (with or without -H, -p): the listening TCP and UDP sockets',
    )
    .option('--name <host>', 'the host name in the scenario', 'router')
    .option('--forward', 'set net.ipv4.ip_forward: 1 (the machine routes), whatever --sysctl says')
    .option(
      '--skip-unsupported',
      'leave out the rules natbox cannot simulate (listed on standard error and in the scenario) instead of refusing the import',
    )
    .option('-o, --output <file>', 'write the scenario to FILE instead of standard output')
    .addHelpText(
      'after',
      '\nExit status: 0 written, 2 bad input (each error at FILE:LINE:COLUMN, with the JSON path for JSON input).',
    )
    .action(
      async (opts: {
        addr: string;
        route?: string;
        ipRule?: string;
        rules?: string;
        nft?: string;
        sysctl?: string;
        listen?: string;
        name: string;
        forward?: boolean;
        skipUnsupported?: boolean;
        output?: string;
      }) => {
        const { importCommand } = await import('../import.ts');
        process.exitCode = await importCommand(opts);
      },
    );
}
