// `include "file"` in a scenario's nftables text (and in the file of an `nft -f FILE` event): the
// loader reads the included files (it does the scenario's I/O) and puts their lines in place of the
// include line, each line keeping its own file, line and column. nft's include is its scanner
// reading the other file's tokens at that point, so the ruleset read is the same; natbox verify
// gives the kernel's nft these same lines, so both read the same bytes. A relative name is
// resolved against the folder of the file that includes it (the scenario's own folder for the
// scenario's text), as `natbox rules` does. Limits: nft's 16 levels of include (its words:
// "Include nested too deeply, max 16 levels"), a file including itself (a cycle) is an error
// at the include, and the loader's limits on the number and size of files.
import type { SourceLoc } from '../rules/iptables/model.ts';
import type { At } from './model.ts';

/** nft's MAX_INCLUDE_DEPTH. */
export const NFT_INCLUDE_DEPTH = 16;

/** `include "NAME"` alone on its line (a `;` or a comment may follow). */
const INCLUDE_LINE = /^include\s+"([^"]*)"\s*;?\s*(?:#.*)?$/;

/** Whether any line is an include line (nothing to do otherwise). */
export const hasNftInclude = (lines: readonly At<string>[]): boolean =>
  lines.some((l) => INCLUDE_LINE.test(l.value));

/** A file's text as positioned lines: trimmed, blank lines left out (the rules loader's form). */
export function textLines(text: string, file: string): At<string>[] {
  const out: At<string>[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const lead = line.length - line.trimStart().length;
    out.push({ value: line.trim(), loc: { file, line: i + 1, column: lead + 1 } });
  });
  return out;
}

export interface IncludeIo {
  /** The text of `path` (already resolved), or why it cannot be read, in one line. */
  read(path: string): { ok: true; text: string } | { ok: false; error: string };
  /** `name` as seen from `file` (the loader's relativeTo). */
  resolve(file: string, name: string): string;
  /** An error at an include line (`token`: the file name). */
  error(at: SourceLoc, message: string, token: string): void;
}

/** `lines` with every include line replaced by the included file's lines (recursively). */
export function expandNftIncludes(lines: readonly At<string>[], io: IncludeIo): At<string>[] {
  const out: At<string>[] = [];
  // `chain`: the files being read, the including ones first; `depth`: the include level of `ls`.
  const walk = (ls: readonly At<string>[], chain: readonly string[], depth: number): void => {
    for (const l of ls) {
      const m = INCLUDE_LINE.exec(l.value);
      if (!m) {
        out.push(l);
        continue;
      }
      const name = m[1]!;
      const at = { file: l.loc.file, line: l.loc.line, column: l.loc.column + l.value.indexOf('"') };
      if (depth >= NFT_INCLUDE_DEPTH) {
        io.error(at, `Include nested too deeply, max ${NFT_INCLUDE_DEPTH} levels`, name);
        return;
      }
      const path = io.resolve(l.loc.file, name);
      const here = chain.length === 0 ? [l.loc.file] : chain;
      if (here.includes(path)) {
        io.error(at, `include cycle: ${[...here, path].join(' includes ')}`, name);
        return;
      }
      const got = io.read(path);
      if (!got.ok) {
        io.error(at, `File not found: ${name} (${path}: ${got.error})`, name);
        continue;
      }
      walk(textLines(got.text, path), [...here, path], depth + 1);
    }
  };
  walk(lines, [], 0);
  return out;
}
