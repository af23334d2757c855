// `natbox diff`: the seed's two rulesets for one network (DNAT alone, DNAT + SNAT) differ in
// verdict, in who the server sees and in the translations; the same file against itself does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const natbox = (...args: string[]): { code: number; out: string; err: string } => {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

test('natbox diff dnat-only dnat-snat: verdict, server_sees and the added SNAT; exit 1', () => {
  const r = natbox('diff', 'examples/hairpin/dnat-only.yaml', 'examples/hairpin/dnat-snat.yaml');
  assert.equal(r.err, '');
  assert.equal(
    r.out,
    [
      '--- examples/hairpin/dnat-only.yaml (hairpin-dnat-only)',
      '+++ examples/hairpin/dnat-snat.yaml (hairpin-dnat-snat)',
      'flow "client opens the web page through the public address" (client tcp 40000 → 82.120.11.22:80):',
      '  verdict:      timeout → connected',
      '  server sees:  (no answer said) → 192.168.1.1:40000',
      '  answer from:  (none) → 82.120.11.22:80',
      '  translations:',
      '      router DNAT 192.168.1.10:40000 > 82.120.11.22:80 ⇒ 192.168.1.10:40000 > 192.168.1.200:80',
      '    + router SNAT 192.168.1.10:40000 > 192.168.1.200:80 ⇒ 192.168.1.1:40000 > 192.168.1.200:80',
      // Why (issue 17): rule B, line 30 of dnat-snat.yaml, which dnat-only.yaml does not have.
      '  why:',
      '    + router: nat POSTROUTING: -A POSTROUTING -s 192.168.1.0/24 -d 192.168.1.200/32 -o br-lan -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
      '        matched in examples/hairpin/dnat-snat.yaml:30',
      '        examples/hairpin/dnat-only.yaml has no such rule',
      '1 flow changed, 0 unchanged',
      '',
    ].join('\n'),
  );
  assert.equal(r.code, 1);
});

test('natbox diff --json, and a file against itself: nothing changed, exit 0', () => {
  const j = natbox('diff', '--json', 'examples/hairpin/dnat-snat.yaml', 'examples/hairpin/dnat-only.yaml');
  assert.equal(j.code, 1);
  const doc = JSON.parse(j.out);
  assert.equal(doc.format, 'natbox-diff/1');
  assert.deepEqual(doc.flows[0].verdict, { a: 'connected', b: 'timeout' });
  assert.deepEqual(doc.flows[0].serverSaw, { a: '192.168.1.1:40000', b: null });
  assert.deepEqual(
    doc.flows[0].translations.map((t: { op: string }) => t.op),
    [' ', '-'],
  );
  const same = natbox('diff', 'examples/hairpin/dnat-snat.yaml', 'examples/hairpin/dnat-snat.yaml');
  assert.equal(same.code, 0, same.err);
  assert.match(
    same.out,
    /: unchanged \(connected, server saw 192\.168\.1\.1:40000\)\n0 flows changed, 1 unchanged\n$/,
  );
});

test('natbox diff: MASQUERADE and SNAT fix the hairpin the same way', () => {
  const r = natbox('diff', 'examples/hairpin/dnat-snat.yaml', 'examples/hairpin/masquerade.yaml');
  assert.equal(r.code, 0, r.out + r.err);
});

test('natbox diff: bad input exits 2', () => {
  const r = natbox('diff', 'examples/hairpin/dnat-snat.yaml', 'no/such.yaml');
  assert.equal(r.code, 2);
  assert.equal(r.err, 'natbox: no/such.yaml: no such file\n');
  assert.equal(r.out, '');
});
