// `natbox trace`: options as data; the work is in ../trace.ts, loaded only when the command runs.
import type { Command } from 'commander';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description(
      'simulate scenarios and show each packet at each hop, the rules it hit, NAT and conntrack, and the verdict of every flow',
    )
    .argument('<scenario...>', 'scenario files (YAML)')
    .option('--json', 'print the trace as a JSON document (format natbox-trace/1; see docs/trace-json.md)')
    .option('--pcap <dir>', 'write one pcap per link and one pcapng of every device into DIR')
    .option('--arp', 'show ARP frames too')
    .option('-v, --verbose', 'show routing decisions, the ctstate of every packet, and ICMP redirects')
    .option(
      '--flow <name>',
      'show only this flow: its steps, verdict and conntrack entries (repeatable)',
      collect,
    )
    .option(
      '--width <n>',
      'fit the text trace into N columns (0: no limit; default: the terminal width, else 80)',
    )
    .option(
      '--counters',
      "after the run, each host's rules with their packet and byte counters, as 'iptables -L -v -n --line-numbers' prints them (nftables: as 'nft list ruleset' lists them, with the elements the packets added to sets and maps)",
    )
    .option('--counters-save', "the same counters as 'iptables-save -c' prints them")
    .option(
      '--seed <n>',
      'seed of the random choices (NAT ports, TCP sequence numbers)',
      (v) => Number.parseInt(v, 10),
      1,
    )
    .option(
      '--mermaid',
      'print the trace as a Mermaid sequenceDiagram (GitHub renders it in a ```mermaid block)',
    )
    .option(
      '--svg <file>',
      'also write the trace as an SVG sequence diagram to FILE (FILE-<scenario>.svg when several)',
    )
    .option('--story', 'print each flow as numbered steps in words, as the seed tells it')
    .option('--lang <lang>', 'language of --story: en or pt-BR', 'en')
    .option(
      '--skip-unsupported',
      'leave out rules natbox cannot simulate (listed in the trace) instead of refusing the scenario',
    )
    .option('--no-color', 'no colours (also when NO_COLOR is set or output is not a terminal)')
    .action(
      async (
        files: string[],
        opts: {
          json?: boolean;
          pcap?: string;
          arp?: boolean;
          verbose?: boolean;
          seed: number;
          color: boolean;
          mermaid?: boolean;
          svg?: string;
          story?: boolean;
          lang: string;
          skipUnsupported?: boolean;
          flow?: string[];
          width?: string;
          counters?: boolean;
          countersSave?: boolean;
        },
      ) => {
        const { traceCommand } = await import('../trace.ts');
        process.exitCode = await traceCommand(files, opts);
      },
    );
}
