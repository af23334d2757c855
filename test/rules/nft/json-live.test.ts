// natbox's nft JSON against the real nft (v1.0.6 here) in throwaway network namespaces:
// - each fixture's `nft -f NAME.nft; nft -j list ruleset` is still NAME.json (the fixtures hold);
// - printNftJson(parseNft(NAME.nft)) is byte for byte what nft -j printed;
// - parseNftJson(NAME.json) printed as text (printNft) is what `nft -j -f NAME.json; nft list
//   ruleset` prints (for the fixtures nft 1.0.6 can read back: it refuses its own JSON for maps
//   with concatenated data and for netdev chains, whose device it does not print).
// Skips with the reason when not root or without nft / ip netns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNft, parseNftJson, printNft, printNftJson } from '../../../src/rules/nft/index.ts';

const DIR = join(import.meta.dirname, 'json-fixtures');
const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.nft'))
  .map((f) => f.slice(0, -4))
  .sort();

function missing(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  const v = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'needs nft';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'needs ip netns';
  return undefined;
}
const skip = missing();

let seq = 0;
/** Runs `nft` commands in a fresh namespace (deleted afterwards, also on failure). */
function inNamespace(steps: { args: string[]; input?: string }[]): {
  ok: boolean;
  out: string[];
  err: string;
} {
  const ns = `nbx-json-${process.pid}-${seq++}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return { ok: false, out: [], err: add.stderr };
  const dir = mkdtempSync(join(tmpdir(), 'nbx-json-'));
  try {
    const out: string[] = [];
    for (const s of steps) {
      let args = s.args;
      if (s.input !== undefined) {
        const file = join(dir, `in-${out.length}`);
        writeFileSync(file, s.input);
        args = args.map((a) => (a === '-' ? file : a));
      }
      const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) return { ok: false, out, err: r.stderr };
      out.push(r.stdout);
    }
    return { ok: true, out, err: '' };
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (text: string, file: string) =>
  text.split('\n').map((t, i) => ({ file, line: i + 1, column: 1, text: t }));

/** What natbox's text side does not do yet (the language engineer's files): shown, not hidden. */
const TEXT_READ_GAPS = new Set(['home-router', 'kitchen-sink', 'match-forms']);
/**
 * What natbox's JSON printer does not do yet: shown, not hidden. match-forms: nft puts a
 * concatenation of prefixes (`ip saddr . ip daddr 10.0.0.0/8 . 192.168.0.0/16`) in an anonymous
 * set, which takes a handle (the rules after it are one handle further on).
 */
const JSON_PRINT_GAPS = new Map([
  ['match-forms', 'json-print.ts: a concatenation of prefixes is not put in an anonymous set as nft does'],
]);

for (const name of names) {
  test(
    `nft json live: ${name}: nft -j list ruleset is the fixture, and natbox prints it from the text`,
    { skip },
    (t) => {
      const text = readFileSync(join(DIR, `${name}.nft`), 'utf8');
      const json = readFileSync(join(DIR, `${name}.json`), 'utf8');
      const live = inNamespace([{ args: ['-f', '-'], input: text }, { args: ['-j', 'list', 'ruleset'] }]);
      assert.ok(live.ok, live.err);
      assert.equal(live.out[1], json, 'the fixture no longer matches the real nft');
      const r = parseNft(lines(text, `${name}.nft`));
      if (!r.ok) {
        assert.ok(
          TEXT_READ_GAPS.has(name),
          r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'),
        );
        t.todo(
          `parseNft refuses ${name}.nft: ${r.diagnostics[0]!.line}:${r.diagnostics[0]!.column} ${r.diagnostics[0]!.message}`,
        );
        return;
      }
      const got = printNftJson(r.ruleset);
      const gap = JSON_PRINT_GAPS.get(name);
      if (gap !== undefined && got !== json) {
        t.todo(gap);
        return;
      }
      assert.equal(got, json);
    },
  );
}

/** Fixtures nft 1.0.6 reads back with `nft -j -f` (see the head of this file). */
const READ_BACK = ['docker', 'home-router', 'match-forms', 'meter'];
/** Where natbox's text printer (the language engineer's print.ts) still differs from nft. */
const TEXT_PRINT_GAPS: Record<string, string> = {
  docker: 'print.ts names priority -100 of a nat output chain "dstnat" (nft prints -100)',
  'match-forms': 'print.ts prints flag comparisons (tcp flags & syn == syn) in another form',
};

for (const name of READ_BACK) {
  test(
    `nft json live: ${name}: parseNftJson then printNft is what nft -j -f + nft list ruleset print`,
    { skip },
    (t) => {
      const json = readFileSync(join(DIR, `${name}.json`), 'utf8');
      const live = inNamespace([{ args: ['-j', '-f', '-'], input: json }, { args: ['list', 'ruleset'] }]);
      assert.ok(live.ok, live.err);
      const r = parseNftJson(json, `${name}.json`);
      assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
      const mine = printNft(r.ruleset);
      const gap = TEXT_PRINT_GAPS[name];
      if (gap !== undefined && mine !== live.out[1]) {
        t.todo(gap);
        return;
      }
      assert.equal(mine, live.out[1]);
    },
  );
}
