// The callgrind handshake (cg-lib.sh) for a bundled driver that exports batch(n) (e.g.
// bench/conntrack-new-packets.ts): imports BUNDLE, runs batch(WARM), writes M.ready (its pid),
// spins until M.go (a blocked process would not read callgrind_control's requests), runs
// batch(N), writes M.done and spins until M.stop.
// Usage: node scripts/cg-batch.mjs BUNDLE WARM N M
import { existsSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [bundle, warm, n, m] = process.argv.slice(2);
const mod = await import(pathToFileURL(bundle).href);
mod.batch(Number(warm));
writeFileSync(`${m}.ready`, String(process.pid));
while (!existsSync(`${m}.go`));
mod.batch(Number(n));
writeFileSync(`${m}.done`, '');
while (!existsSync(`${m}.stop`));
