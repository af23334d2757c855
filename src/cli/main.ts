#!/usr/bin/env node
// The natbox command. Options are declared here; each command loads its modules only when it runs,
// so start-up stays close to a bare `node`. Bad input prints FILE:LINE:COLUMN messages and exits 2
// with no stack trace; an internal error says so and exits 70.
import { Command, CommanderError } from 'commander';

const program = new Command();
program
  .name('natbox')
  .description(
    'A netfilter-compatible NAT engine and network simulator: see, test and run NAT with Linux semantics.',
  )
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('trace')
  .description(
    'simulate scenarios and show each packet at each hop, the rules it hit, NAT and conntrack, and the verdict of every flow',
  )
  .argument('<scenario...>', 'scenario files (YAML)')
  .option('--json', 'print the trace as a JSON document (format natbox-trace/1; see docs/trace-json.md)')
  .option('--pcap <dir>', 'write one pcap per link and one pcapng of every device into DIR')
  .option('--arp', 'show ARP frames too')
  .option('-v, --verbose', 'show routing decisions and the ctstate of every packet')
  .option(
    '--seed <n>',
    'seed of the random choices (NAT ports, TCP sequence numbers)',
    (v) => Number.parseInt(v, 10),
    1,
  )
  .option('--no-color', 'no colours (also when NO_COLOR is set or output is not a terminal)')
  .action(
    async (
      files: string[],
      opts: { json?: boolean; pcap?: string; arp?: boolean; verbose?: boolean; seed: number; color: boolean },
    ) => {
      const { traceCommand } = await import('./trace.ts');
      process.exitCode = await traceCommand(files, opts);
    },
  );

const rules = program
  .command('rules')
  .description('read iptables rules (commands or iptables-save files) as the kernel tools do');
rules
  .command('save')
  .description('print what iptables-save would print after loading FILEs into an empty kernel')
  .argument('<file...>', 'iptables-restore files or scripts of iptables commands; - for standard input')
  .option('-c, --counters', 'include packet and byte counters')
  .action(async (files: string[], opts: { counters?: boolean }) => {
    const { rulesSaveCommand } = await import('./rules.ts');
    process.exitCode = await rulesSaveCommand(files, opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(
      `natbox: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 70;
  }
}
