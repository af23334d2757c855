// `natbox test` as CI runs it: the summary line per file, the last line `N passed, N failed`, exit
// codes 0 (all held), 1 (an expectation failed, with what was expected and what happened) and 2
// (bad input), the JSON report and the JUnit XML file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function natbox(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-test-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** dnat-only.yaml expecting what dnat-snat gives: a scenario whose expectation fails. */
function wrongExpectation(dir: string): string {
  const f = join(dir, 'wrong.yaml');
  writeFileSync(
    f,
    readFileSync(join(root, 'examples/hairpin/dnat-only.yaml'), 'utf8')
      .replace('name: hairpin-dnat-only', 'name: wrong-expectation')
      .replace(
        /expect: \{ verdict: timeout, translated_source: 192\.168\.1\.10:40000 \}/,
        'expect: { verdict: connected, server_sees: 192.168.1.1:40000 }',
      ),
  );
  return f;
}

test('natbox test: every expectation holds: a line per file, "N passed, N failed", exit 0', () => {
  const r = natbox(
    'test',
    'examples/hairpin/dnat-only.yaml',
    'examples/hairpin/dnat-snat.yaml',
    'examples/hairpin/udp-dnat-only.yaml',
  );
  assert.equal(r.err, '');
  assert.equal(
    r.out,
    [
      'PASS examples/hairpin/dnat-only.yaml (hairpin-dnat-only): 1 flow, 1 passed, 0 failed',
      'PASS examples/hairpin/dnat-snat.yaml (hairpin-dnat-snat): 1 flow, 1 passed, 0 failed',
      'PASS examples/hairpin/udp-dnat-only.yaml (hairpin-udp-dnat-only): 2 flows, 2 passed, 0 failed',
      '4 passed, 0 failed',
      '',
    ].join('\n'),
  );
  assert.equal(r.code, 0);
});

test('natbox test: a failed expectation names the flow, what was expected and what happened; exit 1', () => {
  withDir((dir) => {
    const f = wrongExpectation(dir);
    const r = natbox('test', 'examples/hairpin/dnat-snat.yaml', f);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    assert.equal(
      lines[0],
      'PASS examples/hairpin/dnat-snat.yaml (hairpin-dnat-snat): 1 flow, 1 passed, 0 failed',
    );
    assert.equal(lines[1], `FAIL ${f} (wrong-expectation): 1 flow, 0 passed, 1 failed`);
    assert.equal(
      lines[2],
      '  ✗ flow "client opens the web page through the public address" (client tcp 40000 → 82.120.11.22:80)',
    );
    assert.equal(lines[3], '    expected: connected, server sees 192.168.1.1:40000');
    assert.equal(lines[4], '    got:      timeout');
    assert.equal(lines[5], '    - expected connected, got timeout');
    assert.equal(
      lines[6],
      '    - expected the server to see 192.168.1.1:40000, no answer came back to say what it saw',
    );
    assert.match(
      lines[7]!,
      /^ {4}why: Timed out: router DNATed the SYN to 192\.168\.1\.200:80 but left its source/,
    );
    assert.equal(lines[8], '1 passed, 1 failed');
    assert.equal(lines[9], '');
    assert.equal(lines.length, 10);
  });
});

test('natbox test: bad input is reported with its position and exits 2, the other files still run', () => {
  withDir((dir) => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'name: bad\nhosts:\n  router:\n    interfaces:\n      wan: { addresses: [82.120.11.22/33] }\n',
    );
    const r = natbox('test', bad, 'examples/hairpin/dnat-snat.yaml', join(dir, 'missing.yaml'));
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      [
        `${bad}:5:26: hosts.router.interfaces.wan.addresses[0]: "82.120.11.22/33" is not an IPv4 prefix (prefix length 33 is over 32)`,
        `natbox: ${join(dir, 'missing.yaml')}: no such file`,
        '',
      ].join('\n'),
    );
    assert.equal(
      r.out,
      [
        `ERROR ${bad}: not tested (1 error)`,
        'PASS examples/hairpin/dnat-snat.yaml (hairpin-dnat-snat): 1 flow, 1 passed, 0 failed',
        `ERROR ${join(dir, 'missing.yaml')}: not tested (1 error)`,
        '1 passed, 0 failed',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
  const none = natbox('test');
  assert.equal(none.code, 2);
  assert.match(none.err, /missing required argument 'scenario'/);
});

test('natbox test: a flow without expect is reported, not counted', () => {
  withDir((dir) => {
    const f = join(dir, 'noexpect.yaml');
    writeFileSync(
      f,
      readFileSync(join(root, 'examples/hairpin/dnat-snat.yaml'), 'utf8').replace(/\n\s+expect: .*\n/, '\n'),
    );
    const r = natbox('test', f);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `PASS ${f} (hairpin-dnat-snat): 1 flow, 0 passed, 0 failed, 1 without expectation\n0 passed, 0 failed\n`,
    );
  });
});

test('natbox test --json: the natbox-test/1 report', () => {
  withDir((dir) => {
    const f = wrongExpectation(dir);
    const r = natbox('test', '--json', 'examples/hairpin/dnat-only.yaml', f);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.out);
    assert.equal(doc.format, 'natbox-test/1');
    assert.deepEqual([doc.passed, doc.failed, doc.unchecked, doc.errors], [1, 1, 0, 0]);
    assert.deepEqual(
      doc.files.map((x: { file: string; scenario: string; flows: { status: string; verdict: string }[] }) => [
        x.scenario,
        x.flows.map((fl) => [fl.status, fl.verdict]),
      ]),
      [
        ['hairpin-dnat-only', [['pass', 'timeout']]],
        ['wrong-expectation', [['fail', 'timeout']]],
      ],
    );
    assert.deepEqual(doc.files[1].flows[0].expected, {
      verdict: 'connected',
      serverSees: '192.168.1.1:40000',
    });
    assert.equal(doc.files[1].flows[0].mismatches[0], 'expected connected, got timeout');
  });
});

test('natbox test --junit FILE: JUnit XML, a testsuite per file and a testcase per flow', () => {
  withDir((dir) => {
    const f = wrongExpectation(dir);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'hosts: 3\n');
    const xmlFile = join(dir, 'report.xml');
    const r = natbox('test', '--junit', xmlFile, 'examples/hairpin/dnat-snat.yaml', f, bad);
    assert.equal(r.code, 2);
    assert.match(r.out, /\n1 passed, 1 failed\n$/);
    const xml = readFileSync(xmlFile, 'utf8');
    const lines = xml.split('\n');
    assert.equal(lines[0], '<?xml version="1.0" encoding="UTF-8"?>');
    assert.equal(lines[1], '<testsuites name="natbox test" tests="3" failures="1" errors="1" skipped="0">');
    assert.equal(
      lines[2],
      '  <testsuite name="hairpin-dnat-snat" file="examples/hairpin/dnat-snat.yaml" tests="1" failures="0" errors="0" skipped="0">',
    );
    assert.equal(
      lines[3],
      '    <testcase name="client opens the web page through the public address" classname="hairpin-dnat-snat" file="examples/hairpin/dnat-snat.yaml"/>',
    );
    assert.ok(
      xml.includes(
        '<failure message="expected connected, got timeout; expected the server to see 192.168.1.1:40000, no answer came back to say what it saw" type="expectation">flow: client tcp 40000 → 82.120.11.22:80\nexpected: connected, server sees 192.168.1.1:40000\ngot: timeout\nwhy: Timed out:',
      ),
    );
    assert.match(
      xml,
      new RegExp(
        `<testsuite name="${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" file="[^"]+" tests="1" failures="0" errors="1" skipped="0">\\n {4}<testcase name="load"[^>]*>\\n {6}<error message="${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1:8: `,
      ),
    );
    assert.ok(xml.endsWith('</testsuites>\n'));
    // Well-formed enough for any reader: tags balance.
    const open = (xml.match(/<(testsuites|testsuite|testcase|failure|error)[ >]/g) ?? []).length;
    const selfClosed = (xml.match(/<(testcase|skipped)[^>]*\/>/g) ?? []).length;
    const close = (xml.match(/<\/(testsuites|testsuite|testcase|failure|error)>/g) ?? []).length;
    assert.equal(open - selfClosed, close);
  });
});
