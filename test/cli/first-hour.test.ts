// The first hour with natbox (issue 11): `bin/natbox` before a build says what to do instead of a
// Node stack trace, and the package's types work with TypeScript older than the one that builds
// them (TypeScript 5.4 fails on `Uint8Array<ArrayBuffer>`: its lib's Uint8Array is not generic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('bin/natbox in a checkout that was not built says to run npm run build (exit 3, no stack trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-unbuilt-'));
  try {
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(root, 'bin/natbox'), join(dir, 'bin/natbox'));
    const r = spawnSync('sh', [join(dir, 'bin/natbox'), 'trace', 'x.yaml'], { encoding: 'utf8' });
    assert.equal(r.status, 3);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `natbox: not built yet: run \`npm run build\` in ${dir} first\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function dtsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? dtsFiles(p) : n.endsWith('.d.ts') ? [p] : [];
  });
}

// A consumer of the package's public API, as the README's library example uses it.
const CONSUMER = [
  "import { simulateScenario, loadScenario, formatScenarioError } from 'natbox';",
  "const r = simulateScenario('hosts: { a: {} }\\n', 'a.yaml');",
  'if (r.ok) for (const f of r.sim.results) console.log(f.flow.name, f.verdict, f.serverSaw);',
  "const l = loadScenario('hosts: {}', 'x.yaml');",
  'if (!l.ok) console.log(l.errors.map(formatScenarioError));',
  '',
].join('\n');

test('the emitted types name no generic typed array, so TypeScript before 5.7 reads them', () => {
  const out = mkdtempSync(join(tmpdir(), 'natbox-dts-'));
  try {
    const dist = join(out, 'node_modules/natbox/dist');
    // The declarations of what the package exports (src/index.ts and what it reaches), as the build
    // emits them.
    const config = join(out, 'tsconfig.dts.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.build.json'),
        compilerOptions: {
          rootDir: join(root, 'src'),
          outDir: dist,
          emitDeclarationOnly: true,
          typeRoots: [join(root, 'node_modules/@types')],
          sourceMap: false,
        },
        include: [],
        files: [join(root, 'src/index.ts')],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], {
      encoding: 'utf8',
    });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    const generic = dtsFiles(dist).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((l, i) => `${f.slice(dist.length + 1)}:${i + 1}: ${l.trim()}`)
        .filter((l) =>
          /\b(Uint8Array|Uint16Array|Uint32Array|Int32Array|Float64Array|BigUint64Array|DataView)</.test(l),
        ),
    );
    assert.deepEqual(generic, []);
    // With an older TypeScript at hand (NATBOX_OLD_TSC=/path/to/typescript-5.4/bin/tsc), the
    // consumer is compiled against these declarations; checked with 5.0.4 and 5.4.5.
    const old = process.env.NATBOX_OLD_TSC;
    if (!old) return;
    writeFileSync(join(out, 'node_modules/natbox/package.json'), readFileSync(join(root, 'package.json')));
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(root, 'node_modules/yaml'), join(out, 'node_modules/yaml'));
    writeFileSync(join(out, 'index.ts'), CONSUMER);
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          types: [],
        },
        files: ['index.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [old, '-p', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
