// `natbox import`: read `ip -j addr`, `ip -j route`, `ip -j rule`, `iptables-save` (or `nft list ruleset`, `nft -j
// list ruleset`), `sysctl` and `ss -ltnu` files
// taken on a real machine and print a scenario with that host (or write it with -o). What natbox
// leaves out is listed on standard error (and in the scenario's first comment block). Exit 0, or 2
// for bad input (each error at FILE:LINE:COLUMN), or 70 if the scenario written does not load.
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import {
  formatImportError,
  IMPORT_LIMITS,
  importHost,
  noteLines,
  type ImportSource,
} from '../scenario/import.ts';

export interface ImportOptions {
  name: string;
  addr: string;
  route?: string;
  ipRule?: string;
  rules?: string;
  nft?: string;
  sysctl?: string;
  listen?: string;
  forward?: boolean;
  skipUnsupported?: boolean;
  output?: string;
}

/** Reads a file (or standard input for -) of at most IMPORT_LIMITS.inputChars bytes. */
export function readLimited(
  file: string,
  limit: number,
): { ok: true; text: string } | { ok: false; error: string } {
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, error: `${file}: is a directory` };
    if (st.isFile() && st.size > limit)
      return { ok: false, error: `${file}: ${st.size} bytes: natbox import reads at most ${limit} per file` };
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total > limit)
        return {
          ok: false,
          error: `${file}: more than ${limit} bytes: natbox import reads at most ${limit} per file`,
        };
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    return { ok: false, error: `${file}: ${(e as Error).message}` };
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

export async function importCommand(opts: ImportOptions): Promise<number> {
  let bad = false;
  const read = (file: string | undefined): ImportSource | undefined => {
    if (file === undefined) return undefined;
    const r = readLimited(file, IMPORT_LIMITS.inputChars);
    if (!r.ok) {
      process.stderr.write(`natbox: ${r.error}\n`);
      bad = true;
      return undefined;
    }
    return { text: r.text, file: file === '-' ? '<stdin>' : file };
  };
  const stdin = [opts.addr, opts.route, opts.ipRule, opts.rules, opts.nft, opts.sysctl, opts.listen].filter(
    (f) => f === '-',
  );
  if (stdin.length > 1) {
    process.stderr.write('natbox: only one input can be standard input (-)\n');
    return 2;
  }
  const addr = read(opts.addr);
  const route = read(opts.route);
  const ipRule = read(opts.ipRule);
  const rules = read(opts.rules);
  const nft = read(opts.nft);
  const sysctl = read(opts.sysctl);
  const listen = read(opts.listen);
  if (bad || addr === undefined) return 2;
  const r = importHost({
    name: opts.name,
    addr,
    ...(route ? { route } : {}),
    ...(ipRule ? { ipRule } : {}),
    ...(rules ? { rules } : {}),
    ...(nft ? { nft } : {}),
    ...(sysctl ? { sysctl } : {}),
    ...(listen ? { listen } : {}),
    forward: opts.forward ?? false,
    skipUnsupported: opts.skipUnsupported ?? false,
  });
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(`${formatImportError(e)}\n`);
    return r.internal ? 70 : 2;
  }
  for (const n of noteLines(r.notes)) process.stderr.write(`note: ${n}\n`);
  if (opts.output) writeFileSync(opts.output, r.yaml);
  else process.stdout.write(r.yaml);
  return 0;
}
