// Builds natbox's two fast starts. First the plain command as one ES module (dist/natbox.mjs,
// esbuild): node then reads one file instead of some 150 modules, which is what bin/natbox starts
// when the snapshot cannot be used. Then the V8 startup snapshot: bundles src/cli/snapshot.ts and
// its dependencies into one CommonJS file, runs `node --snapshot-blob dist/natbox.blob
// --build-snapshot` on it and records which node binary made it (dist/natbox.blob.node; bin/natbox
// checks it). A failure here is not fatal: bin/natbox then starts the unbundled build.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { realpathSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bundle = resolve(root, 'dist/natbox-snapshot.cjs');
const blob = resolve(root, 'dist/natbox.blob');
const plain = resolve(root, 'dist/natbox.mjs');
rmSync(plain, { force: true });
try {
  await build({
    entryPoints: [resolve(root, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: plain,
    logLevel: 'error',
    // commander is CommonJS: its require() of node's modules needs a real require in an ES module.
    banner: {
      js: "import { createRequire as natboxRequire } from 'node:module'; const require = natboxRequire(import.meta.url);",
    },
  });
} catch (e) {
  rmSync(plain, { force: true });
  console.warn(`natbox: no bundled command (${e instanceof Error ? e.message.split('\n')[0] : e})`);
}
rmSync(blob, { force: true });
rmSync(`${blob}.node`, { force: true });
try {
  await build({
    entryPoints: [resolve(root, 'src/cli/snapshot.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
  });
  const r = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], {
    encoding: 'utf8',
    cwd: root,
  });
  if (r.status !== 0) throw new Error(r.stderr || `exit ${r.status}`);
  writeFileSync(`${blob}.node`, realpathSync(process.execPath));
  console.log(`natbox: startup snapshot built (${blob})`);
} catch (e) {
  rmSync(blob, { force: true });
  console.warn(
    `natbox: no startup snapshot (${e instanceof Error ? e.message.split('\n')[0] : e}); bin/natbox starts the plain build`,
  );
}
