// Ground truth for the "wild" corpus (test/rules/corpus-wild/, issue 13): rulesets gathered from
// public sources we do not control (ufw, kube-proxy, Docker, libvirt, fail2ban, firewalld, ...).
// For every file:
//   1. the real iptables (iptables-nft) accepts it: restore files through iptables-restore,
//      command lists through sh -e, inside a fresh network namespace (nbx-wild-PID-N, deleted
//      afterwards whatever happens), so only that namespace's tables change;
//   2. natbox loads it (loadRulesText, what `natbox rules save` does), and
//   3. natbox's iptables-save text (printSave) equals the kernel's `iptables-save` byte for byte
//      (without its `#` lines), and natbox's `rules list` text (listText) equals
//      `iptables -t T -L -n -v --line-numbers` of every table the kernel's save shows, each after
//      a `## table T` line, byte for byte.
// A file natbox does not load or print identically yet is listed in KNOWN_GAPS with the reason
// (the start of natbox's exact first error), and that is asserted both ways: a listed file that
// now loads and prints identically fails with "remove it from KNOWN_GAPS" (so the list only
// shrinks), an unlisted file that fails is a failure. A file that needs a match or target whose
// kernel module is missing here is skipped, with the module named. Without root, ip netns or
// iptables-nft the kernel tests skip with the reason; the header, README and natbox-side checks
// run everywhere. The files run a few at a time (one namespace each) to keep the whole file short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulesText } from '../../src/rules/load.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import { listText } from '../../src/cli/rules.ts';

const dir = join(import.meta.dirname, 'corpus-wild');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.rules') || f.endsWith('.sh'))
  .sort();

/**
 * The files natbox does not load (or print identically) yet: file -> the start of natbox's first
 * error, `FILE:LINE:COLUMN: message` as `natbox rules save` prints it (the list of supported
 * matches that some messages end with is left out: it grows as natbox does). Only shrinks.
 */
// Empty since issue 13's extensions landed: natbox reads and prints all 83 files as the kernel does.
const KNOWN_GAPS: Readonly<Record<string, string>> = {};

function why(): string | undefined {
  if (process.platform !== 'linux') return 'corpus-wild kernel test: needs Linux';
  if (process.getuid?.() !== 0) return 'corpus-wild kernel test: needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0)
    return 'corpus-wild kernel test: "ip netns" is not available (install iproute2)';
  const ipt = spawnSync('iptables-save', ['--version'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0)
    return 'corpus-wild kernel test: iptables is not installed (apt-get install iptables)';
  if (!/nf_tables/.test(ipt.stdout + ipt.stderr))
    return 'corpus-wild kernel test: expects iptables-nft (1.8.x, nf_tables)';
  return undefined;
}
const skip = why();
let n = 0;
const TIMEOUT = 60_000;
/** How many files (namespaces) are worked on at once. */
const PARALLEL = 4;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after TIMEOUT): its status and output. */
function run(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(args[0]!, args.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.on('error', () => {}); // a command that exits before reading its input
    p.stdin.end(input ?? '');
  });
}

async function must(args: string[], input?: string): Promise<string> {
  const r = await run(args, input);
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Runs `body` in a fresh namespace, deleted afterwards whatever happens. */
async function withNetns<T>(body: (ns: string) => Promise<T>): Promise<T> {
  const ns = `nbx-wild-${process.pid}-${n++}`;
  await must(['ip', 'netns', 'add', ns]);
  try {
    return await body(ns);
  } finally {
    await run(['ip', 'netns', 'del', ns]);
  }
}

/** Loads a corpus file into namespace `ns` with the real tool; the exit status and stderr. */
function kernelLoad(ns: string, name: string): Promise<Run> {
  const path = join(dir, name);
  return name.endsWith('.sh')
    ? run(['ip', 'netns', 'exec', ns, 'sh', '-e', path])
    : run(['ip', 'netns', 'exec', ns, 'iptables-restore'], readFileSync(path, 'utf8'));
}

const SEPARATOR = '@@ natbox corpus-wild: -L follows @@';
/** `iptables-save`, then for each table it shows `## table T` and `iptables -t T -L -n -v --line-numbers`. */
const DUMP = `s=$(iptables-save); printf '%s\\n' "$s"; echo '${SEPARATOR}'; for t in $(printf '%s\\n' "$s" | sed -n 's/^\\*//p'); do echo "## table $t"; iptables -t "$t" -L -n -v --line-numbers; done`;

interface Kernel {
  load: Run;
  save: string;
  list: string;
}

/** The kernel's view of a file: its load, its iptables-save (no `#` lines), its -L per table. */
function kernel(name: string): Promise<Kernel> {
  return withNetns(async (ns) => {
    const load = await kernelLoad(ns, name);
    if (load.status !== 0) return { load, save: '', list: '' };
    // One process for both dumps: iptables-save, a separator, then -L of each table it shows.
    const out = await must(['ip', 'netns', 'exec', ns, 'sh', '-ec', DUMP]);
    const cut = out.indexOf(`${SEPARATOR}\n`);
    if (cut < 0) throw new Error(`no separator in the dump of ${name}`);
    const save = out
      .slice(0, cut)
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    const list = out.slice(cut + SEPARATOR.length + 1);
    return { load, save, list };
  });
}

// Extensions whose kernel module a machine may lack, each with a probe the kernel refuses
// without it. A file using one of them is skipped (with the module named) when its probe fails.
const probes: ReadonlyArray<{ uses: RegExp; module: string; probe: string }> = [
  { uses: /-m recent\b/, module: 'xt_recent', probe: 'iptables -A INPUT -m recent --name p --rcheck' },
  {
    uses: /-m statistic\b/,
    module: 'xt_statistic',
    probe: 'iptables -A INPUT -m statistic --mode random --probability 0.5',
  },
  { uses: /-m socket\b/, module: 'xt_socket', probe: 'iptables -t mangle -A PREROUTING -m socket' },
  {
    uses: /-j TPROXY\b/,
    module: 'xt_TPROXY',
    probe: 'iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --tproxy-mark 1',
  },
  {
    uses: /-m connlimit\b/,
    module: 'xt_connlimit',
    probe: 'iptables -A INPUT -p tcp -m connlimit --connlimit-above 1',
  },
  {
    uses: /CHECKSUM\b/,
    module: 'xt_CHECKSUM',
    probe: 'iptables -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill',
  },
  { uses: /-m dscp\b/, module: 'xt_dscp', probe: 'iptables -A INPUT -m dscp --dscp 1' },
  {
    uses: /-m hashlimit\b/,
    module: 'xt_hashlimit',
    probe: 'iptables -A INPUT -m hashlimit --hashlimit-name p --hashlimit-upto 1/s',
  },
  {
    uses: /-j SYNPROXY\b/,
    module: 'xt_SYNPROXY',
    probe: 'iptables -A INPUT -p tcp -j SYNPROXY --mss 1460',
  },
  { uses: /-m set\b|-j SET\b/, module: 'xt_set', probe: 'true' },
];
const probed = new Map<string, Promise<boolean>>();
async function moduleMissing(text: string): Promise<string | undefined> {
  for (const p of probes) {
    if (!p.uses.test(text)) continue;
    if (!probed.has(p.module))
      probed.set(
        p.module,
        withNetns(
          async (ns) => (await run(['ip', 'netns', 'exec', ns, 'sh', '-e', '-c', p.probe])).status === 0,
        ),
      );
    if (!(await probed.get(p.module))) return `needs the ${p.module} kernel module, missing on this machine`;
  }
  return undefined;
}

/** natbox's view of a file: its first error (as `natbox rules save` prints it), or its two texts. */
function natbox(name: string): { error: string } | { save: string; list: string } {
  const r = loadRulesText(readFileSync(join(dir, name), 'utf8'), name);
  if (!r.ok) return { error: formatDiagnostic(r.diagnostics[0]!) };
  return { save: printSave(r.ruleset), list: listText(r.ruleset) };
}

test('corpus-wild holds at least 80 rulesets', () => {
  assert.ok(files.length >= 80, `only ${files.length} files`);
});

test('every KNOWN_GAPS entry names a corpus-wild file', () => {
  assert.deepEqual(
    Object.keys(KNOWN_GAPS).filter((f) => !files.includes(f)),
    [],
  );
});

for (const name of files) {
  test(`corpus-wild/${name} starts with its origin, license and changes`, () => {
    const head = readFileSync(join(dir, name), 'utf8').split('\n');
    assert.match(head[0]!, /^# origin: \S/, 'first line: # origin: ...');
    const comments = head.slice(
      0,
      head.findIndex((l) => !l.startsWith('#')),
    );
    assert.ok(
      comments.some((l) => /^# license: /.test(l)),
      'a "# license:" line in the header',
    );
    assert.ok(
      comments.some((l) => /^# changed: /.test(l)),
      'a "# changed:" line in the header',
    );
  });
}

test('corpus-wild/README.md lists every file', () => {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const missing = files.filter((f) => !readme.includes(`\`${f}\``));
  assert.deepEqual(missing, []);
});

// natbox's side alone (runs everywhere): a file in KNOWN_GAPS for a load error still fails with
// that error; any other file loads.
for (const name of files) {
  test(`natbox: corpus-wild/${name} loads, or fails as KNOWN_GAPS says`, () => {
    const ours = natbox(name);
    const gap = KNOWN_GAPS[name];
    if ('error' in ours) {
      assert.ok(gap !== undefined, `natbox refuses ${name} (not in KNOWN_GAPS): ${ours.error}`);
      assert.ok(
        ours.error.startsWith(gap),
        `natbox's error for ${name} changed: KNOWN_GAPS says\n  ${gap}\nnatbox says\n  ${ours.error}`,
      );
    } else if (gap !== undefined && !/differs/.test(gap)) {
      assert.fail(`natbox now loads ${name}: remove it from KNOWN_GAPS (was: ${gap})`);
    }
  });
}

/** What went wrong with one file against the kernel, or undefined when all three agree. */
async function compare(name: string): Promise<{ skip?: string; fail?: string }> {
  const missing = await moduleMissing(readFileSync(join(dir, name), 'utf8'));
  if (missing) return { skip: missing };
  const theirs = await kernel(name);
  if (theirs.load.status !== 0) return { fail: `the real iptables refused ${name}: ${theirs.load.stderr}` };
  // Not vacuous: the namespace now holds rules.
  if (!/^-A /m.test(theirs.save)) return { fail: `no rule in the namespace after loading ${name}` };
  const ours = natbox(name);
  const gap = KNOWN_GAPS[name];
  let problem: string | undefined;
  if ('error' in ours) problem = ours.error;
  else if (ours.save !== theirs.save) {
    if (gap === undefined) assert.equal(ours.save, theirs.save, `natbox's save of ${name} differs`);
    problem = 'save differs';
  } else if (ours.list !== theirs.list) {
    if (gap === undefined) assert.equal(ours.list, theirs.list, `natbox's -L of ${name} differs`);
    problem = '-L differs';
  }
  if (problem !== undefined && gap === undefined) return { fail: `${name}: ${problem}` };
  if (problem === undefined && gap !== undefined)
    return { fail: `natbox now loads and prints ${name} as the kernel does: remove it from KNOWN_GAPS` };
  if (problem !== undefined && gap !== undefined && !problem.startsWith(gap) && !gap.startsWith(problem))
    return { fail: `${name}: KNOWN_GAPS says\n  ${gap}\nbut natbox now: ${problem}` };
  return {};
}

test(
  'kernel: every corpus-wild file restores, and natbox prints it as iptables-save and -L do',
  skip ? { skip } : { concurrency: PARALLEL },
  async (t) => {
    const queue = [...files];
    const worker = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const file = name;
        await t.test(`kernel: corpus-wild/${file}`, async (st) => {
          const r = await compare(file);
          if (r.skip) st.skip(r.skip);
          else if (r.fail) assert.fail(r.fail);
        });
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  },
);
