// `natbox verify`: options as data; the work is in ../verify.ts, loaded only when the command runs.
import type { Command } from 'commander';
import type { VerifyCliOptions } from '../verify/campaign.ts';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'run scenarios on the real Linux kernel (network namespaces, iptables, tcpdump, conntrack; needs root) and compare with natbox packet by packet',
    )
    .argument('[scenario...]', 'scenario files (YAML); none with --generate')
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
    .option(
      '--generate <n>',
      'draw N random scenarios from --seed, run each on both sides, shrink differences (docs/generator.md)',
    )
    .option('--budget <seconds>', 'with --generate: wall-clock seconds for the whole campaign', '600')
    .option('--out <dir>', 'with --generate: write each difference found, shrunk, as DIR/gen-SEED-INDEX.yaml')
    .option('--shrink-runs <n>', 'with --generate: kernel runs one shrink may spend', '30')
    .option('--overlap', 'with --generate: LANs behind different routers use the same network')
    .option(
      '--rules <lang>',
      "with --generate: routers' rules in iptables (default), nft, or both (drawn per router)",
    )
    .action(async (files: string[], opts: VerifyCliOptions) => {
      if (opts.generate !== undefined) {
        const { generateCommand } = await import('../verify/campaign.ts');
        process.exitCode = await generateCommand(files, opts);
        return;
      }
      if (files.length === 0) {
        process.stderr.write('natbox verify: give scenario files, or --generate N\n');
        process.exitCode = 2;
        return;
      }
      const { verifyCommand } = await import('../verify.ts');
      process.exitCode = await verifyCommand(files, opts);
    });
}
