// bin/natbox started from the V8 startup snapshot behaves exactly as the plain build: same output,
// same exit codes, same errors. Needs `npm run build` (CI runs it before the tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${root}dist/natbox.blob`) && existsSync(`${root}dist/cli/main.js`);
const skip = built ? false : 'no startup snapshot: run `npm run build` first (CI does)';

const run = (cmd: string, args: string[]) =>
  spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('bin/natbox from the snapshot prints what the plain build prints', { skip }, () => {
  for (const args of [
    ['trace', 'examples/hairpin/dnat-only.yaml', 'examples/hairpin/dnat-snat.yaml'],
    ['trace', '--story', '--lang', 'pt-BR', 'examples/hairpin/dnat-snat.yaml'],
    ['test', 'examples/hairpin/dnat-only.yaml'],
    ['trace', 'no/such/file.yaml'],
    ['--version'],
  ]) {
    const snap = run(`${root}bin/natbox`, args);
    const plain = run(process.execPath, ['dist/cli/main.js', ...args]);
    assert.equal(snap.stdout, plain.stdout, `stdout of natbox ${args.join(' ')}`);
    assert.equal(snap.stderr, plain.stderr, `stderr of natbox ${args.join(' ')}`);
    assert.equal(snap.status, plain.status, `exit code of natbox ${args.join(' ')}`);
  }
});

const bundled = existsSync(`${root}dist/natbox.mjs`);
test(
  'the bundled command (dist/natbox.mjs, bin/natbox without a snapshot) prints what the plain build prints',
  { skip: bundled ? false : 'no bundled command: run `npm run build` first (CI does)' },
  () => {
    for (const args of [
      ['trace', 'examples/hairpin/dnat-only.yaml'],
      ['rules', 'save', 'examples/hairpin/dnat-snat.yaml'],
      ['trace', 'no/such/file.yaml'],
      ['--version'],
    ]) {
      const one = run(process.execPath, ['dist/natbox.mjs', ...args]);
      const plain = run(process.execPath, ['dist/cli/main.js', ...args]);
      assert.equal(one.stdout, plain.stdout, `stdout of natbox ${args.join(' ')}`);
      assert.equal(one.stderr, plain.stderr, `stderr of natbox ${args.join(' ')}`);
      assert.equal(one.status, plain.status, `exit code of natbox ${args.join(' ')}`);
    }
  },
);
