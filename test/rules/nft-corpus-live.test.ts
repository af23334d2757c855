// The nftables corpus (test/rules/nft-corpus/) against the real nft and kernel: what
// nft-corpus/capture.sh stored must still be what they make of each ruleset. For every NAME.nft:
// a fresh network namespace (nbx-nftcorpus-PID-N, deleted afterwards whatever happens, never
// connected to anything), its "# setup: " header lines replayed there (devices the ruleset names),
// `nft -f NAME.nft` run from the corpus folder (relative includes resolve there), and
// `nft list ruleset`, `nft -a list ruleset` and `nft -j list ruleset` compared byte for byte with
// NAME.list, NAME.list-a and NAME.json; then `nft flush ruleset`, `nft -f NAME.list` and
// `nft list ruleset` compared with NAME.relist (or NAME.list where there is none). The stored outputs are Debian's nft 1.0.6's: with another
// nft, without root, `ip netns` or nft, the test skips and says why. A few namespaces at a time,
// every command bounded by a timeout; TZ=UTC as in capture.sh (nft reads and prints `meta time` and
// `meta hour` in local time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, 'nft-corpus');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.nft'))
  .map((f) => f.slice(0, -'.nft'.length))
  .sort();
const TIMEOUT = 60_000;
/** How many rulesets (namespaces) are worked on at once. */
const PARALLEL = 4;

function why(): string | undefined {
  if (process.platform !== 'linux') return 'nft corpus live test: needs Linux';
  if (process.getuid?.() !== 0) return 'nft corpus live test: needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'nft corpus live test: "ip netns" is not available';
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (nft.error || nft.status !== 0) return 'nft corpus live test: nft is not installed';
  if (!/^nftables v1\.0\.6\b/.test(nft.stdout))
    return `nft corpus live test: the stored outputs are nft 1.0.6's, this is ${nft.stdout.trim()}`;
  return undefined;
}
const skip = why();

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after TIMEOUT): its status and output. */
function run(args: readonly string[], cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(args[0]!, args.slice(1), {
      cwd,
      env: { ...process.env, TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TIMEOUT,
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let serial = 0;

/** Loads one ruleset into a fresh namespace: its three listings, or the error. */
async function capture(name: string): Promise<{ list: string; listA: string; json: string; relist: string }> {
  const ns = `nbx-nftcorpus-${process.pid}-${++serial}`;
  const made = await run(['ip', 'netns', 'add', ns]);
  if (made.status !== 0) throw new Error(`ip netns add ${ns}: ${made.stderr.trim()}`);
  try {
    const text = readFileSync(join(dir, `${name}.nft`), 'utf8');
    for (const m of text.matchAll(/^# setup: (.*)$/gm)) {
      const r = await run(['ip', 'netns', 'exec', ns, 'sh', '-c', m[1]!]);
      if (r.status !== 0) throw new Error(`setup "${m[1]}": ${r.stderr.trim()}`);
    }
    const load = await run(['ip', 'netns', 'exec', ns, 'nft', '-f', `${name}.nft`], dir);
    if (load.status !== 0) throw new Error(`nft -f ${name}.nft: ${load.stderr.trim()}`);
    const out = async (args: string[]): Promise<string> => {
      const r = await run(['ip', 'netns', 'exec', ns, 'nft', ...args]);
      if (r.status !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr.trim()}`);
      return r.stdout;
    };
    const list = await out(['list', 'ruleset']);
    const listA = await out(['-a', 'list', 'ruleset']);
    const json = await out(['-j', 'list', 'ruleset']);
    await out(['flush', 'ruleset']);
    const back = await run(['ip', 'netns', 'exec', ns, 'nft', '-f', `${name}.list`], dir);
    if (back.status !== 0) throw new Error(`nft -f ${name}.list: ${back.stderr.trim()}`);
    return { list, listA, json, relist: await out(['list', 'ruleset']) };
  } finally {
    await run(['ip', 'netns', 'del', ns]);
  }
}

test(
  'nft corpus live: the real nft 1.0.6 still makes the stored outputs of every ruleset',
  { skip },
  async (t) => {
    assert.ok(names.length >= 25, `only ${names.length} rulesets`);
    const queue = [...names];
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        try {
          const got = await capture(name);
          for (const [ext, text] of [
            ['list', got.list],
            ['list-a', got.listA],
            ['json', got.json],
          ] as const) {
            const want = readFileSync(join(dir, `${name}.${ext}`), 'utf8');
            if (text !== want) failures.push(`${name}.${ext}: the real nft prints something else now`);
          }
          const relist = join(dir, `${name}.relist`);
          const wantBack = readFileSync(existsSync(relist) ? relist : join(dir, `${name}.list`), 'utf8');
          if (got.relist !== wantBack)
            failures.push(`${name}.relist: the real nft lists ${name}.list read back otherwise now`);
        } catch (e) {
          failures.push(`${name}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    t.diagnostic(`${names.length} rulesets loaded, ${failures.length} failures`);
    assert.deepEqual(failures, []);
  },
);
