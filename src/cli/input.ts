// Reading a file the user named (or standard input for `-`) into text, with the error said as
// `FILE: no such file` rather than thrown: every command that reads scenarios or rules uses it.
import { readFileSync } from 'node:fs';

/** Standard input once read (a command may look at it before reading it: the rules' language). */
let stdinText: string | undefined;

/** The text of `file` (`-`: standard input), or the error as one line naming the file. */
export function readInput(file: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    if (file === '-') return { ok: true, text: (stdinText ??= readFileSync(0, 'utf8')) };
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`,
    };
  }
}
