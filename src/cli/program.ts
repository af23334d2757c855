// The natbox program: every command registered (commands/index.ts), argument parsing, and how
// errors end (bad input → exit 2 without a stack trace; an internal error → 70). main.ts runs it
// for a plain start, snapshot.ts from a V8 startup snapshot.
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.ts';

export function buildProgram(): Command {
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
  return program;
}

/** Runs natbox with `argv` as process.argv would have it ([node, script, ...args]). */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
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
}
