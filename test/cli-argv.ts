// How the tests start the natbox CLI: `node ...CLI args` runs the built dist/cli/main.js when
// `npm run build` made it from the sources as they are now (CI builds before it tests), and
// src/cli/main.ts through tsx otherwise, so a test never runs a stale build. The built one starts
// with a quarter of the CPU time (no TypeScript compile per process), which matters for the some
// 150 CLI runs of the suite on a 2-core machine. NATBOX_TEST_CLI=src always takes the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const built = join(root, 'dist/cli/main.js');

/** The newest modification time of a file under `dir` (recursively). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function fresh(): boolean {
  if (process.env.NATBOX_TEST_CLI === 'src' || !existsSync(built)) return false;
  return (
    statSync(built).mtimeMs >=
    Math.max(newest(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs)
  );
}

/** Node's arguments before the CLI's own: the built entry point, or tsx and the source one. */
export const CLI: readonly string[] = fresh()
  ? [built]
  : ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/main.ts')];
