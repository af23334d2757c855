// `natbox render` and `natbox serve` without a browser: how the scenarios go into the page, and the
// errors (bad scenario: exit 2; no built page: exit 3; bad port: exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pageWithScenarios, renderCommand, type Io } from '../../src/cli/commands/render.ts';
import { serveCommand } from '../../src/cli/commands/serve.ts';

const root = resolve(import.meta.dirname, '../..');

/** Runs a command with its output and errors kept (not on the test runner's standard output). */
async function captured(f: (io: Io) => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await f({ out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('the scenarios go into the page as JSON before </head>, a </script> in them escaped', () => {
  const page = '<html><head><title>x</title></head><body></body></html>';
  const text = 'name: x # </script><script>alert(1)</script>\n';
  const out = pageWithScenarios(page, [{ file: 'a.yaml', text }]);
  assert.equal(out.match(/<\/script>/g)?.length, 1, 'only the tag the page adds ends a script');
  const json = /<script type="application\/json" id="natbox-scenarios">(.*)<\/script>\n<\/head>/.exec(
    out,
  )?.[1];
  assert.deepEqual(JSON.parse(json!), [{ file: 'a.yaml', text }]);
});

test('natbox render: the page with the scenario; a bad scenario is exit 2, no built page exit 3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-page-'));
  try {
    const page = join(dir, 'page.html');
    writeFileSync(page, '<html><head></head><body></body></html>');
    const seed = join(root, 'examples/hairpin/dnat-only.yaml');
    const out = join(dir, 'out.html');
    const ok = await captured((io) => renderCommand([seed], { html: out, page }, io));
    assert.equal(ok.code, 0, ok.err);
    assert.ok(readFileSync(out, 'utf8').includes('\\nname: hairpin-dnat-only\\n'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\nhosts: 3\n');
    const r2 = await captured((io) => renderCommand([bad], { html: out, page }, io));
    assert.equal(r2.code, 2);
    assert.match(r2.err, /bad\.yaml:2:\d+: /);
    const r3 = await captured((io) => renderCommand([seed], { html: out, page: join(dir, 'none.html') }, io));
    assert.equal(r3.code, 3);
    assert.match(r3.err, /--page .*none\.html: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('natbox serve: a port that is not a number is exit 2', async () => {
  const r = await captured((io) => serveCommand([], { port: '80x', host: '127.0.0.1' }, io));
  assert.equal(r.code, 2);
  assert.match(r.err, /--port 80x: expected a port number/);
});
