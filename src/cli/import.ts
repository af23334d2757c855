// `natbox import`: read `ip -j addr`, `ip -j route` and `iptables-save` files taken on a real
// machine and print a scenario with that host (or write it with -o).
import { writeFileSync } from 'node:fs';
import { importHost, type ImportSource } from '../scenario/import.ts';
import { readInput } from './trace.ts';

export interface ImportOptions {
  name: string;
  addr: string;
  route?: string;
  rules?: string;
  forward?: boolean;
  output?: string;
}

export async function importCommand(opts: ImportOptions): Promise<number> {
  const read = (file: string | undefined): ImportSource | undefined | null => {
    if (file === undefined) return undefined;
    const r = readInput(file);
    if (!r.ok) {
      process.stderr.write(`natbox: ${r.error}\n`);
      return null;
    }
    return { text: r.text, file };
  };
  const addr = read(opts.addr);
  const route = read(opts.route);
  const rules = read(opts.rules);
  if (addr === null || route === null || rules === null || addr === undefined) return 2;
  const r = importHost({
    name: opts.name,
    addr,
    ...(route ? { route } : {}),
    ...(rules ? { rules } : {}),
    forward: opts.forward ?? false,
  });
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(`${e}\n`);
    return 2;
  }
  for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
  if (opts.output) writeFileSync(opts.output, r.yaml);
  else process.stdout.write(r.yaml);
  return 0;
}
