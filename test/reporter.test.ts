// test/reporter.mjs, the reporter `npm test` uses: every skip reason the suite gives is put in the
// class of what it needs with the right Debian packages, the summary counts them and gives the
// apt-get line, and run for real it prints node:test's spec output unchanged, with the summary just
// before spec's closing counts (`ℹ tests N` … `ℹ duration_ms`), which stay last for CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifySkip, missingRootPackages, skipSummary } from './reporter.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

test('skip reasons, as the tests give them, are classed by what they need', () => {
  const cases: [string, string, boolean, string[]][] = [
    // test/rules/kernel.test.ts
    ['kernel test: needs root (ip netns add)', 'need root', true, []],
    ['kernel test: "ip netns" is not available (install iproute2)', 'need iproute2', false, ['iproute2']],
    [
      'kernel test: iptables is not installed (apt-get install iptables)',
      'need iptables',
      false,
      ['iptables'],
    ],
    // test/wire/helpers.ts missing(), test/cli/cli.test.ts, test/trace/svg.test.ts
    ['tshark not installed: apt-get install tshark', 'need tshark', false, ['tshark']],
    ['tshark not installed (apt-get install tshark); CI installs it', 'need tshark', false, ['tshark']],
    [
      'chromium not installed (apt-get install -y chromium): the SVG was not rendered',
      'need chromium',
      false,
      ['chromium'],
    ],
    // src/dataplane/kernel/live.ts environmentProblems() through test/verify/*.test.ts
    [
      "natbox verify cannot run on this machine's kernel: needs root (network namespaces, iptables and tcpdump need CAP_SYS_ADMIN/CAP_NET_ADMIN); missing ip, sysctl, tcpdump, conntrack, iptables-nft, iptables-nft-restore (Debian: apt-get install iproute2 procps tcpdump conntrack iptables)",
      'need root, iproute2, procps, iptables, tcpdump, conntrack',
      true,
      ['iproute2', 'procps', 'iptables', 'tcpdump', 'conntrack'],
    ],
    [
      "natbox verify cannot run on this machine's kernel: missing tcpdump (Debian: apt-get install iproute2 procps tcpdump conntrack iptables)",
      'need tcpdump',
      false,
      ['tcpdump'],
    ],
    ['needs root and setpriv(1) to drop to nobody', 'need root', true, []],
    // test/conformance, test/cli/snapshot.test.ts, test/verify/all.test.ts
    [
      'kernel reference not found at /home/u/shared/reference/kernel',
      'the kernel reference runs are not there (shared/reference/kernel)',
      false,
      [],
    ],
    [
      'no startup snapshot: run `npm run build` first (CI does)',
      'not built: run `npm run build` first',
      false,
      [],
    ],
    [
      'does not match yet: the kernel answers with an extra ACK',
      'known gaps, each named in its test (nothing to install)',
      false,
      [],
    ],
    [
      'not replayed yet: a format field',
      'known gaps, each named in its test (nothing to install)',
      false,
      [],
    ],
    ['NATBOX_VERIFY_ALL=0', 'turned off or cut short by NATBOX_VERIFY_ALL', false, []],
    ['something else entirely', 'something else entirely', false, []],
  ];
  for (const [reason, label, needsRoot, packages] of cases)
    assert.deepEqual(classifySkip(reason), { label, root: needsRoot, packages }, reason);
});

test('the summary: a count per class, largest first, one example each, and the apt-get line', () => {
  const reasons = [
    ...Array<string>(3).fill('kernel test: needs root (ip netns add)'),
    'tshark not installed: apt-get install tshark',
    'kernel test: iptables is not installed (apt-get install iptables)',
    'kernel test: iptables is not installed (apt-get install iptables)',
    'does not match yet: x',
  ];
  assert.equal(
    skipSummary(reasons, 100),
    [
      '',
      "Skipped tests: 7 of 100, by what they need (each test's own reason is above):",
      '  3  need root',
      '       e.g. "kernel test: needs root (ip netns add)"',
      '  2  need iptables',
      '       e.g. "kernel test: iptables is not installed (apt-get install iptables)"',
      '  1  need tshark',
      '       e.g. "tshark not installed: apt-get install tshark"',
      '  1  known gaps, each named in its test (nothing to install)',
      '       e.g. "does not match yet: x"',
      'To run them, install what is missing (Debian, Ubuntu) and run the tests as root:',
      '  sudo apt-get install -y iptables tshark && sudo npm test',
      '',
      '',
    ].join('\n'),
  );
  // As root: no sudo, and no "run as root".
  assert.match(skipSummary(reasons, 100, true), /\n {2}apt-get install -y iptables tshark\n\n$/);
  assert.equal(
    skipSummary(['kernel test: needs root (ip netns add)']).split('\n').slice(-4).join('\n'),
    'To run them, run the tests as root:\n  sudo npm test\n\n',
  );
  assert.equal(skipSummary([]), '');
  // Tests that stop at "needs root" also need the kernel tools this machine lacks: they join the line.
  assert.match(
    skipSummary(reasons, 100, false, ['iproute2', 'conntrack']),
    /\n {2}sudo apt-get install -y iproute2 iptables conntrack tshark && sudo npm test\n\n$/,
  );
  // Not when no skipped test needs root.
  assert.match(
    skipSummary([reasons[3]!], 100, false, ['iproute2']),
    /\n {2}sudo apt-get install -y tshark\n\n$/,
  );
});

test('the kernel tools a machine lacks are found on PATH and in the sbin directories', () => {
  const dir = mkdtempSync(join(tmpdir(), `natbox-reporter-${process.pid}-`));
  try {
    for (const tool of ['ip', 'tcpdump', 'python3']) {
      writeFileSync(join(dir, tool), '#!/bin/sh\n');
      chmodSync(join(dir, tool), 0o755);
    }
    writeFileSync(join(dir, 'conntrack'), 'not executable');
    assert.deepEqual(missingRootPackages(dir, []), ['procps', 'iptables', 'conntrack']);
    assert.deepEqual(missingRootPackages('', [dir]), ['procps', 'iptables', 'conntrack']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function runFixture(reporter: string): string {
  // A `node --test` started from inside a test would report to its parent run, not print.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-reporter=${reporter}`,
      '--test-reporter-destination=stdout',
      'test/fixtures/skips.fixture.ts',
    ],
    { cwd: root, encoding: 'utf8', env },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('npm test’s reporter: spec’s output unchanged, the summary just before the closing counts', () => {
  const ours = runFixture('./test/reporter.mjs');
  const spec = runFixture('spec');
  const times = (s: string): string =>
    s.replace(/\(\d+(\.\d+)?ms\)/g, '(…ms)').replace(/duration_ms \S+/, 'duration_ms …');
  const lines = ours.trimEnd().split('\n');
  // The closing counts are the last lines, in spec's order.
  assert.deepEqual(
    lines.slice(-8).map((l) => l.replace(/ \d+(\.\d+)?$/, '')),
    ['ℹ tests', 'ℹ suites', 'ℹ pass', 'ℹ fail', 'ℹ cancelled', 'ℹ skipped', 'ℹ todo', 'ℹ duration_ms'],
  );
  assert.ok(lines.includes('ℹ skipped 5'), ours);
  const at = ours.indexOf('\nSkipped tests: ');
  assert.ok(at > 0, ours);
  const summary = ours.slice(at, ours.indexOf('ℹ tests'));
  assert.equal(
    summary,
    skipSummary(
      [
        'tshark not installed: apt-get install tshark',
        'tcpdump not installed: apt-get install tcpdump',
        'kernel test: needs root (ip netns add)',
        'kernel test: needs root (ip netns add)',
        'does not match yet: the kernel sends an extra ACK',
        // The parent `kernel` test itself is not skipped; its subtests are.
      ],
      7,
      process.getuid?.() === 0,
      missingRootPackages(),
    ),
  );
  // Without the summary, exactly what the spec reporter prints.
  assert.equal(times(ours.replace(summary, '')), times(spec));
});
