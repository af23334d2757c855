// The engine runs in a browser (the visualizer) and on TUN devices, so nothing below the CLI may need
// Node. Two checks, run by `npm run lint`:
// 1. tsconfig.browser.json type-checks src/ without Node's types (no `process`, `Buffer`, `node:`);
// 2. esbuild bundles the public library (src/index.ts) and the comparison library (every module of
//    src/oracle/, which natbox verify and the conformance tests share) for the browser; any import
//    it cannot resolve there (a `node:` module, a Node-only package) fails the bundle.
// Exits 1 with the reasons; prints the bundle's size when it passes.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const tsc = spawnSync(
  process.execPath,
  [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.browser.json'],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
if (tsc.status !== 0) {
  console.error(
    `browser check: the engine does not type-check without Node's types\n${tsc.stdout}${tsc.stderr}`,
  );
  process.exit(1);
}

const oracle = readdirSync(resolve(root, 'src/oracle'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => join(root, 'src/oracle', f));
if (oracle.length === 0) {
  console.error('browser check: src/oracle/ has no modules to bundle');
  process.exit(1);
}

try {
  const r = await build({
    entryPoints: [resolve(root, 'src/index.ts'), ...oracle],
    outdir: resolve(root, 'dist/browser-check'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    minify: true,
    logLevel: 'silent',
  });
  const bytes = r.outputFiles.reduce((n, f) => n + f.contents.length, 0);
  console.log(
    `browser check: the engine and src/oracle (${oracle.length} modules) bundle for the browser (${(bytes / 1024).toFixed(0)} KiB minified)`,
  );
} catch (e) {
  const errors =
    (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
  console.error(
    `browser check: the engine does not bundle for the browser\n` +
      (errors.length
        ? errors
            .map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`)
            .join('\n')
        : String(e)),
  );
  process.exit(1);
}
