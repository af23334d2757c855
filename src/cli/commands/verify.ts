// `natbox verify`: options as data; the work is in ../verify.ts, loaded only when the command runs.
import type { Command } from 'commander';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'run scenarios on the real Linux kernel (network namespaces, iptables, tcpdump, conntrack; needs root) and compare with natbox packet by packet',
    )
    .argument('<scenario...>', 'scenario files (YAML)')
    .option('--json', 'print the report as JSON (format natbox-verify/1)')
    .option('--backend <name>', 'iptables backend: nft or legacy', 'nft')
    .option('--captures <dir>', "write the kernel's captures (one pcap per host) and conntrack tables to DIR")
    .option(
      '--keep',
      'leave the network namespaces up after the run, to look at by hand (prints how to enter and remove them)',
    )
    .option(
      '--seed <n>',
      "seed of natbox's random choices (NAT ports, TCP sequence numbers)",
      (v) => Number.parseInt(v, 10),
      1,
    )
    .action(
      async (
        files: string[],
        opts: { json?: boolean; backend: string; captures?: string; keep?: boolean; seed: number },
      ) => {
        const { verifyCommand } = await import('../verify.ts');
        process.exitCode = await verifyCommand(files, opts);
      },
    );
}
