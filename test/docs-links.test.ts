// The README and docs/*.md link only to files the npm package ships (package.json `files`), so a
// reader of the installed package never meets a dead link: docs/ was once linked but not packaged.
// The file list is npm's own (`npm pack --dry-run --json`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

test('every relative link of README.md and docs/*.md points at a file in the npm package', () => {
  // Under `npm test`, the npm that runs the tests; else the one on PATH.
  const npm = process.env.npm_execpath;
  const args = ['pack', '--dry-run', '--json', '--ignore-scripts'];
  const r = spawnSync(npm ? process.execPath : 'npm', npm ? [npm, ...args] : args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const packed = new Set(
    (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path),
  );
  assert.ok(
    packed.has('docs/trace-json.md') && packed.has('schema/test.schema.json'),
    [...packed].join('\n'),
  );
  const pages = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const dead: string[] = [];
  let links = 0;
  for (const page of pages) {
    assert.ok(packed.has(page), `${page} is not in the package`);
    const text = readFileSync(join(root, page), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (!target || /^[a-z]+:/.test(target)) continue;
      links++;
      const path = normalize(join(dirname(page), target)).replace(/\/$/, '');
      const ok = packed.has(path) || [...packed].some((p) => p.startsWith(`${path}/`));
      if (!ok) dead.push(`${page}: ${m[1]}`);
    }
  }
  assert.ok(links > 10, `only ${links} links found`);
  assert.deepEqual(dead, [], 'links to files the package does not ship');
});
