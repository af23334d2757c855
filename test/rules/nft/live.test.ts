// Each fixture fed to the real nft in a fresh network namespace (named with this process's pid,
// deleted afterwards also on failure): natbox's printNft(parseNft(input)) must equal what
// `nft list ruleset` and `nft -a list ruleset` print, and the listing read back must print itself.
// Skips with the reason when not root or nft / ip netns are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import { formatDiagnostic } from '../../../src/rules/diagnostics.ts';
import { FIXTURES, fixtureNames, lines, read } from './fixtures.ts';

function missing(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  if (spawnSync('nft', ['--version']).status !== 0) return 'needs nft (nftables)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'needs ip netns';
  return undefined;
}

const why = missing();

const run = (args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 30_000 });

for (const name of fixtureNames())
  test(`live nft: ${name} prints as the real nft lists it`, { skip: why }, () => {
    const ns = `nbx-nftlang-${process.pid}-${name}`.slice(0, 60);
    assert.equal(run(['ip', 'netns', 'add', ns]).status, 0);
    try {
      const load = run(['ip', 'netns', 'exec', ns, 'nft', '-f', join(FIXTURES, `${name}.nft`)]);
      assert.equal(load.status, 0, load.stderr);
      const list = run(['ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset']).stdout;
      const listA = run(['ip', 'netns', 'exec', ns, 'nft', '-a', 'list', 'ruleset']).stdout;
      // the stored expectation is still what this machine's nft prints
      assert.equal(list, read(`${name}.list`));
      const r = parseNft(lines(read(`${name}.nft`), `${name}.nft`));
      assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
      if (r.ok) {
        assert.equal(printNft(r.ruleset), list);
        assert.equal(printNft(r.ruleset, { handles: true }), listA);
      }
      const back = parseNft(lines(listA, 'listing'));
      assert.ok(back.ok);
      if (back.ok) assert.equal(printNft(back.ruleset, { handles: true }), listA);
    } finally {
      run(['ip', 'netns', 'del', ns]);
    }
  });
