#!/usr/bin/env node
// The natbox command. Each command declares its options in its own file (commands/*.ts, listed in
// commands/index.ts) and loads its working modules only when it runs, so start-up stays close to a
// bare `node`. Bad input prints FILE:LINE:COLUMN messages and exits 2 with no stack trace; an
// internal error says so and exits 70.
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.ts';

const program = new Command();
program
  .name('natbox')
  .description(
    'A netfilter-compatible NAT engine and network simulator: see, test and run NAT with Linux semantics.',
  )
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

for (const register of COMMANDS) register(program);

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
