// `npm test`: every test/**/*.test.ts, in two phases, with the reporter test/reporter.mjs.
// 1. Everything that does not run natbox verify on the kernel, NATBOX_TEST_JOBS files at once
//    (default: the machine's cores): these only compute, or build throwaway namespaces named after
//    their process, so they may share the machine.
// 2. Then, alone, the files that run scenarios on the kernel against a clock (`natbox verify`, the
//    generator): a run whose kernel side ends late is the machine's failure, not natbox's, so
//    nothing else competes with them for the CPU.
// Each phase prints node:test's own report; the exit status is 1 when either failed.
// Plain JavaScript, so it needs no compiler before the tests' own `--import tsx`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

/** The files of phase 2: each runs `natbox verify` (or the generator) on this machine's kernel. */
const ALONE = new Set([
  'test/verify/all.test.ts',
  'test/verify/generate.test.ts',
  'test/verify/nft-verify.test.ts',
  'test/verify/verify.test.ts',
  'test/verify/safety.test.ts',
  'test/fuzz/hunt.test.ts',
  'test/cli/report-schemas.test.ts',
  'test/check/cli.test.ts',
]);

/** @param {string} dir @returns {string[]} */
function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = testFiles('test').sort();
for (const f of ALONE)
  if (!files.includes(f)) throw new Error(`scripts/test.mjs: ${f} is not a test file any more`);
const jobs = Number(process.env.NATBOX_TEST_JOBS ?? availableParallelism()) || 1;
const phases = [
  { files: files.filter((f) => !ALONE.has(f)), jobs },
  { files: files.filter((f) => ALONE.has(f)), jobs: 1 },
];
let failed = false;
for (const phase of phases) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${phase.jobs}`,
      '--test-reporter=./test/reporter.mjs',
      '--test-reporter-destination=stdout',
      ...phase.files,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
