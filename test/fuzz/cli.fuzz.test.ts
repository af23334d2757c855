// Fuzz campaign, the command as a user runs it (issue 11): generated scenarios, rule files and
// `ip -j` JSON given to `natbox trace`, `test`, `rules save`, `rules list` and `import` in every
// mode. Whatever the input, natbox exits 0, 1, 2 or 3 (never 70, 134 or a signal), prints no stack
// trace and no "internal error", and every run ends within the time and memory bounds below.
// Runs the built command (dist/); skipped with a message when it has not been built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { FUZZ_SEED, fuzzRuns, ipJsonList, restoreText, scenarioText, switchedScenarioText } from './gen.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = join(root, 'dist/cli/main.js');
const built = existsSync(main)
  ? undefined
  : 'natbox is not built (npm run build): the command-line fuzz runs dist/';
/** Each run's bounds: the "no run over 20 s and none over 1 GB". */
const TIME_MS = 20_000;
const HEAP_MB = 1024;

function run(args: string[]): void {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, main, ...args], {
    encoding: 'utf8',
    timeout: TIME_MS,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const what = `natbox ${args.join(' ')}`;
  if (process.env.NATBOX_FUZZ_LOG) process.stderr.write(`${r.status} ${args[0]} ${r.stderr.slice(0, 80)}\n`);
  assert.equal(r.error, undefined, `${what}: ${String(r.error)} (over ${TIME_MS} ms or too much output)`);
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}`);
  assert.ok([0, 1, 2, 3].includes(r.status ?? -1), `${what}: exit ${r.status}\n${r.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(
    r.stderr,
    /internal error|\n\s+at |FATAL ERROR/,
    `${what}:\n${r.stderr.slice(0, 2000)}`,
  );
}

test('fuzz: natbox never crashes, hangs or blows up on generated input', { skip: built }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-fuzz-'));
  try {
    const f = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const input = fc.record({
      scenario: fc.oneof(scenarioText, switchedScenarioText),
      rules: restoreText,
      addr: ipJsonList.map((j) => JSON.stringify(j)),
      route: ipJsonList.map((j) => JSON.stringify(j)),
    });
    fc.assert(
      fc.property(input, (i) => {
        const s = f('s.yaml', i.scenario);
        const rules = f('r.rules', i.rules);
        run(['trace', s]);
        run(['trace', '--json', s]);
        run(['test', s]);
        run(['rules', 'save', rules]);
        run(['rules', 'list', rules]);
        run(['trace', rules]); // a rules file where a scenario is expected
        run(['import', '--addr', f('a.json', i.addr), '--route', f('r.json', i.route), '--rules', rules]);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(5) },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
