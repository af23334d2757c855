// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) in order.
// Each bench file runs its cases when imported and prints one line per case with its rate.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
for (const f of files) {
  console.log(`## ${f}`);
  await import(pathToFileURL(join(dir, f)).href);
}
